package ssi_test

import (
	"context"
	"errors"
	"fmt"
	"log"
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

// createIssuer creates and registers a testnet DID, as ExampleClient_CreateDID
// and ExampleClient_RegisterDID do, and returns it with its verification method.
func createIssuer(ctx context.Context, c *ssi.Client) (did, vm string, err error) {
	created, err := c.CreateDID(ctx, ssiapi.CreateDIDRequest{Namespace: ssiapi.DIDNamespaceTestnet})
	if err != nil {
		return "", "", err
	}
	vm = ssi.VerificationMethodID(created.MetaData.DidDocument)
	_, err = c.RegisterDID(ctx, ssiapi.RegisterDIDRequest{DidDocument: created.MetaData.DidDocument, VerificationMethodId: vm})
	return created.Did, vm, err
}

func ExampleClient_CreateDID() {
	srv := entityauthtest.NewServer(entityauthtest.Options{})
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
	srv := entityauthtest.NewServer(entityauthtest.Options{})
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
	fmt.Println(registered.RegistrationStatus, len(registered.TransactionHash))

	resolved, err := c.ResolveDID(ctx, created.Did)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(*resolved.DidDocumentMetadata.VersionId == registered.TransactionHash)

	// Registering it again is refused.
	_, err = c.RegisterDID(ctx, ssiapi.RegisterDIDRequest{DidDocument: created.MetaData.DidDocument, VerificationMethodId: vm})
	fmt.Println(errors.Is(err, ssi.ErrValidation))
	// Output:
	// COMPLETED 64
	// true
	// true
}

func ExampleClient_IssueCredential() {
	srv := entityauthtest.NewServer(entityauthtest.Options{})
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
	srv := entityauthtest.NewServer(entityauthtest.Options{})
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
	fmt.Println("revoked:", *status.Revoked, "suspended:", *status.Suspended)

	// Revocation is final.
	_, err = c.UpdateCredentialStatus(ctx, id, ssiapi.UpdateCredentialStatusRequest{Status: ssiapi.CredentialStatusChangeLive, IssuerDid: issuer, VerificationMethodId: vm})
	fmt.Println(errors.Is(err, ssi.ErrValidation))
	// Output:
	// revoked: true suspended: false
	// true
}

func ExampleClient_DIDs() {
	srv := entityauthtest.NewServer(entityauthtest.Options{})
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
	srv := entityauthtest.NewServer(entityauthtest.Options{})
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
