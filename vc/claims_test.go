package vc

import (
	"bytes"
	"encoding/json"
	"testing"

	"github.com/entity-studio-go/entityauth/internal/ldproof"
)

// schemaIRI2023 is the prefix of the 2023 form of Hypersign's schema
// contexts: {"hs": "<hid-node REST>/ssi/schema/<schema id>:"}, {"name": "hs:name"}.
const schemaIRI2023 = "https://api.jagrat.hypersign.id/hypersign-protocol/hidnode/ssi/schema/sch:hid:testnet:z3KX4ZqoizKTaED645aV4aE8dBbnSpmQYe3xfzVBJadPY:1.0:"

// ownCredential returns vc/01 re-issued by k (so that tests can change it
// and sign it again).
func ownCredential(t *testing.T, k testKey) map[string]any {
	t.Helper()
	doc := decodeJSON(t, read(t, "vc/01-valid.vc.json"))
	doc["issuer"] = k.did
	delete(doc, "proof")
	return doc
}

// inlineTerms returns the term definitions of vc/01's inline schema context.
func inlineTerms(doc map[string]any) map[string]any {
	inline := doc["@context"].([]any)[2].(map[string]any)["@context"].(map[string]any)
	return inline["EmployeeBadge"].(map[string]any)["@context"].(map[string]any)
}

// TestRemappedClaimRefused is the attack that JSON-LD signatures allow: rename
// a claim key and remap the inline context so that the graph, and so the
// signature, stay the same. The signature must still verify (the test proves
// the attack is real) and the credential must be refused.
func TestRemappedClaimRefused(t *testing.T) {
	k := newTestKey("issuer of TestRemappedClaimRefused")
	v := newTestVerifier(t, Options{Resolver: vectorResolver(t, k.didDocument(t))})
	genuine := k.sign(t, ownCredential(t, k), "assertionMethod", nil)
	if _, err := v.VerifyCredential(bg, genuine); err != nil {
		t.Fatalf("the genuine credential: %v", err)
	}

	for _, tc := range []struct {
		name   string
		change func(doc map[string]any)
		want   string
	}{
		{"renamed", func(doc map[string]any) {
			terms := inlineTerms(doc)
			terms["salary"] = terms["age"]
			delete(terms, "age")
			cs := doc["credentialSubject"].(map[string]any)
			cs["salary"] = cs["age"]
			delete(cs, "age")
		}, `credentialSubject.salary is not bound to the signature`},
		{"swapped", func(doc map[string]any) {
			terms := inlineTerms(doc)
			terms["name"], terms["note"] = terms["note"], terms["name"]
			cs := doc["credentialSubject"].(map[string]any)
			cs["name"], cs["note"] = cs["note"], cs["name"]
		}, `credentialSubject.name is not bound to the signature`},
		{"aliased twice", func(doc map[string]any) {
			terms := inlineTerms(doc)
			terms["years"] = terms["age"]
			cs := doc["credentialSubject"].(map[string]any)
			cs["years"] = cs["age"]
		}, `is not bound to the signature`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			doc := decodeJSON(t, genuine)
			tc.change(doc)
			forged, err := json.Marshal(doc)
			if err != nil {
				t.Fatal(err)
			}
			sameGraph(t, genuine, forged)
			res, err := v.VerifyCredential(bg, forged)
			if res != nil {
				t.Errorf("result = %+v; want nil", res)
			}
			wantErr(t, err, ErrUndefinedTerm, tc.want)
		})
	}
}

// sameGraph fails unless a and b sign the same data: the forgery keeps the
// issuer's signature valid.
func sameGraph(t *testing.T, a, b []byte) {
	t.Helper()
	da, db := decodeJSON(t, a), decodeJSON(t, b)
	sa, _, err := processor.SigningInput(da, da["proof"].(map[string]any), ldproof.HypersignCopy, "")
	if err != nil {
		t.Fatal(err)
	}
	sb, _, err := processor.SigningInput(db, db["proof"].(map[string]any), ldproof.HypersignCopy, "")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(sa, sb) {
		t.Fatalf("the forgery changes the signed data; the test would not prove the attack")
	}
}

// credential2023 returns a credential in the 2023 form of Hypersign's schema
// contexts, issued by k.
func credential2023(k testKey, terms map[string]any, subject map[string]any) map[string]any {
	return map[string]any{
		"@context": []any{
			"https://www.w3.org/2018/credentials/v1",
			map[string]any{"hs": schemaIRI2023},
			terms,
			"https://w3id.org/security/suites/ed25519-2020/v1",
		},
		"id":                "vc:hid:testnet:z6MktB4PCDLTHV3YJnRexvvb9vdRk37b9uGxwXmBXaXc1HC6",
		"type":              []any{"VerifiableCredential", "testSchema"},
		"expirationDate":    "2027-12-10T18:30:00Z",
		"issuanceDate":      "2023-01-25T16:59:21Z",
		"issuer":            k.did,
		"credentialSubject": subject,
		"credentialSchema":  map[string]any{"id": "sch:hid:testnet:z3KX4ZqoizKTaED645aV4aE8dBbnSpmQYe3xfzVBJadPY:1.0", "type": "JsonSchemaValidator2018"},
	}
}

func TestClaims2023Form(t *testing.T) {
	k := newTestKey("issuer of TestClaims2023Form")
	v := newTestVerifier(t, Options{Resolver: vectorResolver(t, k.didDocument(t))})
	genuine := k.sign(t, credential2023(k, map[string]any{"name": "hs:name"}, map[string]any{"name": "Ada", "id": holderDID}), "assertionMethod", nil)
	res, err := v.VerifyCredential(bg, genuine)
	if err != nil {
		t.Fatalf("the genuine 2023 credential: %v", err)
	}
	if res.Claims["name"] != "Ada" || res.Subject != holderDID {
		t.Errorf("result = %+v; want name Ada, subject %s", res, holderDID)
	}

	doc := decodeJSON(t, genuine)
	doc["@context"].([]any)[2] = map[string]any{"nick": "hs:name"}
	cs := doc["credentialSubject"].(map[string]any)
	cs["nick"] = cs["name"]
	delete(cs, "name")
	forged, err := json.Marshal(doc)
	if err != nil {
		t.Fatal(err)
	}
	sameGraph(t, genuine, forged)
	_, err = v.VerifyCredential(bg, forged)
	wantErr(t, err, ErrUndefinedTerm, "credentialSubject.nick", schemaIRI2023+"name")
}

// TestLargeIntegerSignedAsDouble checks that numbers are canonicalized as
// jsonld.js does (an integer above 2^53 is signed as its nearest double) and
// reported as signed.
func TestLargeIntegerSignedAsDouble(t *testing.T) {
	k := newTestKey("issuer of TestLargeIntegerSignedAsDouble")
	v := newTestVerifier(t, Options{Resolver: vectorResolver(t, k.didDocument(t))})
	doc := ownCredential(t, k)
	doc["credentialSubject"].(map[string]any)["age"] = json.Number("9007199254740993")
	signed := k.sign(t, doc, "assertionMethod", nil)
	if !bytes.Contains(signed, []byte(`"age":9007199254740993`)) {
		t.Fatalf("the test credential lost its large integer: %s", signed)
	}
	res, err := v.VerifyCredential(bg, signed)
	if err != nil {
		t.Fatal(err)
	}
	if got := res.Claims["age"]; got != 9007199254740992.0 {
		t.Errorf("Claims[age] = %v; want 9007199254740992, as signed", got)
	}
	// The same credential saying …992 carries the same signature.
	if _, err := v.VerifyCredential(bg, bytes.Replace(signed, []byte("9007199254740993"), []byte("9007199254740992"), 1)); err != nil {
		t.Errorf("…992: %v; want valid (the same double)", err)
	}
}

// TestNullClaim checks that a claim whose value is null, which expansion
// drops and so is not signed, does not make the credential fail.
func TestNullClaim(t *testing.T) {
	k := newTestKey("issuer of TestNullClaim")
	v := newTestVerifier(t, Options{Resolver: vectorResolver(t, k.didDocument(t))})
	doc := ownCredential(t, k)
	doc["credentialSubject"].(map[string]any)["note"] = nil
	res, err := v.VerifyCredential(bg, k.sign(t, doc, "assertionMethod", nil))
	if err != nil {
		t.Fatal(err)
	}
	if note, ok := res.Claims["note"]; !ok || note != nil {
		t.Errorf("Claims[note] = %v, %v; want nil, true", note, ok)
	}
}
