package vc

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"
)

func TestDIDDocumentsErrors(t *testing.T) {
	issuer := read(t, "dids/issuer.did.json")
	for _, tc := range []struct {
		name string
		docs [][]byte
		want string
	}{
		{"not JSON", [][]byte{[]byte("{")}, "DID document 0"},
		{"no id", [][]byte{[]byte(`{"didDocument":{}}`)}, "DID document 0 has no id"},
		{"twice", [][]byte{issuer, issuer}, "given twice"},
	} {
		if _, err := DIDDocuments(tc.docs...); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: err = %v; want %q", tc.name, err, tc.want)
		}
	}
	// A bare DID document is accepted as well as the resolve answer.
	bare, err := json.Marshal(decodeJSON(t, issuer)["didDocument"])
	if err != nil {
		t.Fatal(err)
	}
	r, err := DIDDocuments(bare, read(t, "dids/holder.did.json"))
	if err != nil {
		t.Fatal(err)
	}
	v := newTestVerifier(t, Options{Resolver: r})
	if _, err := v.VerifyCredential(bg, read(t, "vc/01-valid.vc.json")); err != nil {
		t.Fatal(err)
	}
}

// resolverFunc is a DIDResolver from a function.
type resolverFunc func(ctx context.Context, did string) (json.RawMessage, error)

func (f resolverFunc) ResolveDID(ctx context.Context, did string) (json.RawMessage, error) {
	return f(ctx, did)
}

func TestResolverAnswers(t *testing.T) {
	issuer := read(t, "dids/issuer.did.json")
	stranger := read(t, "dids/stranger.did.json")
	errDown := errors.New("connection refused")
	for _, tc := range []struct {
		name      string
		answer    func() (json.RawMessage, error)
		sentinel  error
		fragments []string
	}{
		{"unknown", func() (json.RawMessage, error) { return nil, ErrDIDNotFound }, ErrDIDNotFound, []string{"issuer " + issuerDID}},
		{"down", func() (json.RawMessage, error) { return nil, errDown }, ErrDIDUnavailable, []string{"issuer " + issuerDID, "connection refused"}},
		{"empty document", func() (json.RawMessage, error) {
			return json.RawMessage(`{"didDocument":{},"didDocumentMetadata":null}`), nil
		}, ErrDIDNotFound, []string{"no document"}},
		{"another DID's document", func() (json.RawMessage, error) { return stranger, nil }, ErrDIDNotFound, []string{"document of " + strangerDID}},
		{"deactivated", func() (json.RawMessage, error) {
			return bytes.Replace(issuer, []byte(`"deactivated": false`), []byte(`"deactivated": true`), 1), nil
		}, ErrDIDNotFound, []string{"deactivated"}},
		{"not JSON", func() (json.RawMessage, error) { return json.RawMessage(`[`), nil }, ErrDIDUnavailable, []string{"not a JSON object"}},
		{"no assertionMethod", func() (json.RawMessage, error) {
			return bytes.Replace(issuer, []byte(`"assertionMethod"`), []byte(`"assertionMethodX"`), 1), nil
		}, ErrKeyNotAuthorized, []string{"not in " + issuerDID + "'s assertionMethod"}},
		{"another key type", func() (json.RawMessage, error) {
			return bytes.Replace(issuer, []byte(`"Ed25519VerificationKey2020"`), []byte(`"EcdsaSecp256k1VerificationKey2019"`), 1), nil
		}, ErrUnsupportedProof, []string{"EcdsaSecp256k1VerificationKey2019"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := resolverFunc(func(_ context.Context, did string) (json.RawMessage, error) {
				if did != issuerDID {
					t.Errorf("resolved %s; want only the issuer", did)
				}
				return tc.answer()
			})
			v := newTestVerifier(t, Options{Resolver: r})
			_, err := v.VerifyCredential(bg, read(t, "vc/01-valid.vc.json"))
			wantErr(t, err, tc.sentinel, tc.fragments...)
			if tc.name == "down" && !errors.Is(err, errDown) {
				t.Errorf("err = %v; want it to wrap the resolver's error", err)
			}
		})
	}
}

// TestControllerAuthorizes checks that a key of the issuer's controller, in
// the controller's assertionMethod, may sign for the issuer, as Hypersign's
// SDK allows; and that without the controller entry it may not.
func TestControllerAuthorizes(t *testing.T) {
	issuer := newTestKey("issuer of TestControllerAuthorizes")
	controller := newTestKey("controller of TestControllerAuthorizes")
	doc := decodeJSON(t, issuer.didDocument(t))
	doc["didDocument"].(map[string]any)["controller"] = []any{issuer.did, controller.did}
	issuerDoc, err := json.Marshal(doc)
	if err != nil {
		t.Fatal(err)
	}
	cred := ownCredential(t, issuer)
	raw := controller.sign(t, cred, "assertionMethod", nil)

	v := newTestVerifier(t, Options{Resolver: vectorResolver(t, issuerDoc, controller.didDocument(t))})
	res, err := v.VerifyCredential(bg, raw)
	if err != nil {
		t.Fatal(err)
	}
	if res.VerificationMethod != controller.vm || res.Issuer != issuer.did {
		t.Errorf("result = %+v; want issuer %s signed by %s", res, issuer.did, controller.vm)
	}

	v = newTestVerifier(t, Options{Resolver: vectorResolver(t, issuer.didDocument(t), controller.didDocument(t))})
	_, err = v.VerifyCredential(bg, raw)
	wantErr(t, err, ErrKeyNotAuthorized, "does not name as a controller")
}

// TestProofPurpose checks that a credential signed for authentication, or a
// presentation signed for assertion, is refused.
func TestProofPurpose(t *testing.T) {
	k := newTestKey("issuer of TestProofPurpose")
	v := newTestVerifier(t, Options{Resolver: vectorResolver(t, k.didDocument(t))})
	_, err := v.VerifyCredential(bg, k.sign(t, ownCredential(t, k), "authentication", nil))
	wantErr(t, err, ErrKeyNotAuthorized, `proof.proofPurpose is "authentication"; want "assertionMethod"`)

	vp := decodeJSON(t, read(t, "vp/01-valid.vp.json"))
	vp["holder"] = k.did
	raw := k.sign(t, vp, "assertionMethod", map[string]any{"challenge": vpChallenge})
	_, err = v.VerifyPresentation(bg, raw, PresentationOptions{Challenge: vpChallenge})
	wantErr(t, err, ErrKeyNotAuthorized, `want "authentication"`)

	raw = k.sign(t, vp, "authentication", map[string]any{"challenge": vpChallenge})
	res, err := v.VerifyPresentation(bg, raw, PresentationOptions{Challenge: vpChallenge})
	if err != nil {
		t.Fatal(err)
	}
	if res.Holder != k.did || res.Domain != "" {
		t.Errorf("result = %+v; want holder %s, no domain", res, k.did)
	}
}
