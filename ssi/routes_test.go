package ssi_test

import (
	"crypto/ed25519"
	"encoding/base64"
	"encoding/json"
	"errors"
	"net/url"
	"slices"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/entity-studio-go/entityauth"
	"github.com/entity-studio-go/entityauth/entityauthtest"
	"github.com/entity-studio-go/entityauth/gen/ssiapi"
	"github.com/entity-studio-go/entityauth/internal/base58"
	"github.com/entity-studio-go/entityauth/ssi"
)

// These tests call the routes of issue 19 through package ssi against the fake.

func TestServerSignInfos(t *testing.T) {
	doc := ssiapi.DIDDocument{VerificationMethod: []ssiapi.VerificationMethod{{Id: "did:hid:x#key-1"}, {Id: "did:hid:x#key-2"}}}
	got := ssi.ServerSignInfos(doc)
	want := []ssiapi.RegisterV2SignInfo{{VerificationMethodId: "did:hid:x#key-1"}, {VerificationMethodId: "did:hid:x#key-2"}}
	if !slices.Equal(got, want) {
		t.Errorf("ServerSignInfos = %+v; want %+v", got, want)
	}
	b, _ := json.Marshal(got[0])
	if string(b) != `{"verification_method_id":"did:hid:x#key-1"}` {
		t.Errorf("a server sign info sends %s; want only its method", b)
	}
	if got := ssi.ServerSignInfos(ssiapi.DIDDocument{}); got == nil || len(got) != 0 {
		t.Errorf("ServerSignInfos of a document without methods = %#v; want an empty list", got)
	}
}

// TestFakeRegisterDIDV2 walks the production flow on virtual time: the
// registration is queued (UNREGISTRED, no hash), WaitRegistered returns once
// the chain has the DID, and a second registration is queued again, since
// the database row stays UNREGISTRED.
func TestFakeRegisterDIDV2(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		srv := entityauthtest.NewPipeServer(entityauthtest.Options{ChainDelay: 8 * time.Second})
		defer srv.Close()
		c := pipeClient(t, srv)
		ctx := t.Context()
		created, err := c.CreateDID(ctx, ssiapi.CreateDIDRequest{Namespace: ssiapi.DIDNamespaceTestnet, Options: &ssiapi.CreateDIDOptions{Name: "alice"}})
		if err != nil {
			t.Fatal(err)
		}
		req := ssiapi.RegisterDIDV2Request{DidDocument: created.MetaData.DidDocument, SignInfos: ssi.ServerSignInfos(created.MetaData.DidDocument)}
		start := time.Now()
		got, err := c.RegisterDIDV2(ctx, req)
		if err != nil {
			t.Fatalf("RegisterDIDV2: %v", err)
		}
		if got.Name != "alice" || got.Did != created.Did || got.RegistrationStatus != ssiapi.RegistrationStatusUnregistered || got.TransactionHash != "" {
			t.Errorf("RegisterDIDV2 = %+v; want alice, the DID, UNREGISTRED and no hash", got)
		}
		resolved, err := c.WaitRegistered(ctx, created.Did)
		if err != nil {
			t.Fatalf("WaitRegistered: %v", err)
		}
		if waited := time.Since(start); waited < 8*time.Second || waited > 20*time.Second || resolved.DidDocumentMetadata == nil {
			t.Errorf("WaitRegistered returned after %v with %+v; want metadata after the chain's 8s", waited, resolved.DidDocumentMetadata)
		}
		again, err := c.RegisterDIDV2(ctx, req)
		if err != nil || again.RegistrationStatus != ssiapi.RegistrationStatusUnregistered {
			t.Errorf("RegisterDIDV2 again = %+v, %v; want queued again", again, err)
		}
	})
}

// TestFakeRegisterDIDV2Errors, in direct mode: COMPLETED at once, then the
// refusals as typed errors.
func TestFakeRegisterDIDV2Errors(t *testing.T) {
	srv := entityauthtest.Start(t, entityauthtest.Options{DirectMode: true})
	c := fakeClient(t, srv, entityauth.Config{})
	ctx := t.Context()
	created := newDID(t, c, ssiapi.CreateDIDRequest{Options: &ssiapi.CreateDIDOptions{Name: "alice"}})
	req := ssiapi.RegisterDIDV2Request{DidDocument: created.MetaData.DidDocument, SignInfos: ssi.ServerSignInfos(created.MetaData.DidDocument)}
	got, err := c.RegisterDIDV2(ctx, req)
	if err != nil {
		t.Fatalf("RegisterDIDV2: %v", err)
	}
	if got.Name != "alice" || got.RegistrationStatus != ssiapi.RegistrationStatusCompleted || !fakeHashPattern.MatchString(got.TransactionHash) {
		t.Errorf("RegisterDIDV2 = %+v; want alice, COMPLETED and a hash", got)
	}
	if _, err := c.RegisterDIDV2(ctx, req); !errors.Is(err, ssi.ErrValidation) || !strings.Contains(err.Error(), created.Did+" already registered") {
		t.Errorf("RegisterDIDV2 again: %v; want ErrValidation, already registered", err)
	}
	other := newDID(t, c, ssiapi.CreateDIDRequest{})
	if _, err := c.RegisterDIDV2(ctx, ssiapi.RegisterDIDV2Request{DidDocument: other.MetaData.DidDocument, SignInfos: []ssiapi.RegisterV2SignInfo{{VerificationMethodId: other.Did + "#key-2"}}}); !errors.Is(err, ssi.ErrValidation) ||
		!strings.Contains(err.Error(), "Missing sign info for verification method: "+other.Did+"#key-1") {
		t.Errorf("RegisterDIDV2 without key-1's sign info: %v; want ErrValidation", err)
	}
	var e *ssi.Error
	foreign := strings.ReplaceAll(mustMarshal(t, other.MetaData.DidDocument), other.Did, "did:hid:testnet:z6MkNotTheAppsNotTheApps")
	var doc ssiapi.DIDDocument
	if err := json.Unmarshal([]byte(foreign), &doc); err != nil {
		t.Fatal(err)
	}
	_, err = c.RegisterDIDV2(ctx, ssiapi.RegisterDIDV2Request{DidDocument: doc, SignInfos: ssi.ServerSignInfos(doc)})
	if !errors.Is(err, ssi.ErrNotFound) || !errors.As(err, &e) || e.Operation != "registerDIDV2" {
		t.Errorf("RegisterDIDV2 of another app's DID: %v; want an *Error of registerDIDV2 matching ErrNotFound", err)
	}
}

func mustMarshal(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestFakeIssueDIDJWT(t *testing.T) {
	srv := entityauthtest.Start(t, entityauthtest.Options{})
	c := fakeClient(t, srv, entityauth.Config{})
	created := newDID(t, c, ssiapi.CreateDIDRequest{}) // not registered: the JWT needs only the key
	req := ssiapi.IssueDIDJWTRequest{
		Issuer:   ssiapi.JWTIssuer{Did: created.Did, VerificationMethodId: created.Did + "#key-1"},
		Audience: "https://api.example", Claims: map[string]any{"role": "admin", "jti": "dropped"}, TtlSeconds: 3600,
	}
	got, err := c.IssueDIDJWT(t.Context(), req)
	if err != nil {
		t.Fatalf("IssueDIDJWT: %v", err)
	}
	parts := strings.Split(got.AccessToken, ".")
	if len(parts) != 3 || got.ExpiresIn != 3600 {
		t.Fatalf("IssueDIDJWT = %d parts, expiresIn %d; want a compact JWS and 3600", len(parts), got.ExpiresIn)
	}
	key, err := base58.Decode(strings.TrimPrefix(*created.MetaData.DidDocument.VerificationMethod[0].PublicKeyMultibase, "z"))
	if err != nil || len(key) != 34 {
		t.Fatalf("the DID's key: %v", err)
	}
	sig, _ := base64.RawURLEncoding.DecodeString(parts[2])
	if !ed25519.Verify(key[2:], []byte(parts[0]+"."+parts[1]), sig) {
		t.Error("the JWT does not verify against the DID's Ed25519 key")
	}
	payload, _ := base64.RawURLEncoding.DecodeString(parts[1])
	var claims struct {
		Role, Aud, Iss, Jti string
		Iat, Exp            int64
	}
	if err := json.Unmarshal(payload, &claims); err != nil {
		t.Fatal(err)
	}
	if claims.Role != "admin" || claims.Aud != "https://api.example" || claims.Iss != created.Did || claims.Jti != "" || claims.Exp-claims.Iat != 3600 {
		t.Errorf("payload = %s; want role, aud, iss the DID, no jti, exp = iat + 3600", payload)
	}
	req.TtlSeconds = 59
	if _, err := c.IssueDIDJWT(t.Context(), req); !errors.Is(err, ssi.ErrValidation) || !strings.Contains(err.Error(), "ttlSeconds must not be less than 60") {
		t.Errorf("IssueDIDJWT with ttl 59: %v; want ErrValidation", err)
	}
}

func TestFakeCreatePresentation(t *testing.T) {
	srv := entityauthtest.Start(t, entityauthtest.Options{DirectMode: true})
	c := fakeClient(t, srv, entityauth.Config{})
	ctx := t.Context()
	holder, vm := newIssuer(t, c)
	issued, err := c.IssueCredential(ctx, credentialRequest(holder, vm))
	if err != nil {
		t.Fatalf("IssueCredential: %v", err)
	}
	req := ssiapi.NewPresentation{CredentialDocuments: []ssiapi.VerifiableCredential{issued.CredentialDocument}, HolderDid: holder, Challenge: "n-0S6", Domain: "https://verifier.example"}
	vp, err := c.CreatePresentation(ctx, req)
	if err != nil {
		t.Fatalf("CreatePresentation: %v", err)
	}
	if vp.Holder != holder || *vp.Proof.Challenge != "n-0S6" || *vp.Proof.VerificationMethod != vm || *vp.Proof.ProofPurpose != "authentication" {
		t.Errorf("presentation holder %s, proof %+v; want the holder, the challenge, %s for authentication", vp.Holder, vp.Proof, vm)
	}
	res, err := c.VerifyPresentation(ctx, ssiapi.VerifyPresentationRequest{Presentation: *vp})
	if err != nil || !res.Verified {
		t.Errorf("VerifyPresentation of the created presentation = %+v, %v; want verified", res, err)
	}

	unregistered := newDID(t, c, ssiapi.CreateDIDRequest{})
	req.HolderDid = unregistered.Did
	if _, err := c.CreatePresentation(ctx, req); !errors.Is(err, ssi.ErrNotFound) {
		t.Errorf("CreatePresentation by a holder not on chain: %v; want ErrNotFound (the rebuilt document's method)", err)
	}
	req.HolderDid, req.Domain = holder, "verifier.example"
	if _, err := c.CreatePresentation(ctx, req); !errors.Is(err, ssi.ErrValidation) || !strings.Contains(err.Error(), "domain must be a URL address") {
		t.Errorf("CreatePresentation to a domain without protocol: %v; want ErrValidation", err)
	}
}

func TestFakeUsage(t *testing.T) {
	srv := entityauthtest.Start(t, entityauthtest.Options{})
	c := fakeClient(t, srv, entityauth.Config{})
	ctx := t.Context()
	start := time.Now().Add(-time.Minute)
	created := newDID(t, c, ssiapi.CreateDIDRequest{})
	for range 3 {
		if _, err := c.ResolveDID(ctx, created.Did); err != nil {
			t.Fatal(err)
		}
	}
	end := time.Now().Add(time.Minute)
	u, err := c.Usage(ctx, ssi.UsageQuery{Start: start, End: end})
	if err != nil {
		t.Fatalf("Usage: %v", err)
	}
	if u.ServiceId != nil || u.StartDate == nil || !u.StartDate.Equal(start.Truncate(time.Millisecond)) || u.EndDate == nil || !u.EndDate.Equal(end.Truncate(time.Millisecond)) {
		t.Errorf("Usage window = %v %v %v; want no serviceId and %v to %v", u.ServiceId, u.StartDate, u.EndDate, start, end)
	}
	counts := map[string]int{}
	for _, r := range u.ServiceDetails {
		counts[r.Method+" "+r.ApiPath] = r.Quantity
		if r.ApiPath == "/api/v1/did/resolve" && (r.OffchainUnitCost != 1 || r.OffchainAmount != 3) {
			t.Errorf("resolve priced %d, %v in all; want 1 and 3", r.OffchainUnitCost, r.OffchainAmount)
		}
	}
	if counts["POST /api/v1/did/create"] != 1 || counts["GET /api/v1/did/resolve"] != 3 || len(counts) != 2 {
		t.Errorf("Usage counts = %v; want one create and three resolves", counts)
	}
	later, err := c.Usage(ctx, ssi.UsageQuery{Start: end, ServiceID: "app-1"})
	if err != nil || len(later.ServiceDetails) != 0 || later.ServiceId == nil || *later.ServiceId != "app-1" {
		t.Errorf("Usage from after the calls = %+v, %v; want none counted and app-1 echoed", later, err)
	}
	d, err := c.UsageDetail(ctx, ssi.UsageQuery{})
	if err != nil {
		t.Fatalf("UsageDetail: %v", err)
	}
	day := time.Now().UTC().Format(time.DateOnly)
	for _, r := range d.ServiceDetails {
		if r.ApiPath == "/api/v1/did/resolve" && (r.Quantity != 3 || r.Data[day] != 3) {
			t.Errorf("UsageDetail resolve = %+v; want 3 on %s", r, day)
		}
	}
	if len(d.ServiceDetails) != 2 {
		t.Errorf("UsageDetail has %d paths; want 2", len(d.ServiceDetails))
	}
}

// TestUsageQuerySent checks the query that Usage sends: times in UTC with
// milliseconds, zero values left out.
func TestUsageQuerySent(t *testing.T) {
	s := newServer(t, answer(200, `{"startDate":null,"endDate":null,"serviceDetails":[]}`))
	c := newClient(t, s)
	start := time.Date(2025, 1, 31, 10, 20, 30, 123456789, time.FixedZone("IST", 19800))
	if _, err := c.Usage(t.Context(), ssi.UsageQuery{Start: start, ServiceID: "a b"}); err != nil {
		t.Fatalf("Usage: %v", err)
	}
	if _, err := c.UsageDetail(t.Context(), ssi.UsageQuery{}); err != nil {
		t.Fatalf("UsageDetail: %v", err)
	}
	reqs := s.requests()
	if len(reqs) != 2 {
		t.Fatalf("server saw %d requests; want 2", len(reqs))
	}
	q, _ := url.ParseQuery(reqs[0].RawQuery)
	if reqs[0].Path != "/api/v1/usage" || q.Get("startDate") != "2025-01-31T04:50:30.123Z" || q.Get("serviceId") != "a b" || q.Has("endDate") {
		t.Errorf("Usage sent %s?%s; want startDate 2025-01-31T04:50:30.123Z, serviceId, no endDate", reqs[0].Path, reqs[0].RawQuery)
	}
	if reqs[1].Path != "/api/v1/usage/detail" || reqs[1].RawQuery != "" {
		t.Errorf("UsageDetail sent %s?%s; want no query", reqs[1].Path, reqs[1].RawQuery)
	}
}
