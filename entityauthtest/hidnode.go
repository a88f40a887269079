package entityauthtest

import (
	"crypto/ed25519"
	"net/http"
	"strings"
	"time"
)

// HIDNodeStatusPath is the path under [Server.URL] where the fake serves a
// credential's status as hid-node's REST API does:
// GET {Server.URL}/hypersign-protocol/hidnode/ssi/credential/{credential id}.
// The credentials that the fake issues name that URL as their
// credentialStatus id, so a verifier reads their status from the fake
// (package vc: vc.HIDNodeStatus(srv.URL, srv.Client())).
const HIDNodeStatusPath = "/hypersign-protocol/hidnode/ssi/credential/"

// statusRoute serves hid-node's credential status query
// (proto/hypersign/ssi/v1/query.proto, through its gRPC gateway): no token,
// 200 {credentialStatus: {credentialStatusDocument, credentialStatusProof}}
// for a status on the fake chain, and the gateway's error shape for one that
// is not. It serves GET (and HEAD) only, as the gateway does.
func (s *Server) statusRoute(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		_ = ok(http.StatusNotImplemented, gatewayError{Code: 12, Message: "Method Not Allowed", Details: []any{}}).write(w)
		return
	}
	id := strings.TrimPrefix(r.URL.Path, HIDNodeStatusPath)
	s.mu.Lock()
	s.settleLocked(time.Now()) // what landed since the last request: hid-node reads the chain
	var ch *chainStatus
	if rec := s.ssi.creds[id]; rec != nil && rec.status != nil && s.statusVisibleLocked(rec) {
		c := rec.chain()
		ch = &c
	}
	s.mu.Unlock()
	if ch == nil {
		// x/ssi/keeper: sdkerrors.Wrap(ErrCredentialStatusNotFound, "credential status document <id> not found"); an
		// error of an SDK codespace reaches the gateway as gRPC Unknown (2), HTTP 500.
		_ = ok(http.StatusInternalServerError, gatewayError{Code: 2, Message: "credential status document " + id + " not found: credential status document not found", Details: []any{}}).write(w)
		return
	}
	_ = ok(http.StatusOK, hidNodeStatusAnswer{CredentialStatus: hidNodeStatus{Document: ch.statusDocument, Proof: ch.Proof}}).write(w)
}

// statusVisibleLocked reports whether rec's status is on the fake chain,
// where hid-node would answer it. s.mu must be held.
func (s *Server) statusVisibleLocked(rec *credRecord) bool { return rec.status != nil }

// gatewayError is the gRPC gateway's error body.
type gatewayError struct {
	Code    int    `json:"code"`
	Message string `json:"message"`
	Details []any  `json:"details"`
}

// hidNodeStatusAnswer is hid-node's QueryCredentialStatusResponse in JSON.
type hidNodeStatusAnswer struct {
	CredentialStatus hidNodeStatus `json:"credentialStatus"`
}

type hidNodeStatus struct {
	Document statusDocument `json:"credentialStatusDocument"`
	Proof    statusProof    `json:"credentialStatusProof"`
}

// statusDocument is hid-node's CredentialStatusDocument as its REST API
// answers it (every field, false ones included, in the proto's order).
type statusDocument struct {
	Context                  []string `json:"context"`
	ID                       string   `json:"id"`
	Revoked                  bool     `json:"revoked"`
	Suspended                bool     `json:"suspended"`
	Remarks                  string   `json:"remarks"`
	Issuer                   string   `json:"issuer"`
	IssuanceDate             string   `json:"issuanceDate"`
	CredentialMerkleRootHash string   `json:"credentialMerkleRootHash"`
}

// statusSigned returns a status document and its proof options as hid-node
// canonicalizes them to verify the issuer's signature
// (x/ssi/ld-context/types.go): "@context" for "context", revoked and
// suspended left out when false (omitempty), and the proof without
// proofValue and clientSpecType. The issue route answers the same document
// with its proof (signed in place by jsonld-signatures), in this order.
func statusSigned(ch chainStatus) (doc, proof object) {
	ctx := make([]any, len(ch.Context))
	for i, c := range ch.Context {
		ctx[i] = c
	}
	doc = object{{"@context", ctx}, {"id", ch.ID}}
	if ch.Revoked {
		doc = append(doc, member{"revoked", true})
	}
	if ch.Suspended {
		doc = append(doc, member{"suspended", true})
	}
	doc = append(doc, member{"issuer", ch.Issuer}, member{"issuanceDate", ch.IssuanceDate}, member{"remarks", ch.Remarks},
		member{"credentialMerkleRootHash", ch.CredentialMerkleRootHash})
	proof = object{{"type", ch.Proof.Type}, {"created", ch.Proof.Created}, {"verificationMethod", ch.Proof.VerificationMethod}, {"proofPurpose", ch.Proof.ProofPurpose}}
	return doc, proof
}

// signStatus signs c's status as it now stands with key (the issuer's), as
// the SDK signs a status before it sends it to the chain, and returns the
// signed document with its proof, as the issue route answers it.
func (c *credRecord) signStatus(key ed25519.PrivateKey) (object, error) {
	doc, proof := statusSigned(c.chain())
	signed, err := ldSign(key, doc, proof)
	if err != nil {
		return nil, err
	}
	c.status.proofValue, _ = signed.get("proofValue").(string)
	return append(doc, member{"proof", signed}), nil
}
