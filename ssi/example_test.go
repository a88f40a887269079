package ssi_test

import (
	"context"
	"errors"
	"fmt"
	"log"
	"net/http"
	"strings"
	"time"

	"github.com/entity-studio-go/entityauth"
	"github.com/entity-studio-go/entityauth/entityauthtest"
	"github.com/entity-studio-go/entityauth/gen/ssiapi"
	"github.com/entity-studio-go/entityauth/ssi"
)

// The examples run against the fake in package entityauthtest, which serves
// the token service and the SSI API under one URL. Against the real service,
// cfg is entityauth.Config{APISecretKey: key} and the base URL is
// ssi.DefaultBaseURL.
//
// The fake queues chain transactions as production does (an app with credits
// has a fee grant): registrations and status changes answer at once and reach
// the chain later. Here they land at the next request (a negative
// ChainDelay), so that the examples run fast; in production, expect seconds.

// exampleOptions are the fake's options in the examples: queued as in
// production, with transactions that land at the next request.
var exampleOptions = entityauthtest.Options{ChainDelay: -1}

// exampleClient returns an ssi.Client for srv on an authenticated client from
// entityauth.Config.Client, as ExampleClient_CreateDID builds it.
func exampleClient(ctx context.Context, srv *entityauthtest.Server) *ssi.Client {
	cfg := &entityauth.Config{APISecretKey: srv.APIKey(), BaseURL: srv.URL}
	c, err := ssi.NewClient(srv.URL, cfg.Client(ctx))
	if err != nil {
		log.Fatal(err)
	}
	return c
}

// createIssuer creates and registers a testnet DID and waits until it is on
// chain, as ExampleClient_CreateDID and ExampleClient_RegisterDID do, and
// returns it with its verification method.
func createIssuer(ctx context.Context, c *ssi.Client) (did, vm string, err error) {
	created, err := c.CreateDID(ctx, ssiapi.CreateDIDRequest{Namespace: ssiapi.DIDNamespaceTestnet})
	if err != nil {
		return "", "", err
	}
	vm = ssi.VerificationMethodID(created.MetaData.DidDocument)
	if _, err = c.RegisterDID(ctx, ssiapi.RegisterDIDRequest{DidDocument: created.MetaData.DidDocument, VerificationMethodId: vm}); err != nil {
		return "", "", err
	}
	wait, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	_, err = c.WaitRegistered(wait, created.Did)
	return created.Did, vm, err
}

func ExampleClient_CreateDID() {
	srv := entityauthtest.NewServer(exampleOptions)
	defer srv.Close()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel() // ends the token source's refreshes

	// An authenticated *http.Client: Bearer token, Origin, one refresh on 401.
	cfg := &entityauth.Config{APISecretKey: srv.APIKey(), BaseURL: srv.URL}
	c, err := ssi.NewClient(srv.URL, cfg.Client(ctx)) // ssi.DefaultBaseURL in production
	if err != nil {
		fmt.Println(err)
		return
	}
	created, err := c.CreateDID(ctx, ssiapi.CreateDIDRequest{
		Namespace: ssiapi.DIDNamespaceTestnet,
		Options:   &ssiapi.CreateDIDOptions{Name: "issuer"},
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(created.Did[:len("did:hid:testnet:z6Mk")])
	fmt.Println(created.RegistrationStatus)
	vm := created.MetaData.DidDocument.VerificationMethod[0]
	fmt.Println(vm.Id == created.Did+"#key-1", vm.Type)
	fmt.Println(ssi.VerificationMethodID(created.MetaData.DidDocument) == vm.Id)

	// Until it is registered, the DID resolves without metadata.
	resolved, err := c.ResolveDID(ctx, created.Did)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(*resolved.Name, resolved.DidDocumentMetadata == nil)
	// Output:
	// did:hid:testnet:z6Mk
	// UNREGISTRED
	// true Ed25519VerificationKey2020
	// true
	// issuer true
}

func ExampleClient_RegisterDID() {
	srv := entityauthtest.NewServer(exampleOptions)
	defer srv.Close()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	c := exampleClient(ctx, srv)
	created, err := c.CreateDID(ctx, ssiapi.CreateDIDRequest{Namespace: ssiapi.DIDNamespaceTestnet})
	if err != nil {
		fmt.Println(err)
		return
	}
	// The SSI API signs the registration with the DID's stored key, #key-1.
	vm := ssi.VerificationMethodID(created.MetaData.DidDocument)
	registered, err := c.RegisterDID(ctx, ssiapi.RegisterDIDRequest{
		DidDocument:          created.MetaData.DidDocument,
		VerificationMethodId: vm,
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	// Queued: no transaction hash yet. Without a fee grant it would be
	// COMPLETED with the hash.
	fmt.Printf("%s %q\n", registered.RegistrationStatus, registered.TransactionHash)

	// Wait until the DID is on chain, before issuing with it. Give the wait a
	// deadline: a registration that the chain refuses leaves nothing to see.
	wait, cancelWait := context.WithTimeout(ctx, 2*time.Minute)
	defer cancelWait()
	resolved, err := c.WaitRegistered(wait, created.Did)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(resolved.DidDocument.Id != nil && *resolved.DidDocument.Id == created.Did, len(*resolved.DidDocumentMetadata.VersionId))
	// Output:
	// UNREGISTRED ""
	// true 64
}

func ExampleClient_IssueCredential() {
	srv := entityauthtest.NewServer(exampleOptions)
	defer srv.Close()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	c := exampleClient(ctx, srv)
	issuer, vm, err := createIssuer(ctx, c)
	if err != nil {
		fmt.Println(err)
		return
	}

	issued, err := c.IssueCredential(ctx, ssiapi.IssueCredentialRequest{
		IssuerDid:            issuer,
		VerificationMethodId: vm,
		SubjectDid:           issuer,
		SchemaContext:        []string{"https://schema.org"},
		Type:                 []string{"StudentCredential"},
		ExpirationDate:       time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC),
		Fields:               map[string]any{"name": "Ada"},
		Persist:              true, // keep the document, for GetCredential
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	id := issued.Metadata.CredentialId
	fmt.Println(id[:len("vc:hid:testnet:z6Mk")])
	fmt.Println(issued.CredentialDocument.Type)
	fmt.Println(*issued.CredentialStatus.Remarks)

	// The status's registration is queued: wait until it is live on chain
	// before changing it.
	wait, cancelWait := context.WithTimeout(ctx, 2*time.Minute)
	defer cancelWait()
	if _, err := c.WaitCredentialStatus(wait, id, ssiapi.CredentialStatusChangeLive); err != nil {
		fmt.Println(err)
		return
	}
	got, err := c.GetCredential(ctx, id, true)
	if err != nil {
		fmt.Println(err)
		return
	}
	name, _ := got.CredentialDocument.CredentialSubject.Get("name")
	fmt.Println(name)
	// Output:
	// vc:hid:testnet:z6Mk
	// [VerifiableCredential StudentCredential]
	// Credential is active
	// Ada
}

func ExampleClient_UpdateCredentialStatus() {
	srv := entityauthtest.NewServer(exampleOptions)
	defer srv.Close()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	c := exampleClient(ctx, srv)
	issuer, vm, err := createIssuer(ctx, c)
	if err != nil {
		fmt.Println(err)
		return
	}
	issued, err := c.IssueCredential(ctx, ssiapi.IssueCredentialRequest{
		IssuerDid: issuer, VerificationMethodId: vm, SubjectDid: issuer,
		SchemaContext: []string{"https://schema.org"}, Type: []string{"StudentCredential"},
		ExpirationDate: time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC), Fields: map[string]any{"name": "Ada"},
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	id := issued.Metadata.CredentialId
	wait, cancelWait := context.WithTimeout(ctx, 2*time.Minute)
	defer cancelWait()
	// Changing a status that is not on chain yet fails: wait for it first.
	if _, err := c.WaitCredentialStatus(wait, id, ssiapi.CredentialStatusChangeLive); err != nil {
		fmt.Println(err)
		return
	}

	status, err := c.UpdateCredentialStatus(ctx, id, ssiapi.UpdateCredentialStatusRequest{
		Status:               ssiapi.CredentialStatusChangeRevoke,
		StatusReason:         "issued in error",
		IssuerDid:            issuer,
		VerificationMethodId: vm,
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	// Queued, the answer is the status from before the change.
	fmt.Println("answered revoked:", *status.Revoked)
	got, err := c.WaitCredentialStatus(wait, id, ssiapi.CredentialStatusChangeRevoke)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("on chain revoked:", *got.CredentialStatus.Revoked, *got.CredentialStatus.Remarks)
	// Output:
	// answered revoked: false
	// on chain revoked: true issued in error
}

func ExampleClient_DIDs() {
	srv := entityauthtest.NewServer(exampleOptions)
	defer srv.Close()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	c := exampleClient(ctx, srv)
	for range 150 {
		if _, err := c.CreateDID(ctx, ssiapi.CreateDIDRequest{Namespace: ssiapi.DIDNamespaceTestnet}); err != nil {
			fmt.Println(err)
			return
		}
	}

	before := srv.APIRequests()
	n := 0
	for did, err := range c.DIDs(ctx) {
		if err != nil {
			fmt.Println(err)
			return
		}
		if strings.HasPrefix(did, "did:hid:testnet:") {
			n++
		}
	}
	fmt.Println(n, "DIDs in", srv.APIRequests()-before, "requests")
	// Output: 150 DIDs in 2 requests
}

// ExampleError matches the SSI API's refusals with errors.Is and reads the
// server's answer with errors.As.
func ExampleError() {
	srv := entityauthtest.NewServer(exampleOptions)
	defer srv.Close()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	c := exampleClient(ctx, srv)

	_, err := c.GetCredential(ctx, "vc:hid:testnet:z6MkUnknown", false)
	fmt.Println(errors.Is(err, ssi.ErrNotFound))

	srv.SetCredits(false) // the app's credits run out
	_, err = c.CreateDID(ctx, ssiapi.CreateDIDRequest{Namespace: ssiapi.DIDNamespaceTestnet})
	switch {
	case errors.Is(err, ssi.ErrCreditsExhausted):
		fmt.Println("out of credits")
	case err != nil:
		fmt.Println(err)
	}
	var e *ssi.Error
	if errors.As(err, &e) {
		fmt.Println(e.Operation, e.StatusCode, e.Messages)
	}
	// Output:
	// true
	// out of credits
	// createDID 400 [No credits found or credit exhausted. Please contact the admin]
}

// A handler maps a call's error to its answer in one switch, whichever
// service failed: the kind says who can fix it, and the sentinels refine it.
func ExampleKindOf() {
	srv := entityauthtest.NewServer(entityauthtest.Options{})
	defer srv.Close()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	c := exampleClient(ctx, srv)

	status := func(err error) int {
		switch ssi.KindOf(err) {
		case ssi.KindNone:
			return http.StatusOK
		case ssi.KindInvalid: // the caller's request
			switch {
			case errors.Is(err, ssi.ErrNotFound):
				return http.StatusNotFound
			case errors.Is(err, ssi.ErrConflict):
				return http.StatusConflict
			}
			return http.StatusBadRequest
		case ssi.KindTemporary: // try again later
			return http.StatusServiceUnavailable
		case ssi.KindCanceled: // the client went away
			return 499
		default: // KindConfig, KindUnknown: the operator must look
			return http.StatusInternalServerError
		}
	}

	_, err := c.GetCredential(ctx, "vc:hid:testnet:z6MkUnknown", false)
	fmt.Println(ssi.KindOf(err), status(err))

	srv.Enqueue(entityauthtest.APIEndpoint, entityauthtest.InternalServerError())
	_, err = c.ListDIDs(ctx, 0, 0)
	fmt.Println(ssi.KindOf(err), status(err))

	srv.SetCredits(false) // a 400 of the SSI API, but not the caller's mistake
	_, err = c.CreateDID(ctx, ssiapi.CreateDIDRequest{Namespace: ssiapi.DIDNamespaceTestnet})
	fmt.Println(ssi.KindOf(err), status(err))

	// The token service's answers come back through the call, wrapped.
	cfg := &entityauth.Config{APISecretKey: "wrong-key", BaseURL: srv.URL}
	wrong, err := ssi.NewClient(srv.URL, cfg.Client(ctx))
	if err != nil {
		fmt.Println(err)
		return
	}
	_, err = wrong.ListDIDs(ctx, 0, 0)
	fmt.Println(ssi.KindOf(err), status(err), errors.Is(err, entityauth.ErrUnauthorized), errors.Is(err, ssi.ErrUnauthorized))
	// Output:
	// invalid 404
	// temporary 503
	// config 500
	// config 500 true false
}
