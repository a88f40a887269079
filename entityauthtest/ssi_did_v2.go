package entityauthtest

import (
	"fmt"
	"net/http"
	"time"
)

// x25519KeyTypes are the key-agreement types: registerDIDV2 wants a sign
// info for their methods too, but signs nothing with them.
var x25519KeyTypes = []string{"X25519KeyAgreementKey2020", "X25519KeyAgreementKeyEIP5630"}

// RegisterDIDV2 answers POST /api/v1/did/register/v2 (did.service.ts
// registerV2): every verification method of the document needs an entry in
// signInfos; the server signs for the Ed25519 ones with the DID's stored
// key, and the DID goes on the fake chain as registerDID puts it there:
// queued by default (201 UNREGISTRED with an empty hash; the chain refuses a
// bad signature when the transaction lands, unseen), at once in
// [Options.DirectMode].
func (h *ssiHandler) RegisterDIDV2(w http.ResponseWriter, r *http.Request) {
	h.serve(w, r, opWriteDID, func(_ caller, body jsObject) jsonAnswer {
		if bad := validateRegisterV2(body); bad != nil {
			return *bad
		}
		doc := body.get("didDocument").(map[string]any) // validated
		if bad := didSetters(jsObject{keys: []string{"id"}, vals: doc}, "id"); bad != nil {
			return *bad
		}
		did, _ := doc["id"].(string)
		infos := body.get("signInfos").([]any) // validated

		s := h.s
		s.mu.Lock()
		defer s.mu.Unlock()
		rec := s.ssi.dids[did]
		if rec != nil && rec.completed {
			return badRequest(did + " already registered")
		}
		vms, isList := doc["verificationMethod"].([]any)
		if !isList {
			return jsonAnswer{status: http.StatusInternalServerError, body: newInternalBody(r.RequestURI, "TypeError", "Cannot read properties of undefined (reading 'some')")}
		}
		for _, x := range vms {
			if vm, _ := x.(map[string]any); vm["type"] == bjjKeyType {
				delete(doc, "alsoKnownAs") // the real service drops it for BabyJubJub
				break
			}
		}
		signed, badSig := 0, ""
		for _, x := range vms {
			vm, _ := x.(map[string]any)
			id, _ := vm["id"].(string)
			keyType, _ := vm["type"].(string)
			info := signInfoFor(infos, vm["id"])
			if info == nil {
				return badRequest(fmt.Sprintf("Missing sign info for verification method: %s", jsString(vm["id"])))
			}
			switch {
			case keyType == ecdsaRecover || keyType == ecdsaVerify:
				switch {
				case !jsTruthy(info["signature"]):
					return badRequest("signature must be passed for keyType:" + keyType)
				case !jsTruthy(info["clientSpec"]):
					return badRequest("clientSpec must passed for keyType:" + keyType)
				case !jsTruthy(info["created"]):
					return badRequest("created must passed for keyType:" + keyType)
				}
				return badRequest(fmt.Sprintf("entityauthtest models %s DIDs only, not %s", ed25519KeyType, keyType))
			case keyType == ed25519KeyType || keyType == bjjKeyType:
				if rec == nil {
					return notFoundError(did + " not found")
				}
				if keyType == bjjKeyType {
					return badRequest(fmt.Sprintf("entityauthtest models %s DIDs only, not %s", ed25519KeyType, keyType))
				}
				// The server signs with the DID's key; the chain refuses a
				// signature that the method's key does not verify.
				if badSig == "" && !docHasKey(doc, id, multibaseKey(pubOf(rec.key))) {
					badSig = id
				}
				signed++
			case contains(x25519KeyTypes, keyType):
				// needs its sign info, signs nothing
			}
		}
		raw, _ := marshal(doc)
		name := ""
		if rec != nil && rec.name != nil {
			name = *rec.name
		}
		if s.queued() {
			// The transaction is queued whatever the chain will say of it;
			// then the database write reads didInfo.kmsId, null for a DID
			// that is not the app's.
			s.enqueueLocked(txDIDRegister, func(at time.Time) bool {
				if rec == nil || signed == 0 || badSig != "" || rec.registered {
					return false
				}
				rec.registered, rec.txHash, rec.onChain, rec.createdAt, rec.updatedAt = true, txHash(), raw, at, at
				return true
			})
			if rec == nil {
				return jsonAnswer{status: http.StatusInternalServerError, body: newInternalBody(r.RequestURI, "TypeError", "Cannot read properties of null (reading 'kmsId')")}
			}
			return ok(http.StatusCreated, registeredV2{Name: name, DID: did, RegistrationStatus: "UNREGISTRED", MetaData: metaData{DIDDocument: raw}})
		}
		switch {
		case signed == 0:
			return sdkError(r, "Query failed with (6): rpc error: code = Unknown desc = failed to execute message; message index: 0: no signature of the DID's controller: "+did)
		case badSig != "":
			return sdkError(r, "Query failed with (6): rpc error: code = Unknown desc = failed to execute message; message index: 0: invalid signature detected: "+badSig)
		}
		a := registerLocked(rec, jsObject{keys: []string{"didDocument"}, vals: map[string]any{"didDocument": doc}})
		v1, isDID := a.body.(didAnswer)
		if !isDID {
			return a
		}
		out := registeredV2{Name: name, DID: v1.DID, RegistrationStatus: v1.RegistrationStatus, MetaData: v1.MetaData}
		if v1.TransactionHash != nil {
			out.TransactionHash = *v1.TransactionHash
		}
		return ok(a.status, out)
	})
}

// registeredV2 is registerDIDV2's answer, keys in the real order.
type registeredV2 struct {
	Name               string   `json:"name"`
	DID                string   `json:"did"`
	RegistrationStatus string   `json:"registrationStatus"`
	TransactionHash    string   `json:"transactionHash"`
	MetaData           metaData `json:"metaData"`
}

// signInfoFor returns the first sign info whose verification_method_id is id.
func signInfoFor(infos []any, id any) map[string]any {
	for _, x := range infos {
		if info, _ := x.(map[string]any); info != nil && info["verification_method_id"] == id {
			return info
		}
	}
	return nil
}

// validateRegisterV2 checks a RegisterV2DidDto (register-did.dto.ts) as
// NestJS's ValidationPipe reports it.
func validateRegisterV2(body jsObject) *jsonAnswer {
	var v violations
	bodyDIDDocument(&v, body)
	infos, isList := body.get("signInfos").([]any)
	switch x := body.get("signInfos"); {
	case !isList:
		v.add("signInfos should not be empty")
		v.add("signInfos must be an array")
		if x != nil && !isObject(x) {
			v.add("nested property signInfos must be either object or array")
		}
	case len(infos) == 0:
		v.add("signInfos should not be empty")
	}
	for i, x := range infos {
		info, isObj := x.(map[string]any)
		if !isObj {
			// class-validator names the array, NestJS prefixes it again.
			v.add("signInfos.nested property signInfos must be either object or array")
			continue
		}
		p := fmt.Sprintf("signInfos.%d.", i)
		if !isVMID(info["verification_method_id"]) {
			v.add("%sverification_method_id contains an invalid verification method id", p)
		}
		if _, has := info["clientSpec"]; has {
			if sig := info["signature"]; !isString(sig) || !notEmpty(sig) {
				if !isString(sig) {
					v.add("%ssignature must be a string", p)
				}
				if !notEmpty(sig) {
					v.add("%ssignature should not be empty", p)
				}
			}
		}
		if cs := info["clientSpec"]; cs != nil {
			spec, isObj := cs.(map[string]any)
			switch {
			case !isObj && !isArray(cs):
				v.add("%s%s", p, "each value in nested property clientSpec must be either object or array")
			case isObj && spec["type"] != "eth-personalSign" && spec["type"] != "cosmos-ADR036":
				v.add("%sclientSpec.type must be one of the following values: eth-personalSign, cosmos-ADR036", p)
			}
		}
		if c := info["created"]; c != nil && (!isString(c) || !notEmpty(c)) {
			if !notEmpty(c) {
				v.add("%screated should not be empty", p)
			}
			if !isString(c) {
				v.add("%screated must be a string", p)
			}
		}
	}
	return v.answer()
}
