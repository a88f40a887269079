package entityauthtest

import (
	"bytes"
	"crypto/ed25519"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/entity-studio-go/entityauth/internal/ldproof"
)

// ldProcessor signs the fake's credentials, status documents and
// presentations as jsonld-signatures 9.3.1 does (Ed25519Signature2020 over
// URDNA2015, embedded contexts only): the same signing input that package vc
// verifies, so what the fake issues verifies there and in Hypersign's JS
// stack. It parses each distinct @context once.
var ldProcessor = ldproof.NewProcessor()

// object is a JSON object that keeps its members in order, as a JavaScript
// object does: the fake's documents are answered with the real service's
// field order, which encoding/json's maps would sort.
type object []member

type member struct {
	key string
	val any
}

// MarshalJSON implements json.Marshaler: the members in order.
func (o object) MarshalJSON() ([]byte, error) {
	var b bytes.Buffer
	b.WriteByte('{')
	for i, m := range o {
		if i > 0 {
			b.WriteByte(',')
		}
		k, err := json.Marshal(m.key)
		if err != nil {
			return nil, err
		}
		v, err := json.Marshal(m.val)
		if err != nil {
			return nil, err
		}
		b.Write(k)
		b.WriteByte(':')
		b.Write(v)
	}
	b.WriteByte('}')
	return b.Bytes(), nil
}

// set returns o with key set to v: in place when o has key (as assigning to
// a JavaScript object's existing property does), else appended.
func (o object) set(key string, v any) object {
	for i := range o {
		if o[i].key == key {
			o[i].val = v
			return o
		}
	}
	return append(o, member{key, v})
}

// get returns the value of key, or nil.
func (o object) get(key string) any {
	for _, m := range o {
		if m.key == key {
			return m.val
		}
	}
	return nil
}

// orderedJSON decodes JSON keeping the order of object members (objects
// become object, numbers float64, as JSON.parse reads them).
func orderedJSON(b []byte) (any, error) {
	d := json.NewDecoder(bytes.NewReader(b))
	v, err := orderedValue(d)
	if err != nil {
		return nil, err
	}
	if d.More() {
		return nil, errors.New("entityauthtest: trailing data after JSON")
	}
	return v, nil
}

func orderedValue(d *json.Decoder) (any, error) {
	t, err := d.Token()
	if err != nil {
		return nil, err
	}
	switch t {
	case json.Delim('{'):
		o := object{}
		for d.More() {
			k, err := d.Token()
			if err != nil {
				return nil, err
			}
			v, err := orderedValue(d)
			if err != nil {
				return nil, err
			}
			o = o.set(k.(string), v) // a repeated key keeps its first place and the last value, as JSON.parse does
		}
		if _, err := d.Token(); err != nil {
			return nil, err
		}
		return o, nil
	case json.Delim('['):
		l := []any{}
		for d.More() {
			v, err := orderedValue(d)
			if err != nil {
				return nil, err
			}
			l = append(l, v)
		}
		if _, err := d.Token(); err != nil {
			return nil, err
		}
		return l, nil
	}
	return t, nil
}

// orderedMember returns the value of key in the JSON object raw, its
// objects ordered, or nil.
func orderedMember(raw []byte, key string) any {
	v, err := orderedJSON(raw)
	if err != nil {
		return nil
	}
	o, _ := v.(object)
	return o.get(key)
}

// plain returns v as a verifier decodes it: through JSON into maps, slices,
// strings, float64 and bools. What the fake signs is what a verifier reads.
func plain(v any) (map[string]any, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, err
	}
	return m, nil
}

// ldSign returns proof with the proofValue of an Ed25519Signature2020 by key
// over doc (without its proof) and proof, as jsonld-signatures signs: the
// proof options take doc's @context. It fails as jsonld-signatures does on a
// document it cannot sign: an @context that is not embedded, or a property
// the contexts do not define.
func ldSign(key ed25519.PrivateKey, doc any, proof object) (object, error) {
	d, err := plain(doc)
	if err != nil {
		return nil, err
	}
	p, err := plain(proof)
	if err != nil {
		return nil, err
	}
	data, _, err := ldProcessor.SigningInput(d, p, ldproof.HypersignCopy, "")
	if err != nil {
		return nil, err
	}
	return append(proof, member{"proofValue", ldproof.Sign(key, data)}), nil
}

// ldVerify reports whether proof (with its proofValue) is an
// Ed25519Signature2020 by pub over doc. The fake checks the signatures that
// callers send (such as a DID document's signInfos) this way.
func ldVerify(pub ed25519.PublicKey, doc, proof map[string]any) bool {
	pv, _ := proof["proofValue"].(string)
	sig, err := ldproof.DecodeProofValue(pv)
	if err != nil {
		return false
	}
	data, _, err := ldProcessor.SigningInput(doc, proof, ldproof.HypersignCopy, "")
	return err == nil && ed25519.Verify(pub, data, sig)
}

// signingError is the text with which the real service answers a document
// that jsonld-signatures refuses to sign (a 400, the SDK's error message):
// jsonld.js's safe mode for an undefined property, its loader for a context
// it cannot load. The fake knows only the embedded contexts (see
// internal/ldproof/contexts), where the real SDK would fetch others.
func signingError(err error) string {
	var uc *ldproof.UnknownContextError
	switch {
	case errors.As(err, &uc):
		return fmt.Sprintf("HID-SSI-SDK:: Error: Could not create credential, error = jsonld.InvalidUrl: Dereferencing a URL did not result in a valid JSON-LD object. Possible causes are an inaccessible URL perhaps due to a same-origin policy (ensure the server uses CORS if you are using client-side JavaScript), too many redirects, a non-JSON response, or more than one HTTP Link Header was provided for a remote context. (entityauthtest knows only its embedded contexts; %s is not one)", uc.URL)
	case errors.Is(err, ldproof.ErrUndefinedTerm):
		return "Safe mode validation error."
	}
	return "HID-SSI-SDK:: Error: " + err.Error()
}

// credentialDocument returns an unsigned credential as hs-ssi-sdk's
// generate builds it on the schemaContext path (src/credential/vc.ts): its
// members in the SDK's order, credentialSubject the fields as sent with the
// subject's id set last (in place, when the fields have an id), and
// credentialStatus naming statusURL.
func credentialDocument(ctx []any, id string, types []string, issuer, issuance, expiration string, fields object, subject, statusURL string) object {
	subj := make(object, 0, len(fields)+1)
	subj = append(subj, fields...)
	subj = subj.set("id", subject)
	return object{
		{"@context", ctx},
		{"id", id},
		{"type", types},
		{"issuer", issuer},
		{"issuanceDate", issuance},
		{"expirationDate", expiration},
		{"credentialSubject", subj},
		{"credentialStatus", object{{"id", statusURL}, {"type", statusListType}}},
	}
}

// withoutProof returns doc without its proof: what the proof signs.
func withoutProof(doc map[string]any) map[string]any { return ldproof.Unsigned(doc) }

// verifySignInfo reports whether a signInfo of POST /did/register is an
// Ed25519Signature2020 over doc, as hid-node checks it: by the method
// verification_method_id of doc, with the proof options {type, created,
// verificationMethod, proofPurpose: assertionMethod}. signDIDAuth's proof
// (purpose assertionMethod) gives the signature and created.
func verifySignInfo(doc, info map[string]any) bool {
	id, _ := info["verification_method_id"].(string)
	pub, err := ldproof.DecodePublicKeyMultibase(docKey(doc, id))
	if err != nil {
		return false
	}
	proof := map[string]any{"type": ed25519ProofType, "created": info["created"], "verificationMethod": id, "proofPurpose": "assertionMethod", "proofValue": info["signature"]}
	if _, ok := proof["created"].(string); !ok {
		return false
	}
	return ldVerify(pub, withoutProof(doc), proof)
}
