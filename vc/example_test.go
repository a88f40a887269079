package vc_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log"
	"net/http"
	"net/http/httptest"
	"os"
	"time"

	"github.com/entity-studio-go/entityauth/vc"
)

// The examples verify the test vectors of testdata/vectors, offline, at a
// fixed time within the credential's validity.

func mustRead(name string) []byte {
	b, err := os.ReadFile("testdata/vectors/" + name)
	if err != nil {
		log.Fatal(err)
	}
	return b
}

func at2026() time.Time { return time.Date(2026, 6, 1, 12, 0, 0, 0, time.UTC) }

func ExampleVerifier_VerifyCredential() {
	// The issuer's DID document, as GET /api/v1/did/resolve/{did} answers it.
	r, err := vc.DIDDocuments(mustRead("dids/issuer.did.json"))
	if err != nil {
		log.Fatal(err)
	}
	v, err := vc.NewVerifier(vc.Options{Resolver: r, Now: at2026})
	if err != nil {
		log.Fatal(err)
	}
	credential := mustRead("vc/01-valid.vc.json")
	res, err := v.VerifyCredential(context.Background(), credential)
	if err != nil {
		fmt.Println("invalid:", err)
		return
	}
	fmt.Println("issuer:", res.Issuer)
	fmt.Println("name:", res.Claims["name"], "age:", res.Claims["age"])
	fmt.Println("expires:", res.ExpirationDate.Format(time.DateOnly), "status:", res.Status)

	// The same credential with one claim changed.
	forged := bytes.Replace(credential, []byte(`"age": 30`), []byte(`"age": 31`), 1)
	_, err = v.VerifyCredential(context.Background(), forged)
	fmt.Println(errors.Is(err, vc.ErrSignature))
	// Output:
	// issuer: did:hid:testnet:z6Mkw9vAVNfn8d5TAmTgmfeRvXdBBG9PLMeA1TTxCa2nE5NE
	// name: Zoë Müller – 東京 age: 30
	// expires: 2030-12-10 status: not-checked
	// true
}

func ExampleVerifier_VerifyPresentation() {
	r, err := vc.DIDDocuments(mustRead("dids/issuer.did.json"), mustRead("dids/holder.did.json"))
	if err != nil {
		log.Fatal(err)
	}
	v, err := vc.NewVerifier(vc.Options{Resolver: r, Now: at2026})
	if err != nil {
		log.Fatal(err)
	}
	presentation := mustRead("vp/01-valid.vp.json")

	// The challenge is the one the verifier gave the holder for this exchange.
	res, err := v.VerifyPresentation(context.Background(), presentation, vc.PresentationOptions{Challenge: "c0ffee-1234", Domain: "https://verifier.example"})
	if err != nil {
		fmt.Println("invalid:", err)
		return
	}
	fmt.Println("holder:", res.Holder)
	fmt.Println("credentials:", len(res.Credentials), res.Credentials[0].Claims["name"])

	// Replayed to a verifier that asked with another challenge.
	_, err = v.VerifyPresentation(context.Background(), presentation, vc.PresentationOptions{Challenge: "another"})
	fmt.Println(errors.Is(err, vc.ErrChallenge))
	// Output:
	// holder: did:hid:testnet:z6MkoMwmHtE6byc777ppi3PgU92o1m8Mo2SyFHdgdEHsmik8
	// credentials: 1 Zoë Müller – 東京
	// true
}

func ExampleHIDNodeStatus() {
	// A stand-in for hid-node's REST API that says the credential is revoked.
	node := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		_, _ = w.Write(mustRead("status/01-revoked.rest.json"))
	}))
	defer node.Close()

	// In production: vc.HIDNodeStatus("", nil) asks the hid-node REST host
	// that the credential names, if it is Hypersign's.
	st, err := vc.HIDNodeStatus(node.URL, node.Client())
	if err != nil {
		fmt.Println(err)
		return
	}
	r, err := vc.DIDDocuments(mustRead("dids/issuer.did.json"))
	if err != nil {
		fmt.Println(err)
		return
	}
	v, err := vc.NewVerifier(vc.Options{Resolver: r, Status: st, Now: at2026})
	if err != nil {
		fmt.Println(err)
		return
	}
	_, err = v.VerifyCredential(context.Background(), mustRead("vc/01-valid.vc.json"))
	fmt.Println(errors.Is(err, vc.ErrRevoked))
	// Output:
	// true
}
