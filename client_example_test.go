package entityauth_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"

	"github.com/entity-studio-go/entityauth"
	"github.com/entity-studio-go/entityauth/entityauthtest"
)

// ExampleConfig_Client creates a DID and lists the DIDs through the SSI API.
// The client fetches and caches the token by itself, and recovers once when
// the server drops its session.
func ExampleConfig_Client() {
	srv := entityauthtest.NewServer(entityauthtest.Options{})
	defer srv.Close()

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel() // ends the client's token refreshes
	cfg := &entityauth.Config{APISecretKey: srv.APIKey(), BaseURL: srv.URL}
	client := cfg.Client(ctx)

	req, _ := http.NewRequestWithContext(ctx, http.MethodPost, srv.URL+"/api/v1/did/create", strings.NewReader(`{"namespace":"testnet"}`))
	req.Header.Set("Content-Type", "application/json")
	resp, err := client.Do(req)
	if err != nil {
		fmt.Println(err)
		return
	}
	resp.Body.Close()
	fmt.Println("create:", resp.Status)

	srv.DropSessions() // the next call meets 401 ["Token expired"] and retries once

	req, _ = http.NewRequestWithContext(ctx, http.MethodGet, srv.URL+"/api/v1/did", nil)
	resp, err = client.Do(req)
	if err != nil {
		fmt.Println(err)
		return
	}
	defer resp.Body.Close()
	var page struct {
		TotalCount int      `json:"totalCount"`
		Data       []string `json:"data"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&page); err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("list:", resp.Status, page.TotalCount, strings.HasPrefix(page.Data[0], "did:hid:"))
	fmt.Println("token requests:", srv.TokenRequests())
	// Output:
	// create: 201 Created
	// list: 200 OK 1 true
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
