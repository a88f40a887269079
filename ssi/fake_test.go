package ssi_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/entity-studio-go/entityauth"
	"github.com/entity-studio-go/entityauth/entityauthtest"
	"github.com/entity-studio-go/entityauth/gen/ssiapi"
	"github.com/entity-studio-go/entityauth/ssi"
)

// These tests run package ssi end to end: an ssi.Client on the client of
// entityauth.Config.Client, against the stateful fake of entityauthtest.

var (
	fakeDIDPattern  = regexp.MustCompile(`^did:hid:testnet:z6Mk[1-9A-HJ-NP-Za-km-z]{43,44}$`)
	fakeVCPattern   = regexp.MustCompile(`^vc:hid:testnet:z6Mk[1-9A-HJ-NP-Za-km-z]{43,44}$`)
	fakeHashPattern = regexp.MustCompile(`^[0-9A-F]{64}$`)
)

// fakeClient returns an ssi.Client for srv on cfg.Client, with cfg's key and
// base URL filled in.
func fakeClient(t *testing.T, srv *entityauthtest.Server, cfg entityauth.Config) *ssi.Client {
	t.Helper()
	cfg.APISecretKey, cfg.BaseURL = srv.APIKey(), srv.URL
	c, err := ssi.NewClient(srv.URL, cfg.Client(t.Context()))
	if err != nil {
		t.Fatalf("NewClient: %v", err)
	}
	return c
}

// newDID creates a testnet DID and fails the test otherwise.
func newDID(t *testing.T, c *ssi.Client, req ssiapi.CreateDIDRequest) *ssiapi.CreatedDID {
	t.Helper()
	req.Namespace = ssiapi.DIDNamespaceTestnet
	created, err := c.CreateDID(t.Context(), req)
	if err != nil {
		t.Fatalf("CreateDID: %v", err)
	}
	return created
}

// newIssuer creates and registers a testnet DID, waits until it is on
// chain, and returns it with its first verification method.
func newIssuer(t *testing.T, c *ssi.Client) (did, vm string) {
	t.Helper()
	created := newDID(t, c, ssiapi.CreateDIDRequest{})
	vm = created.Did + "#key-1"
	if _, err := c.RegisterDID(t.Context(), ssiapi.RegisterDIDRequest{DidDocument: created.MetaData.DidDocument, VerificationMethodId: vm}); err != nil {
		t.Fatalf("RegisterDID: %v", err)
	}
	if _, err := c.WaitRegistered(t.Context(), created.Did); err != nil {
		t.Fatalf("WaitRegistered: %v", err)
	}
	return created.Did, vm
}

func credentialRequest(issuer, vm string) ssiapi.IssueCredentialRequest {
	return ssiapi.IssueCredentialRequest{
		IssuerDid: issuer, VerificationMethodId: vm, SubjectDid: issuer,
		SchemaContext: []string{"https://schema.org"}, Type: []string{"StudentCredential"},
		ExpirationDate: time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC), Fields: map[string]any{"name": "Ada"}, Persist: true,
	}
}

// TestFakeLifecycle calls every method of Client against the fake in direct
// mode (an app without a fee grant), in the order a backend would: DIDs,
// credentials and their status, presentation templates and requests, a
// signed presentation, and the routes that an API-key token may not use.
func TestFakeLifecycle(t *testing.T) {
	srv := entityauthtest.Start(t, entityauthtest.Options{DirectMode: true})
	c := fakeClient(t, srv, entityauth.Config{})
	ctx := t.Context()

	// DIDs: create, resolve, register, resolve, list, update, add a key.
	created := newDID(t, c, ssiapi.CreateDIDRequest{Options: &ssiapi.CreateDIDOptions{Name: "issuer"}})
	if !fakeDIDPattern.MatchString(created.Did) || created.RegistrationStatus != ssiapi.RegistrationStatusUnregistered {
		t.Fatalf("CreateDID = %s %s; want did:hid:testnet:z6Mk…, UNREGISTRED", created.Did, created.RegistrationStatus)
	}
	res, err := c.ResolveDID(ctx, created.Did)
	if err != nil || res.DidDocumentMetadata != nil || res.Name == nil || *res.Name != "issuer" {
		t.Fatalf("ResolveDID before RegisterDID = %+v, %v; want no metadata, name issuer", res, err)
	}
	vm := created.Did + "#key-1"
	reg, err := c.RegisterDID(ctx, ssiapi.RegisterDIDRequest{DidDocument: created.MetaData.DidDocument, VerificationMethodId: vm})
	if err != nil || reg.RegistrationStatus != ssiapi.RegistrationStatusCompleted || !fakeHashPattern.MatchString(reg.TransactionHash) {
		t.Fatalf("RegisterDID = %+v, %v; want COMPLETED with a transaction hash", reg, err)
	}
	res, err = c.ResolveDID(ctx, created.Did)
	if err != nil || res.DidDocumentMetadata == nil || res.DidDocumentMetadata.VersionId == nil || *res.DidDocumentMetadata.VersionId != reg.TransactionHash {
		t.Fatalf("ResolveDID after RegisterDID = %+v, %v; want versionId %s", res, err, reg.TransactionHash)
	}
	unknown, err := c.ResolveDID(ctx, "did:hid:testnet:z6MkUnknownUnknownUnknownUnknownUnknownUnknownUnk")
	if err != nil || unknown.DidDocumentMetadata != nil || unknown.DidDocument.Id != nil {
		t.Errorf("ResolveDID of an unknown DID = %+v, %v; want an empty document without metadata", unknown, err)
	}
	list, err := c.ListDIDs(ctx, 0, 0)
	if err != nil || list.TotalCount != 1 || !slices.Equal(list.Data, []string{created.Did}) {
		t.Errorf("ListDIDs = %+v, %v; want the one DID", list, err)
	}
	upd, err := c.UpdateDID(ctx, ssiapi.UpdateDIDRequest{Did: created.Did, Name: "issuer-2"})
	if err != nil || upd.Name == nil || *upd.Name != "issuer-2" {
		t.Errorf("UpdateDID (rename) = %+v, %v; want name issuer-2", upd, err)
	}
	doc, err := c.AddVerificationMethod(ctx, ssiapi.AddVerificationMethodRequest{Did: created.Did, Type: ssiapi.KeyTypeEd25519VerificationKey2020, PublicKeyMultibase: "z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK"})
	if err != nil || len(doc.VerificationMethod) != 2 || doc.VerificationMethod[1].Id != created.Did+"#key-2" {
		t.Errorf("AddVerificationMethod = %+v, %v; want key-2 added", doc, err)
	}

	// Credentials: issue, fetch, suspend, revoke, list.
	issued, err := c.IssueCredential(ctx, credentialRequest(created.Did, vm))
	if err != nil {
		t.Fatalf("IssueCredential: %v", err)
	}
	id := issued.Metadata.CredentialId
	if !fakeVCPattern.MatchString(id) || issued.CredentialDocument.Id != id || !issued.Metadata.Persist {
		t.Fatalf("IssueCredential = id %s, document %s, persist %v; want a vc:hid:testnet:z6Mk… id, persisted", id, issued.CredentialDocument.Id, issued.Metadata.Persist)
	}
	got, err := c.GetCredential(ctx, id, true)
	if err != nil || got.CredentialDocument == nil || got.CredentialDocument.Id != id || got.CredentialStatus == nil || *got.CredentialStatus.Revoked {
		t.Fatalf("GetCredential(retrieveCredential) = %+v, %v; want the live document", got, err)
	}
	if got, err := c.GetCredential(ctx, id, false); err != nil || got.CredentialDocument != nil {
		t.Errorf("GetCredential = %+v, %v; want no document", got, err)
	}
	change := func(s ssiapi.CredentialStatusChange) (*ssiapi.CredentialStatus, error) {
		return c.UpdateCredentialStatus(ctx, id, ssiapi.UpdateCredentialStatusRequest{Status: s, IssuerDid: created.Did, VerificationMethodId: vm})
	}
	if st, err := change(ssiapi.CredentialStatusChangeSuspend); err != nil || !*st.Suspended || *st.Revoked {
		t.Errorf("SUSPEND = %+v, %v; want suspended", st, err)
	}
	if st, err := change(ssiapi.CredentialStatusChangeRevoke); err != nil || !*st.Revoked {
		t.Errorf("REVOKE = %+v, %v; want revoked", st, err)
	}
	if _, err := change(ssiapi.CredentialStatusChangeLive); !errors.Is(err, ssi.ErrValidation) {
		t.Errorf("LIVE after REVOKE: %v; want ErrValidation", err)
	}
	creds, err := c.ListCredentials(ctx, 1, 10, created.Did)
	if err != nil || creds.TotalCount != 1 || creds.Data[0].CredentialId != id {
		t.Errorf("ListCredentials = %+v, %v; want the one credential", creds, err)
	}

	// A credential issued without its status on chain, registered afterwards.
	unreg := credentialRequest(created.Did, vm)
	unreg.RegisterCredentialStatus = ptr(false)
	issued2, err := c.IssueCredential(ctx, unreg)
	if err != nil {
		t.Fatalf("IssueCredential without status: %v", err)
	}
	tx, err := c.RegisterCredentialStatus(ctx, ssiapi.RegisterCredentialStatusRequest{CredentialStatus: issued2.CredentialStatus, Namespace: ssiapi.DIDNamespaceTestnet})
	if err != nil || tx.TransactionHash == nil || !fakeHashPattern.MatchString(*tx.TransactionHash) {
		t.Errorf("RegisterCredentialStatus = %+v, %v; want a transaction hash", tx, err)
	}

	// Presentation templates and requests.
	tmpl := ssiapi.PresentationTemplateRequest{Domain: "https://verifier.example", Name: "Age Check", Query: []ssiapi.PresentationQuery{{Type: ssiapi.PresentationQueryTypeQueryByExample}}}
	pt, err := c.CreatePresentationTemplate(ctx, tmpl)
	if err != nil || pt.Name != "AgeCheck" {
		t.Fatalf("CreatePresentationTemplate = %+v, %v; want name AgeCheck", pt, err)
	}
	if g, err := c.GetPresentationTemplate(ctx, pt.UnderscoreId); err != nil || g.Domain != tmpl.Domain {
		t.Errorf("GetPresentationTemplate = %+v, %v", g, err)
	}
	// Only the fields set change.
	if u, err := c.UpdatePresentationTemplate(ctx, pt.UnderscoreId, ssiapi.PresentationTemplateUpdate{Domain: "https://other.example"}); err != nil || u.Domain != "https://other.example" || u.Name != "AgeCheck" {
		t.Errorf("UpdatePresentationTemplate = %+v, %v; want domain https://other.example, name AgeCheck kept", u, err)
	}
	if l, err := c.ListPresentationTemplates(ctx, 0, 0); err != nil || l.TotalCount != 1 {
		t.Errorf("ListPresentationTemplates = %+v, %v; want 1", l, err)
	}
	preq, err := c.CreatePresentationRequest(ctx, ssiapi.NewPresentationRequest{Challenge: "c1", Did: created.Did, TemplateId: pt.UnderscoreId, ExpiresTime: 4102444800000, CallbackUrl: "https://verifier.example/cb"})
	if err != nil || preq.Body.Challenge != "c1" || preq.From != created.Did {
		t.Errorf("CreatePresentationRequest = %+v, %v; want challenge c1 from %s", preq, err, created.Did)
	}
	if d, err := c.DeletePresentationTemplate(ctx, pt.UnderscoreId); err != nil || d.UnderscoreId != pt.UnderscoreId {
		t.Errorf("DeletePresentationTemplate = %+v, %v", d, err)
	}
	if _, err := c.GetPresentationTemplate(ctx, pt.UnderscoreId); !errors.Is(err, ssi.ErrNotFound) {
		t.Errorf("GetPresentationTemplate after delete: %v; want ErrNotFound", err)
	}

	// The holder signs a presentation of the credential; the fake verifies it.
	unsigned := ssiapi.DIDDocument{Id: ptr("vp:hid:testnet:" + strings.TrimPrefix(created.Did, "did:hid:testnet:")), AdditionalProperties: map[string]any{
		"@context": []string{"https://www.w3.org/2018/credentials/v1"}, "type": []string{"VerifiablePresentation"},
		"verifiableCredential": []any{issued2.CredentialDocument}, "holder": created.Did,
	}}
	signed, err := c.SignDIDAuth(ctx, ssiapi.SignDIDRequest{Did: created.Did, DidDocument: &unsigned, VerificationMethodId: vm,
		Options: &ssiapi.SignDIDOptions{Purpose: ssiapi.SignDIDOptionsPurposeAuthentication, Challenge: "c1", Domain: "verifier.example"}})
	if err != nil || signed.Proof.ProofValue == nil {
		t.Fatalf("SignDIDAuth = %+v, %v; want a proof", signed, err)
	}
	vp := presentation(t, signed)
	if v, err := c.VerifyPresentation(ctx, ssiapi.VerifyPresentationRequest{Presentation: vp}); err != nil || !v.Verified {
		t.Errorf("VerifyPresentation = %+v, %v; want verified", v, err)
	}
	vp.Holder += "x"
	if _, err := c.VerifyPresentation(ctx, ssiapi.VerifyPresentationRequest{Presentation: vp}); !errors.Is(err, ssi.ErrServer) {
		t.Errorf("VerifyPresentation of a tampered presentation: %v; want ErrServer", err)
	}

	// The routes that an API-key token may not use.
	if _, err := c.VerifyDIDAuth(ctx, ssiapi.VerifyDIDRequest{SignedDidDocument: *signed}); !errors.Is(err, ssi.ErrPermissionDenied) {
		t.Errorf("VerifyDIDAuth: %v; want ErrPermissionDenied", err)
	}
	if _, err := c.GetSSIStatus(ctx, created.Did, 0, 0); !errors.Is(err, ssi.ErrPermissionDenied) {
		t.Errorf("GetSSIStatus: %v; want ErrPermissionDenied", err)
	}
	if _, err := c.GetTransactionStatus(ctx, reg.TransactionHash, 0, 0); !errors.Is(err, ssi.ErrPermissionDenied) {
		t.Errorf("GetTransactionStatus: %v; want ErrPermissionDenied", err)
	}

	if got := srv.TokenRequests(); got != 1 {
		t.Errorf("token requests = %d; want 1 for the whole walk", got)
	}
}

// presentation turns a document signed by SignDIDAuth into the presentation
// that VerifyPresentation takes: the same JSON in another type.
func presentation(t *testing.T, signed *ssiapi.SignedDIDDocument) ssiapi.VerifiablePresentation {
	t.Helper()
	b, err := json.Marshal(signed)
	if err != nil {
		t.Fatal(err)
	}
	var vp ssiapi.VerifiablePresentation
	if err := json.Unmarshal(b, &vp); err != nil {
		t.Fatal(err)
	}
	return vp
}

// TestFakeIteratorsFollowPages walks more than one page of DIDs and of an
// issuer's credentials, and checks the order and the requests.
func TestFakeIteratorsFollowPages(t *testing.T) {
	const nDIDs = 2*ssi.PageSize + 5                                       // three pages, the last one short
	srv := entityauthtest.Start(t, entityauthtest.Options{ChainDelay: -1}) // registrations land at the next request
	c := fakeClient(t, srv, entityauth.Config{})
	ctx := t.Context()

	var want []string
	for range nDIDs {
		want = append(want, newDID(t, c, ssiapi.CreateDIDRequest{}).Did)
	}
	srv.ResetRequests()
	var got []string
	for did, err := range c.DIDs(ctx) {
		if err != nil {
			t.Fatalf("DIDs: %v", err)
		}
		got = append(got, did)
	}
	if !slices.Equal(got, want) {
		t.Errorf("DIDs yielded %d DIDs; want the %d created, oldest first", len(got), len(want))
	}
	var queries []string
	for _, r := range srv.Requests() {
		queries = append(queries, r.Method+" "+r.Path+"?"+r.RawQuery)
	}
	wantQueries := []string{
		"GET /api/v1/did?page=1&limit=100",
		"GET /api/v1/did?page=2&limit=100",
		"GET /api/v1/did?page=3&limit=100",
	}
	if !slices.Equal(queries, wantQueries) {
		t.Errorf("requests = %q; want %q", queries, wantQueries)
	}

	// Credentials of one issuer, across two pages, with another issuer's
	// credential in the app that the filter leaves out.
	issuer, vm := newIssuer(t, c)
	other, otherVM := newIssuer(t, c)
	if _, err := c.IssueCredential(ctx, credentialRequest(other, otherVM)); err != nil {
		t.Fatal(err)
	}
	var wantIDs []string
	for range ssi.PageSize + 1 {
		issued, err := c.IssueCredential(ctx, credentialRequest(issuer, vm))
		if err != nil {
			t.Fatal(err)
		}
		wantIDs = append(wantIDs, issued.Metadata.CredentialId)
	}
	srv.ResetRequests()
	var ids []string
	for cred, err := range c.Credentials(ctx, issuer) {
		if err != nil {
			t.Fatalf("Credentials: %v", err)
		}
		ids = append(ids, cred.CredentialId)
	}
	slices.Sort(ids)
	slices.Sort(wantIDs)
	if !slices.Equal(ids, wantIDs) || srv.APIRequests() != 2 {
		t.Errorf("Credentials yielded %d credentials in %d requests; want the issuer's %d in 2", len(ids), srv.APIRequests(), len(wantIDs))
	}
}

// TestFakeSentinels reaches each sentinel from a real answer of the fake and
// checks that the error matches it, and no sentinel of another class.
func TestFakeSentinels(t *testing.T) {
	all := []error{ssi.ErrValidation, ssi.ErrCreditsExhausted, ssi.ErrInvalidGrant, ssi.ErrUnauthorized, ssi.ErrOriginMismatch,
		ssi.ErrPermissionDenied, ssi.ErrNotFound, ssi.ErrConflict, ssi.ErrServer}
	tests := []struct {
		name   string
		opts   entityauthtest.Options
		call   func(t *testing.T, srv *entityauthtest.Server) error
		want   []error // every sentinel the error matches
		status int
		msg    string // one of the server's messages
	}{
		{
			name: "validation, a list of messages",
			call: func(t *testing.T, srv *entityauthtest.Server) error {
				_, err := fakeClient(t, srv, entityauth.Config{}).CreateDID(t.Context(), ssiapi.CreateDIDRequest{MethodSpecificId: "short"})
				return err
			},
			want: []error{ssi.ErrValidation}, status: http.StatusBadRequest,
			msg: "methodSpecificId must be longer than or equal to 32 characters",
		},
		{
			name: "validation, one message",
			call: func(t *testing.T, srv *entityauthtest.Server) error {
				_, err := fakeClient(t, srv, entityauth.Config{}).CreateDID(t.Context(), ssiapi.CreateDIDRequest{MethodSpecificId: "a:b"})
				return err
			},
			want: []error{ssi.ErrValidation}, status: http.StatusBadRequest, msg: "Invalid method-specific ID",
		},
		{
			name: "credits exhausted",
			call: func(t *testing.T, srv *entityauthtest.Server) error {
				srv.SetCredits(false)
				_, err := fakeClient(t, srv, entityauth.Config{}).ListDIDs(t.Context(), 0, 0)
				return err
			},
			want: []error{ssi.ErrCreditsExhausted}, status: http.StatusBadRequest,
			msg: "No credits found or credit exhausted. Please contact the admin",
		},
		{
			name: "credits run out",
			opts: entityauthtest.Options{Credits: 8},
			call: func(t *testing.T, srv *entityauthtest.Server) error {
				c := fakeClient(t, srv, entityauth.Config{})
				if _, err := c.CreateDID(t.Context(), ssiapi.CreateDIDRequest{}); err != nil { // 7 credits
					return fmt.Errorf("the first CreateDID: %w", err)
				}
				_, err := c.CreateDID(t.Context(), ssiapi.CreateDIDRequest{})
				return err
			},
			want: []error{ssi.ErrCreditsExhausted}, status: http.StatusBadRequest,
			msg: "No credits found or credit exhausted. Please contact the admin",
		},
		{
			name: "invalid grant",
			call: func(t *testing.T, srv *entityauthtest.Server) error {
				// The first token creates the app's session; a later one
				// carries the grant type it asked for.
				if _, err := fakeClient(t, srv, entityauth.Config{}).ListDIDs(t.Context(), 0, 0); err != nil {
					return fmt.Errorf("the first ListDIDs: %w", err)
				}
				_, err := fakeClient(t, srv, entityauth.Config{GrantType: "client_credentials"}).ListDIDs(t.Context(), 0, 0)
				return err
			},
			want: []error{ssi.ErrInvalidGrant}, status: http.StatusBadRequest, msg: "Invalid grant type",
		},
		{
			name: "no token",
			call: func(t *testing.T, srv *entityauthtest.Server) error {
				c, err := ssi.NewClient(srv.URL, srv.Client())
				if err != nil {
					return err
				}
				_, err = c.ListDIDs(t.Context(), 0, 0)
				return err
			},
			want: []error{ssi.ErrUnauthorized}, status: http.StatusUnauthorized, msg: "Please pass access token",
		},
		{
			name: "origin mismatch",
			opts: entityauthtest.Options{AllowedOrigins: []string{"https://app.example"}},
			call: func(t *testing.T, srv *entityauthtest.Server) error {
				_, err := fakeClient(t, srv, entityauth.Config{Origin: "https://evil.example"}).ListDIDs(t.Context(), 0, 0)
				return err
			},
			want: []error{ssi.ErrUnauthorized, ssi.ErrOriginMismatch}, status: http.StatusUnauthorized, msg: "Origin mismatch",
		},
		{
			name: "permission denied",
			call: func(t *testing.T, srv *entityauthtest.Server) error {
				_, err := fakeClient(t, srv, entityauth.Config{}).GetSSIStatus(t.Context(), "did:hid:testnet:z6MkUnknown", 0, 0)
				return err
			},
			want: []error{ssi.ErrPermissionDenied}, status: http.StatusForbidden, msg: "Permission denied: Missing access rights",
		},
		{
			name: "not found",
			call: func(t *testing.T, srv *entityauthtest.Server) error {
				_, err := fakeClient(t, srv, entityauth.Config{}).GetCredential(t.Context(), "vc:hid:testnet:z6MkUnknown", false)
				return err
			},
			want: []error{ssi.ErrNotFound}, status: http.StatusNotFound, msg: "vc:hid:testnet:z6MkUnknown is not found",
		},
		{
			name: "not found, as 200 with an empty body",
			call: func(t *testing.T, srv *entityauthtest.Server) error {
				_, err := fakeClient(t, srv, entityauth.Config{}).UpdatePresentationTemplate(t.Context(), "0123456789abcdef01234567",
					ssiapi.PresentationTemplateUpdate{Domain: "https://verifier.example"})
				return err
			},
			want: []error{ssi.ErrNotFound}, status: http.StatusOK,
		},
		{
			name: "conflict",
			call: func(t *testing.T, srv *entityauthtest.Server) error {
				c := fakeClient(t, srv, entityauth.Config{})
				req := ssiapi.CreateDIDRequest{MethodSpecificId: "ConflictConflictConflictConflict42", Namespace: ssiapi.DIDNamespaceTestnet}
				if _, err := c.CreateDID(t.Context(), req); err != nil {
					return fmt.Errorf("the first CreateDID: %w", err)
				}
				_, err := c.CreateDID(t.Context(), req)
				return err
			},
			want: []error{ssi.ErrConflict}, status: http.StatusConflict, msg: "Duplicate key error",
		},
		{
			name: "server",
			call: func(t *testing.T, srv *entityauthtest.Server) error {
				srv.Enqueue(entityauthtest.APIEndpoint, entityauthtest.InternalServerError())
				_, err := fakeClient(t, srv, entityauth.Config{}).ListDIDs(t.Context(), 0, 0)
				return err
			},
			want: []error{ssi.ErrServer}, status: http.StatusInternalServerError,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := entityauthtest.Start(t, tt.opts)
			err := tt.call(t, srv)
			var e *ssi.Error
			if !errors.As(err, &e) {
				t.Fatalf("error %v (%T); want an *ssi.Error", err, err)
			}
			for _, s := range all {
				if got, want := errors.Is(err, s), slices.Contains(tt.want, s); got != want {
					t.Errorf("errors.Is(%v, %v) = %v; want %v", err, s, got, want)
				}
			}
			if e.StatusCode != tt.status {
				t.Errorf("StatusCode = %d; want %d", e.StatusCode, tt.status)
			}
			if tt.msg != "" && !slices.Contains(e.Messages, tt.msg) {
				t.Errorf("Messages = %q; want %q among them", e.Messages, tt.msg)
			}
			assertNoSecret(t, err.Error(), srv)
		})
	}
}

// assertNoSecret fails if text holds the fake's key or any token it issued.
func assertNoSecret(t *testing.T, text string, srv *entityauthtest.Server) {
	t.Helper()
	if strings.Contains(text, srv.APIKey()) {
		t.Errorf("%q holds the API key", text)
	}
	for _, r := range srv.Requests() {
		if tok := strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer "); tok != "" && strings.Contains(text, tok) {
			t.Errorf("%q holds a token", text)
		}
	}
}

// TestFakeDroppedSession ends the app's session on the server before a call
// and in the middle of an iteration: each time, the call costs one token
// request and one repeated API request, and succeeds. Each case has a fake
// (and so a Config) of its own: the clients of one Config refresh after a 401
// at most once a minute together (see entityauth.Transport).
func TestFakeDroppedSession(t *testing.T) {
	for _, tc := range []struct {
		name string
		dids int                                                                 // created first, which the fake accepts
		call func(t *testing.T, srv *entityauthtest.Server, c *ssi.Client) error // drops the session and calls
		api  int                                                                 // API requests the call makes
	}{
		{"ListDIDs (GET)", 1, func(t *testing.T, srv *entityauthtest.Server, c *ssi.Client) error {
			srv.DropSessions()
			_, err := c.ListDIDs(t.Context(), 1, 1)
			return err
		}, 2},
		{"CreateDID (POST with a body)", 1, func(t *testing.T, srv *entityauthtest.Server, c *ssi.Client) error {
			srv.DropSessions()
			_, err := c.CreateDID(t.Context(), ssiapi.CreateDIDRequest{})
			return err
		}, 2},
		{"DIDs, dropped after page 1", ssi.PageSize + 1, func(t *testing.T, srv *entityauthtest.Server, c *ssi.Client) error {
			n := 0
			for _, err := range c.DIDs(t.Context()) {
				if err != nil {
					return err
				}
				if n++; n == 1 {
					srv.DropSessions()
				}
			}
			if n != ssi.PageSize+1 {
				t.Errorf("DIDs yielded %d across a dropped session; want %d", n, ssi.PageSize+1)
			}
			return nil
		}, 3}, // page 1, page 2 twice
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := entityauthtest.Start(t, entityauthtest.Options{})
			c := fakeClient(t, srv, entityauth.Config{})
			for range tc.dids {
				newDID(t, c, ssiapi.CreateDIDRequest{})
			}
			t0, a0 := srv.TokenRequests(), srv.APIRequests()
			if err := tc.call(t, srv, c); err != nil {
				t.Fatalf("after DropSessions: %v", err)
			}
			if tokens, api := srv.TokenRequests()-t0, srv.APIRequests()-a0; tokens != 1 || api != tc.api {
				t.Errorf("after DropSessions: %d token and %d API requests; want 1 and %d", tokens, api, tc.api)
			}
		})
	}
}
