package entityauth

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/oauth2"

	"github.com/entity-studio-go/entityauth/entityauthtest"
)

const (
	allowedOrigin = "https://app.example.com"
	didPath       = "/api/v1/did"
	createPath    = "/api/v1/did/create"
)

// get sends a GET for path through client and returns the status, closing the body.
func get(t *testing.T, client *http.Client, url string) int {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := client.Do(req)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	_ = resp.Body.Close()
	return resp.StatusCode
}

// apiRequests returns the recorded requests to the SSI API slice.
func apiRequests(srv *entityauthtest.Server) []entityauthtest.Request {
	var out []entityauthtest.Request
	for _, r := range srv.Requests() {
		if strings.HasPrefix(r.Path, "/api/v1/did") {
			out = append(out, r)
		}
	}
	return out
}

func TestClientSetsBearerAndOrigin(t *testing.T) {
	bubble(t, entityauthtest.Options{AllowedOrigins: []string{allowedOrigin}}, func(t *testing.T, srv *entityauthtest.Server) {
		cfg := configFor(srv)
		cfg.Origin = allowedOrigin
		client := cfg.Client(t.Context())
		for range 3 {
			if got := get(t, client, srv.URL+didPath); got != http.StatusOK {
				t.Fatalf("GET status = %d; want 200", got)
			}
		}
		reqs := apiRequests(srv)
		if len(reqs) != 3 {
			t.Fatalf("API requests = %d; want 3", len(reqs))
		}
		for i, r := range reqs {
			if auth := r.Header.Get("Authorization"); !strings.HasPrefix(auth, "Bearer ey") {
				t.Errorf("request %d: Authorization lacks a bearer JWT", i)
			}
			if got := r.Header.Get("Origin"); got != allowedOrigin {
				t.Errorf("request %d: Origin = %q; want %q", i, got, allowedOrigin)
			}
			if r.Header.Get(secretHeader) != "" {
				t.Errorf("request %d: the API secret key went to the API host", i)
			}
		}
		if got := srv.TokenRequests(); got != 1 {
			t.Errorf("token requests = %d; want 1", got)
		}
	})
}

func TestClientNeverSendsSecretKeyToAPI(t *testing.T) {
	bubble(t, entityauthtest.Options{}, func(t *testing.T, srv *entityauthtest.Server) {
		client := configFor(srv).Client(t.Context())
		req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, srv.URL+didPath, nil)
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set(secretHeader, srv.APIKey()) // a caller's mistake
		resp, err := client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		_ = resp.Body.Close()
		for _, r := range apiRequests(srv) {
			if r.Header.Get(secretHeader) != "" {
				t.Fatalf("the API secret key went to the API host")
			}
		}
		if req.Header.Get(secretHeader) == "" {
			t.Errorf("RoundTrip modified the caller's request")
		}
	})
}

func TestClientRecoversDroppedSession(t *testing.T) {
	bubble(t, entityauthtest.Options{}, func(t *testing.T, srv *entityauthtest.Server) {
		client := configFor(srv).Client(t.Context())
		if got := get(t, client, srv.URL+didPath); got != http.StatusOK {
			t.Fatalf("first GET = %d; want 200", got)
		}
		// Later, so that the new token differs from the rejected one: in the
		// token's second, the server would issue the same token again.
		time.Sleep(time.Minute)
		srv.DropSessions()
		srv.ResetRequests()
		if got := get(t, client, srv.URL+didPath); got != http.StatusOK {
			t.Fatalf("GET after DropSessions = %d; want 200", got)
		}
		if got := srv.TokenRequests(); got != 1 {
			t.Errorf("token refetches = %d; want 1", got)
		}
		if got := srv.APIRequests(); got != 2 {
			t.Errorf("API requests = %d; want 2 (the 401 and one retry)", got)
		}
	})
}

func TestClientRetriesLasting401Once(t *testing.T) {
	bubble(t, entityauthtest.Options{AllowedOrigins: []string{allowedOrigin}}, func(t *testing.T, srv *entityauthtest.Server) {
		cfg := configFor(srv)
		cfg.Origin = "https://evil.example"
		client := cfg.Client(t.Context())
		if got := get(t, client, srv.URL+didPath); got != http.StatusUnauthorized {
			t.Fatalf("GET = %d; want 401", got)
		}
		if got := srv.APIRequests(); got != 2 {
			t.Errorf("API requests = %d; want 2 (one retry, no loop)", got)
		}
		if got := srv.TokenRequests(); got != 2 {
			t.Errorf("token requests = %d; want 2", got)
		}
	})
}

func TestClientDoesNotRetry400Or403(t *testing.T) {
	tests := []struct {
		name   string
		setup  func(*Config, *entityauthtest.Server)
		status int
	}{
		{"400 without credits", func(_ *Config, srv *entityauthtest.Server) { srv.SetCredits(false) }, http.StatusBadRequest},
		{"400 for another grant", func(c *Config, srv *entityauthtest.Server) {
			// The server copies grant_type into the token once the app has a session.
			_, _ = configFor(srv).Token(context.Background())
			srv.ResetRequests()
			c.GrantType = "access_service_kyc"
		}, http.StatusBadRequest},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			bubble(t, entityauthtest.Options{}, func(t *testing.T, srv *entityauthtest.Server) {
				cfg := configFor(srv)
				tt.setup(cfg, srv)
				client := cfg.Client(t.Context())
				if got := get(t, client, srv.URL+didPath); got != tt.status {
					t.Fatalf("GET = %d; want %d", got, tt.status)
				}
				if got := srv.APIRequests(); got != 1 {
					t.Errorf("API requests = %d; want 1", got)
				}
				if got := srv.TokenRequests(); got != 1 {
					t.Errorf("token requests = %d; want 1", got)
				}
			})
		})
	}
}

// recordingAPI is a real HTTP server that answers 401 to the first n requests
// and 201 after, and records each request's body and Authorization header.
type recordingAPI struct {
	*httptest.Server
	mu     sync.Mutex
	bodies []string
	auths  []string
	fail   int
}

func newRecordingAPI(t *testing.T, fail int) *recordingAPI {
	a := &recordingAPI{fail: fail}
	a.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(io.LimitReader(r.Body, 1<<20))
		a.mu.Lock()
		a.bodies = append(a.bodies, string(body))
		a.auths = append(a.auths, r.Header.Get("Authorization"))
		n := len(a.bodies)
		a.mu.Unlock()
		if n <= a.fail {
			w.WriteHeader(http.StatusUnauthorized)
			_, _ = io.WriteString(w, `{"statusCode":401,"message":["Token expired"],"error":"Unauthorized"}`)
			return
		}
		w.WriteHeader(http.StatusCreated)
	}))
	t.Cleanup(a.Close)
	return a
}

func TestClientReplaysPostBody(t *testing.T) {
	srv := entityauthtest.Start(t, entityauthtest.Options{})
	api := newRecordingAPI(t, 1)
	client := configFor(srv).Client(t.Context())

	const payload = `{"namespace":"testnet"}`
	req, err := http.NewRequestWithContext(t.Context(), http.MethodPost, api.URL+createPath, strings.NewReader(payload))
	if err != nil {
		t.Fatal(err)
	}
	resp, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	_ = resp.Body.Close()
	if resp.StatusCode != http.StatusCreated {
		t.Fatalf("POST = %d; want 201", resp.StatusCode)
	}
	if len(api.bodies) != 2 {
		t.Fatalf("API requests = %d; want 2", len(api.bodies))
	}
	for i, b := range api.bodies {
		if b != payload {
			t.Errorf("body %d = %q; want %q", i, b, payload)
		}
	}
	if got := srv.TokenRequests(); got != 2 {
		t.Errorf("token requests = %d; want 2", got)
	}
}

func TestClientDoesNotReplayOneShotBody(t *testing.T) {
	srv := entityauthtest.Start(t, entityauthtest.Options{})
	api := newRecordingAPI(t, 1)
	client := configFor(srv).Client(t.Context())

	// An io.Reader that is not a *bytes.Reader, *strings.Reader or
	// *bytes.Buffer gets no GetBody, so it cannot be sent twice.
	body := io.MultiReader(strings.NewReader(`{"a":1}`))
	req, err := http.NewRequestWithContext(t.Context(), http.MethodPost, api.URL+createPath, body)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	_ = resp.Body.Close()
	if resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("POST = %d; want the 401 as it is", resp.StatusCode)
	}
	if len(api.bodies) != 1 {
		t.Errorf("API requests = %d; want 1", len(api.bodies))
	}
}

func TestClientBurstOf401sCostsOneRefetch(t *testing.T) {
	bubble(t, entityauthtest.Options{}, func(t *testing.T, srv *entityauthtest.Server) {
		client := configFor(srv).Client(t.Context())
		if got := get(t, client, srv.URL+didPath); got != http.StatusOK {
			t.Fatalf("first GET = %d; want 200", got)
		}
		// Later, so that the new token differs from the rejected one: in the
		// token's second, the server would issue the same token again.
		time.Sleep(time.Minute)
		srv.DropSessions()
		srv.ResetRequests()

		const n = 50
		var wg sync.WaitGroup
		var ok atomic.Int32
		for range n {
			wg.Go(func() {
				if get(t, client, srv.URL+didPath) == http.StatusOK {
					ok.Add(1)
				}
			})
		}
		wg.Wait()
		if got := ok.Load(); got != n {
			t.Errorf("successful requests = %d; want %d", got, n)
		}
		if got := srv.TokenRequests(); got != 1 {
			t.Errorf("token refetches = %d; want 1", got)
		}
	})
}

func TestTransportRefusesInsecureHosts(t *testing.T) {
	srv := entityauthtest.Start(t, entityauthtest.Options{})
	client := configFor(srv).Client(t.Context())
	for _, url := range []string{"http://api.entity.hypersign.id/api/v1/did", "ftp://127.0.0.1/x"} {
		req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, url, nil)
		if err != nil {
			t.Fatal(err)
		}
		resp, err := client.Do(req)
		if err == nil {
			_ = resp.Body.Close()
			t.Fatalf("GET %s succeeded; want ErrInsecureURL", url)
		}
		if !errors.Is(err, ErrInsecureURL) {
			t.Errorf("GET %s: err = %v; want ErrInsecureURL", url, err)
		}
	}
	if got := srv.TokenRequests(); got != 0 {
		t.Errorf("token requests = %d; want 0 (refused before any token)", got)
	}
}

func TestTransportAllowedHosts(t *testing.T) {
	srv := entityauthtest.Start(t, entityauthtest.Options{})
	other := newRecordingAPI(t, 0)

	cfg := configFor(srv)
	cfg.APIHosts = []string{"localhost"}
	client := cfg.Client(t.Context())
	req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, other.URL+didPath, nil)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := client.Do(req)
	if err == nil {
		_ = resp.Body.Close()
		t.Fatal("request to a host outside APIHosts succeeded")
	}
	if !errors.Is(err, ErrHostNotAllowed) {
		t.Errorf("err = %v; want ErrHostNotAllowed", err)
	}
	if len(other.auths) != 0 {
		t.Errorf("the other host got %d requests; want 0", len(other.auths))
	}

	cfg.APIHosts = []string{strings.TrimPrefix(other.URL, "http://")}
	if got := get(t, cfg.Client(t.Context()), other.URL+createPath); got != http.StatusCreated {
		t.Errorf("GET to an allowed host:port = %d; want 201", got)
	}
}

// TestTransportRedirects documents what happens when the API redirects to
// another host: the redirected request goes without the token, unless that
// host is in APIHosts; a host outside a non-empty APIHosts is refused.
func TestTransportRedirects(t *testing.T) {
	srv := entityauthtest.Start(t, entityauthtest.Options{})
	target := newRecordingAPI(t, 0)
	redirector := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		dst := target.URL
		if r.URL.Path == "/same" {
			// 127.0.0.1 and localhost are different hosts; this one stays.
			http.Redirect(w, r, "/final", http.StatusFound)
			return
		}
		if r.URL.Path == "/final" {
			_, _ = io.WriteString(w, r.Header.Get("Authorization"))
			return
		}
		http.Redirect(w, r, dst+createPath, http.StatusFound)
	}))
	t.Cleanup(redirector.Close)

	cfg := configFor(srv)
	if got := get(t, cfg.Client(t.Context()), redirector.URL+"/away"); got != http.StatusCreated {
		t.Fatalf("redirected GET = %d; want 201", got)
	}
	if len(target.auths) != 1 || target.auths[0] != "" {
		t.Errorf("the other host got Authorization %q; want none", target.auths)
	}

	// A redirect on the same host keeps the token.
	req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, redirector.URL+"/same", nil)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := cfg.Client(t.Context()).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	got, _ := io.ReadAll(resp.Body)
	_ = resp.Body.Close()
	if !bytes.HasPrefix(got, []byte("Bearer ey")) {
		t.Errorf("same-host redirect lost the token")
	}

	// With APIHosts that lists only the redirector, the redirect is refused.
	cfg.APIHosts = []string{strings.TrimPrefix(redirector.URL, "http://")}
	req, err = http.NewRequestWithContext(t.Context(), http.MethodGet, redirector.URL+"/away", nil)
	if err != nil {
		t.Fatal(err)
	}
	resp, err = cfg.Client(t.Context()).Do(req)
	if err == nil {
		_ = resp.Body.Close()
		t.Fatal("redirect to a host outside APIHosts succeeded")
	}
	if !errors.Is(err, ErrHostNotAllowed) {
		t.Errorf("err = %v; want ErrHostNotAllowed", err)
	}

	// With both hosts listed, the redirected request carries the token.
	cfg.APIHosts = append(cfg.APIHosts, strings.TrimPrefix(target.URL, "http://"))
	if got := get(t, cfg.Client(t.Context()), redirector.URL+"/away"); got != http.StatusCreated {
		t.Fatalf("redirected GET = %d; want 201", got)
	}
	if last := target.auths[len(target.auths)-1]; !strings.HasPrefix(last, "Bearer ey") {
		t.Errorf("an allowed redirect target got no token")
	}
}

// passCounter is an http.RoundTripper that counts what it passes on.
type passCounter struct {
	base http.RoundTripper
	n    atomic.Int32
}

func (c *passCounter) RoundTrip(r *http.Request) (*http.Response, error) {
	c.n.Add(1)
	return c.base.RoundTrip(r)
}

func TestClientKeepsHTTPClientSettings(t *testing.T) {
	srv := entityauthtest.Start(t, entityauthtest.Options{})
	base := &passCounter{base: srv.Transport()}
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	redirectErr := errors.New("no redirects here")
	hc := &http.Client{
		Transport:     base,
		Timeout:       7 * time.Second,
		Jar:           jar,
		CheckRedirect: func(*http.Request, []*http.Request) error { return redirectErr },
	}
	cfg := &Config{APISecretKey: srv.APIKey(), BaseURL: srv.URL, HTTPClient: hc}
	client := cfg.Client(t.Context())
	if client.Timeout != hc.Timeout || client.Jar != hc.Jar || client.CheckRedirect == nil {
		t.Fatalf("Client dropped Timeout, Jar or CheckRedirect")
	}
	tr, ok := client.Transport.(*Transport)
	if !ok || tr.Base != base {
		t.Fatalf("Client's Transport = %T; want *Transport on the HTTPClient's transport", client.Transport)
	}
	if got := get(t, client, srv.URL+didPath); got != http.StatusOK {
		t.Fatalf("GET = %d; want 200", got)
	}
	// One token request and one API request went through the base transport.
	if got := base.n.Load(); got != 2 {
		t.Errorf("requests through the base transport = %d; want 2", got)
	}
}

func TestTransportWithPlainTokenSource(t *testing.T) {
	srv := entityauthtest.Start(t, entityauthtest.Options{})
	// A source with neither TokenContext nor Invalidate still authenticates,
	// but a 401 is returned as it is.
	src := oauth2.ReuseTokenSource(nil, configFor(srv).TokenSource(t.Context()))
	client := &http.Client{Transport: &Transport{Source: src, Base: srv.Transport()}}
	if got := get(t, client, srv.URL+didPath); got != http.StatusOK {
		t.Fatalf("GET = %d; want 200", got)
	}
	srv.DropSessions()
	if got := get(t, client, srv.URL+didPath); got != http.StatusUnauthorized {
		t.Errorf("GET after DropSessions = %d; want 401 (no Invalidate, no retry)", got)
	}
}

func TestTransportLogsNoSecrets(t *testing.T) {
	bubble(t, entityauthtest.Options{AllowedOrigins: []string{allowedOrigin}}, func(t *testing.T, srv *entityauthtest.Server) {
		logger, buf := newLogger()
		cfg := configFor(srv)
		cfg.Logger = logger
		client := cfg.Client(t.Context())
		var tokens []string
		seen := func() {
			tok, err := cfg.Token(context.Background())
			if err == nil {
				tokens = append(tokens, tok.AccessToken)
			}
		}
		seen()
		get(t, client, srv.URL+didPath)
		srv.DropSessions()
		get(t, client, srv.URL+didPath) // refresh, invalidation and retry
		cfg2 := *cfg
		cfg2.Origin = "https://evil.example"
		get(t, cfg2.Client(t.Context()), srv.URL+didPath) // a lasting 401
		for _, r := range srv.Requests() {
			if tok, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer "); ok {
				tokens = append(tokens, tok)
			}
		}
		out := buf.String()
		if !strings.Contains(out, "401") {
			t.Fatalf("the log has no record of the 401 retry:\n%s", out)
		}
		if strings.Contains(out, srv.APIKey()) {
			t.Errorf("the log contains the API secret key")
		}
		for _, tok := range tokens {
			// The signature alone must not appear either.
			if i := strings.LastIndexByte(tok, '.'); strings.Contains(out, tok[i+1:]) {
				t.Errorf("the log contains an access token")
			}
		}
	})
}

func TestTransportPrintsNoToken(t *testing.T) {
	const secret = "eyJhbGciOiJIUzI1NiJ9.canary-payload.canary-signature"
	tr := &Transport{
		Source:       oauth2.StaticTokenSource(&oauth2.Token{AccessToken: secret}),
		Base:         http.DefaultTransport,
		Origin:       allowedOrigin,
		AllowedHosts: []string{"api.entity.hypersign.id"},
	}
	logger, buf := newLogger()
	logger.Info("transport", "t", tr)
	outs := []string{buf.String()}
	for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%q", "%x", "%d"} {
		outs = append(outs, fmt.Sprintf(verb, tr))
	}
	for i, out := range outs {
		if strings.Contains(out, "canary") {
			t.Errorf("output %d holds the token: %s", i, out)
		}
	}
	if got := fmt.Sprint(tr); !strings.Contains(got, "oauth2.staticTokenSource") || !strings.Contains(got, allowedOrigin) {
		t.Errorf("fmt.Sprint(tr) = %q; want the source's type and the origin", got)
	}
}
