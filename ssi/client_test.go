package ssi_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/entity-studio-go/entityauth"
	"github.com/entity-studio-go/entityauth/entityauthtest"
	"github.com/entity-studio-go/entityauth/gen/ssiapi"
	"github.com/entity-studio-go/entityauth/ssi"
)

func TestNewClientRefusesInsecureURLs(t *testing.T) {
	for _, u := range []string{"http://api.entity.hypersign.id", "ftp://127.0.0.1", "//no-scheme", "https://user:pw@api.entity.hypersign.id", "::"} {
		if _, err := ssi.NewClient(u, nil); !errors.Is(err, ssi.ErrInsecureURL) {
			t.Errorf("NewClient(%q) error = %v; want ErrInsecureURL", u, err)
		}
	}
	for _, u := range []string{"", ssi.DefaultBaseURL, "http://127.0.0.1:8080", "http://[::1]:1", "http://localhost:9/"} {
		if _, err := ssi.NewClient(u, nil); err != nil {
			t.Errorf("NewClient(%q) = %v; want no error", u, err)
		}
	}
}

// TestDIDLifecycle creates, registers and resolves a DID against real-shaped
// answers and checks each request the client sends.
func TestDIDLifecycle(t *testing.T) {
	s := newServer(t, func(w http.ResponseWriter, r *http.Request) {
		switch r.Method + " " + r.URL.EscapedPath() {
		case "POST /api/v1/did/create":
			answer(http.StatusCreated, createdDIDBody)(w, r)
		case "POST /api/v1/did/register":
			answer(http.StatusCreated, registeredDIDBody)(w, r)
		case "GET /api/v1/did/resolve/did:hid:testnet:zHPvaZ4NfRvZxaaTt2kCwCjLDpsj8aam6Ygy5bBunWbkJ":
			answer(http.StatusOK, resolvedDIDBody)(w, r)
		case "GET /api/v1/did/resolve/did:hid:testnet:unknown":
			answer(http.StatusOK, unknownDIDBody)(w, r)
		default:
			answer(http.StatusNotFound, `{"statusCode":404,"message":"Cannot `+r.Method+` `+r.URL.Path+`","error":"Not Found"}`)(w, r)
		}
	})
	c := newClient(t, s)
	ctx := t.Context()
	created, err := c.CreateDID(ctx, ssiapi.CreateDIDRequest{Namespace: ssiapi.DIDNamespaceTestnet})
	if err != nil {
		t.Fatalf("CreateDID: %v", err)
	}
	if created.RegistrationStatus != ssiapi.RegistrationStatusUnregistered || created.Did != *created.MetaData.DidDocument.Id {
		t.Errorf("CreateDID = %+v; want an UNREGISTRED DID with its document", created)
	}
	reg, err := c.RegisterDID(ctx, ssiapi.RegisterDIDRequest{DidDocument: created.MetaData.DidDocument, VerificationMethodId: created.Did + "#key-1"})
	if err != nil {
		t.Fatalf("RegisterDID: %v", err)
	}
	if reg.RegistrationStatus != ssiapi.RegistrationStatusCompleted || len(reg.TransactionHash) != 64 {
		t.Errorf("RegisterDID = %+v; want COMPLETED with a 64-digit hash", reg)
	}
	res, err := c.ResolveDID(ctx, reg.Did)
	if err != nil {
		t.Fatalf("ResolveDID: %v", err)
	}
	if res.DidDocumentMetadata == nil || *res.DidDocumentMetadata.VersionId != reg.TransactionHash || *res.Name != "Issuer Identity" {
		t.Errorf("ResolveDID = %+v; want metadata with versionId %s and the name", res, reg.TransactionHash)
	}
	unknown, err := c.ResolveDID(ctx, "did:hid:testnet:unknown")
	if err != nil {
		t.Fatalf("ResolveDID(unknown): %v", err)
	}
	if unknown.DidDocumentMetadata != nil || unknown.DidDocument.Id != nil {
		t.Errorf("ResolveDID(unknown) = %+v; want an empty document and nil metadata", unknown)
	}

	reqs := s.requests()
	if len(reqs) != 4 {
		t.Fatalf("server saw %d requests; want 4", len(reqs))
	}
	for _, r := range reqs {
		if r.Auth != "Bearer test-token" {
			t.Errorf("%s %s Authorization = %q; want the client's Bearer", r.Method, r.Path, r.Auth)
		}
	}
	if got, want := string(reqs[0].Body), `{"namespace":"testnet"}`; got != want {
		t.Errorf("createDID body = %s; want %s", got, want)
	}
	if reqs[0].ContentType != "application/json" {
		t.Errorf("createDID Content-Type = %q; want application/json", reqs[0].ContentType)
	}
	var regBody map[string]json.RawMessage
	if err := json.Unmarshal(reqs[1].Body, &regBody); err != nil || string(regBody["verificationMethodId"]) != `"`+created.Did+`#key-1"` || regBody["didDocument"] == nil {
		t.Errorf("registerDID body = %s; want the document and the verification method", reqs[1].Body)
	}
}

// TestCredentialLifecycle issues, fetches and revokes a credential.
func TestCredentialLifecycle(t *testing.T) {
	const id = "vc:hid:testnet:z6MksWreLv1rNkeoQxya5jqU6dpM9XPUTJqB9VnkFZMH1orx"
	s := newServer(t, func(w http.ResponseWriter, r *http.Request) {
		switch r.Method + " " + r.URL.EscapedPath() {
		case "POST /api/v1/credential/issue":
			answer(http.StatusCreated, issuedBody)(w, r)
		case "GET /api/v1/credential/" + id:
			answer(http.StatusOK, `{"credentialStatus":`+revokedBody+`,"metadata":{"credentialId":"`+id+`","persist":false,"issuerDid":"did:hid:testnet:z6MkfjCGR7uBpbnN5gB21LPtg7reHhw5RjBWC7LEJjFDZ3Zo","registerCredentialStatus":true,"transactionStatus":[{"txnHash":"AB","status":0,"id":"`+id+`","type":"REGISTER_CREDENTIAL_STATUS","message":{"code":0}}]}}`)(w, r)
		case "PATCH /api/v1/credential/status/" + id:
			answer(http.StatusOK, revokedBody)(w, r)
		default:
			answer(http.StatusNotFound, `{"statusCode":404,"message":"Cannot route","error":"Not Found"}`)(w, r)
		}
	})
	c := newClient(t, s)
	ctx := t.Context()
	issued, err := c.IssueCredential(ctx, ssiapi.IssueCredentialRequest{
		SubjectDid: "did:hid:testnet:z6MkfjCGR7uBpbnN5gB21LPtg7reHhw5RjBWC7LEJjFDZ3Zo", IssuerDid: "did:hid:testnet:z6MkfjCGR7uBpbnN5gB21LPtg7reHhw5RjBWC7LEJjFDZ3Zo",
		SchemaContext: []string{"https://schema.org"}, Type: []string{"RandomCredential"},
		ExpirationDate: time.Date(2027, 12, 10, 18, 30, 0, 0, time.UTC), Fields: map[string]any{"name": "varsha"},
		VerificationMethodId: "did:hid:testnet:z6MkfjCGR7uBpbnN5gB21LPtg7reHhw5RjBWC7LEJjFDZ3Zo#key-1", Persist: true,
	})
	if err != nil {
		t.Fatalf("IssueCredential: %v", err)
	}
	if issued.CredentialDocument.Id != id || !issued.Metadata.Persist || issued.CredentialStatus.Context == nil {
		t.Errorf("IssueCredential = %+v; want the credential, persist in metadata and an @context status", issued)
	}
	if len(issued.CredentialDocument.Context) != 3 {
		t.Errorf("credential @context has %d entries; want 3 (strings and an object)", len(issued.CredentialDocument.Context))
	}
	revoked, err := c.UpdateCredentialStatus(ctx, id, ssiapi.UpdateCredentialStatusRequest{Status: ssiapi.CredentialStatusChangeRevoke, IssuerDid: issued.Metadata.IssuerDid, VerificationMethodId: issued.Metadata.IssuerDid + "#key-1"})
	if err != nil {
		t.Fatalf("UpdateCredentialStatus: %v", err)
	}
	if !*revoked.Revoked || revoked.ChainContext == nil || *revoked.Proof.ClientSpecType != "CLIENT_SPEC_TYPE_NONE" {
		t.Errorf("UpdateCredentialStatus = %+v; want revoked, a context key and clientSpecType", revoked)
	}
	got, err := c.GetCredential(ctx, id, false)
	if err != nil {
		t.Fatalf("GetCredential: %v", err)
	}
	if got.CredentialDocument != nil || got.Metadata.TransactionStatus == nil || !*got.CredentialStatus.Revoked {
		t.Errorf("GetCredential = %+v; want no document, a revoked status and the transactions", got)
	}
	reqs := s.requests()
	if q := reqs[len(reqs)-1].RawQuery; q != "retrieveCredential=false" {
		t.Errorf("getCredential query = %q; want retrieveCredential=false", q)
	}
}

// TestAnswerErrors checks how the client reports answers it cannot use.
func TestAnswerErrors(t *testing.T) {
	t.Run("body too large", func(t *testing.T) {
		s := newServer(t, func(w http.ResponseWriter, _ *http.Request) {
			w.WriteHeader(http.StatusOK)
			_, _ = io.WriteString(w, `{"totalCount":1,"data":["`)
			_, _ = io.Copy(w, io.LimitReader(zeros{}, ssi.MaxResponseBytes))
			_, _ = io.WriteString(w, `"]}`)
		})
		_, err := newClient(t, s).ListDIDs(t.Context(), 0, 0)
		if !errors.Is(err, ssi.ErrBodyTooLarge) {
			t.Errorf("ListDIDs error = %v; want ErrBodyTooLarge", err)
		}
	})
	t.Run("success that is not JSON", func(t *testing.T) {
		s := newServer(t, answer(http.StatusOK, `[{"totalCount":1}]`))
		_, err := newClient(t, s).ListDIDs(t.Context(), 0, 0)
		if !errors.Is(err, ssi.ErrInvalidResponse) {
			t.Errorf("ListDIDs of an array error = %v; want ErrInvalidResponse", err)
		}
	})
	t.Run("other success status", func(t *testing.T) {
		s := newServer(t, answer(http.StatusOK, createdDIDBody))
		_, err := newClient(t, s).CreateDID(t.Context(), ssiapi.CreateDIDRequest{})
		var e *ssi.Error
		if !errors.As(err, &e) || e.StatusCode != http.StatusOK || e.Operation != "createDID" {
			t.Errorf("CreateDID answered 200 error = %v; want an *Error with status 200", err)
		}
	})
	t.Run("update of no template", func(t *testing.T) {
		s := newServer(t, func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusOK) })
		_, err := newClient(t, s).UpdatePresentationTemplate(t.Context(), "63fac3af702a991edd3e034f", ssiapi.PresentationTemplateUpdate{Domain: "hypersign.id"})
		if !errors.Is(err, ssi.ErrNotFound) {
			t.Errorf("UpdatePresentationTemplate of an empty 200 error = %v; want ErrNotFound", err)
		}
	})
	t.Run("context cancelled", func(t *testing.T) {
		release := make(chan struct{})
		s := newServer(t, func(_ http.ResponseWriter, r *http.Request) {
			select {
			case <-release:
			case <-r.Context().Done():
			}
		})
		defer close(release)
		ctx, cancel := context.WithCancel(t.Context())
		cancel()
		_, err := newClient(t, s).ListDIDs(ctx, 0, 0)
		if !errors.Is(err, context.Canceled) {
			t.Errorf("ListDIDs with a cancelled context error = %v; want context.Canceled", err)
		}
	})
}

// TestAnswersOutliveTheirBuffer checks that what a call returns, answers and
// errors alike, stays intact while later calls, concurrent ones included,
// reuse the buffers that answers are read into.
func TestAnswersOutliveTheirBuffer(t *testing.T) {
	s := newServer(t, func(w http.ResponseWriter, r *http.Request) {
		page := r.URL.Query().Get("page")
		if strings.HasPrefix(page, "-") {
			answer(http.StatusNotFound, `{"statusCode":404,"message":["page `+page+` is not found"],"error":"Not Found"}`)(w, r)
			return
		}
		answer(http.StatusOK, `{"totalCount":1000,"data":["did:hid:testnet:page`+page+`"]}`)(w, r)
	})
	c := newClient(t, s)
	first, err := c.ListDIDs(t.Context(), 1, 1)
	if err != nil {
		t.Fatal(err)
	}
	_, notFound := c.ListDIDs(t.Context(), -1, 1)
	check := func(i int) {
		l, err := c.ListDIDs(t.Context(), i, 1)
		if want := fmt.Sprintf("did:hid:testnet:page%d", i); err != nil || len(l.Data) != 1 || l.Data[0] != want {
			t.Errorf("ListDIDs(page %d) = %+v, %v; want [%s]", i, l, err, want)
		}
	}
	for i := 2; i < 20; i++ { // one after the other: most reuse the last buffer
		check(i)
	}
	var wg sync.WaitGroup
	for i := 20; i < 50; i++ {
		wg.Go(func() { check(i) })
	}
	wg.Wait()
	if first.Data[0] != "did:hid:testnet:page1" {
		t.Errorf("the first answer became %q; want did:hid:testnet:page1", first.Data[0])
	}
	var e *ssi.Error
	if !errors.As(notFound, &e) {
		t.Fatalf("ListDIDs(page -1) error = %v; want an *ssi.Error", notFound)
	}
	if want := []string{"page -1 is not found"}; !slices.Equal(e.Messages, want) || e.Reason != "Not Found" {
		t.Errorf("the error's messages became %q, reason %q; want %q, Not Found", e.Messages, e.Reason, want)
	}
}

type zeros struct{}

func (zeros) Read(p []byte) (int, error) {
	for i := range p {
		p[i] = 'a'
	}
	return len(p), nil
}

// TestThroughConfigClient calls the fake through Config.Client, which brings
// the Bearer token and one refresh when the SSI API drops the session.
func TestThroughConfigClient(t *testing.T) {
	srv := entityauthtest.Start(t, entityauthtest.Options{})
	cfg := &entityauth.Config{APISecretKey: srv.APIKey(), BaseURL: srv.URL, HTTPClient: srv.Client()}
	c, err := ssi.NewClient(srv.URL, cfg.Client(t.Context()))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.CreateDID(t.Context(), ssiapi.CreateDIDRequest{}); err != nil {
		t.Fatalf("CreateDID: %v", err)
	}
	srv.DropSessions()
	created, err := c.CreateDID(t.Context(), ssiapi.CreateDIDRequest{})
	if err != nil {
		t.Fatalf("CreateDID after the session was dropped: %v", err)
	}
	if !strings.HasPrefix(created.Did, "did:hid:") {
		t.Errorf("CreateDID did = %q; want did:hid:…", created.Did)
	}
	if got := srv.TokenRequests(); got != 2 {
		t.Errorf("token requests = %d; want 2 (one refresh)", got)
	}
}

func ptr[T any](v T) *T { return &v }

// TestZeroClient: the methods of a nil or zero Client return ErrNoClient, and
// the iterators yield it, instead of panicking.
func TestZeroClient(t *testing.T) {
	for name, c := range map[string]*ssi.Client{"zero": {}, "nil": nil} {
		t.Run(name, func(t *testing.T) {
			if _, err := c.ListDIDs(t.Context(), 0, 0); !errors.Is(err, ssi.ErrNoClient) {
				t.Errorf("ListDIDs error = %v; want ErrNoClient", err)
			}
			if _, err := c.UpdatePresentationTemplate(t.Context(), "63fac3af702a991edd3e034f", ssiapi.PresentationTemplateUpdate{}); !errors.Is(err, ssi.ErrNoClient) {
				t.Errorf("UpdatePresentationTemplate error = %v; want ErrNoClient", err)
			}
			if _, err := c.WaitRegistered(t.Context(), "did:hid:testnet:z6Mk1"); !errors.Is(err, ssi.ErrNoClient) {
				t.Errorf("WaitRegistered error = %v; want ErrNoClient", err)
			}
			if _, err := c.WaitCredentialStatus(t.Context(), "vc:hid:testnet:z6Mk1", ssiapi.CredentialStatusChangeLive); !errors.Is(err, ssi.ErrNoClient) {
				t.Errorf("WaitCredentialStatus error = %v; want ErrNoClient", err)
			}
			for _, err := range c.DIDs(t.Context()) {
				if !errors.Is(err, ssi.ErrNoClient) {
					t.Errorf("DIDs yielded error %v; want ErrNoClient", err)
				}
			}
			if c.Raw() != nil {
				t.Errorf("Raw() = %v; want nil", c.Raw())
			}
		})
	}
}

// TestDotSegmentIDs: an id that is empty, "." or ".." would make another
// route's path (GET /credential/. is GET /credential/, the list, which
// decodes into a zero Credential): every method that takes an id refuses
// it before sending anything.
func TestDotSegmentIDs(t *testing.T) {
	s := newServer(t, answer(http.StatusOK, `{"totalCount":1,"data":[{"credentialId":"vc:hid:testnet:z1","createdAt":"2025-11-19T07:47:15.632Z"}]}`))
	c := newClient(t, s)
	ctx := t.Context()
	for _, id := range []string{"", ".", ".."} {
		calls := map[string]func() error{
			"ResolveDID":    func() error { _, err := c.ResolveDID(ctx, id); return err },
			"GetCredential": func() error { _, err := c.GetCredential(ctx, id, false); return err },
			"UpdateCredentialStatus": func() error {
				_, err := c.UpdateCredentialStatus(ctx, id, ssiapi.UpdateCredentialStatusRequest{})
				return err
			},
			"GetPresentationTemplate": func() error { _, err := c.GetPresentationTemplate(ctx, id); return err },
			"UpdatePresentationTemplate": func() error {
				_, err := c.UpdatePresentationTemplate(ctx, id, ssiapi.PresentationTemplateUpdate{})
				return err
			},
			"WaitRegistered": func() error { _, err := c.WaitRegistered(ctx, id); return err },
			"WaitCredentialStatus": func() error {
				_, err := c.WaitCredentialStatus(ctx, id, ssiapi.CredentialStatusChangeLive)
				return err
			},
			"DeletePresentationTemplate": func() error { _, err := c.DeletePresentationTemplate(ctx, id); return err },
			"GetSSIStatus":               func() error { _, err := c.GetSSIStatus(ctx, id, 0, 0); return err },
			"GetTransactionStatus":       func() error { _, err := c.GetTransactionStatus(ctx, id, 0, 0); return err },
		}
		for name, call := range calls {
			if err := call(); !errors.Is(err, ssi.ErrInvalidID) {
				t.Errorf("%s(%q) error = %v; want ErrInvalidID", name, id, err)
			}
		}
	}
	if reqs := s.requests(); len(reqs) != 0 {
		t.Errorf("the server got %d requests, the first %s %s; want none", len(reqs), reqs[0].Method, reqs[0].Path)
	}
	// Ids that merely hold dots are ids: they are sent, escaped.
	if _, err := c.GetCredential(ctx, "../did", false); err != nil && errors.Is(err, ssi.ErrInvalidID) {
		t.Errorf("GetCredential(../did) error = %v; want it sent", err)
	}
	if reqs := s.requests(); len(reqs) != 1 || reqs[0].Path != "/api/v1/credential/..%2Fdid" {
		t.Errorf("requests = %+v; want one to /api/v1/credential/..%%2Fdid", reqs)
	}
}

// TestDecodeErrorRedactsToken: a success answer that echoes the token sent
// into a typed field fails to decode with an ErrInvalidResponse whose text
// holds no part of the token, whatever the decoder quotes.
func TestDecodeErrorRedactsToken(t *testing.T) {
	s := newServer(t, func(w http.ResponseWriter, r *http.Request) {
		tok := strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer ")
		answer(http.StatusOK, `{"totalCount":1,"data":[{"credentialId":"vc:hid:testnet:z1","createdAt":"`+tok+"\\n\\u001b[2K"+`"}]}`)(w, r)
	})
	_, err := newClient(t, s).ListCredentials(t.Context(), 0, 0, "")
	if !errors.Is(err, ssi.ErrInvalidResponse) {
		t.Fatalf("ListCredentials error = %v; want ErrInvalidResponse", err)
	}
	if msg := err.Error(); strings.Contains(msg, "test-token") || strings.ContainsAny(msg, "\n\x1b") {
		t.Errorf("error = %q; want no token, newline or ESC", msg)
	}
}
