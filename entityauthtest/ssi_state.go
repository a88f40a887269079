package entityauthtest

import (
	"crypto/ed25519"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"strings"
	"time"

	"github.com/entity-studio-go/entityauth/api/ssiapi"
	models "github.com/entity-studio-go/entityauth/gen/ssiapi"
	"github.com/entity-studio-go/entityauth/internal/base58"
)

// ssiState is the SSI half's state for the fake's one app: what the real
// service keeps in its database, its vault and the chain. s.mu guards it.
type ssiState struct {
	credits     int // left, or unlimitedCredits
	creditsUsed int
	started     time.Time // the process start, the minimum of expiresTime

	dids      map[string]*didRecord
	didOrder  []string // creation order, as the real list answers
	creds     map[string]*credRecord
	credOrder []string
	templates map[string]*templateRecord
	tmplOrder []string

	pending     []chainTx                  // queued transactions, oldest first (ssi_chain.go)
	issuerCache map[string]json.RawMessage // issuer documents as first resolved at issue, never refreshed
	usage       usageLog                   // the request log that GET /usage counts (ssi_usage.go)
}

func newSSIState(opts Options) *ssiState {
	credits := opts.Credits
	if credits == 0 {
		credits = unlimitedCredits
	}
	return &ssiState{
		credits:   credits,
		started:   time.Now(),
		dids:      map[string]*didRecord{},
		creds:     map[string]*credRecord{},
		templates: map[string]*templateRecord{},

		issuerCache: map[string]json.RawMessage{},
	}
}

// A didRecord is one of the app's DIDs: its key (the vault's), its name,
// and what the chain holds once it is registered.
type didRecord struct {
	did     string
	name    *string
	key     ed25519.PrivateKey
	created json.RawMessage // the document create answered

	completed   bool // the database's registrationStatus is COMPLETED (direct registrations only)
	registered  bool // on the chain
	txHash      string
	onChain     json.RawMessage // the document the chain holds
	createdAt   time.Time
	updatedAt   time.Time
	deactivated bool
}

// Contexts and types of the documents the fake writes, as hs-ssi-sdk writes them.
const (
	didContext          = "https://www.w3.org/ns/did/v1"
	ed25519Context      = "https://w3id.org/security/suites/ed25519-2020/v1"
	credentialsContext  = "https://www.w3.org/2018/credentials/v1"                                                               //nolint:gosec // a JSON-LD context, not a credential
	credStatusContext   = "https://raw.githubusercontent.com/hypersign-protocol/hypersign-contexts/main/CredentialStatus.jsonld" //nolint:gosec // a JSON-LD context, not a credential
	ed25519KeyType      = "Ed25519VerificationKey2020"
	ed25519ProofType    = "Ed25519Signature2020"
	statusListType      = "HypersignCredentialStatus2023"
	statusBaseURL       = "https://api.prajna.hypersign.id/hypersign-protocol/hidnode/ssi/credential/"
	clientSpecNone      = "CLIENT_SPEC_TYPE_NONE"
	schemaValidatorType = "JsonSchemaValidator2018"
	isoMillis           = "2006-01-02T15:04:05.000Z"
	isoSeconds          = "2006-01-02T15:04:05Z"
)

// multibaseKey returns an Ed25519 public key as multibase base58btc of its
// multicodec form (0xed 0x01 before the key): "z6Mk…".
func multibaseKey(pub ed25519.PublicKey) string {
	return "z" + base58.Encode(append([]byte{0xed, 0x01}, pub...))
}

// newKey returns a fresh Ed25519 key from crypto/rand.
func newKey() ed25519.PrivateKey {
	_, priv, _ := ed25519.GenerateKey(rand.Reader) // crypto/rand never fails
	return priv
}

// didDoc is a DID document as hs-ssi-sdk generates it, keys in its order.
type didDoc struct {
	Context              []string             `json:"@context"`
	ID                   string               `json:"id"`
	Controller           []string             `json:"controller"`
	AlsoKnownAs          []string             `json:"alsoKnownAs"`
	VerificationMethod   []verificationMethod `json:"verificationMethod"`
	Authentication       []string             `json:"authentication"`
	AssertionMethod      []string             `json:"assertionMethod"`
	KeyAgreement         []string             `json:"keyAgreement"`
	CapabilityInvocation []string             `json:"capabilityInvocation"`
	CapabilityDelegation []string             `json:"capabilityDelegation"`
	Service              []any                `json:"service"`
}

type verificationMethod struct {
	ID                 string `json:"id"`
	Type               string `json:"type"`
	Controller         string `json:"controller"`
	PublicKeyMultibase string `json:"publicKeyMultibase"`
}

func newDIDDoc(did string, pub ed25519.PublicKey) didDoc {
	vm := did + "#key-1"
	return didDoc{
		Context:              []string{didContext, ed25519Context},
		ID:                   did,
		Controller:           []string{did},
		AlsoKnownAs:          []string{did},
		VerificationMethod:   []verificationMethod{{ID: vm, Type: ed25519KeyType, Controller: did, PublicKeyMultibase: multibaseKey(pub)}},
		Authentication:       []string{vm},
		AssertionMethod:      []string{vm},
		KeyAgreement:         []string{},
		CapabilityInvocation: []string{vm},
		CapabilityDelegation: []string{vm},
		Service:              []any{},
	}
}

// rebuiltDIDDoc is the document that GET /did/resolve answers for one of the
// app's DIDs that is not on chain: the real service rebuilds it from the DID
// split on ":", taking the fourth part for both the namespace and the
// method-specific id (did.service.ts resolveDid), so that
// did:hid:testnet:<id> comes back as the document of did:hid:<id>:<id>. A
// mainnet DID, did:hid:<id>, comes back as itself.
func rebuiltDIDDoc(did string, pub ed25519.PublicKey) didDoc {
	parts := strings.Split(did, ":")
	ns, msid := "", ""
	if len(parts) == 4 {
		ns = parts[3]
	}
	if ns != "" {
		msid = parts[3]
	} else if len(parts) > 2 {
		msid = parts[2]
	}
	id := "did:hid:" + msid
	if ns != "" {
		id = "did:hid:" + ns + ":" + msid
	}
	return newDIDDoc(id, pub)
}

// txHash returns a new transaction hash: 64 upper-case hex digits.
func txHash() string { return strings.ToUpper(hex.EncodeToString(randomBytes(32))) }

// canonical is v's JSON with object keys sorted (through a generic value).
func canonical(v any) []byte {
	b, _ := json.Marshal(v)
	var x any
	_ = json.Unmarshal(b, &x)
	b, _ = json.Marshal(x)
	return b
}

// ssiHandler implements the SSI API's generated server interface.
type ssiHandler struct{ s *Server }

var _ ssiapi.ServerInterface = (*ssiHandler)(nil)

// mountSSI registers the SSI API's routes on mux and creates their state.
func (s *Server) mountSSI(mux *http.ServeMux) {
	s.ssi = newSSIState(s.opts)
	h := &ssiHandler{s: s}
	ssiapi.HandlerWithOptions(h, ssiapi.StdHTTPServerOptions{BaseRouter: mux, ErrorHandlerFunc: h.paramError})
}

// CreditsUsed returns the credits that the SSI API has charged so far, at
// the real service's prices, for requests that it answered with success. It
// is exact as soon as a call has returned: a request is charged before it is
// answered (and while it is being served, refunded if it fails).
func (s *Server) CreditsUsed() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.ssi.creditsUsed
}

// serve answers one SSI request: the middleware's checks, the guards of op,
// then fn, and the credits that a successful answer costs.
func (h *ssiHandler) serve(w http.ResponseWriter, r *http.Request, op operation, fn func(c caller, body jsObject) jsonAnswer) {
	s := h.s
	c, refused := s.authenticate(r)
	if refused != nil {
		s.logf("%s %s: refused: %v", r.Method, r.URL.Path, refused.body.(httpError).Message)
		_ = refused.write(w)
		return
	}
	body := readBody(r)
	s.logUsage(r, body)
	s.mu.Lock()
	s.settleLocked(time.Now()) // what landed since the last request
	s.mu.Unlock()
	cost, refused := s.guard(op, r, body)
	if refused != nil {
		_ = refused.write(w)
		return
	}
	a := fn(c, body)
	if a.status >= 400 {
		s.refund(cost) // before the answer, so that CreditsUsed is exact once the caller has it
	}
	if _, empty := a.body.(noBody); empty {
		// Nest sends nothing for a handler's null.
		w.WriteHeader(a.status)
		return
	}
	_ = a.write(w)
}

// paramError answers requests whose query the generated wrapper could not
// bind: the real service checks the token first and reads the query
// itself, so the operation answers them from the raw query.
func (h *ssiHandler) paramError(w http.ResponseWriter, r *http.Request, _ error) {
	switch p := r.URL.Path; {
	case r.Method == http.MethodGet && p == "/api/v1/did":
		h.ListDIDs(w, r, models.ListDIDsParams{})
	case r.Method == http.MethodGet && p == "/api/v1/credential":
		h.ListCredentials(w, r, models.ListCredentialsParams{})
	case r.Method == http.MethodGet && strings.HasPrefix(p, "/api/v1/credential/"):
		h.GetCredential(w, r, r.PathValue("id"), models.GetCredentialParams{})
	case r.Method == http.MethodGet && p == "/api/v1/presentation/template":
		h.ListPresentationTemplates(w, r, models.ListPresentationTemplatesParams{})
	case strings.HasPrefix(p, "/api/v1/status/ssi/"):
		h.GetSSIStatus(w, r, r.PathValue("id"), models.GetSSIStatusParams{})
	case strings.HasPrefix(p, "/api/v1/status/transaction/"):
		h.GetTransactionStatus(w, r, r.PathValue("hash"), models.GetTransactionStatusParams{})
	default:
		_ = nestError(http.StatusBadRequest, []string{"Bad Request"}).write(w)
	}
}

// sdkError is how the real service answers an hs-ssi-sdk or chain failure
// that it does not catch: 500 with the error's name and text.
func sdkError(r *http.Request, text string) jsonAnswer {
	return jsonAnswer{status: http.StatusInternalServerError, body: newInternalBody(r.RequestURI, "Error", text)}
}

// noBody is a handler's null: a 200 with an empty body.
type noBody struct{}

func ok(status int, body any) jsonAnswer { return jsonAnswer{status: status, body: body} }

func badRequest(msg ...string) jsonAnswer { return nestError(http.StatusBadRequest, msg) }

func notFoundError(msg ...string) jsonAnswer { return nestError(http.StatusNotFound, msg) }

func pubOf(key ed25519.PrivateKey) ed25519.PublicKey { return key.Public().(ed25519.PublicKey) }
