package vc

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
)

func TestNewVerifierErrors(t *testing.T) {
	if _, err := NewVerifier(Options{}); err == nil {
		t.Error("NewVerifier without a Resolver: no error; want one")
	}
	if _, err := NewVerifier(Options{Resolver: vectorResolver(t), MaxBytes: -1}); err == nil {
		t.Error("NewVerifier with MaxBytes -1: no error; want one")
	}
}

func TestInputLimits(t *testing.T) {
	valid := read(t, "vc/01-valid.vc.json")
	v := newTestVerifier(t, Options{MaxBytes: len(valid) - 1})
	_, err := v.VerifyCredential(bg, valid)
	wantErr(t, err, ErrMalformed, "over the limit of")

	v = newTestVerifier(t, Options{})
	deep := strings.Repeat(`{"a":`, DefaultMaxDepth+1) + "1" + strings.Repeat("}", DefaultMaxDepth+1)
	_, err = v.VerifyCredential(bg, []byte(deep))
	wantErr(t, err, ErrMalformed, "nests deeper than")

	big := append([]byte(`{"pad":"`), bytes.Repeat([]byte("x"), DefaultMaxBytes)...)
	_, err = v.VerifyCredential(bg, append(big, `"}`...))
	wantErr(t, err, ErrMalformed, "over the limit of 1048576")
}

func TestShapeErrors(t *testing.T) {
	v := newTestVerifier(t, Options{})
	valid := string(read(t, "vc/01-valid.vc.json"))
	for _, tc := range []struct {
		name      string
		raw       string
		sentinel  error
		fragments []string
	}{
		{"empty", ``, ErrMalformed, []string{"not a JSON object"}},
		{"array", `[]`, ErrMalformed, []string{"not a JSON object"}},
		{"truncated", valid[:100], ErrMalformed, []string{"not valid JSON"}},
		{"unknown context", strings.Replace(valid, `"https://w3id.org/security/suites/ed25519-2020/v1"`, `"https://evil.example/ctx"`, 1), ErrUnknownContext, []string{`"https://evil.example/ctx"`, "never fetched"}},
		{"first context", strings.Replace(valid, `"https://www.w3.org/2018/credentials/v1",`, ``, 1), ErrMalformed, []string{"does not start with"}},
		{"unknown nested context", strings.Replace(valid, `"@protected": true,
        "@version": 1.1,`, `"@import": "https://evil.example/ctx", "@protected": true, "@version": 1.1,`, 1), ErrUnknownContext, []string{"https://evil.example/ctx"}},
		{"BJJ proof", strings.Replace(valid, `"type": "Ed25519Signature2020"`, `"type": "BJJSignature2021"`, 1), ErrUnsupportedProof, []string{`"BJJSignature2021"`}},
		{"no proof", strings.Replace(valid, `"proof":`, `"proofX":`, 1), ErrMalformed, []string{"no proof"}},
		{"undefined property", strings.Replace(valid, `"issuanceDate":`, `"issuedAt": "x", "issuanceDate":`, 1), ErrUndefinedTerm, []string{`"issuedAt"`}},
		{"bad proofValue", strings.Replace(valid, `"proofValue": "z`, `"proofValue": "u`, 1), ErrMalformed, []string{"proof.proofValue"}},
		{"bad date", strings.Replace(valid, `"2030-12-10T18:30:00Z"`, `"10/12/2030"`, 1), ErrMalformed, []string{`expirationDate "10/12/2030"`}},
		{"no issuer", strings.Replace(valid, `"issuer": "`+issuerDID+`"`, `"issuer": 7`, 1), ErrMalformed, []string{"issuer is missing"}},
		{"not a credential", strings.Replace(valid, `"VerifiableCredential",`, ``, 1), ErrMalformed, []string{"VerifiableCredential"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res, err := v.VerifyCredential(bg, []byte(tc.raw))
			if res != nil {
				t.Errorf("result = %+v; want nil", res)
			}
			wantErr(t, err, tc.sentinel, tc.fragments...)
		})
	}
}

func TestCanceled(t *testing.T) {
	v := newTestVerifier(t, Options{})
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := v.VerifyCredential(ctx, read(t, "vc/01-valid.vc.json")); !errors.Is(err, context.Canceled) {
		t.Errorf("err = %v; want context.Canceled", err)
	}
	if _, err := v.VerifyPresentation(ctx, read(t, "vp/01-valid.vp.json"), PresentationOptions{Challenge: vpChallenge}); !errors.Is(err, context.Canceled) {
		t.Errorf("err = %v; want context.Canceled", err)
	}
}

// TestConcurrent verifies credentials and presentations from many goroutines
// on one Verifier (run it with -race).
func TestConcurrent(t *testing.T) {
	v := newTestVerifier(t, Options{})
	inputs := []struct {
		raw   []byte
		vp    bool
		valid bool
	}{
		{read(t, "vc/01-valid.vc.json"), false, true},
		{read(t, "vc/09-schemaorg-context.vc.json"), false, true},
		{read(t, "vc/02-tampered-subject.vc.json"), false, false},
		{read(t, "vp/01-valid.vp.json"), true, true},
	}
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Go(func() {
			for i := range 6 {
				in := inputs[(g+i)%len(inputs)]
				var err error
				if in.vp {
					_, err = v.VerifyPresentation(bg, in.raw, PresentationOptions{Challenge: vpChallenge})
				} else {
					_, err = v.VerifyCredential(bg, in.raw)
				}
				if (err == nil) != in.valid {
					t.Errorf("goroutine %d: err = %v; want valid %v", g, err, in.valid)
				}
			}
		})
	}
	wg.Wait()
}
