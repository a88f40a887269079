package vc

import (
	"errors"
	"testing"
)

// sentinels are the errors a verification may wrap.
var sentinels = []error{
	ErrMalformed, ErrUnsupportedProof, ErrUnknownContext, ErrUndefinedTerm, ErrDIDNotFound, ErrDIDUnavailable,
	ErrKeyNotAuthorized, ErrSignature, ErrExpired, ErrNotYetValid, ErrRevoked, ErrSuspended, ErrStatusUnavailable,
	ErrChallenge, ErrDomain,
}

// FuzzVerifyCredential checks that no input panics, hangs or fails without
// one of the sentinels, and that only inputs that verify give a result. The
// seeds are the vectors and a few odd documents.
func FuzzVerifyCredential(f *testing.F) {
	for _, name := range []string{
		"vc/01-valid.vc.json", "vc/02-tampered-subject.vc.json", "vc/05-undefined-term-added.vc.json",
		"vc/07-issuer-mismatch.vc.json", "vc/08-expired.vc.json", "vc/09-schemaorg-context.vc.json", "vp/01-valid.vp.json",
	} {
		f.Add(read(f, name))
	}
	for _, seed := range []string{
		`{}`,
		`{"@context":"https://www.w3.org/2018/credentials/v1","type":"VerifiableCredential","proof":[]}`,
		`{"@context":["https://www.w3.org/2018/credentials/v1",{"@context":{"x":{"@id":"https://e.example/x","@container":"@list"}}}],"type":["VerifiableCredential"],"issuer":"did:x","issuanceDate":"2020-01-01T00:00:00Z","credentialSubject":{"x":[1,[2],{"@value":3}]},"proof":{"type":"Ed25519Signature2020","proofPurpose":"assertionMethod","verificationMethod":"did:x#k","proofValue":"z2"}}`,
		`{"@context":["https://www.w3.org/2018/credentials/v1",{"@version":1.1,"@protected":"yes","a":{"@id":"_:b","@type":"@json"}}],"a":{"b":1}}`,
	} {
		f.Add([]byte(seed))
	}
	v := newTestVerifier(f, Options{MaxBytes: 64 << 10})
	f.Fuzz(func(t *testing.T, raw []byte) {
		res, err := v.VerifyCredential(bg, raw)
		check(t, res != nil, err)
		pres, err := v.VerifyPresentation(bg, raw, PresentationOptions{Challenge: vpChallenge})
		check(t, pres != nil, err)
	})
}

func check(t *testing.T, hasResult bool, err error) {
	t.Helper()
	if err == nil {
		if !hasResult {
			t.Fatal("no error and no result")
		}
		return
	}
	if hasResult {
		t.Fatalf("a result with error %v", err)
	}
	for _, s := range sentinels {
		if errors.Is(err, s) {
			return
		}
	}
	t.Fatalf("error %v wraps none of the sentinels", err)
}
