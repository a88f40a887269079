package entityauthtest

import (
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"slices"
	"strings"
	"time"

	models "github.com/entity-studio-go/entityauth/gen/ssiapi"
	"github.com/entity-studio-go/entityauth/internal/base58"
)

// Routes of the credential controller (src/credential/controllers/credential.controller.ts).
var (
	opReadCred   = operation{credits: true, access: permReadCred}
	opWriteCred  = operation{credits: true, access: permWriteCred}
	opCredStatus = operation{credits: true} // PATCH /credential/status/:id checks no permission
)

// A credRecord is one issued credential: the database row, the vault's copy
// and the chain's status.
type credRecord struct {
	id         string
	issuerDID  string
	vmID       string
	persist    bool
	register   bool
	schemaType string
	schemaID   *string
	createdAt  time.Time
	doc        object      // the signed credential, kept only when persist
	status     *credStatus // nil until registered on the fake chain
	records    []txnStatus // the queue worker's records of landed transactions (queued mode)
}

// credStatus is a credential's status as the chain holds it.
type credStatus struct {
	issuer, issuanceDate, hash string
	txHash                     string // of the registration
	revoked, suspended         bool
	remarks                    string
	created, updated           time.Time
	proofValue                 string
}

// chainStatus is the status as the chain returns it: hid-node's status
// document ("context", not "@context") and its proof.
type chainStatus struct {
	statusDocument
	Proof statusProof `json:"proof"`
}

type statusProof struct {
	Type               string `json:"type"`
	Created            string `json:"created"`
	VerificationMethod string `json:"verificationMethod"`
	ProofPurpose       string `json:"proofPurpose"`
	ProofValue         string `json:"proofValue"`
	ClientSpecType     string `json:"clientSpecType"`
}

func (c *credRecord) chain() chainStatus {
	st := c.status
	return chainStatus{
		statusDocument: statusDocument{
			Context: []string{credStatusContext, ed25519Context}, ID: c.id,
			Revoked: st.revoked, Suspended: st.suspended, Remarks: st.remarks,
			Issuer: st.issuer, IssuanceDate: st.issuanceDate, CredentialMerkleRootHash: st.hash,
		},
		Proof: statusProof{
			Type: ed25519ProofType, Created: st.updated.UTC().Format(isoSeconds),
			VerificationMethod: c.vmID, ProofPurpose: "assertionMethod", ProofValue: st.proofValue, ClientSpecType: clientSpecNone,
		},
	}
}

type credMetadata struct {
	CredentialID             string      `json:"credentialId"`
	Persist                  bool        `json:"persist"`
	Type                     credType    `json:"type"`
	IssuerDID                string      `json:"issuerDid"`
	RegisterCredentialStatus bool        `json:"registerCredentialStatus"`
	TransactionStatus        []txnStatus `json:"transactionStatus,omitempty"`
}

type credType struct {
	SchemaType string  `json:"schemaType"`
	SchemaID   *string `json:"schemaId,omitempty"`
}

type txnStatus struct {
	TxnHash string `json:"txnHash"`
	Status  int    `json:"status"`
	ID      string `json:"id"`
	Type    string `json:"type"`
}

func (c *credRecord) metadata() credMetadata {
	return credMetadata{CredentialID: c.id, Persist: c.persist, Type: credType{SchemaType: c.schemaType, SchemaID: c.schemaID}, IssuerDID: c.issuerDID, RegisterCredentialStatus: c.register}
}

// ListCredentials answers GET /api/v1/credential: newest first.
func (h *ssiHandler) ListCredentials(w http.ResponseWriter, r *http.Request, _ models.ListCredentialsParams) {
	h.serve(w, r, opReadCred, func(caller, jsObject) jsonAnswer {
		p, l, bad := pagination(r.URL.Query())
		if bad != nil {
			return *bad
		}
		issuer := r.URL.Query().Get("issuerDid")
		type item struct {
			CredentialID string `json:"credentialId"`
			CreatedAt    string `json:"createdAt"`
		}
		var items []item
		h.s.mu.Lock()
		for i := len(h.s.ssi.credOrder) - 1; i >= 0; i-- {
			c := h.s.ssi.creds[h.s.ssi.credOrder[i]]
			if issuer == "" || c.issuerDID == issuer {
				items = append(items, item{c.id, c.createdAt.UTC().Format(isoMillis)})
			}
		}
		h.s.mu.Unlock()
		total, data := page(items, p, l)
		return ok(http.StatusOK, listAnswer[item]{TotalCount: total, Data: data})
	})
}

// GetCredential answers GET /api/v1/credential/{id}.
func (h *ssiHandler) GetCredential(w http.ResponseWriter, r *http.Request, id string, _ models.GetCredentialParams) {
	h.serve(w, r, opReadCred, func(c caller, _ jsObject) jsonAnswer {
		retrieve := false
		switch v, has := r.URL.Query()["retrieveCredential"]; {
		case !has:
		case len(v) == 1 && v[0] == "true":
			retrieve = true
		case len(v) == 1 && v[0] == "false":
		default:
			return badRequest("Value must be true or false")
		}
		h.s.mu.Lock()
		defer h.s.mu.Unlock()
		rec := h.s.ssi.creds[id]
		if rec == nil {
			return notFoundError(id+" is not found", id+" does not belongs to the App id: "+c.appID)
		}
		out := struct {
			CredentialDocument object       `json:"credentialDocument,omitempty"`
			CredentialStatus   *chainStatus `json:"credentialStatus,omitempty"`
			Metadata           credMetadata `json:"metadata"`
		}{Metadata: rec.metadata()}
		if rec.persist && retrieve {
			out.CredentialDocument = rec.doc
		}
		switch {
		case h.s.queued():
			// The status is read from the chain only when the worker has
			// recorded a successful transaction for the credential.
			out.Metadata.TransactionStatus = rec.records
			if rec.landed() && rec.status != nil {
				st := rec.chain()
				out.CredentialStatus = &st
			}
		case rec.status != nil:
			st := rec.chain()
			out.CredentialStatus = &st
			out.Metadata.TransactionStatus = []txnStatus{{TxnHash: rec.status.txHash, Status: 0, ID: rec.id, Type: txnRegisterStatus}}
		}
		return ok(http.StatusOK, out)
	})
}

// Types of the worker's transaction records. The worker is not in the real
// service's repository: the fake's names.
const (
	txnRegisterStatus = "REGISTER_CREDENTIAL_STATUS"
	txnUpdateStatus   = "UPDATE_CREDENTIAL_STATUS"
)

// landed reports whether the worker recorded a successful transaction for c.
func (c *credRecord) landed() bool {
	for _, r := range c.records {
		if r.Status == 0 {
			return true
		}
	}
	return false
}

// record adds the worker's record of a landed transaction: status 0 when
// the chain took it, 1 when it refused it.
func (c *credRecord) record(kind string, took bool) {
	status := 1
	if took {
		status = 0
	}
	c.records = append(c.records, txnStatus{TxnHash: txHash(), Status: status, ID: c.id, Type: kind})
}

// Messages of the issue route.
const (
	// msgIssuerNotOnChain is what the real service answers when the issuer's
	// document, resolved from the chain, is empty: it reads
	// didDocument.verificationMethod.find.
	msgIssuerNotOnChain = "Cannot read properties of undefined (reading 'find')"
	msgNoStatus         = "No credential status found. Probably invalid credentialId"
	msgBadExpiration    = "HID-SSI-SDK:: Error: Could not create credential, error = RangeError: Invalid time value"
)

// issuanceLead is how far before now hs-ssi-sdk dates a credential's issuanceDate.
const issuanceLead = 100 * time.Second

// issuerDocLocked returns the issuer's document as the issue route sees it:
// the real service resolves it from the chain at the issuer's first issue
// and caches it for the life of the process (a NodeCache without TTL,
// credential.service.ts), the empty document of an issuer not yet on chain
// included. So an issue made before the DID landed keeps failing, and a
// later update of the document is not seen. s.mu must be held.
func (s *Server) issuerDocLocked(issuer string) map[string]any {
	raw, cached := s.ssi.issuerCache[issuer]
	if !cached {
		raw = json.RawMessage("{}")
		if rec := s.ssi.dids[issuer]; rec != nil && rec.registered {
			raw = rec.onChain
		}
		s.ssi.issuerCache[issuer] = raw
	}
	return rawMap(raw)
}

// IssueCredential answers POST /api/v1/credential/issue: a credential signed
// with the issuer's stored key.
func (h *ssiHandler) IssueCredential(w http.ResponseWriter, r *http.Request) {
	h.serve(w, r, opWriteCred, func(c caller, body jsObject) jsonAnswer {
		if bad := didSetters(body, "subjectDid", "issuerDid"); bad != nil {
			return *bad
		}
		if bad := validateIssue(body); bad != nil {
			return *bad
		}
		vmid, _ := body.get("verificationMethodId").(string)
		issuer, _ := body.get("issuerDid").(string)
		subject, _ := body.get("subjectDid").(string)
		expiration, _ := body.get("expirationDate").(string)
		schemaID, hasSchema := body.get("schemaId").(string)
		persist := body.get("persist") == true
		register := body.get("registerCredentialStatus") != false

		s := h.s
		s.mu.Lock()
		defer s.mu.Unlock()
		owner := s.ssi.dids[strings.SplitN(vmid, "#", 2)[0]]
		if owner == nil {
			return notFoundError(vmid+" not found", vmid+" is not owned by the appId "+c.appID, "Resource not found")
		}
		issuerDoc := s.issuerDocLocked(issuer)
		if _, has := issuerDoc["verificationMethod"]; !has {
			return badRequest(msgIssuerNotOnChain)
		}
		if docKey(issuerDoc, vmid) == "" {
			return badRequest("VerificationMethod does not exists for vmId " + vmid)
		}
		if hasSchema {
			return badRequest("HID-SSI-SDK:: Error: could not resolve schema " + schemaID + " (entityauthtest models no schemas)")
		}
		// Without a schemaId, the DTO checks type and schemaContext only when
		// schemaId is undefined: with "schemaId": null they may be anything,
		// and the SDK fails to build the credential.
		typeList, isList := body.get("type").([]any)
		schemaContext, isCtx := body.get("schemaContext").([]any)
		if !isList || !isCtx {
			return badRequest("HID-SSI-SDK:: Error: Could not create credential, error = TypeError: type and schemaContext must be arrays when schemaId is not given (entityauthtest)")
		}
		types := []string{"VerifiableCredential"}
		for _, t := range typeList {
			if ts, ok := t.(string); ok && ts != "VerifiableCredential" {
				types = append(types, ts)
			}
		}
		expires, valid := jsDate(expiration)
		if !valid {
			return badRequest(msgBadExpiration)
		}
		// Disagreement 7: the schemaContext path adds no status context;
		// jsonld-signatures appends the suite's context when it is absent.
		ctx := []any{credentialsContext}
		ctx = append(ctx, schemaContext...)
		if !slices.Contains(ctx, any(ed25519Context)) {
			ctx = append(ctx, ed25519Context)
		}

		key := newKey() // the credential id is a key, as hs-ssi-sdk makes it
		id := "vc:hid:testnet:z" + base58.Encode(append([]byte{0xed, 0x01}, pubOf(key)...))
		now := time.Now()
		issuance := now.Add(-issuanceLead).UTC().Format(isoSeconds)
		fieldsOrdered, _ := orderedMember(body.raw, "fields").(object)
		doc := credentialDocument(ctx, id, types, issuer, issuance, expires.UTC().Format(isoSeconds), fieldsOrdered, subject, s.URL+HIDNodeStatusPath+id)
		signed, err := ldSign(owner.key, doc, object{{"type", ed25519ProofType}, {"created", now.UTC().Format(isoSeconds)}, {"verificationMethod", vmid}, {"proofPurpose", "assertionMethod"}})
		if err != nil {
			return badRequest(signingError(err))
		}
		doc = doc.set("proof", signed)

		sum := sha256.Sum256(canonical(doc))
		rec := &credRecord{id: id, issuerDID: issuer, vmID: vmid, persist: persist, register: register, schemaType: types[min(1, len(types)-1)], createdAt: now}
		st := &credStatus{issuer: issuer, issuanceDate: issuance, hash: hex.EncodeToString(sum[:]), remarks: "Credential is active", created: now, updated: now}
		// The SDK signs the status document in place, then registers it
		// (credential.service.ts copies it, proof included, into the answer).
		rec.status = st
		issued, err := rec.signStatus(owner.key)
		rec.status = nil
		if err != nil {
			return badRequest(signingError(err))
		}
		if d := s.ssi.dids[issuer]; register && !s.queued() && d != nil && d.deactivated {
			// hid-node refuses a status whose issuer is deactivated; the
			// service re-wraps the failed registration as a bare 400.
			return badRequest("Bad Request Exception")
		}
		if persist {
			rec.doc = doc
		}
		switch {
		case register && s.queued():
			s.registerStatusLaterLocked(rec, st)
		case register:
			st.txHash = txHash()
			rec.status = st
		}
		s.ssi.creds[id] = rec
		s.ssi.credOrder = append(s.ssi.credOrder, id)

		return ok(http.StatusCreated, struct {
			CredentialDocument object       `json:"credentialDocument"`
			CredentialStatus   object       `json:"credentialStatus"`
			Metadata           credMetadata `json:"metadata"`
		}{doc, issued, rec.metadata()})
	})
}

func validateIssue(body jsObject) *jsonAnswer {
	var v violations
	if x := body.get("schemaId"); x != nil && !isString(x) {
		v.add("schemaId must be a string")
	}
	for _, k := range []string{"subjectDid", "issuerDid"} {
		if x := body.get(k); !notEmpty(x) || !isString(x) {
			if !notEmpty(x) {
				v.add("%s should not be empty", k)
			}
			if !isString(x) {
				v.add("%s must be a string", k)
			}
		}
	}
	if !body.has("schemaId") {
		sc := body.get("schemaContext")
		if l, _ := sc.([]any); len(l) == 0 {
			v.add("schemaContext should not be empty")
		}
		if !isArray(sc) {
			v.add("schemaContext must be an array")
		}
		if !isArray(body.get("type")) {
			v.add("type must be an array")
		}
	}
	if x := body.get("expirationDate"); !notEmpty(x) || !isString(x) {
		if !notEmpty(x) {
			v.add("expirationDate should not be empty")
		}
		if !isString(x) {
			v.add("expirationDate must be a string")
		}
	}
	if !isNonEmptyObject(body.get("fields")) {
		v.add("fields must be a non-empty object")
	}
	if !isVMID(body.get("verificationMethodId")) {
		v.add("verificationMethodId contains an invalid verification method id")
	}
	if _, isBool := body.get("persist").(bool); !isBool {
		v.add("persist must be a boolean value")
	}
	if x := body.get("registerCredentialStatus"); x != nil {
		if _, isBool := x.(bool); !isBool {
			v.add("registerCredentialStatus must be a boolean value")
		}
	}
	return v.answer()
}

// UpdateCredentialStatus answers PATCH /api/v1/credential/status/{id}.
func (h *ssiHandler) UpdateCredentialStatus(w http.ResponseWriter, r *http.Request, id string) {
	h.serve(w, r, opCredStatus, func(c caller, body jsObject) jsonAnswer {
		if bad := didSetters(body, "issuerDid"); bad != nil {
			return *bad
		}
		var v violations
		status, _ := body.get("status").(string)
		if status != "LIVE" && status != "SUSPEND" && status != "REVOKE" {
			v.add("status must be one of the following values: LIVE, SUSPEND, REVOKE")
		}
		if x := body.get("issuerDid"); !notEmpty(x) || !isString(x) {
			if !notEmpty(x) {
				v.add("issuerDid should not be empty")
			}
			if !isString(x) {
				v.add("issuerDid must be a string")
			}
		}
		if !isVMID(body.get("verificationMethodId")) {
			v.add("verificationMethodId contains an invalid verification method id")
		}
		if bad := v.answer(); bad != nil {
			return *bad
		}
		vmid, _ := body.get("verificationMethodId").(string)
		reason, _ := body.get("statusReason").(string)

		issuer, _ := body.get("issuerDid").(string)

		s := h.s
		s.mu.Lock()
		defer s.mu.Unlock()
		if s.ssi.dids[strings.SplitN(vmid, "#", 2)[0]] == nil {
			return notFoundError(vmid+" not found", vmid+" is not owned by the appId "+c.appID, "Resource not found")
		}
		if d := s.ssi.dids[issuer]; d == nil || !d.registered {
			return badRequest(msgIssuerNotOnChain)
		}
		rec := s.ssi.creds[id]
		if rec == nil || rec.status == nil {
			return badRequest(msgNoStatus)
		}
		if !s.controlsLocked(rec.issuerDID, strings.SplitN(vmid, "#", 2)[0]) {
			// hid-ssi-js-sdk vc.ts updateCredentialStatus: the method's DID must
			// be a controller of the credential's issuer, else it throws, and the
			// service answers its message as a 400.
			return badRequest("HID-SSI-SDK:: Error: params.verificationMethodId does not belong to issuerDid")
		}
		st := rec.status
		refusal := func() string {
			cur := map[bool]string{true: "SUSPEND", false: "LIVE"}[st.suspended]
			switch {
			case st.revoked:
				return "failed to execute message; message index: 0: credential status " + id + " could not be updated since it is revoked: invalid Credential Status"
			case status == cur:
				return "failed to execute message; message index: 0: credential status of " + id + " is already " + status + ": invalid Credential Status"
			}
			return ""
		}
		apply := func(at time.Time) {
			st.suspended, st.revoked = status == "SUSPEND", status == "REVOKE"
			st.remarks = map[string]string{"LIVE": "Credential is active", "SUSPEND": "Credential is suspended", "REVOKE": "Credential is revoked"}[status]
			if reason != "" {
				st.remarks = reason
			}
			// The SDK signs the new status document when asked (its proof's
			// created), and the chain keeps that proof when the change lands.
			st.updated = at
			_, _ = rec.signStatus(s.statusKeyLocked(rec)) // embedded contexts, defined terms: it cannot fail
		}
		signedAt := time.Now()
		if s.queued() {
			// Signed, queued, then answered with the chain's status as it
			// still is: the status from before the change.
			before := rec.chain()
			s.enqueueLocked(txCredUpdate, func(time.Time) bool {
				took := refusal() == ""
				if took {
					apply(signedAt)
				}
				rec.record(txnUpdateStatus, took)
				return took
			})
			return ok(http.StatusOK, before)
		}
		if msg := refusal(); msg != "" {
			return badRequest(msg)
		}
		apply(signedAt)
		return ok(http.StatusOK, rec.chain())
	})
}

// registerStatusLaterLocked queues the registration of rec's status st. s.mu
// must be held.
func (s *Server) registerStatusLaterLocked(rec *credRecord, st *credStatus) {
	s.enqueueLocked(txCredRegister, func(time.Time) bool {
		took := rec.status == nil
		if took {
			// The chain keeps the proof as signed before it was queued.
			st.txHash = txHash()
			rec.status = st
		}
		rec.record(txnRegisterStatus, took)
		return took
	})
}

// controlsLocked reports whether did is a controller of the DID document
// that the chain holds for issuer (a DID controls its own document unless the
// document says otherwise). s.mu must be held.
func (s *Server) controlsLocked(issuer, did string) bool {
	rec := s.ssi.dids[issuer]
	if rec == nil {
		return false
	}
	doc := rawMap(rec.onChain)
	switch c := doc["controller"].(type) {
	case []any:
		for _, x := range c {
			if x == did {
				return true
			}
		}
		return false
	case string:
		return c == did
	}
	return did == issuer
}

// RegisterCredentialStatus answers POST /api/v1/credential/status/register:
// it puts the status of a credential issued with registerCredentialStatus
// false on the fake chain. The status must carry the proof that the issue
// answer gave it (hs-ssi-sdk's own client sends it apart, as
// credentialStatusProof, which the service ignores); the chain checks it as
// hid-node does, with the key of the DID it names.
func (h *ssiHandler) RegisterCredentialStatus(w http.ResponseWriter, r *http.Request) {
	h.serve(w, r, opWriteCred, func(_ caller, body jsObject) jsonAnswer {
		var v violations
		cs, isObj := body.get("credentialStatus").(map[string]any)
		if !isObj {
			v.add("nested property credentialStatus must be either object or array")
		}
		if ns := body.get("namespace"); ns != "testnet" && ns != "" {
			v.add(msgNamespace)
		}
		if bad := v.answer(); bad != nil {
			return *bad
		}
		id, _ := cs["id"].(string)
		s := h.s
		s.mu.Lock()
		defer s.mu.Unlock()
		rec := s.ssi.creds[id]
		if s.queued() {
			// Queued: 201 {} whatever the chain will say; the worker records
			// the chain's refusal (of a status without a valid proof, say).
			if rec != nil {
				s.enqueueLocked(txCredRegister, func(time.Time) bool {
					took := rec.status == nil && s.registerStatusLocked(rec, cs) == ""
					rec.record(txnRegisterStatus, took)
					return took
				})
			}
			return ok(http.StatusCreated, struct{}{})
		}
		if _, hasProof := cs["proof"].(map[string]any); !hasProof {
			return badRequest(msgNoStatusProof)
		}
		if rec == nil {
			return badRequest("failed to execute message; message index: 0: credential " + id + " is unknown to the chain (entityauthtest registers only the app's credentials)")
		}
		if rec.status != nil {
			return badRequest("failed to execute message; message index: 0: credential status document " + id + " already exists")
		}
		if refusal := s.registerStatusLocked(rec, cs); refusal != "" {
			return badRequest(refusal)
		}
		return ok(http.StatusCreated, map[string]string{"transactionHash": rec.status.txHash})
	})
}

// registerStatusLocked puts the status document cs (with its proof) on the
// fake chain as rec's status, after checking its proof as hid-node does,
// with the key of the DID it names, which the issuer's document must list.
// It returns the chain's refusal, or "". s.mu must be held.
func (s *Server) registerStatusLocked(rec *credRecord, cs map[string]any) string {
	proof, _ := cs["proof"].(map[string]any)
	vm, _ := proof["verificationMethod"].(string)
	signer := s.ssi.dids[strings.SplitN(vm, "#", 2)[0]]
	issuerRec := s.ssi.dids[rec.issuerDID]
	if proof == nil || signer == nil || issuerRec == nil || docKey(rawMap(issuerRec.onChain), vm) == "" || !ldVerify(pubOf(signer.key), withoutProof(cs), proof) {
		return "failed to execute message; message index: 0: signature verification failed for " + vm + ": invalid signature detected"
	}
	created, _ := time.Parse(time.RFC3339, str(proof["created"]))
	rec.status = &credStatus{issuer: rec.issuerDID, issuanceDate: str(cs["issuanceDate"]), hash: str(cs["credentialMerkleRootHash"]), remarks: str(cs["remarks"]), created: created, updated: created}
	// Signed again as the chain holds it: Ed25519 is deterministic, so this
	// is the proofValue that was sent.
	if _, err := rec.signStatus(signer.key); err != nil {
		rec.status = nil
		return signingError(err)
	}
	rec.status.txHash = txHash()
	rec.register = true
	return ""
}

// msgNoStatusProof is hs-ssi-sdk's refusal of a status to register without
// its proof (src/credential/vc.ts registerCredentialStatus).
const msgNoStatusProof = "HID-SSI-SDK:: Error: credentialStatus and credentialStatusProof are required to register credential status"

// statusKeyLocked returns the key that signs rec's status: that of the DID
// of the verification method that issued it. s.mu must be held.
func (s *Server) statusKeyLocked(rec *credRecord) ed25519.PrivateKey {
	if d := s.ssi.dids[strings.SplitN(rec.vmID, "#", 2)[0]]; d != nil {
		return d.key
	}
	return s.ssi.dids[rec.issuerDID].key
}

func str(v any) string {
	s, _ := v.(string)
	return s
}

// rawMap decodes a stored JSON object.
func rawMap(b []byte) map[string]any {
	var m map[string]any
	_ = json.Unmarshal(b, &m)
	return m
}

// jsDateLayouts are the forms of a date that the fake reads as JavaScript's
// Date does: the ISO forms (a date alone is UTC; a date and time without an
// offset is the server's local time, taken here as UTC, as in a container),
// the same with a space for the T, and the HTTP date. JavaScript accepts
// more (such as "Jan 1 2030"); the fake refuses them, so that a test does
// not come to rely on one.
var jsDateLayouts = []string{
	"2006", "2006-01", "2006-01-02",
	"2006-01-02T15:04Z07:00", "2006-01-02T15:04:05Z07:00", "2006-01-02T15:04:05.999999999Z07:00",
	"2006-01-02T15:04", "2006-01-02T15:04:05", "2006-01-02T15:04:05.999999999",
	"2006-01-02 15:04Z07:00", "2006-01-02 15:04:05Z07:00", "2006-01-02 15:04:05.999999999Z07:00",
	"2006-01-02 15:04", "2006-01-02 15:04:05", "2006-01-02 15:04:05.999999999",
	time.RFC1123, time.RFC1123Z,
}

// jsDate parses s as new Date(s) does for the forms of jsDateLayouts, and
// truncates it to whole seconds, as hs-ssi-sdk's
// toISOString().slice(0,-5)+"Z" does; it reports false for an invalid date.
func jsDate(s string) (time.Time, bool) {
	for _, l := range jsDateLayouts {
		if t, err := time.ParseInLocation(l, s, time.UTC); err == nil && t.Year() <= 9999 {
			return t.Truncate(time.Second), true
		}
	}
	return time.Time{}, false
}
