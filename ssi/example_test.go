package ssi_test

import (
	"context"
	"errors"
	"fmt"
	"log"
	"strings"

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
	ns := ssiapi.Testnet
	created, err := c.CreateDID(ctx, ssiapi.CreateDIDRequest{Namespace: &ns})
	if err != nil {
		return "", "", err
	}
	vm = created.Did + "#key-1"
	_, err = c.RegisterDID(ctx, ssiapi.RegisterDIDRequest{DidDocument: created.MetaData.DidDocument, VerificationMethodId: &vm})
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

	ns := ssiapi.Testnet
	name := "issuer"
	created, err := c.CreateDID(ctx, ssiapi.CreateDIDRequest{Namespace: &ns, Options: &ssiapi.CreateDIDOptions{Name: &name}})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(created.Did[:len("did:hid:testnet:z6Mk")])
	fmt.Println(created.RegistrationStatus)
	vms := *created.MetaData.DidDocument.VerificationMethod
	fmt.Println(vms[0].Id == created.Did+"#key-1", vms[0].Type)

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
	// issuer true
}

func ExampleClient_RegisterDID() {
	srv := entityauthtest.NewServer(entityauthtest.Options{})
	defer srv.Close()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	c := exampleClient(ctx, srv)

	ns := ssiapi.Testnet
	created, err := c.CreateDID(ctx, ssiapi.CreateDIDRequest{Namespace: &ns})
	if err != nil {
		fmt.Println(err)
		return
	}
	// The SSI API signs the registration with the DID's stored key.
	vm := created.Did + "#key-1"
	registered, err := c.RegisterDID(ctx, ssiapi.RegisterDIDRequest{
		DidDocument:          created.MetaData.DidDocument,
		VerificationMethodId: &vm,
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
	_, err = c.RegisterDID(ctx, ssiapi.RegisterDIDRequest{DidDocument: created.MetaData.DidDocument, VerificationMethodId: &vm})
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
		SchemaContext:        &[]string{"https://schema.org"},
		Type:                 &[]string{"StudentCredential"},
		ExpirationDate:       "2030-01-01T00:00:00Z",
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
		SchemaContext: &[]string{"https://schema.org"}, Type: &[]string{"StudentCredential"},
		ExpirationDate: "2030-01-01T00:00:00Z", Fields: map[string]any{"name": "Ada"},
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	id := issued.Metadata.CredentialId

	reason := "issued in error"
	status, err := c.UpdateCredentialStatus(ctx, id, ssiapi.UpdateCredentialStatusRequest{
		Status:               ssiapi.REVOKE,
		StatusReason:         &reason,
		IssuerDid:            issuer,
		VerificationMethodId: vm,
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("revoked:", *status.Revoked, "suspended:", *status.Suspended)

	// Revocation is final.
	_, err = c.UpdateCredentialStatus(ctx, id, ssiapi.UpdateCredentialStatusRequest{Status: ssiapi.LIVE, IssuerDid: issuer, VerificationMethodId: vm})
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
	ns := ssiapi.Testnet
	for range 150 {
		if _, err := c.CreateDID(ctx, ssiapi.CreateDIDRequest{Namespace: &ns}); err != nil {
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
	ns := ssiapi.Testnet
	_, err = c.CreateDID(ctx, ssiapi.CreateDIDRequest{Namespace: &ns})
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
