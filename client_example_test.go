package entityauth_test

import (
	"context"
	"fmt"
	"net/http"
	"strings"

	"github.com/entity-studio-go/entityauth"
	"github.com/entity-studio-go/entityauth/entityauthtest"
	"github.com/entity-studio-go/entityauth/gen/ssiapi"
	"github.com/entity-studio-go/entityauth/ssi"
)

// ExampleConfig_Client calls the SSI API through package ssi on the client
// from Config.Client: it creates a DID, then lists the DIDs. The client
// fetches and caches the token by itself, and recovers once when the server
// drops its session.
func ExampleConfig_Client() {
	srv := entityauthtest.NewServer(entityauthtest.Options{})
	defer srv.Close()

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel() // ends the client's token refreshes
	cfg := &entityauth.Config{APISecretKey: srv.APIKey(), BaseURL: srv.URL}
	c, err := ssi.NewClient(srv.URL, cfg.Client(ctx)) // ssi.DefaultBaseURL in production
	if err != nil {
		fmt.Println(err)
		return
	}
	created, err := c.CreateDID(ctx, ssiapi.CreateDIDRequest{Namespace: ssiapi.DIDNamespaceTestnet})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("created:", strings.HasPrefix(created.Did, "did:hid:testnet:"), created.RegistrationStatus)

	srv.DropSessions() // the next call meets 401 ["Token expired"] and retries once

	for did, err := range c.DIDs(ctx) {
		if err != nil {
			fmt.Println(err)
			return
		}
		fmt.Println("listed:", did == created.Did)
	}
	fmt.Println("token requests:", srv.TokenRequests())
	// Output:
	// created: true UNREGISTRED
	// listed: true
	// token requests: 2
}

// ExampleTransport composes the authenticating Transport with another
// transport, here the fake's, in place of tracing or retry middleware.
func ExampleTransport() {
	srv := entityauthtest.NewServer(entityauthtest.Options{})
	defer srv.Close()

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	cfg := &entityauth.Config{APISecretKey: srv.APIKey(), BaseURL: srv.URL}
	client := &http.Client{Transport: &entityauth.Transport{
		Source:   cfg.TokenSource(ctx),
		Base:     srv.Transport(),
		APIHosts: []string{"127.0.0.1"},
	}}
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, srv.URL+"/api/v1/did", nil)
	resp, err := client.Do(req)
	if err != nil {
		fmt.Println(err)
		return
	}
	resp.Body.Close()
	fmt.Println(resp.Status)
	// Output: 200 OK
}
