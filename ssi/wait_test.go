package ssi_test

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/entity-studio-go/entityauth"
	"github.com/entity-studio-go/entityauth/entityauthtest"
	"github.com/entity-studio-go/entityauth/gen/ssiapi"
	"github.com/entity-studio-go/entityauth/ssi"
)

// pipeClient returns an ssi.Client for a pipe server, for use in a synctest
// bubble.
func pipeClient(t *testing.T, srv *entityauthtest.Server) *ssi.Client {
	t.Helper()
	cfg := &entityauth.Config{APISecretKey: srv.APIKey(), BaseURL: srv.URL, HTTPClient: srv.Client()}
	c, err := ssi.NewClient(srv.URL, cfg.Client(t.Context()))
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// polls returns the times of the requests to path (a prefix) that reached srv.
func polls(srv *entityauthtest.Server, method, path string) []time.Time {
	var out []time.Time
	for _, r := range srv.Requests() {
		if r.Method == method && strings.HasPrefix(r.Path, path) {
			out = append(out, r.Time)
		}
	}
	return out
}

// TestProductionFlow walks the production flow against the fake's default,
// queued mode, in virtual time: create → register (UNREGISTRED, no hash) →
// WaitRegistered → issue → WaitCredentialStatus LIVE → revoke →
// WaitCredentialStatus REVOKE. It checks that each step that is too early
// fails as production does, and that each wait ends once the chain caught up.
func TestProductionFlow(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		const delay = 8 * time.Second
		srv := entityauthtest.NewPipeServer(entityauthtest.Options{ChainDelay: delay})
		defer srv.Close()
		c := pipeClient(t, srv)
		ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
		defer cancel()

		created, err := c.CreateDID(ctx, ssiapi.CreateDIDRequest{Namespace: ssiapi.DIDNamespaceTestnet})
		if err != nil {
			t.Fatal(err)
		}
		vm := ssi.VerificationMethodID(created.MetaData.DidDocument)
		start := time.Now()
		reg, err := c.RegisterDID(ctx, ssiapi.RegisterDIDRequest{DidDocument: created.MetaData.DidDocument, VerificationMethodId: vm})
		if err != nil {
			t.Fatal(err)
		}
		if reg.RegistrationStatus != ssiapi.RegistrationStatusUnregistered || reg.TransactionHash != "" {
			t.Fatalf("RegisterDID = %s %q; want UNREGISTRED with an empty hash", reg.RegistrationStatus, reg.TransactionHash)
		}
		if n := srv.QueuedTransactions(); n != 1 {
			t.Errorf("QueuedTransactions after RegisterDID = %d; want 1", n)
		}

		resolved, err := c.WaitRegistered(ctx, created.Did)
		if err != nil {
			t.Fatalf("WaitRegistered: %v", err)
		}
		// Polls come at about 0, 1, 3, 7 and 15 s (each interval within a
		// fifth): the one that sees the DID, landed at 8 s, comes by 18 s.
		if waited := time.Since(start); waited < delay || waited > 18*time.Second {
			t.Errorf("WaitRegistered returned after %v; want between the chain delay %v and 18s", waited, delay)
		}
		if m := resolved.DidDocumentMetadata; m == nil || m.VersionId == nil || len(*m.VersionId) != 64 || resolved.DidDocument.Id == nil || *resolved.DidDocument.Id != created.Did {
			t.Fatalf("WaitRegistered = %+v; want the DID's own document with a versionId", resolved)
		}
		if n := len(polls(srv, http.MethodGet, "/api/v1/did/resolve/")); n < 2 || n > 6 {
			t.Errorf("WaitRegistered made %d polls in %v; want 2 to 6 (backoff)", n, time.Since(start))
		}

		issued, err := c.IssueCredential(ctx, credentialRequest(created.Did, vm))
		if err != nil {
			t.Fatalf("IssueCredential after WaitRegistered: %v", err)
		}
		id := issued.Metadata.CredentialId
		revoke := ssiapi.UpdateCredentialStatusRequest{Status: ssiapi.CredentialStatusChangeRevoke, IssuerDid: created.Did, VerificationMethodId: vm}
		_, err = c.UpdateCredentialStatus(ctx, id, revoke)
		if !errors.Is(err, ssi.ErrValidation) || !strings.Contains(err.Error(), "No credential status found. Probably invalid credentialId") {
			t.Errorf("UpdateCredentialStatus before the status landed: %v; want 400 No credential status found", err)
		}
		if got, err := c.GetCredential(ctx, id, false); err != nil || got.CredentialStatus != nil {
			t.Errorf("GetCredential before the status landed = %+v, %v; want no credentialStatus", got, err)
		}

		live, err := c.WaitCredentialStatus(ctx, id, ssiapi.CredentialStatusChangeLive)
		if err != nil {
			t.Fatalf("WaitCredentialStatus LIVE: %v", err)
		}
		if st := live.CredentialStatus; st == nil || *st.Revoked || *st.Suspended {
			t.Fatalf("WaitCredentialStatus LIVE = %+v; want a live status", live)
		}

		before, err := c.UpdateCredentialStatus(ctx, id, revoke)
		if err != nil {
			t.Fatalf("UpdateCredentialStatus REVOKE: %v", err)
		}
		if *before.Revoked {
			t.Errorf("UpdateCredentialStatus REVOKE answered revoked %v; want false, the status before the change", *before.Revoked)
		}
		revokedAt := time.Now()
		revoked, err := c.WaitCredentialStatus(ctx, id, ssiapi.CredentialStatusChangeRevoke)
		if err != nil {
			t.Fatalf("WaitCredentialStatus REVOKE: %v", err)
		}
		if st := revoked.CredentialStatus; st == nil || !*st.Revoked {
			t.Fatalf("WaitCredentialStatus REVOKE = %+v; want revoked", revoked)
		}
		if waited := time.Since(revokedAt); waited < delay {
			t.Errorf("WaitCredentialStatus REVOKE returned after %v; want at least the chain delay %v", waited, delay)
		}
		if n := srv.QueuedTransactions(); n != 0 {
			t.Errorf("QueuedTransactions at the end = %d; want 0", n)
		}
	})
}

// TestWaitBackoff checks the intervals between polls: the first poll at
// once, then 1s, 2s, 4s, 8s, then 10s each, every one within a fifth.
func TestWaitBackoff(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		srv := entityauthtest.NewPipeServer(entityauthtest.Options{ChainDelay: time.Hour})
		defer srv.Close()
		c := pipeClient(t, srv)
		created, err := c.CreateDID(t.Context(), ssiapi.CreateDIDRequest{Namespace: ssiapi.DIDNamespaceTestnet})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := c.RegisterDID(t.Context(), ssiapi.RegisterDIDRequest{DidDocument: created.MetaData.DidDocument, VerificationMethodId: ssi.VerificationMethodID(created.MetaData.DidDocument)}); err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
		defer cancel()
		start := time.Now()
		_, err = c.WaitRegistered(ctx, created.Did)
		if !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("WaitRegistered of a DID that lands in an hour, with a minute: %v; want context.DeadlineExceeded", err)
		}
		if want := "waiting for DID " + created.Did + " to be on chain"; !strings.Contains(err.Error(), want) {
			t.Errorf("error %q; want it to say %q", err, want)
		}
		if waited := time.Since(start); waited != time.Minute {
			t.Errorf("WaitRegistered returned after %v; want 1m0s, at ctx's deadline", waited)
		}
		times := polls(srv, http.MethodGet, "/api/v1/did/resolve/")
		if len(times) < 8 {
			t.Fatalf("polls in a minute = %d; want at least 8", len(times))
		}
		if d := times[0].Sub(start); d != 0 {
			t.Errorf("first poll after %v; want at once", d)
		}
		want := ssi.WaitBackoffBase
		for i := 1; i < len(times); i++ {
			got := times[i].Sub(times[i-1])
			if got < want-want/5 || got > want+want/5 {
				t.Errorf("interval %d = %v; want %v ± a fifth", i, got, want)
			}
			want = min(2*want, ssi.WaitBackoffMax)
		}
	})
}

// TestWaitPermanentErrors: answers that waiting cannot change end the wait at
// once, with the answer's error.
func TestWaitPermanentErrors(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		srv := entityauthtest.NewPipeServer(entityauthtest.Options{})
		defer srv.Close()
		c := pipeClient(t, srv)
		ctx := t.Context()
		start := time.Now()

		if _, err := c.WaitCredentialStatus(ctx, "vc:hid:testnet:z6MkUnknown", ssiapi.CredentialStatusChangeLive); !errors.Is(err, ssi.ErrNotFound) {
			t.Errorf("WaitCredentialStatus of an unknown credential: %v; want ErrNotFound", err)
		}
		// 401 to the first call and to the retry after the refresh.
		unauthorized := entityauthtest.Fault{Status: 401, JSON: map[string]any{"statusCode": 401, "message": []string{"Token expired"}, "error": "Unauthorized"}}
		srv.Enqueue(entityauthtest.APIEndpoint, unauthorized, unauthorized)
		if _, err := c.WaitRegistered(ctx, "did:hid:testnet:z6MkAny"); !errors.Is(err, ssi.ErrUnauthorized) {
			t.Errorf("WaitRegistered after two 401s: %v; want ErrUnauthorized", err)
		}
		srv.Enqueue(entityauthtest.APIEndpoint, entityauthtest.Fault{Status: 400, JSON: map[string]any{"statusCode": 400, "message": []string{"No credits found or credit exhausted. Please contact the admin"}, "error": "Bad Request"}})
		if _, err := c.WaitRegistered(ctx, "did:hid:testnet:z6MkAny"); !errors.Is(err, ssi.ErrCreditsExhausted) {
			t.Errorf("WaitRegistered without credits: %v; want ErrCreditsExhausted", err)
		}
		srv.Enqueue(entityauthtest.APIEndpoint, entityauthtest.Fault{Body: "not json", ContentType: "application/json"})
		if _, err := c.WaitRegistered(ctx, "did:hid:testnet:z6MkAny"); !errors.Is(err, ssi.ErrInvalidResponse) {
			t.Errorf("WaitRegistered of an undecodable answer: %v; want ErrInvalidResponse", err)
		}
		// The chain refused every transaction recorded for the credential.
		failed := map[string]any{"metadata": map[string]any{"credentialId": "vc:x", "issuerDid": "did:x", "persist": false,
			"transactionStatus": []map[string]any{{"txnHash": strings.Repeat("A", 64), "status": 1, "id": "vc:x", "type": "REGISTER_CREDENTIAL_STATUS"}}}}
		srv.Enqueue(entityauthtest.APIEndpoint, entityauthtest.Fault{JSON: failed})
		if _, err := c.WaitCredentialStatus(ctx, "vc:x", ssiapi.CredentialStatusChangeLive); !errors.Is(err, ssi.ErrTransactionFailed) {
			t.Errorf("WaitCredentialStatus of a failed registration: %v; want ErrTransactionFailed", err)
		}
		if _, err := c.WaitCredentialStatus(ctx, "vc:x", "PAUSED"); err == nil || !strings.Contains(err.Error(), `"PAUSED"`) {
			t.Errorf("WaitCredentialStatus PAUSED: %v; want an error naming the status", err)
		}
		if waited := time.Since(start); waited != 0 {
			t.Errorf("the permanent errors took %v; want no wait at all", waited)
		}
	})
}

// TestWaitTemporaryErrors: 429 and 5xx answers are polled through.
func TestWaitTemporaryErrors(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		srv := entityauthtest.NewPipeServer(entityauthtest.Options{DirectMode: true})
		defer srv.Close()
		c := pipeClient(t, srv)
		ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
		defer cancel()
		created, err := c.CreateDID(ctx, ssiapi.CreateDIDRequest{Namespace: ssiapi.DIDNamespaceTestnet})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := c.RegisterDID(ctx, ssiapi.RegisterDIDRequest{DidDocument: created.MetaData.DidDocument, VerificationMethodId: ssi.VerificationMethodID(created.MetaData.DidDocument)}); err != nil {
			t.Fatal(err)
		}
		srv.ResetRequests()
		srv.Enqueue(entityauthtest.APIEndpoint,
			entityauthtest.Fault{Status: 429, JSON: "ThrottlerException: Too Many Requests"},
			entityauthtest.Fault{Status: 503, Body: "unavailable"},
			entityauthtest.Fault{Status: 500, JSON: map[string]any{"statusCode": 500, "message": []string{"Error", "x", "Internal server error"}}})
		got, err := c.WaitRegistered(ctx, created.Did)
		if err != nil || got.DidDocumentMetadata == nil {
			t.Fatalf("WaitRegistered through 429, 503 and 500 = %+v, %v; want the registered DID", got, err)
		}
		if n := srv.APIRequests(); n < 4 {
			t.Errorf("API requests = %d; want at least 4 (three failures, then the answer)", n)
		}

		// A wait that ends at ctx says what the last poll got.
		short, cancelShort := context.WithTimeout(ctx, 2*time.Second)
		defer cancelShort()
		for range 5 {
			srv.Enqueue(entityauthtest.APIEndpoint, entityauthtest.Fault{Status: 503, Body: "unavailable"})
		}
		_, err = c.WaitRegistered(short, created.Did)
		if !errors.Is(err, context.DeadlineExceeded) || !strings.Contains(err.Error(), "last poll") || !strings.Contains(err.Error(), "503") {
			t.Errorf("WaitRegistered through lasting 503s: %v; want DeadlineExceeded naming the last 503", err)
		}
	})
}
