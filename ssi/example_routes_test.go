package ssi_test

import (
	"context"
	"encoding/base64"
	"fmt"
	"strings"
	"time"

	"github.com/entity-studio-go/entityauth/entityauthtest"
	"github.com/entity-studio-go/entityauth/gen/ssiapi"
	"github.com/entity-studio-go/entityauth/ssi"
)

func ExampleClient_IssueDIDJWT() {
	srv := entityauthtest.NewServer(entityauthtest.Options{})
	defer srv.Close()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	c := exampleClient(ctx, srv)
	// The DID need not be registered: the JWT needs only its key.
	created, err := c.CreateDID(ctx, ssiapi.CreateDIDRequest{Namespace: ssiapi.DIDNamespaceTestnet})
	if err != nil {
		fmt.Println(err)
		return
	}
	jwt, err := c.IssueDIDJWT(ctx, ssiapi.IssueDIDJWTRequest{
		Issuer:     ssiapi.JWTIssuer{Did: created.Did, VerificationMethodId: ssi.VerificationMethodID(created.MetaData.DidDocument)},
		Audience:   "https://api.example",
		Claims:     map[string]any{"role": "admin", "sub": "dropped: a reserved claim"},
		TtlSeconds: 3600,
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	header, _ := base64.RawURLEncoding.DecodeString(strings.Split(jwt.AccessToken, ".")[0])
	fmt.Println(string(header), jwt.ExpiresIn)
	payload, _ := base64.RawURLEncoding.DecodeString(strings.Split(jwt.AccessToken, ".")[1])
	fmt.Println(strings.Contains(string(payload), `"role":"admin","aud":"https://api.example","iss":"`+created.Did+`"`), strings.Contains(string(payload), "sub"))

	// A lifetime under a minute is refused.
	_, err = c.IssueDIDJWT(ctx, ssiapi.IssueDIDJWTRequest{Issuer: ssiapi.JWTIssuer{Did: created.Did, VerificationMethodId: created.Did + "#key-1"}, Audience: "a", Claims: map[string]any{"k": 1}, TtlSeconds: 30})
	fmt.Println(err)
	// Output:
	// {"typ":"JWT","alg":"EdDSA"} 3600
	// true false
	// entityauth: ssi: issueDIDJWT: 400 Bad Request: ttlSeconds must not be less than 60
}

func ExampleClient_Usage() {
	srv := entityauthtest.NewServer(entityauthtest.Options{})
	defer srv.Close()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	c := exampleClient(ctx, srv)
	start := time.Now()
	created, err := c.CreateDID(ctx, ssiapi.CreateDIDRequest{Namespace: ssiapi.DIDNamespaceTestnet})
	if err != nil {
		fmt.Println(err)
		return
	}
	for range 2 {
		if _, err := c.ResolveDID(ctx, created.Did); err != nil {
			fmt.Println(err)
			return
		}
	}
	usage, err := c.Usage(ctx, ssi.UsageQuery{Start: start})
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, u := range usage.ServiceDetails {
		fmt.Println(u.Method, u.ApiPath, u.Quantity, "calls,", u.OffchainAmount, "credits")
	}
	// Output:
	// POST /api/v1/did/create 1 calls, 7 credits
	// GET /api/v1/did/resolve 2 calls, 2 credits
}
