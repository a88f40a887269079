package entityauthtest

import (
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"

	models "github.com/entity-studio-go/entityauth/gen/ssiapi"
)

// Routes of the DID controller (src/did/controllers/did.controller.ts).
var (
	opReadDID   = operation{credits: true, access: permReadDID}
	opWriteDID  = operation{credits: true, access: permWriteDID}
	opVerifyDID = operation{credits: true, access: permVerifyDIDSig}
)

// Messages of the DID routes.
const (
	msgNamespace = "namespace must be one of the following values: 'testnet', '' "
	msgDuplicate = "Duplicate key error"
	ecdsaRecover = "EcdsaSecp256k1RecoveryMethod2020"
	ecdsaVerify  = "EcdsaSecp256k1VerificationKey2019"
	bjjKeyType   = "BabyJubJubKey2021"
)

// Key types that the fake does not make DIDs of, but that create accepts.
const (
	x25519KeyType   = "X25519KeyAgreementKey2020"
	x25519EIPType   = "X25519KeyAgreementKeyEIP5630"
	bls12381KeyType = "Bls12381G2Key2020"
)

// validKeyTypes are hs-ssi-sdk's IKeyType values, hid-node's
// VerificationMethodTypes in their order (disagreement 8).
var validKeyTypes = []string{ed25519KeyType, ecdsaVerify, ecdsaRecover, x25519KeyType, x25519EIPType, bls12381KeyType, bjjKeyType}

// ListDIDs answers GET /api/v1/did: the app's DIDs, oldest first.
func (h *ssiHandler) ListDIDs(w http.ResponseWriter, r *http.Request, _ models.ListDIDsParams) {
	h.serve(w, r, opReadDID, func(caller, jsObject) jsonAnswer {
		p, l, bad := pagination(r.URL.Query())
		if bad != nil {
			return *bad
		}
		h.s.mu.Lock()
		total, data := page(h.s.ssi.didOrder, p, l)
		h.s.mu.Unlock()
		return ok(http.StatusOK, listAnswer[string]{TotalCount: total, Data: data})
	})
}

// listAnswer is every paginated answer of the real service: one object.
type listAnswer[T any] struct {
	TotalCount int `json:"totalCount"`
	Data       []T `json:"data"`
}

// ResolveDID answers GET /api/v1/did/resolve/{did}.
func (h *ssiHandler) ResolveDID(w http.ResponseWriter, r *http.Request, did string) {
	h.serve(w, r, opReadDID, func(caller, jsObject) jsonAnswer {
		s := h.s
		s.mu.Lock()
		defer s.mu.Unlock()
		rec := s.ssi.dids[did]
		switch {
		case rec == nil:
			return ok(http.StatusOK, resolved{DIDDocument: json.RawMessage("{}"), Metadata: nil})
		case !rec.registered:
			// Disagreement 3: the app's own DID, not on chain, comes back rebuilt.
			doc, _ := marshal(rebuiltDIDDoc(rec.did, pubOf(rec.key)))
			return ok(http.StatusOK, resolved{DIDDocument: doc, Metadata: nil, Name: rec.name})
		}
		return ok(http.StatusOK, resolved{DIDDocument: rec.onChain, Name: rec.name, Metadata: &didMetadata{
			Created:     rec.createdAt.UTC().Format(isoSeconds),
			Updated:     rec.updatedAt.UTC().Format(isoSeconds),
			Deactivated: rec.deactivated,
			VersionID:   rec.txHash,
		}})
	})
}

type resolved struct {
	DIDDocument json.RawMessage `json:"didDocument"`
	Metadata    *didMetadata    `json:"didDocumentMetadata"`
	Name        *string         `json:"name,omitempty"`
}

type didMetadata struct {
	Created     string `json:"created"`
	Updated     string `json:"updated"`
	Deactivated bool   `json:"deactivated"`
	VersionID   string `json:"versionId"`
}

// CreateDID answers POST /api/v1/did/create with a new Ed25519 DID, not yet
// registered.
func (h *ssiHandler) CreateDID(w http.ResponseWriter, r *http.Request) {
	h.serve(w, r, opWriteDID, func(_ caller, body jsObject) jsonAnswer {
		if bad := validateCreateDID(body); bad != nil {
			return *bad
		}
		opts, _ := body.get("options").(map[string]any)
		keyType := ed25519KeyType
		var extra []any // the types after the first
		switch kt := opts["keyType"].(type) {
		case string:
			keyType = kt
		case []any:
			if len(kt) > 0 {
				keyType, _ = kt[0].(string)
				extra = kt[1:]
			}
		}
		// Disagreement 8: the controller sends every first type but ECDSA and
		// BabyJubJub to create(), which makes an Ed25519 DID and adds only
		// BabyJubJub extras: X25519 and Bls12381G2 give an ordinary DID.
		if keyType == x25519KeyType || keyType == x25519EIPType || keyType == bls12381KeyType {
			keyType = ed25519KeyType
		}
		if keyType == ed25519KeyType && contains(toStrings(extra), bjjKeyType) {
			keyType = bjjKeyType
		}
		if keyType == ecdsaRecover || keyType == ecdsaVerify {
			if !jsTruthy(opts["walletAddress"]) {
				return badRequest("options.walletAddress is not passed , required for keyType " + ecdsaRecover)
			}
			if !jsTruthy(opts["chainId"]) {
				return badRequest("options.chainId is not passed , required for keyType " + ecdsaRecover)
			}
		}
		if keyType != ed25519KeyType {
			return badRequest(fmt.Sprintf("entityauthtest models %s DIDs only, not %s", ed25519KeyType, keyType))
		}

		key := newKey()
		pub := pubOf(key)
		msid, _ := body.get("methodSpecificId").(string)
		if msid == "" {
			msid = multibaseKey(pub)
		}
		did := "did:hid:" + msid
		if ns, _ := body.get("namespace").(string); ns != "" {
			did = "did:hid:" + ns + ":" + msid
		}
		doc, _ := marshal(newDIDDoc(did, pub))
		rec := &didRecord{did: did, key: key, created: doc}
		if name, ok := opts["name"].(string); ok {
			rec.name = &name
		}

		s := h.s
		s.mu.Lock()
		defer s.mu.Unlock()
		if _, dup := s.ssi.dids[did]; dup {
			return nestError(http.StatusConflict, []string{msgDuplicate})
		}
		s.ssi.dids[did] = rec
		s.ssi.didOrder = append(s.ssi.didOrder, did)
		return ok(http.StatusCreated, didAnswer{DID: did, RegistrationStatus: "UNREGISTRED", MetaData: metaData{DIDDocument: doc}})
	})
}

type didAnswer struct {
	DID                string   `json:"did"`
	RegistrationStatus string   `json:"registrationStatus"`
	TransactionHash    *string  `json:"transactionHash,omitempty"`
	MetaData           metaData `json:"metaData"`
}

type metaData struct {
	DIDDocument json.RawMessage `json:"didDocument"`
}

func validateCreateDID(body jsObject) *jsonAnswer {
	var v violations
	if ns := body.get("namespace"); ns != nil && ns != "testnet" && ns != "" {
		v.add(msgNamespace)
	}
	if body.has("methodSpecificId") && body.get("methodSpecificId") != nil {
		msid, ok := body.get("methodSpecificId").(string)
		// IsMethodSpecificId throws from inside validation: a plain-string 400.
		if !ok || strings.TrimSpace(msid) == "" {
			a := nestError(http.StatusBadRequest, "Value cannot be empty")
			return &a
		}
		if strings.Contains(msid, "hid") || strings.Contains(msid, ":") || strings.Contains(msid, ".") {
			a := nestError(http.StatusBadRequest, "Invalid method-specific ID")
			return &a
		}
		if n := len([]rune(msid)); n > 48 {
			v.add("methodSpecificId must be shorter than or equal to 48 characters")
		} else if n < 32 {
			v.add("methodSpecificId must be longer than or equal to 32 characters")
		}
	}
	if o := body.get("options"); o != nil {
		opts, isObj := o.(map[string]any)
		if !isObj {
			v.add("options must be an object")
			if !isArray(o) {
				v.add("nested property options must be either object or array")
			}
		}
		if kt, has := opts["keyType"]; has {
			var bad []string
			switch k := kt.(type) {
			case string:
				if !contains(validKeyTypes, k) {
					bad = append(bad, k)
				}
			case []any:
				for _, x := range k {
					if s, _ := x.(string); !contains(validKeyTypes, s) {
						bad = append(bad, fmt.Sprint(x))
					}
				}
			default:
				bad = append(bad, fmt.Sprint(k))
			}
			if bad != nil {
				list, _ := marshal(bad)
				v.add("options.The provided key types %s are invalid.", list)
			}
		}
		if wa, has := opts["walletAddress"]; has && wa != nil {
			s, isStr := wa.(string)
			if !isStr || len([]rune(s)) < 32 {
				v.add("options.walletAddress must be longer than or equal to 32 characters")
			}
			if !isStr {
				v.add("options.walletAddress must be a string")
			}
		}
		if reg, has := opts["register"]; has && reg != nil {
			if _, isBool := reg.(bool); !isBool {
				v.add("options.register must be a boolean value")
			}
		}
	}
	return v.answer()
}

// validateDIDDocument checks a DidDoc (src/did/dto/update-did.dto.ts) nested
// under prop: when the object has errors of its own, NestJS reports those
// instead of the parent's.
func validateDIDDocument(v *violations, prop string, doc map[string]any, parentMsgs ...string) { //nolint:unparam // prop names the nested property; each DTO so far calls it didDocument
	var child violations
	if id := doc["id"]; !isString(id) {
		child.add("%s.id must be a string", prop)
	}
	if !isArray(doc["controller"]) {
		child.add("%s.controller must be an array", prop)
	}
	for _, k := range []string{"alsoKnownAs"} {
		if x, has := doc[k]; has && x != nil && !isArray(x) {
			child.add("%s.%s must be an array", prop, k)
		}
	}
	for _, k := range []string{"authentication", "assertionMethod"} {
		if !isArray(doc[k]) {
			child.add("%s.%s must be an array", prop, k)
		}
	}
	for _, k := range []string{"keyAgreement", "capabilityInvocation", "capabilityDelegation"} {
		if x, has := doc[k]; has && x != nil && !isArray(x) {
			child.add("%s.%s must be an array", prop, k)
		}
	}
	if len(child) > 0 {
		*v = append(*v, child...)
		return
	}
	*v = append(*v, parentMsgs...)
}

// bodyDIDDocument checks the body's didDocument as the register DTOs' nested
// DidDoc validation reports it, and returns it (nil when it is not an object).
func bodyDIDDocument(v *violations, body jsObject) map[string]any {
	doc, isObj := body.get("didDocument").(map[string]any)
	switch {
	case !isObj:
		v.add("didDocument must be a non-empty object")
		v.add("each value in nested property didDocument must be either object or array")
	case len(doc) == 0:
		validateDIDDocument(v, "didDocument", doc, "didDocument must be a non-empty object")
	default:
		validateDIDDocument(v, "didDocument", doc)
	}
	return doc
}

// RegisterDID answers POST /api/v1/did/register: it checks the document
// against the stored key and puts it on the fake chain.
func (h *ssiHandler) RegisterDID(w http.ResponseWriter, r *http.Request) {
	h.serve(w, r, opWriteDID, func(_ caller, body jsObject) jsonAnswer {
		var v violations
		doc := bodyDIDDocument(&v, body)
		vmid, hasVM := body.get("verificationMethodId").(string)
		if x := body.get("verificationMethodId"); x != nil && !isVMID(x) {
			v.add("verificationMethodId contains an invalid verification method id")
		}
		if cs := body.get("clientSpec"); cs != nil {
			if cs != "eth-personalSign" && cs != "cosmos-ADR036" {
				v.add("clientSpec must be one of the following values: eth-personalSign, cosmos-ADR036")
			}
			if sig := body.get("signature"); !isString(sig) || sig == "" {
				if !isString(sig) {
					v.add("signature must be a string")
				}
				v.add("signature should not be empty")
			}
		}
		if bad := v.answer(); bad != nil {
			return *bad
		}
		did, _ := doc["id"].(string)
		if bad := didSetters(jsObject{keys: []string{"id"}, vals: doc}, "id"); bad != nil {
			return *bad
		}

		s := h.s
		s.mu.Lock()
		defer s.mu.Unlock()
		rec := s.ssi.dids[did]
		if rec != nil && rec.completed {
			return badRequest(did + " already registered")
		}
		if !hasVM && isArray(body.get("signInfos")) {
			return h.registerBySignInfos(r, rec, doc, body)
		}
		if rec == nil {
			return notFoundError(did + " not found")
		}
		if !hasVM {
			return sdkError(r, "HID-SSI-SDK:: Error: params.verificationMethodId is required to register a did")
		}
		raw, _ := marshal(body.get("didDocument"))
		signed := docHasKey(doc, vmid, multibaseKey(pubOf(rec.key)))
		if s.queued() {
			// Queued: the database row stays UNREGISTRED with an empty hash;
			// the chain refuses a bad signature, or a DID it has, when the
			// transaction lands, and nobody is told.
			s.enqueueLocked(txDIDRegister, func(at time.Time) bool {
				if !signed || rec.registered {
					return false
				}
				rec.registered, rec.txHash, rec.onChain, rec.createdAt, rec.updatedAt = true, txHash(), raw, at, at
				return true
			})
			empty := ""
			return ok(http.StatusCreated, didAnswer{DID: rec.did, RegistrationStatus: "UNREGISTRED", TransactionHash: &empty, MetaData: metaData{DIDDocument: raw}})
		}
		if !signed {
			return sdkError(r, "HID-SSI-SDK:: Error: the signature of "+vmid+" does not verify against the DID document (entityauthtest)")
		}
		return registerLocked(rec, body)
	})
}

// registerBySignInfos registers with the caller's signatures: each must be
// an Ed25519Signature2020 over the document by a key in it, with the
// signInfo's created (see verifySignInfo), as signDIDAuth makes one.
// This path is never queued. The real service then inserts a database row
// for the DID (did.service.ts register): the DID that /did/create stored
// already makes that a duplicate key, uncaught, so the answer is a 500
// although the DID is now on chain (disagreement 6).
func (h *ssiHandler) registerBySignInfos(r *http.Request, rec *didRecord, doc map[string]any, body jsObject) jsonAnswer {
	infos, _ := body.get("signInfos").([]any) // RegisterDID checked that it is a list
	for _, si := range infos {
		info, _ := si.(map[string]any)
		id, _ := info["verification_method_id"].(string)
		if !verifySignInfo(doc, info) {
			return sdkError(r, "Query failed with (6): rpc error: code = Unknown desc = failed to execute message; message index: 0: invalid signature detected: "+id)
		}
	}
	if rec == nil {
		// The chain took the DID, which the fake does not keep: it models
		// the app's DIDs only.
		return jsonAnswer{status: http.StatusInternalServerError, body: newInternalBody(r.RequestURI, "TypeError", "Cannot read properties of null (reading 'kmsId')")}
	}
	if rec.registered {
		return sdkError(r, "Query failed with (6): rpc error: code = Unknown desc = failed to execute message; message index: 0: didDoc ID "+rec.did+" already exists: DID Document already exists")
	}
	registerLocked(rec, body)
	rec.completed = false // the row the real service wanted to write is the one it failed to insert
	return jsonAnswer{status: http.StatusInternalServerError, body: newInternalBody(r.RequestURI, "MongoServerError",
		`E11000 duplicate key error collection: dids index: did_1 dup key: { did: "`+rec.did+`" }`)}
}

// registerLocked puts the request's document on the fake chain. s.mu must be held.
func registerLocked(rec *didRecord, body jsObject) jsonAnswer {
	raw, _ := marshal(body.get("didDocument"))
	now := time.Now()
	rec.completed, rec.registered, rec.txHash, rec.onChain, rec.createdAt, rec.updatedAt = true, true, txHash(), raw, now, now
	hash := rec.txHash
	return ok(http.StatusCreated, didAnswer{DID: rec.did, RegistrationStatus: "COMPLETED", TransactionHash: &hash, MetaData: metaData{DIDDocument: raw}})
}

// docKey returns the publicKeyMultibase of the verification method id in doc.
func docKey(doc map[string]any, id string) string {
	vms, _ := doc["verificationMethod"].([]any)
	for _, x := range vms {
		vm, _ := x.(map[string]any)
		if vm["id"] == id {
			k, _ := vm["publicKeyMultibase"].(string)
			return k
		}
	}
	return ""
}

func docHasKey(doc map[string]any, id, key string) bool { return id != "" && docKey(doc, id) == key }

// UpdateDID answers PATCH /api/v1/did: a new document, a deactivation or a
// new name.
func (h *ssiHandler) UpdateDID(w http.ResponseWriter, r *http.Request) {
	h.serve(w, r, opWriteDID, func(_ caller, body jsObject) jsonAnswer {
		if !jsTruthy(body.get("name")) && !jsTruthy(body.get("didDocument")) {
			return badRequest("At least one of the name or didDocument is required")
		}
		var v violations
		doc, isObj := body.get("didDocument").(map[string]any)
		if x := body.get("didDocument"); x != nil {
			switch {
			case !isObj:
				v.add("didDocument must be a non-empty object")
				v.add("nested property didDocument must be either object or array")
			default:
				validateDIDDocument(&v, "didDocument", doc)
			}
		}
		if body.has("name") && !body.has("didDocument") {
			if d := body.get("did"); !isString(d) || d == "" {
				v.add("did should not be empty")
				if !isString(d) {
					v.add("did must be a string")
				}
			}
		}
		if x := body.get("verificationMethodId"); x != nil && !isVMID(x) {
			v.add("verificationMethodId contains an invalid verification method id")
		}
		if body.has("didDocument") {
			if _, isBool := body.get("deactivate").(bool); !isBool {
				v.add("deactivate must be a boolean value")
			}
		}
		if bad := v.answer(); bad != nil {
			return *bad
		}
		name, _ := body.get("name").(string)
		did, _ := body.get("did").(string)
		if did == "" {
			did, _ = doc["id"].(string)
		}
		s := h.s
		s.mu.Lock()
		defer s.mu.Unlock()
		rec := s.ssi.dids[did]
		out := updatedDID{DID: did}
		if isObj {
			if a := h.updateDIDDocLocked(doc, did, body, &out); a != nil {
				return *a
			}
		}
		if name != "" && rec != nil {
			rec.name = &name
		}
		if body.has("name") {
			out.Name = &name
		}
		return ok(http.StatusOK, out)
	})
}

// updateDIDDocLocked checks and makes the chain part of PATCH /did, in the
// real order (did.service.ts updateDid), and fills out; it returns the
// refusal, if any. Queued, the transaction is signed, queued and answered
// without a transactionHash; the chain refuses it later, unseen, when the
// document has not changed, when another update landed first, or when the
// DID is deactivated. s.mu must be held.
func (h *ssiHandler) updateDIDDocLocked(doc map[string]any, did string, body jsObject, out *updatedDID) *jsonAnswer {
	s := h.s
	if did == "" {
		a := nestError(http.StatusBadRequest, "Invalid didDoc")
		return &a
	}
	// Disagreement 9: without an X25519 method, keyAgreement becomes [],
	// and the answer echoes the document so changed.
	if !hasKeyAgreementMethod(doc) {
		doc["keyAgreement"] = []any{}
	}
	vmid, _ := body.get("verificationMethodId").(string)
	rec := s.ssi.dids[did]
	if vmid == "" {
		switch {
		case rec == nil:
			a := notFoundError(did+" not found", did+" is not owned by the appId "+s.appID, "Resource not found")
			return &a
		case !rec.registered:
			a := notFoundError(did + " is not registered on the chain")
			return &a
		}
		a := badRequest("HID-SSI-SDK:: Error: params.signInfos is required to register a did")
		return &a
	}
	vmDID := strings.SplitN(vmid, "#", 2)[0]
	signer := s.ssi.dids[vmDID]
	switch {
	case signer == nil:
		a := notFoundError(vmid+" not found", vmid+" is not owned by the appId "+s.appID, "Resource not found")
		return &a
	case !signer.registered:
		a := notFoundError(vmDID + " is not registered on the chain")
		return &a
	case rec == nil || !rec.registered:
		a := notFoundError(did + " is not registered on the chain")
		return &a
	}
	raw, _ := marshal(doc)
	deactivate := body.get("deactivate") == true
	signed := docHasKey(doc, vmid, multibaseKey(pubOf(signer.key)))
	refusal := func() string {
		switch {
		case rec.deactivated:
			return "failed to execute message; message index: 0: DidDoc ID: " + did + ": DID Document is deactivated"
		case !signed:
			return "failed to execute message; message index: 0: invalid signature detected: " + vmid
		case !deactivate && sameDIDDoc(rec.onChain, raw):
			return "failed to execute message; message index: 0: incoming DID Document does not have any changes: invalid DID Document"
		}
		return ""
	}
	apply := func(at time.Time) {
		if !deactivate {
			rec.onChain = raw
		}
		rec.txHash, rec.updatedAt = txHash(), at
		rec.deactivated = deactivate
	}
	out.DIDDocument = raw
	if s.queued() {
		version := rec.txHash
		kind := txDIDUpdate
		if deactivate {
			kind = txDIDDeactivate
		}
		s.enqueueLocked(kind, func(at time.Time) bool {
			if refusal() != "" || rec.txHash != version {
				return false
			}
			apply(at)
			return true
		})
		return nil
	}
	if msg := refusal(); msg != "" {
		a := badRequest(msg)
		return &a
	}
	apply(time.Now())
	hash := rec.txHash
	out.TransactionHash = &hash
	return nil
}

// hasKeyAgreementMethod reports whether doc has an X25519 verification method.
func hasKeyAgreementMethod(doc map[string]any) bool {
	vms, _ := doc["verificationMethod"].([]any)
	for _, x := range vms {
		vm, _ := x.(map[string]any)
		if t := vm["type"]; t == x25519KeyType || t == x25519EIPType {
			return true
		}
	}
	return false
}

// sameDIDDoc reports whether two documents are equal as the chain compares
// them (protobuf messages, where an empty list or string equals an absent one).
func sameDIDDoc(a, b []byte) bool {
	var x, y any
	_ = json.Unmarshal(a, &x)
	_ = json.Unmarshal(b, &y)
	return string(canonical(dropEmpty(x))) == string(canonical(dropEmpty(y)))
}

// dropEmpty removes, recursively, the object members that are null, "" or [].
func dropEmpty(v any) any {
	switch t := v.(type) {
	case map[string]any:
		out := make(map[string]any, len(t))
		for k, x := range t {
			x = dropEmpty(x)
			if l, isList := x.([]any); x == nil || x == "" || isList && len(l) == 0 {
				continue
			}
			out[k] = x
		}
		return out
	case []any:
		out := make([]any, len(t))
		for i, x := range t {
			out[i] = dropEmpty(x)
		}
		return out
	}
	return v
}

// toStrings returns the strings in list.
func toStrings(list []any) []string {
	var out []string
	for _, x := range list {
		if s, ok := x.(string); ok {
			out = append(out, s)
		}
	}
	return out
}

type updatedDID struct {
	TransactionHash *string         `json:"transactionHash,omitempty"`
	DIDDocument     json.RawMessage `json:"didDocument,omitempty"`
	DID             string          `json:"did,omitempty"`
	Name            *string         `json:"name,omitempty"`
}

// AddVerificationMethod answers POST /api/v1/did/addVerificationMethod: the
// document with one more method. Nothing changes on chain.
func (h *ssiHandler) AddVerificationMethod(w http.ResponseWriter, r *http.Request) {
	h.serve(w, r, opWriteDID, func(_ caller, body jsObject) jsonAnswer {
		if !jsTruthy(body.get("did")) && !jsTruthy(body.get("didDocument")) {
			return badRequest("At least one of the did or didDocument is required")
		}
		var v violations
		if t, _ := body.get("type").(string); !contains(validKeyTypes, t) {
			v.add("type must be one of the following values: %s", strings.Join(validKeyTypes, ", "))
		}
		if bad := v.answer(); bad != nil {
			return *bad
		}
		doc, _ := body.get("didDocument").(map[string]any)
		if doc == nil {
			did, _ := body.get("did").(string)
			h.s.mu.Lock()
			rec := h.s.ssi.dids[did]
			if rec != nil && rec.registered {
				_ = json.Unmarshal(rec.onChain, &doc)
			}
			h.s.mu.Unlock()
			if doc == nil {
				return badRequest("HID-SSI-SDK:: Error: could not resolve did " + did)
			}
		}
		did, _ := doc["id"].(string)
		vms, _ := doc["verificationMethod"].([]any)
		id, _ := body.get("id").(string)
		if id == "" {
			id = fmt.Sprintf("%s#key-%d", did, len(vms)+1)
		}
		controller, _ := body.get("controller").(string)
		if controller == "" {
			controller = did
		}
		vm := map[string]any{"id": id, "type": body.get("type"), "controller": controller, "publicKeyMultibase": body.get("publicKeyMultibase"), "blockchainAccountId": ""}
		if a, ok := body.get("blockchainAccountId").(string); ok {
			vm["blockchainAccountId"] = a
		}
		doc["verificationMethod"] = append(vms, vm)
		for _, rel := range []string{"authentication", "assertionMethod", "capabilityInvocation", "capabilityDelegation"} {
			ids, _ := doc[rel].([]any)
			doc[rel] = append(ids, id)
		}
		return ok(http.StatusCreated, doc)
	})
}

// SignDIDAuth answers POST /api/v1/did/auth/sign: the document signed in
// place with an Ed25519Signature2020 by the DID's stored key, as
// jsonld-signatures signs it (see ldSign): a presentation signed with the
// authentication purpose, a challenge and a domain verifies with package vc.
func (h *ssiHandler) SignDIDAuth(w http.ResponseWriter, r *http.Request) {
	h.serve(w, r, opWriteDID, func(_ caller, body jsObject) jsonAnswer {
		if !jsTruthy(body.get("did")) && !jsTruthy(body.get("didDocument")) {
			return badRequest("At least one of the did or didDocument is required")
		}
		var v violations
		if !isVMID(body.get("verificationMethodId")) {
			v.add("verificationMethodId contains an invalid verification method id")
		}
		if bad := v.answer(); bad != nil {
			return *bad
		}
		doc, hasDoc := body.get("didDocument").(map[string]any)
		did, _ := body.get("did").(string)
		if did == "" {
			did, _ = doc["id"].(string)
		}
		vmid, _ := body.get("verificationMethodId").(string)
		s := h.s
		s.mu.Lock()
		defer s.mu.Unlock()
		rec := s.ssi.dids[did]
		if rec == nil {
			return jsonAnswer{status: http.StatusInternalServerError, body: newInternalBody(r.RequestURI, "TypeError", "Cannot read properties of null (reading 'registrationStatus')")}
		}
		if !hasDoc && !rec.completed {
			return badRequest("didDocument parameter is required for private did")
		}
		// The document keeps its members' order, as the SDK signs it in place.
		ordered, _ := orderedMember(body.raw, "didDocument").(object)
		if !hasDoc {
			v, _ := orderedJSON(rec.onChain)
			ordered, _ = v.(object)
		}
		opts, _ := body.get("options").(map[string]any)
		purpose, _ := opts["purpose"].(string)
		if purpose == "" {
			purpose = "assertionMethod"
		}
		// jsonld-signatures adds the suite's context when it is absent.
		switch c := ordered.get("@context").(type) {
		case []any:
			if !slices.Contains(c, any(ed25519Context)) {
				ordered = ordered.set("@context", append(c, ed25519Context))
			}
		case string:
			if c != ed25519Context {
				ordered = ordered.set("@context", []any{c, ed25519Context})
			}
		case nil:
			ordered = ordered.set("@context", ed25519Context)
		}
		proof := object{{"type", ed25519ProofType}, {"created", time.Now().UTC().Format(isoSeconds)}, {"verificationMethod", vmid}, {"proofPurpose", purpose}}
		if purpose == "authentication" {
			// AuthenticationProofPurpose adds its challenge, and its domain when set.
			c, _ := opts["challenge"].(string)
			proof = append(proof, member{"challenge", c})
			if d, _ := opts["domain"].(string); d != "" {
				proof = append(proof, member{"domain", d})
			}
		}
		signed, err := ldSign(rec.key, ordered, proof)
		if err != nil {
			return sdkError(r, signingError(err))
		}
		return ok(http.StatusCreated, ordered.set("proof", signed))
	})
}

// VerifyDIDAuth answers POST /api/v1/did/auth/verify. It needs
// VERIFY_DID_SIGNATURE, which the fake's tokens, like every API-key token,
// lack: the guard answers 403 before the body is read.
func (h *ssiHandler) VerifyDIDAuth(w http.ResponseWriter, r *http.Request) {
	h.serve(w, r, opVerifyDID, func(caller, jsObject) jsonAnswer {
		return nestError(http.StatusForbidden, []string{msgNoPermission}) // not reached: the guard refuses first
	})
}
