package vc_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/entity-studio-go/entityauth"
	"github.com/entity-studio-go/entityauth/entityauthtest"
	"github.com/entity-studio-go/entityauth/gen/ssiapi"
	"github.com/entity-studio-go/entityauth/ssi"
	"github.com/entity-studio-go/entityauth/vc"
)

// fakeWorld is an issuer and a holder registered on a fake, and a verifier
// that resolves DIDs through the fake's SSI API and reads statuses from its
// hid-node route.
type fakeWorld struct {
	srv            *entityauthtest.Server
	c              *ssi.Client
	raw            *ssiapi.ClientWithResponses // for answers as sent
	issuer, holder string                      // DIDs
	issuerVM       string
	holderVM       string
	v              *vc.Verifier
}

func newFakeWorld(t *testing.T) *fakeWorld {
	t.Helper()
	srv := entityauthtest.Start(t, entityauthtest.Options{})
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	cfg := &entityauth.Config{APISecretKey: srv.APIKey(), BaseURL: srv.URL, HTTPClient: srv.Client()}
	hc := cfg.Client(ctx)
	c, err := ssi.NewClient(srv.URL, hc)
	if err != nil {
		t.Fatal(err)
	}
	raw, err := ssiapi.NewClientWithResponses(srv.URL, ssiapi.WithHTTPClient(hc))
	if err != nil {
		t.Fatal(err)
	}
	w := &fakeWorld{srv: srv, c: c, raw: raw}
	w.issuer, w.issuerVM = registerDID(t, c)
	w.holder, w.holderVM = registerDID(t, c)
	srv.FlushChain() // the registrations are queued, as in production
	status, err := vc.HIDNodeStatus(srv.URL, srv.Client())
	if err != nil {
		t.Fatal(err)
	}
	if w.v, err = vc.NewVerifier(vc.Options{Resolver: vc.SSIResolver(c), Status: status}); err != nil {
		t.Fatal(err)
	}
	return w
}

func registerDID(t *testing.T, c *ssi.Client) (did, vm string) {
	t.Helper()
	created, err := c.CreateDID(t.Context(), ssiapi.CreateDIDRequest{Namespace: ssiapi.DIDNamespaceTestnet})
	if err != nil {
		t.Fatal(err)
	}
	vm = ssi.VerificationMethodID(created.MetaData.DidDocument)
	if _, err := c.RegisterDID(t.Context(), ssiapi.RegisterDIDRequest{DidDocument: created.MetaData.DidDocument, VerificationMethodId: vm}); err != nil {
		t.Fatal(err)
	}
	return created.Did, vm
}

// issue issues a credential to the holder and returns the answer's raw
// JSON: the credential document and the status, as the fake sent them.
func (w *fakeWorld) issue(t *testing.T, register bool) (credential, status json.RawMessage) {
	t.Helper()
	resp, err := w.raw.IssueCredentialWithResponse(t.Context(), ssiapi.IssueCredentialRequest{
		SchemaContext: []string{"https://schema.org"}, Type: []string{"Person"},
		IssuerDid: w.issuer, SubjectDid: w.holder, VerificationMethodId: w.issuerVM,
		ExpirationDate: time.Now().Add(24 * time.Hour).UTC().Truncate(time.Second),
		Fields:         map[string]any{"name": "Ada Lovelace", "birthDate": "1815-12-10"},
		Persist:        true, RegisterCredentialStatus: &register,
	})
	if err != nil || resp.StatusCode() != http.StatusCreated {
		t.Fatalf("issue: %v %d %s", err, resp.StatusCode(), resp.Body)
	}
	w.srv.FlushChain() // the status registration is queued
	var answer struct {
		CredentialDocument json.RawMessage `json:"credentialDocument"`
		CredentialStatus   json.RawMessage `json:"credentialStatus"`
	}
	if err := json.Unmarshal(resp.Body, &answer); err != nil {
		t.Fatal(err)
	}
	return answer.CredentialDocument, answer.CredentialStatus
}

func (w *fakeWorld) setStatus(t *testing.T, id string, s ssiapi.CredentialStatusChange) {
	t.Helper()
	if _, err := w.c.UpdateCredentialStatus(t.Context(), id, ssiapi.UpdateCredentialStatusRequest{Status: s, IssuerDid: w.issuer, VerificationMethodId: w.issuerVM}); err != nil {
		t.Fatalf("status %s: %v", s, err)
	}
	w.srv.FlushChain()
}

// TestFakeCredentialVerifies issues through ssi against the fake, verifies
// with package vc (live), then suspends, reinstates and revokes it, each
// read from the fake's hid-node route with its signed status document.
func TestFakeCredentialVerifies(t *testing.T) {
	w := newFakeWorld(t)
	raw, _ := w.issue(t, true)
	res, err := w.v.VerifyCredential(t.Context(), raw)
	if err != nil {
		t.Fatalf("VerifyCredential of the fake's credential: %v; want valid", err)
	}
	if res.Issuer != w.issuer || res.Subject != w.holder || res.Status != vc.StatusLive || res.Claims["name"] != "Ada Lovelace" {
		t.Errorf("result = issuer %s subject %s status %s claims %v; want %s, %s, live, name Ada Lovelace", res.Issuer, res.Subject, res.Status, res.Claims, w.issuer, w.holder)
	}

	w.setStatus(t, res.ID, ssiapi.CredentialStatusChangeSuspend)
	if _, err := w.v.VerifyCredential(t.Context(), raw); !errors.Is(err, vc.ErrSuspended) {
		t.Errorf("after SUSPEND: %v; want ErrSuspended", err)
	}
	w.setStatus(t, res.ID, ssiapi.CredentialStatusChangeLive)
	if _, err := w.v.VerifyCredential(t.Context(), raw); err != nil {
		t.Errorf("after LIVE again: %v; want valid", err)
	}
	w.setStatus(t, res.ID, ssiapi.CredentialStatusChangeRevoke)
	if _, err := w.v.VerifyCredential(t.Context(), raw); !errors.Is(err, vc.ErrRevoked) {
		t.Errorf("after REVOKE: %v; want ErrRevoked", err)
	}

	forged := strings.Replace(string(raw), "Ada Lovelace", "Ada Byron", 1)
	if _, err := w.v.VerifyCredential(t.Context(), []byte(forged)); !errors.Is(err, vc.ErrSignature) {
		t.Errorf("a forged claim: %v; want ErrSignature", err)
	}
}

// TestFakeStatusRegisteredLater issues without a status, then registers the
// status the issue answered (its proof included): until then the status
// host does not know the credential.
func TestFakeStatusRegisteredLater(t *testing.T) {
	w := newFakeWorld(t)
	raw, status := w.issue(t, false)
	if _, err := w.v.VerifyCredential(t.Context(), raw); !errors.Is(err, vc.ErrStatusUnavailable) {
		t.Errorf("before the status is registered: %v; want ErrStatusUnavailable", err)
	}
	var cs ssiapi.CredentialStatus
	if err := json.Unmarshal(status, &cs); err != nil {
		t.Fatal(err)
	}
	if _, err := w.c.RegisterCredentialStatus(t.Context(), ssiapi.RegisterCredentialStatusRequest{CredentialStatus: cs, Namespace: ssiapi.DIDNamespaceTestnet}); err != nil {
		t.Fatalf("RegisterCredentialStatus: %v", err)
	}
	w.srv.FlushChain()
	if res, err := w.v.VerifyCredential(t.Context(), raw); err != nil || res.Status != vc.StatusLive {
		t.Errorf("after registration: %+v, %v; want live", res, err)
	}
}

// signPresentation has the holder sign a presentation of credential through
// signDIDAuth (authentication, the challenge and the domain).
func (w *fakeWorld) signPresentation(t *testing.T, credential json.RawMessage, challenge string) []byte {
	t.Helper()
	var cred any
	if err := json.Unmarshal(credential, &cred); err != nil {
		t.Fatal(err)
	}
	id := "vp:hid:testnet:" + strings.TrimPrefix(w.holder, "did:hid:testnet:")
	unsigned := ssiapi.DIDDocument{Id: &id, AdditionalProperties: map[string]any{
		"@context": []string{"https://www.w3.org/2018/credentials/v1"}, "type": []string{"VerifiablePresentation"},
		"verifiableCredential": []any{cred}, "holder": w.holder,
	}}
	resp, err := w.raw.SignDIDAuthWithResponse(t.Context(), ssiapi.SignDIDRequest{Did: w.holder, DidDocument: &unsigned, VerificationMethodId: w.holderVM,
		Options: &ssiapi.SignDIDOptions{Purpose: ssiapi.SignDIDOptionsPurposeAuthentication, Challenge: challenge, Domain: "https://verifier.example"}})
	if err != nil || resp.StatusCode() != http.StatusCreated {
		t.Fatalf("signDIDAuth: %v %d %s", err, resp.StatusCode(), resp.Body)
	}
	return resp.Body
}

// TestFakePresentationVerifies: a presentation that the holder signed
// through the fake verifies with its challenge and domain, and not with
// another challenge; once its credential is revoked, it fails.
func TestFakePresentationVerifies(t *testing.T) {
	w := newFakeWorld(t)
	raw, _ := w.issue(t, true)
	vp := w.signPresentation(t, raw, "c0ffee")
	res, err := w.v.VerifyPresentation(t.Context(), vp, vc.PresentationOptions{Challenge: "c0ffee", Domain: "https://verifier.example"})
	if err != nil {
		t.Fatalf("VerifyPresentation: %v; want valid", err)
	}
	if res.Holder != w.holder || len(res.Credentials) != 1 || res.Credentials[0].Status != vc.StatusLive {
		t.Errorf("result = holder %s, %d credentials; want %s and one live credential", res.Holder, len(res.Credentials), w.holder)
	}
	if _, err := w.v.VerifyPresentation(t.Context(), vp, vc.PresentationOptions{Challenge: "another"}); !errors.Is(err, vc.ErrChallenge) {
		t.Errorf("another challenge: %v; want ErrChallenge", err)
	}
	if _, err := w.v.VerifyPresentation(t.Context(), vp, vc.PresentationOptions{Challenge: "c0ffee", Domain: "https://elsewhere.example"}); !errors.Is(err, vc.ErrDomain) {
		t.Errorf("another domain: %v; want ErrDomain", err)
	}
	var doc map[string]any
	if err := json.Unmarshal(raw, &doc); err != nil {
		t.Fatal(err)
	}
	w.setStatus(t, doc["id"].(string), ssiapi.CredentialStatusChangeRevoke)
	if _, err := w.v.VerifyPresentation(t.Context(), vp, vc.PresentationOptions{Challenge: "c0ffee"}); !errors.Is(err, vc.ErrRevoked) {
		t.Errorf("after REVOKE: %v; want ErrRevoked", err)
	}
}

// TestSSIResolver resolves through package ssi against the fake (moved
// here from resolver_test.go: the fake verifies presentations with package
// vc, so only an external test may import it).
func TestSSIResolver(t *testing.T) {
	srv := entityauthtest.NewServer(entityauthtest.Options{})
	defer srv.Close()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	cfg := &entityauth.Config{APISecretKey: srv.APIKey(), BaseURL: srv.URL}
	hc := cfg.Client(ctx)
	c, err := ssi.NewClient(srv.URL, hc)
	if err != nil {
		t.Fatal(err)
	}
	r := vc.SSIResolver(c)

	// Create a DID (raw JSON, as a user of any client would).
	var created struct {
		Did      string `json:"did"`
		MetaData struct {
			DidDocument json.RawMessage `json:"didDocument"`
		} `json:"metaData"`
	}
	post(t, hc, srv.URL+"/api/v1/did/create", `{"namespace":"testnet"}`, &created)
	_, err = r.ResolveDID(ctx, created.Did)
	wantIs(t, err, vc.ErrDIDNotFound, "not registered on chain")

	post(t, hc, srv.URL+"/api/v1/did/register", `{"didDocument":`+string(created.MetaData.DidDocument)+`,"verificationMethodId":"`+created.Did+`#key-1"}`, nil)
	srv.FlushChain()
	raw, err := r.ResolveDID(ctx, created.Did)
	if err != nil {
		t.Fatal(err)
	}
	var answer struct {
		DidDocument struct {
			ID              string   `json:"id"`
			AssertionMethod []string `json:"assertionMethod"`
		} `json:"didDocument"`
	}
	if err := json.Unmarshal(raw, &answer); err != nil {
		t.Fatal(err)
	}
	if answer.DidDocument.ID != created.Did || len(answer.DidDocument.AssertionMethod) != 1 {
		t.Errorf("resolved %s; want the document of %s with its assertionMethod", raw, created.Did)
	}

	_, err = r.ResolveDID(ctx, "did:hid:testnet:zUnknown")
	wantIs(t, err, vc.ErrDIDNotFound)

	srv.SetDown(true)
	_, err = r.ResolveDID(ctx, created.Did)
	wantIs(t, err, vc.ErrDIDUnavailable, "resolving through the SSI API")
}

func post(t *testing.T, hc *http.Client, url, body string, out any) {
	t.Helper()
	req, err := http.NewRequestWithContext(context.Background(), http.MethodPost, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := hc.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode/100 != 2 {
		t.Fatalf("POST %s: %s %s", url, resp.Status, b)
	}
	if out != nil {
		if err := json.Unmarshal(b, out); err != nil {
			t.Fatal(err)
		}
	}
}

// wantIs fails unless err matches sentinel and its message holds each of
// the fragments.
func wantIs(t *testing.T, err, sentinel error, fragments ...string) {
	t.Helper()
	if !errors.Is(err, sentinel) {
		t.Fatalf("err = %v; want %v", err, sentinel)
	}
	for _, f := range fragments {
		if !strings.Contains(err.Error(), f) {
			t.Errorf("err = %q; want it to contain %q", err, f)
		}
	}
}

// TestFakeCreatedPresentationVerifies: a presentation that the fake's
// createPresentation (POST /api/v1/presentation) makes and signs with the
// holder's key verifies with package vc, for its challenge and domain only.
func TestFakeCreatedPresentationVerifies(t *testing.T) {
	w := newFakeWorld(t)
	raw, _ := w.issue(t, true)
	var cred ssiapi.VerifiableCredential
	if err := json.Unmarshal(raw, &cred); err != nil {
		t.Fatal(err)
	}
	vp, err := w.c.CreatePresentation(t.Context(), ssiapi.NewPresentation{CredentialDocuments: []ssiapi.VerifiableCredential{cred}, HolderDid: w.holder, Challenge: "n1", Domain: "https://verifier.example"})
	if err != nil {
		t.Fatalf("CreatePresentation: %v", err)
	}
	b, err := json.Marshal(vp)
	if err != nil {
		t.Fatal(err)
	}
	res, err := w.v.VerifyPresentation(t.Context(), b, vc.PresentationOptions{Challenge: "n1", Domain: "https://verifier.example"})
	if err != nil {
		t.Fatalf("VerifyPresentation of the created presentation: %v; want valid", err)
	}
	if res.Holder != w.holder || len(res.Credentials) != 1 || res.Credentials[0].Status != vc.StatusLive {
		t.Errorf("result = holder %s, %d credentials; want %s and one live credential", res.Holder, len(res.Credentials), w.holder)
	}
	if _, err := w.v.VerifyPresentation(t.Context(), b, vc.PresentationOptions{Challenge: "n2"}); !errors.Is(err, vc.ErrChallenge) {
		t.Errorf("another challenge: %v; want ErrChallenge", err)
	}
}
