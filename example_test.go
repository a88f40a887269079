package entityauth_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"golang.org/x/oauth2"

	"github.com/entity-studio-go/entityauth"
	"github.com/entity-studio-go/entityauth/entityauthtest"
)

// ExampleConfig_Token fetches one token, without caching.
func ExampleConfig_Token() {
	srv := entityauthtest.NewServer(entityauthtest.Options{})
	defer srv.Close()

	cfg := &entityauth.Config{APISecretKey: srv.APIKey(), BaseURL: srv.URL}
	tok, err := cfg.Token(context.Background())
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(tok.TokenType, time.Until(tok.Expiry).Round(time.Hour))
	// Output: Bearer 4h0m0s
}

// ExampleConfig_TokenSource shares one cached token among all callers: the
// second call makes no request.
func ExampleConfig_TokenSource() {
	srv := entityauthtest.NewServer(entityauthtest.Options{})
	defer srv.Close()

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel() // ends the TokenSource's refreshes
	cfg := &entityauth.Config{APISecretKey: srv.APIKey(), BaseURL: srv.URL, Lifetime: time.Hour}
	ts := cfg.TokenSource(ctx)

	a, _ := ts.Token()
	b, _ := ts.Token()
	fmt.Println(a == b, srv.TokenRequests())

	// Not oauth2.NewClient, which would wrap ts in a ReuseTokenSource.
	client := &http.Client{Transport: &oauth2.Transport{Source: ts}}
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, srv.URL+"/api/v1/did", nil)
	resp, err := client.Do(req)
	if err != nil {
		fmt.Println(err)
		return
	}
	_ = resp.Body.Close()
	fmt.Println(resp.Status)

	// Printing a TokenSource (or a Config) shows no secret.
	printed := fmt.Sprintf("%v %+v %#v", ts, ts, cfg)
	fmt.Println(strings.Contains(printed, a.AccessToken), strings.Contains(printed, srv.APIKey()))
	// Output:
	// true 1
	// 200 OK
	// false false
}

// ExampleError shows what a rejected key looks like and how to branch on it.
func ExampleError() {
	srv := entityauthtest.NewServer(entityauthtest.Options{})
	defer srv.Close()

	cfg := &entityauth.Config{APISecretKey: "not-the-key", BaseURL: srv.URL}
	_, err := cfg.Token(context.Background())
	fmt.Println(err)
	fmt.Println(errors.Is(err, entityauth.ErrUnauthorized))
	var re *oauth2.RetrieveError
	if errors.As(err, &re) {
		fmt.Println(re.Response.StatusCode, re.ErrorCode)
	}
	// Output:
	// entityauth: token endpoint answered 401 Unauthorized: Access denied.
	// true
	// 401 Unauthorized
}

// ExampleConfig_Validate checks a Config at start-up, with no network: a
// plain-http base URL off loopback would be refused by the first Token call.
func ExampleConfig_Validate() {
	cfg := &entityauth.Config{APISecretKey: "app-key", BaseURL: "http://api.example.com"}
	if err := cfg.Validate(); err != nil {
		fmt.Println(err)
		fmt.Println(errors.Is(err, entityauth.ErrInsecureURL))
	}
	cfg.BaseURL = "https://api.example.com"
	fmt.Println(cfg.Validate())
	// Output:
	// entityauth: insecure base URL: "http://api.example.com": plain http is allowed only to localhost, 127.0.0.0/8 and ::1
	// true
	// <nil>
}
