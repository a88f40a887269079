package vc_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/entity-studio-go/entityauth"
	"github.com/entity-studio-go/entityauth/entityauthtest"
	"github.com/entity-studio-go/entityauth/gen/ssiapi"
	"github.com/entity-studio-go/entityauth/ssi"
	"github.com/entity-studio-go/entityauth/vc"
)

// Example_fake issues a credential through package ssi against the fake
// (whose credentials carry real proofs), verifies it with package vc,
// revokes it and verifies it again; then a holder presents it, and a
// presentation made for another challenge is refused. Against the real
// service the same code runs with ssi.DefaultBaseURL, and
// vc.HIDNodeStatus("", nil) reads the status from Hypersign's hid-node.
func Example_fake() {
	// A chain delay below zero lands each queued transaction at the next
	// request, so the waits below return at their first poll.
	srv := entityauthtest.NewServer(entityauthtest.Options{ChainDelay: -1})
	defer srv.Close()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	cfg := &entityauth.Config{APISecretKey: srv.APIKey(), BaseURL: srv.URL}
	c, err := ssi.NewClient(srv.URL, cfg.Client(ctx))
	if err != nil {
		must(err)
	}

	// An issuer and a holder, registered and on chain.
	register := func() (did, vm string) {
		created, err := c.CreateDID(ctx, ssiapi.CreateDIDRequest{Namespace: ssiapi.DIDNamespaceTestnet})
		if err != nil {
			must(err)
		}
		vm = ssi.VerificationMethodID(created.MetaData.DidDocument)
		if _, err := c.RegisterDID(ctx, ssiapi.RegisterDIDRequest{DidDocument: created.MetaData.DidDocument, VerificationMethodId: vm}); err != nil {
			must(err)
		}
		if _, err := c.WaitRegistered(ctx, created.Did); err != nil {
			must(err)
		}
		return created.Did, vm
	}
	issuer, issuerVM := register()
	holder, holderVM := register()

	issued, err := c.IssueCredential(ctx, ssiapi.IssueCredentialRequest{
		IssuerDid: issuer, VerificationMethodId: issuerVM, SubjectDid: holder,
		SchemaContext: []string{"https://schema.org"}, Type: []string{"Person"},
		Fields:         map[string]any{"name": "Ada Lovelace"},
		ExpirationDate: time.Now().AddDate(1, 0, 0).UTC().Truncate(time.Second),
	})
	if err != nil {
		must(err)
	}
	id := issued.Metadata.CredentialId
	if _, err := c.WaitCredentialStatus(ctx, id, ssiapi.CredentialStatusChangeLive); err != nil {
		must(err)
	}
	credential, err := json.Marshal(issued.CredentialDocument)
	if err != nil {
		must(err)
	}

	// The verifier resolves DIDs through the SSI API and reads the status
	// from the fake's hid-node route.
	status, err := vc.HIDNodeStatus(srv.URL, srv.Client())
	if err != nil {
		must(err)
	}
	v, err := vc.NewVerifier(vc.Options{Resolver: vc.SSIResolver(c), Status: status})
	if err != nil {
		must(err)
	}
	res, err := v.VerifyCredential(ctx, credential)
	if err != nil {
		must(err)
	}
	fmt.Println("valid:", res.Claims["name"], res.Status)

	// The holder presents it, signed for the verifier's challenge.
	vpID := "vp:hid:testnet:" + strings.TrimPrefix(holder, "did:hid:testnet:")
	signed, err := c.SignDIDAuth(ctx, ssiapi.SignDIDRequest{
		Did: holder, VerificationMethodId: holderVM,
		DidDocument: &ssiapi.DIDDocument{Id: &vpID, AdditionalProperties: map[string]any{
			"@context": []string{"https://www.w3.org/2018/credentials/v1"}, "type": []string{"VerifiablePresentation"},
			"holder": holder, "verifiableCredential": []any{issued.CredentialDocument},
		}},
		Options: &ssiapi.SignDIDOptions{Purpose: ssiapi.SignDIDOptionsPurposeAuthentication, Challenge: "n-0S6_WzA2Mj"},
	})
	if err != nil {
		must(err)
	}
	presentation, err := json.Marshal(signed)
	if err != nil {
		must(err)
	}
	_, err = v.VerifyPresentation(ctx, presentation, vc.PresentationOptions{Challenge: "n-0S6_WzA2Mj"})
	fmt.Println("presentation valid:", err == nil)
	_, err = v.VerifyPresentation(ctx, presentation, vc.PresentationOptions{Challenge: "a-later-challenge"})
	fmt.Println("another challenge:", errors.Is(err, vc.ErrChallenge))

	// Revoked, it no longer verifies.
	if _, err := c.UpdateCredentialStatus(ctx, id, ssiapi.UpdateCredentialStatusRequest{Status: ssiapi.CredentialStatusChangeRevoke, IssuerDid: issuer, VerificationMethodId: issuerVM}); err != nil {
		must(err)
	}
	if _, err := c.WaitCredentialStatus(ctx, id, ssiapi.CredentialStatusChangeRevoke); err != nil {
		must(err)
	}
	_, err = v.VerifyCredential(ctx, credential)
	fmt.Println("revoked:", errors.Is(err, vc.ErrRevoked))
	// Output:
	// valid: Ada Lovelace live
	// presentation valid: true
	// another challenge: true
	// revoked: true
}

// must stops an example at an error that its setup should not meet: a
// panic, so that the deferred Close and cancel still run.
func must(err error) {
	if err != nil {
		panic(err)
	}
}
