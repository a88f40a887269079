package vc

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
)

// TestVectorsMatchSums checks that the vectors are those of SHA256SUMS.
func TestVectorsMatchSums(t *testing.T) {
	f, err := os.Open(filepath.Join(vectors, "SHA256SUMS"))
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = f.Close() }()
	n := 0
	for sc := bufio.NewScanner(f); sc.Scan(); n++ {
		sum, name, _ := strings.Cut(sc.Text(), "  ")
		got := sha256.Sum256(read(t, name))
		if hex.EncodeToString(got[:]) != sum {
			t.Errorf("%s: sha256 %x; want %s", name, got, sum)
		}
	}
	if n < 15 {
		t.Errorf("SHA256SUMS lists %d files; want the 15 vectors", n)
	}
}

func TestVectorValid(t *testing.T) {
	v := newTestVerifier(t, Options{})
	res, err := v.VerifyCredential(bg, read(t, "vc/01-valid.vc.json"))
	if err != nil {
		t.Fatal(err)
	}
	want := &CredentialResult{
		ID:                 vc01ID,
		Types:              []string{"VerifiableCredential", "EmployeeBadge"},
		Issuer:             issuerDID,
		Subject:            holderDID,
		Claims:             map[string]any{"name": "Zoë Müller – 東京", "age": 30.0, "score": 4.5, "active": true, "note": "line1\nline2 \"quoted\" \\ back"},
		Schema:             "sch:hid:testnet:z6MkmcfbM8UTaVNyMNCgw9qNjToFJ5FbGwja4H6wYx6XMmRg:1.0",
		VerificationMethod: issuerDID + "#key-1",
		IssuanceDate:       time.Date(2025, 1, 16, 7, 42, 48, 0, time.UTC),
		ExpirationDate:     time.Date(2030, 12, 10, 18, 30, 0, 0, time.UTC),
		Status:             StatusNotChecked,
		StatusID:           "https://api.prajna.hypersign.id/hypersign-protocol/hidnode/ssi/credential/" + vc01ID,
	}
	if !reflect.DeepEqual(res, want) {
		t.Errorf("result:\ngot  %+v\nwant %+v", res, want)
	}
}

func TestVectorSchemaOrg(t *testing.T) {
	v := newTestVerifier(t, Options{})
	res, err := v.VerifyCredential(bg, read(t, "vc/09-schemaorg-context.vc.json"))
	if err != nil {
		t.Fatal(err)
	}
	if got := res.Claims["name"]; got != "Ada Lovelace" {
		t.Errorf("Claims[name] = %v; want Ada Lovelace", got)
	}
}

func TestVectorsInvalid(t *testing.T) {
	v := newTestVerifier(t, Options{})
	for _, tc := range []struct {
		file      string
		sentinel  error
		fragments []string
	}{
		{"vc/02-tampered-subject.vc.json", ErrSignature, []string{"credential vc:hid:testnet:", "does not verify"}},
		{"vc/05-undefined-term-added.vc.json", ErrUndefinedTerm, []string{`"extra"`}},
		{"vc/07-issuer-mismatch.vc.json", ErrKeyNotAuthorized, []string{strangerDID + "#key-1", "does not name as a controller"}},
		{"vc/08-expired.vc.json", ErrExpired, []string{"expirationDate 2024-01-01T00:00:00Z"}},
	} {
		t.Run(tc.file, func(t *testing.T) {
			res, err := v.VerifyCredential(bg, read(t, tc.file))
			if res != nil {
				t.Errorf("result = %+v; want nil", res)
			}
			wantErr(t, err, tc.sentinel, tc.fragments...)
		})
	}
}

// TestVectorExpiredSignatureValid checks that vc/08 is refused for its date
// only: at a time before its expirationDate it verifies.
func TestVectorExpiredSignatureValid(t *testing.T) {
	v := newTestVerifier(t, Options{Now: func() time.Time { return time.Date(2023, 6, 1, 0, 0, 0, 0, time.UTC) }})
	if _, err := v.VerifyCredential(bg, read(t, "vc/08-expired.vc.json")); err != nil {
		t.Fatal(err)
	}
}

func TestDates(t *testing.T) {
	raw := read(t, "vc/01-valid.vc.json")
	for _, tc := range []struct {
		now      time.Time
		sentinel error
	}{
		{time.Date(2025, 1, 16, 7, 42, 47, 0, time.UTC), ErrNotYetValid},
		{time.Date(2025, 1, 16, 7, 42, 48, 0, time.UTC), nil},
		{time.Date(2030, 12, 10, 18, 29, 59, 0, time.UTC), nil},
		{time.Date(2030, 12, 10, 18, 30, 0, 0, time.UTC), ErrExpired},
	} {
		v := newTestVerifier(t, Options{Now: func() time.Time { return tc.now }})
		_, err := v.VerifyCredential(bg, raw)
		if tc.sentinel == nil && err != nil || tc.sentinel != nil && !errors.Is(err, tc.sentinel) {
			t.Errorf("at %s: err = %v; want %v", tc.now, err, tc.sentinel)
		}
	}
}

func TestVectorPresentation(t *testing.T) {
	v := newTestVerifier(t, Options{})
	raw := read(t, "vp/01-valid.vp.json")
	for _, domain := range []string{vpDomain, ""} {
		res, err := v.VerifyPresentation(bg, raw, PresentationOptions{Challenge: vpChallenge, Domain: domain})
		if err != nil {
			t.Fatalf("domain %q: %v", domain, err)
		}
		if res.Holder != holderDID || res.Challenge != vpChallenge || res.Domain != vpDomain || res.VerificationMethod != holderDID+"#key-1" {
			t.Errorf("result = %+v; want holder %s, challenge %s, domain %s", res, holderDID, vpChallenge, vpDomain)
		}
		if len(res.Credentials) != 1 || res.Credentials[0].ID != vc01ID || res.Credentials[0].Claims["age"] != 30.0 {
			t.Errorf("credentials = %+v; want vc/01", res.Credentials)
		}
	}
	for _, tc := range []struct {
		o         PresentationOptions
		sentinel  error
		fragments []string
	}{
		{PresentationOptions{Challenge: "c0ffee-1235"}, ErrChallenge, []string{`proof.challenge is "c0ffee-1234"; want "c0ffee-1235"`, "presentation vp:hid:testnet:"}},
		{PresentationOptions{}, ErrChallenge, []string{"can be replayed"}},
		{PresentationOptions{Challenge: vpChallenge, Domain: "https://other.example"}, ErrDomain, []string{`proof.domain is "https://verifier.example"`}},
	} {
		res, err := v.VerifyPresentation(bg, raw, tc.o)
		if res != nil {
			t.Errorf("%+v: result = %+v; want nil", tc.o, res)
		}
		wantErr(t, err, tc.sentinel, tc.fragments...)
	}
}

// TestPresentationTampered changes the presentation after it was signed, and
// one of its credentials.
func TestPresentationTampered(t *testing.T) {
	v := newTestVerifier(t, Options{})
	raw := read(t, "vp/01-valid.vp.json")
	for _, tc := range []struct {
		old, new  string
		sentinel  error
		fragments []string
	}{
		// The holder: its key is not the one that signed.
		{`"holder": "` + holderDID, `"holder": "` + issuerDID, ErrKeyNotAuthorized, []string{"presentation vp:hid:testnet:"}},
		// A claim of the embedded credential: the presentation's proof
		// covers it, so the presentation fails first.
		{`"age": 30`, `"age": 31`, ErrSignature, []string{"presentation vp:hid:testnet:", "holder"}},
	} {
		if !bytes.Contains(raw, []byte(tc.old)) {
			t.Fatalf("vp/01 has no %s", tc.old)
		}
		_, err := v.VerifyPresentation(bg, bytes.Replace(raw, []byte(tc.old), []byte(tc.new), 1), PresentationOptions{Challenge: vpChallenge})
		if !errors.Is(err, tc.sentinel) {
			t.Errorf("%s → %s: err = %v; want %v", tc.old, tc.new, err, tc.sentinel)
		}
	}
}
