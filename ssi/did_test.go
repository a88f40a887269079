package ssi_test

import (
	"testing"

	"github.com/entity-studio-go/entityauth"
	"github.com/entity-studio-go/entityauth/entityauthtest"
	"github.com/entity-studio-go/entityauth/gen/ssiapi"
	"github.com/entity-studio-go/entityauth/ssi"
)

// TestVerificationMethodID reads the verification method of a DID the fake
// created, and of documents without one.
func TestVerificationMethodID(t *testing.T) {
	srv := entityauthtest.Start(t, entityauthtest.Options{})
	c := fakeClient(t, srv, entityauth.Config{})
	created := newDID(t, c, ssiapi.CreateDIDRequest{})
	if got, want := ssi.VerificationMethodID(created.MetaData.DidDocument), created.Did+"#key-1"; got != want {
		t.Errorf("VerificationMethodID(created) = %q; want %q", got, want)
	}
	for _, doc := range []ssiapi.DIDDocument{{}, {VerificationMethod: []ssiapi.VerificationMethod{}}} {
		if got := ssi.VerificationMethodID(doc); got != "" {
			t.Errorf("VerificationMethodID(%+v) = %q; want \"\"", doc, got)
		}
	}
}
