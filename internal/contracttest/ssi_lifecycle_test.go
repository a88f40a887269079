package contracttest

import (
	"context"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/entity-studio-go/entityauth"
	"github.com/entity-studio-go/entityauth/entityauthtest"
	"github.com/entity-studio-go/entityauth/gen/ssiapi"
)

// ssiClient returns the generated client on an authenticated http.Client
// from entityauth's Config, as users build it.
func ssiClient(t *testing.T, s *entityauthtest.Server) *ssiapi.ClientWithResponses {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	cfg := &entityauth.Config{APISecretKey: s.APIKey(), BaseURL: s.URL}
	hc := cfg.Client(ctx)
	if contractRecorder != nil {
		hc.Transport = contractRecorder.wrap(hc.Transport)
	}
	c, err := ssiapi.NewClientWithResponses(s.URL, ssiapi.WithHTTPClient(hc))
	if err != nil {
		t.Fatal(err)
	}
	return c
}

var (
	didPattern  = regexp.MustCompile(`^did:hid:testnet:z6Mk[1-9A-HJ-NP-Za-km-z]{43,44}$`)
	vcPattern   = regexp.MustCompile(`^vc:hid:testnet:z6Mk[1-9A-HJ-NP-Za-km-z]{43,44}$`)
	hashPattern = regexp.MustCompile(`^[0-9A-F]{64}$`)
)

func ptr[T any](v T) *T { return &v }

// createDID creates a testnet DID named name and fails the test otherwise.
func createDID(t *testing.T, c *ssiapi.ClientWithResponses, name string) *ssiapi.CreatedDID {
	t.Helper()
	resp, err := c.CreateDIDWithResponse(t.Context(), ssiapi.CreateDIDRequest{Namespace: ssiapi.DIDNamespaceTestnet, Options: &ssiapi.CreateDIDOptions{Name: name}})
	if err != nil || resp.JSON201 == nil {
		t.Fatalf("createDID: %v %d %s", err, resp.StatusCode(), resp.Body)
	}
	return resp.JSON201
}

// registerDID registers a created DID with its own key and fails the test otherwise.
func registerDID(t *testing.T, c *ssiapi.ClientWithResponses, d *ssiapi.CreatedDID) *ssiapi.RegisterDIDResponse {
	t.Helper()
	resp, err := c.RegisterDIDWithResponse(t.Context(), ssiapi.RegisterDIDRequest{DidDocument: d.MetaData.DidDocument, VerificationMethodId: d.Did + "#key-1"})
	if err != nil {
		t.Fatal(err)
	}
	return resp
}

// TestSSILifecycle walks the path a backend takes, in direct mode (no fee
// grant): create a DID, register it, resolve it, issue a persisted
// credential, fetch it, suspend it, revoke it, and fail to bring it back.
func TestSSILifecycle(t *testing.T) {
	s := entityauthtest.Start(t, entityauthtest.Options{DirectMode: true})
	c := ssiClient(t, s)
	ctx := t.Context()

	created := createDID(t, c, "issuer")
	if !didPattern.MatchString(created.Did) || created.RegistrationStatus != ssiapi.RegistrationStatusUnregistered {
		t.Fatalf("created %s %s; want a did:hid:testnet:z6Mk… DID, UNREGISTRED", created.Did, created.RegistrationStatus)
	}
	vms := created.MetaData.DidDocument.VerificationMethod
	if len(vms) != 1 || vms[0].Type != "Ed25519VerificationKey2020" || vms[0].Id != created.Did+"#key-1" ||
		"did:hid:testnet:"+*vms[0].PublicKeyMultibase != created.Did {
		t.Errorf("verification methods = %+v; want key-1, Ed25519VerificationKey2020, whose key is the DID's", vms)
	}

	res, err := c.ResolveDIDWithResponse(ctx, created.Did)
	if err != nil || res.JSON200 == nil {
		t.Fatalf("resolve: %v %s", err, res.Body)
	}
	if res.JSON200.DidDocumentMetadata != nil || res.JSON200.Name == nil || *res.JSON200.Name != "issuer" {
		t.Errorf("resolve before register = %s; want didDocumentMetadata null and name issuer", res.Body)
	}
	if !strings.Contains(string(res.Body), `"didDocumentMetadata":null`) {
		t.Errorf("resolve before register = %s; want an explicit null", res.Body)
	}

	reg := registerDID(t, c, created)
	if reg.JSON201 == nil || reg.JSON201.RegistrationStatus != ssiapi.RegistrationStatusCompleted || !hashPattern.MatchString(reg.JSON201.TransactionHash) {
		t.Fatalf("register = %d %s; want 201 COMPLETED with a 64-digit upper-case hash", reg.StatusCode(), reg.Body)
	}
	again := registerDID(t, c, created)
	if again.StatusCode() != 400 || !strings.Contains(string(again.Body), created.Did+" already registered") {
		t.Errorf("second register = %d %s; want 400 %q", again.StatusCode(), again.Body, created.Did+" already registered")
	}
	res, _ = c.ResolveDIDWithResponse(ctx, created.Did)
	if m := res.JSON200.DidDocumentMetadata; m == nil || m.VersionId == nil || *m.VersionId != reg.JSON201.TransactionHash || *m.Deactivated {
		t.Errorf("resolve after register = %s; want versionId %s", res.Body, reg.JSON201.TransactionHash)
	}
	unknown, _ := c.ResolveDIDWithResponse(ctx, "did:hid:testnet:z6MkUnknownUnknownUnknownUnknownUnknownUnknownUnk")
	if got := string(unknown.Body); unknown.StatusCode() != 200 || got != `{"didDocument":{},"didDocumentMetadata":null}` {
		t.Errorf("unknown DID resolves to %d %s; want 200 with an empty document", unknown.StatusCode(), got)
	}

	vm := created.Did + "#key-1"
	iss, err := c.IssueCredentialWithResponse(ctx, ssiapi.IssueCredentialRequest{
		SubjectDid: created.Did, IssuerDid: created.Did, VerificationMethodId: vm,
		SchemaContext: []string{"https://schema.org"}, Type: []string{"StudentCredential"},
		ExpirationDate: time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC), Fields: map[string]any{"name": "Ada"}, Persist: true,
	})
	if err != nil || iss.JSON201 == nil {
		t.Fatalf("issue: %v %d %s", err, iss.StatusCode(), iss.Body)
	}
	id := iss.JSON201.Metadata.CredentialId
	if !vcPattern.MatchString(id) || iss.JSON201.CredentialDocument.Id != id || iss.JSON201.CredentialDocument.Proof.ProofValue == nil {
		t.Fatalf("issued %s; want a vc:hid:testnet:z6Mk… id with a proof", iss.Body)
	}

	got, err := c.GetCredentialWithResponse(ctx, id, &ssiapi.GetCredentialParams{RetrieveCredential: ptr(true)})
	if err != nil || got.JSON200 == nil || got.JSON200.CredentialDocument == nil || got.JSON200.CredentialDocument.Id != id {
		t.Fatalf("get with retrieveCredential: %v %s; want the document", err, got.Body)
	}
	if st := got.JSON200.CredentialStatus; st == nil || *st.Revoked || *st.Suspended || st.ChainContext == nil || st.Context != nil {
		t.Errorf("status = %s; want live, with context and not @context", got.Body)
	}
	bare, _ := c.GetCredentialWithResponse(ctx, id, nil)
	if bare.JSON200 == nil || bare.JSON200.CredentialDocument != nil {
		t.Errorf("get without retrieveCredential = %s; want no document", bare.Body)
	}

	change := func(status ssiapi.CredentialStatusChange) *ssiapi.UpdateCredentialStatusResponse {
		t.Helper()
		r, err := c.UpdateCredentialStatusWithResponse(ctx, id, ssiapi.UpdateCredentialStatusRequest{Status: status, IssuerDid: created.Did, VerificationMethodId: vm})
		if err != nil {
			t.Fatal(err)
		}
		return r
	}
	if r := change(ssiapi.CredentialStatusChangeSuspend); r.JSON200 == nil || !*r.JSON200.Suspended || *r.JSON200.Revoked {
		t.Errorf("SUSPEND = %d %s; want suspended", r.StatusCode(), r.Body)
	}
	if r := change(ssiapi.CredentialStatusChangeSuspend); r.StatusCode() != 400 {
		t.Errorf("SUSPEND twice = %d %s; want 400", r.StatusCode(), r.Body)
	}
	if r := change(ssiapi.CredentialStatusChangeRevoke); r.JSON200 == nil || !*r.JSON200.Revoked {
		t.Errorf("REVOKE = %d %s; want revoked", r.StatusCode(), r.Body)
	}
	if r := change(ssiapi.CredentialStatusChangeLive); r.StatusCode() != 400 || !strings.Contains(string(r.Body), "revoked") {
		t.Errorf("LIVE after REVOKE = %d %s; want 400: revocation is final", r.StatusCode(), r.Body)
	}
	got, _ = c.GetCredentialWithResponse(ctx, id, nil)
	if st := got.JSON200.CredentialStatus; st == nil || !*st.Revoked {
		t.Errorf("status after revoke = %s; want revoked", got.Body)
	}
}

// TestSSIPagination covers page and limit: defaults, bounds and the
// class-validator texts, on the DID and credential lists.
func TestSSIPagination(t *testing.T) {
	s := entityauthtest.Start(t, entityauthtest.Options{})
	c := ssiClient(t, s)
	var dids []string
	for i := range 12 {
		dids = append(dids, createDID(t, c, "d"+string(rune('a'+i))).Did)
	}
	all, _ := c.ListDIDsWithResponse(t.Context(), nil)
	if all.JSON200 == nil || all.JSON200.TotalCount != 12 || len(all.JSON200.Data) != 10 || all.JSON200.Data[0] != dids[0] {
		t.Fatalf("default page = %s; want 12 in all, the first 10, oldest first", all.Body)
	}
	p2, _ := c.ListDIDsWithResponse(t.Context(), &ssiapi.ListDIDsParams{Page: ptr(2), Limit: ptr(5)})
	if p2.JSON200 == nil || p2.JSON200.TotalCount != 12 || len(p2.JSON200.Data) != 5 || p2.JSON200.Data[0] != dids[5] {
		t.Errorf("page 2 of 5 = %s; want DIDs 6-10", p2.Body)
	}
	tests := []struct{ query, want string }{
		{"limit=101", `["limit must not be greater than 100"]`},
		{"limit=-20", `["limit must not be less than 1"]`},
		{"page=-1", `["page must not be less than 1"]`},
		{"page=1.5", `["page must be an integer number"]`},
		{"limit=abc", `["limit must not be greater than 100","limit must not be less than 1","limit must be an integer number"]`},
		{"page=0&limit=100", `["page must not be greater than 100","page must not be less than 1","page must be an integer number"]`},
	}
	tok := token(t, s, tokenRequest{})
	for _, tt := range tests {
		for _, path := range []string{"/api/v1/did", "/api/v1/credential", "/api/v1/presentation/template"} {
			a := getAPI(t, s, path+"?"+tt.query, tok)
			want := `{"statusCode":400,"message":` + tt.want + `,"error":"Bad Request"}`
			if a.status != 400 || a.body != want {
				t.Errorf("GET %s?%s = %d %s; want 400 %s", path, tt.query, a.status, a.body, want)
			}
		}
	}
	if a := getAPI(t, s, "/api/v1/did?limit=100", tok); a.status != 200 {
		t.Errorf("limit=100: %d %s; want 200", a.status, a.body)
	}
}

// TestSSIAuthOrder sends requests that fail each check of the real
// middleware, and the ones that fail two checks, to show which comes first.
func TestSSIAuthOrder(t *testing.T) {
	allowed := "https://app.example"
	tests := []struct {
		name    string
		opts    entityauthtest.Options
		authz   func(t *testing.T, s *entityauthtest.Server, tok string) string
		origin  string
		setup   func(s *entityauthtest.Server)
		status  int
		message string
	}{
		{name: "no header", authz: func(*testing.T, *entityauthtest.Server, string) string { return "" }, status: 401, message: `["Unauthorized","Please pass access token"]`},
		{name: "lower-case scheme", authz: func(_ *testing.T, _ *entityauthtest.Server, tok string) string { return "bearer " + tok }, status: 401, message: `["Unauthorized","Please pass access token"]`},
		{name: "empty token", authz: func(_ *testing.T, _ *entityauthtest.Server, tok string) string { return "Bearer  " + tok }, status: 401, message: `["Invalid or expired token"]`},
		{name: "forged", authz: func(_ *testing.T, _ *entityauthtest.Server, tok string) string {
			return "Bearer " + tok[:len(tok)-3] + "AAA"
		}, status: 401, message: `["Invalid or expired token"]`},
		{name: "invalid token beats origin", origin: "https://evil.example", authz: func(*testing.T, *entityauthtest.Server, string) string { return "Bearer x.y.z" }, status: 401, message: `["Invalid or expired token"]`},
		{name: "grant", authz: func(t *testing.T, s *entityauthtest.Server, _ string) string {
			// With the app's session live, the token server copies grant_type into the claim.
			return "Bearer " + token(t, s, tokenRequest{grant: "grant_type=access_service_kyc"})
		}, status: 400, message: `["Invalid grant type"]`},
		{name: "session gone", setup: (*entityauthtest.Server).DropSessions, status: 401, message: `["Token expired"]`},
		{name: "session gone beats origin", setup: (*entityauthtest.Server).DropSessions, origin: "https://evil.example", status: 401, message: `["Token expired"]`},
		{name: "origin", origin: "https://evil.example", status: 401, message: `["Origin mismatch"]`},
		{name: "origin beats credits", origin: "https://evil.example", setup: func(s *entityauthtest.Server) { s.SetCredits(false) }, status: 401, message: `["Origin mismatch"]`},
		{name: "allowed origin", origin: allowed, status: 200},
		{name: "wildcard", opts: entityauthtest.Options{AllowedOrigins: []string{"https://other.example", "*"}}, origin: "https://evil.example", status: 200},
		{name: "credits", setup: func(s *entityauthtest.Server) { s.SetCredits(false) }, status: 400, message: `["No credits found or credit exhausted. Please contact the admin"]`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			opts := tt.opts
			if opts.AllowedOrigins == nil {
				opts.AllowedOrigins = []string{allowed}
			}
			s := entityauthtest.Start(t, opts)
			tok := token(t, s, tokenRequest{})
			h := "Bearer " + tok
			if tt.authz != nil {
				h = tt.authz(t, s, tok)
			}
			if tt.setup != nil {
				tt.setup(s)
			}
			req, _ := http.NewRequestWithContext(t.Context(), http.MethodGet, s.URL+"/api/v1/did", nil)
			if h != "" {
				req.Header.Set("Authorization", h)
			}
			if tt.origin != "" {
				req.Header.Set("Origin", tt.origin)
			}
			a := do(t, s, req)
			if a.status != tt.status {
				t.Fatalf("status = %d (%s); want %d", a.status, a.body, tt.status)
			}
			if tt.message != "" && !strings.Contains(a.body, `"message":`+tt.message) {
				t.Errorf("body = %s; want message %s", a.body, tt.message)
			}
		})
	}
}

// TestSSICredits spends a small balance at the real prices: a list costs 1,
// a create 7 (POST 5 and key storage 2); the first request it cannot pay
// for gets the real 400, and failed requests cost nothing.
func TestSSICredits(t *testing.T) {
	s := entityauthtest.Start(t, entityauthtest.Options{Credits: 9})
	c := ssiClient(t, s)
	createDID(t, c, "paid")
	if l, _ := c.ListDIDsWithResponse(t.Context(), &ssiapi.ListDIDsParams{Limit: ptr(500)}); l.StatusCode() != 400 {
		t.Fatalf("invalid list = %d; want 400", l.StatusCode())
	}
	if l, _ := c.ListDIDsWithResponse(t.Context(), nil); l.StatusCode() != 200 {
		t.Fatalf("list = %d %s; want 200", l.StatusCode(), l.Body)
	}
	if got := s.CreditsUsed(); got != 8 {
		t.Errorf("CreditsUsed = %d; want 8 (7 + 1; the refused list is free)", got)
	}
	r, _ := c.CreateDIDWithResponse(t.Context(), ssiapi.CreateDIDRequest{Namespace: ssiapi.DIDNamespaceTestnet})
	if r.StatusCode() != 400 || !strings.Contains(string(r.Body), "No credits found or credit exhausted. Please contact the admin") {
		t.Errorf("create with 1 credit left = %d %s; want 400 no credits", r.StatusCode(), r.Body)
	}
	if l, _ := c.ListDIDsWithResponse(t.Context(), nil); l.StatusCode() != 200 {
		t.Errorf("list with 1 credit left = %d; want 200", l.StatusCode())
	}
	if l, _ := c.ListDIDsWithResponse(t.Context(), nil); l.StatusCode() != 400 {
		t.Errorf("list with 0 credits left = %d; want 400", l.StatusCode())
	}
	// Presentation routes spend nothing and check nothing.
	if l, _ := c.ListPresentationTemplatesWithResponse(t.Context(), nil); l.StatusCode() != 200 {
		t.Errorf("templates without credits = %d %s; want 200", l.StatusCode(), l.Body)
	}
	s.SetCredits(true)
	if l, _ := c.ListDIDsWithResponse(t.Context(), nil); l.StatusCode() != 200 {
		t.Errorf("list after SetCredits(true) = %d; want 200", l.StatusCode())
	}
}

// TestSSIPermissions: routes whose permission API-key tokens lack answer 403.
func TestSSIPermissions(t *testing.T) {
	s := entityauthtest.Start(t, entityauthtest.Options{})
	c := ssiClient(t, s)
	v, _ := c.VerifyDIDAuthWithResponse(t.Context(), ssiapi.VerifyDIDRequest{})
	st, _ := c.GetSSIStatusWithResponse(t.Context(), "did:hid:testnet:x", &ssiapi.GetSSIStatusParams{Page: 1, Limit: 10})
	tx, _ := c.GetTransactionStatusWithResponse(t.Context(), strings.Repeat("A", 64), &ssiapi.GetTransactionStatusParams{Page: 1, Limit: 10})
	for name, r := range map[string]*http.Response{"verifyDIDAuth": v.HTTPResponse, "getSSIStatus": st.HTTPResponse, "getTransactionStatus": tx.HTTPResponse} {
		if r.StatusCode != http.StatusForbidden {
			t.Errorf("%s = %d; want 403", name, r.StatusCode)
		}
	}
	if v.JSON403 == nil || string(v.Body) != `{"statusCode":403,"message":["Permission denied: Missing access rights"],"error":"Forbidden"}` {
		t.Errorf("403 body = %s", v.Body)
	}
}

// TestSSIValidation covers the common mistakes with the real DTOs' texts.
func TestSSIValidation(t *testing.T) {
	s := entityauthtest.Start(t, entityauthtest.Options{})
	tok := token(t, s, tokenRequest{})
	c := ssiClient(t, s)
	d := createDID(t, c, "v")
	tests := []struct {
		method, path, body string
		status             int
		message            string
	}{
		{"POST", "/api/v1/did/create", `{"namespace":"xyz"}`, 400, `["namespace must be one of the following values: 'testnet', '' "]`},
		{"POST", "/api/v1/did/create", `{"methodSpecificId":"short"}`, 400, `["methodSpecificId must be longer than or equal to 32 characters"]`},
		{"POST", "/api/v1/did/create", `{"options":{"keyType":"xyz"}}`, 400, `["options.The provided key types [\"xyz\"] are invalid."]`},
		{"POST", "/api/v1/did/create", `{"options":{"keyType":"EcdsaSecp256k1RecoveryMethod2020"}}`, 400, `["options.walletAddress is not passed , required for keyType EcdsaSecp256k1RecoveryMethod2020"]`},
		{"POST", "/api/v1/did/register", `{}`, 400, `["didDocument must be a non-empty object","each value in nested property didDocument must be either object or array"]`},
		{"POST", "/api/v1/did/register", `{"didDocument":{}}`, 400, `["didDocument.id must be a string","didDocument.controller must be an array","didDocument.authentication must be an array","didDocument.assertionMethod must be an array"]`},
		{"POST", "/api/v1/did/register", `{"didDocument":{"id":"did:hid:testnet:z6MkNoSuchDIDNoSuchDIDNoSuchDID","controller":[],"authentication":[],"assertionMethod":[]},"verificationMethodId":"did:hid:testnet:z6MkNoSuchDIDNoSuchDIDNoSuchDID#key-1"}`, 404, `["did:hid:testnet:z6MkNoSuchDIDNoSuchDIDNoSuchDID not found"]`},
		{"POST", "/api/v1/credential/issue", `{}`, 400, `["subjectDid should not be empty","subjectDid must be a string","issuerDid should not be empty","issuerDid must be a string","schemaContext should not be empty","schemaContext must be an array","type must be an array","expirationDate should not be empty","expirationDate must be a string","fields must be a non-empty object","verificationMethodId contains an invalid verification method id","persist must be a boolean value"]`},
		{"POST", "/api/v1/credential/issue", `{"subjectDid":"xyz"}`, 400, `["Invalid subjectDid format: xyz"]`},
		{"POST", "/api/v1/credential/issue", `{"issuerDid":""}`, 400, `["issuerDid cannot be empty"]`},
		{"POST", "/api/v1/credential/issue", `{"subjectDid":"` + d.Did + `","issuerDid":"` + d.Did + `","schemaContext":["https://schema.org"],"type":["T"],"expirationDate":"2030-01-01T00:00:00Z","fields":{"a":1},"verificationMethodId":"did:hid:testnet:z6MkOtherAppOtherAppOtherApp#key-1","persist":true}`, 404, `["did:hid:testnet:z6MkOtherAppOtherAppOtherApp#key-1 not found",`},
		{"PATCH", "/api/v1/credential/status/vc:hid:testnet:x", `{"status":"PAUSE"}`, 400, `["status must be one of the following values: LIVE, SUSPEND, REVOKE","issuerDid should not be empty","issuerDid must be a string","verificationMethodId contains an invalid verification method id"]`},
		{"GET", "/api/v1/credential/vc:hid:testnet:x?retrieveCredential=yes", ``, 400, `["Value must be true or false"]`},
		{"GET", "/api/v1/credential/vc:hid:testnet:x", ``, 404, `["vc:hid:testnet:x is not found",`},
		{"POST", "/api/v1/presentation/template", `{"domain":"xyz","query":""}`, 400, `["domain must be a URL address","name should not be empty","name must be a string","query must be an array","nested property query must be either object or array"]`},
		{"POST", "/api/v1/presentation/template", `{"domain":"xyz","name":"","query":""}`, 400, `["name cannot be empty"]`}, // the name's setter runs before the validation
		{"POST", "/api/v1/presentation/request", `{"did":"xyz"}`, 400, `["Invalid did format: xyz"]`},
		{"PATCH", "/api/v1/did", `{}`, 400, `["At least one of the name or didDocument is required"]`},
		{"DELETE", "/api/v1/presentation/template/0123456789abcdef01234567", ``, 404, `["No resource found for templateId 0123456789abcdef01234567"]`},
	}
	for _, tt := range tests {
		req, _ := http.NewRequestWithContext(t.Context(), tt.method, s.URL+tt.path, strings.NewReader(tt.body))
		req.Header.Set("Authorization", "Bearer "+tok)
		if tt.body != "" {
			req.Header.Set("Content-Type", "application/json")
		}
		a := do(t, s, req)
		if a.status != tt.status || !strings.Contains(a.body, `"message":`+tt.message) {
			t.Errorf("%s %s %s = %d %s; want %d with message %s", tt.method, tt.path, tt.body, a.status, a.body, tt.status, tt.message)
		}
	}
}

// TestSSIPresentations covers template CRUD and a presentation request.
func TestSSIPresentations(t *testing.T) {
	s := entityauthtest.Start(t, entityauthtest.Options{})
	c := ssiClient(t, s)
	ctx := t.Context()
	d := createDID(t, c, "verifier")
	body := ssiapi.PresentationTemplateRequest{Domain: "https://verifier.example", Name: "Age Check", Query: []ssiapi.PresentationQuery{{Type: "QueryByExample"}}}
	cr, err := c.CreatePresentationTemplateWithResponse(ctx, body)
	if err != nil || cr.JSON201 == nil || cr.JSON201.Name != "AgeCheck" || len(cr.JSON201.UnderscoreId) != 24 {
		t.Fatalf("create template: %v %s; want name AgeCheck (the real re-casing) and a 24-digit id", err, cr.Body)
	}
	id := cr.JSON201.UnderscoreId
	if dup, _ := c.CreatePresentationTemplateWithResponse(ctx, body); dup.StatusCode() != 400 || !strings.Contains(string(dup.Body), "Template name must be unique") {
		t.Errorf("duplicate name = %d %s; want 400", dup.StatusCode(), dup.Body)
	}
	if g, _ := c.GetPresentationTemplateWithResponse(ctx, id); g.JSON200 == nil || strings.Contains(string(g.Body), "__v") {
		t.Errorf("get = %s; want the template without __v", g.Body)
	}
	if u, _ := c.UpdatePresentationTemplateWithResponse(ctx, id, ssiapi.PresentationTemplateUpdate{Domain: "https://other.example"}); u.JSON200 == nil || u.JSON200.Domain != "https://other.example" || u.JSON200.Name != "AgeCheck" {
		t.Errorf("update = %s; want the new domain, the name kept", u.Body)
	}
	exp := int64(4102444800000)
	pr, err := c.CreatePresentationRequestWithResponse(ctx, ssiapi.NewPresentationRequest{Challenge: "c1", Did: d.Did, TemplateId: id, ExpiresTime: exp, CallbackUrl: "https://verifier.example/cb"})
	if err != nil || pr.JSON201 == nil || pr.JSON201.ExpiresTime != exp || pr.JSON201.CreatedTime < 1e12 || pr.JSON201.Body.Challenge != "c1" || pr.JSON201.From != d.Did {
		t.Fatalf("presentation request: %v %s", err, pr.Body)
	}
	if l, _ := c.ListPresentationTemplatesWithResponse(ctx, nil); l.JSON200 == nil || l.JSON200.TotalCount != 1 {
		t.Errorf("list = %s; want 1", l.Body)
	}
	if del, _ := c.DeletePresentationTemplateWithResponse(ctx, id); del.JSON200 == nil || del.JSON200.UnderscoreId != id {
		t.Errorf("delete = %s", del.Body)
	}
	if g, _ := c.GetPresentationTemplateWithResponse(ctx, id); g.StatusCode() != 404 {
		t.Errorf("get after delete = %d; want 404", g.StatusCode())
	}
}

// TestSSIDIDTools covers addVerificationMethod, signDIDAuth,
// registerCredentialStatus and verifyPresentation: a holder signs a
// presentation of an issued credential with the fake's proofs, the fake
// verifies it, and refuses it once tampered with.
func TestSSIDIDTools(t *testing.T) {
	s := entityauthtest.Start(t, entityauthtest.Options{DirectMode: true})
	c := ssiClient(t, s)
	ctx := t.Context()
	d := createDID(t, c, "holder")
	if r := registerDID(t, c, d); r.JSON201 == nil {
		t.Fatalf("register: %s", r.Body)
	}
	vm := d.Did + "#key-1"

	add, err := c.AddVerificationMethodWithResponse(ctx, ssiapi.AddVerificationMethodRequest{Did: d.Did, Type: ssiapi.KeyTypeEd25519VerificationKey2020, PublicKeyMultibase: "z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK"})
	if err != nil || add.JSON201 == nil || len(add.JSON201.VerificationMethod) != 2 || add.JSON201.VerificationMethod[1].Id != d.Did+"#key-2" {
		t.Fatalf("addVerificationMethod: %v %s; want key-2 added", err, add.Body)
	}

	iss, err := c.IssueCredentialWithResponse(ctx, ssiapi.IssueCredentialRequest{
		SubjectDid: d.Did, IssuerDid: d.Did, VerificationMethodId: vm, SchemaContext: []string{"https://schema.org"},
		Type: []string{"T"}, ExpirationDate: time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC), Fields: map[string]any{"a": 1}, Persist: false, RegisterCredentialStatus: ptr(false),
	})
	if err != nil || iss.JSON201 == nil {
		t.Fatalf("issue: %v %s", err, iss.Body)
	}
	id := iss.JSON201.Metadata.CredentialId
	if g, _ := c.GetCredentialWithResponse(ctx, id, nil); g.JSON200 == nil || g.JSON200.CredentialStatus != nil {
		t.Errorf("get before status registration = %s; want no status", g.Body)
	}
	rs, err := c.RegisterCredentialStatusWithResponse(ctx, ssiapi.RegisterCredentialStatusRequest{CredentialStatus: iss.JSON201.CredentialStatus, Namespace: ssiapi.DIDNamespaceTestnet})
	if err != nil || rs.JSON201 == nil || rs.JSON201.TransactionHash == nil || !hashPattern.MatchString(*rs.JSON201.TransactionHash) {
		t.Fatalf("registerCredentialStatus: %v %d %s", err, rs.StatusCode(), rs.Body)
	}
	if g, _ := c.GetCredentialWithResponse(ctx, id, nil); g.JSON200 == nil || g.JSON200.CredentialStatus == nil {
		t.Errorf("get after status registration = %s; want a status", g.Body)
	}

	// The holder signs a presentation; signDIDAuth signs whatever document it gets.
	vc := iss.JSON201.CredentialDocument
	unsigned := ssiapi.DIDDocument{AdditionalProperties: map[string]any{
		"@context": []string{"https://www.w3.org/2018/credentials/v1"}, "type": []string{"VerifiablePresentation"},
		"verifiableCredential": []any{vc}, "holder": d.Did,
	}}
	unsigned.Id = ptr("vp:hid:testnet:" + d.Did[len("did:hid:testnet:"):])
	signed, err := c.SignDIDAuthWithResponse(ctx, ssiapi.SignDIDRequest{Did: d.Did, DidDocument: &unsigned, VerificationMethodId: vm,
		Options: &ssiapi.SignDIDOptions{Purpose: ssiapi.SignDIDOptionsPurposeAuthentication, Challenge: "c1", Domain: "verifier.example"}})
	if err != nil || signed.JSON201 == nil || signed.JSON201.Proof.ProofValue == nil {
		t.Fatalf("signDIDAuth: %v %d %s", err, signed.StatusCode(), signed.Body)
	}
	verifyBody := func(presentation []byte) *ssiapi.VerifyPresentationResponse {
		t.Helper()
		r, err := c.VerifyPresentationWithBodyWithResponse(ctx, "application/json", strings.NewReader(`{"presentation":`+string(presentation)+`}`))
		if err != nil {
			t.Fatal(err)
		}
		return r
	}
	if v := verifyBody(signed.Body); v.JSON201 == nil || !v.JSON201.Verified {
		t.Errorf("verifyPresentation = %d %s; want 201 verified", v.StatusCode(), v.Body)
	}
	tampered := strings.Replace(string(signed.Body), `"holder":"`, `"holder":"x`, 1)
	if v := verifyBody([]byte(tampered)); v.StatusCode() != 500 {
		t.Errorf("verifyPresentation of a tampered presentation = %d %s; want 500", v.StatusCode(), v.Body)
	}
}
