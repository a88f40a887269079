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

// recordingAPI is a real HTTP server that answers 201, or 401 while its
// reject budget lasts, and records each request's body and Authorization
// header.
type recordingAPI struct {
	*httptest.Server
	mu     sync.Mutex
	bodies []string
	auths  []string
	reject int // the number of requests still to answer 401
}

func newRecordingAPI(t *testing.T) *recordingAPI {
	a := &recordingAPI{}
	a.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(io.LimitReader(r.Body, 1<<20))
		a.mu.Lock()
		a.bodies = append(a.bodies, string(body))
		a.auths = append(a.auths, r.Header.Get("Authorization"))
		reject := a.reject > 0
		a.reject--
		a.mu.Unlock()
		if reject {
			w.WriteHeader(http.StatusUnauthorized)
			_, _ = io.WriteString(w, `{"statusCode":401,"message":["Token expired"],"error":"Unauthorized"}`)
			return
		}
		w.WriteHeader(http.StatusCreated)
	}))
	t.Cleanup(a.Close)
	return a
}

// rejectNext makes a answer 401 to its next n requests.
func (a *recordingAPI) rejectNext(n int) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.reject = n
}

// post sends body to url through client as a POST and returns the status.
// A one-shot body is read through a plain io.Reader, which gets no GetBody,
// so that it cannot be sent twice.
func post(t *testing.T, client *http.Client, url, body string, oneShot bool) int {
	t.Helper()
	var r io.Reader = strings.NewReader(body)
	if oneShot {
		r = io.MultiReader(r)
	}
	req, err := http.NewRequestWithContext(t.Context(), http.MethodPost, url, r)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := client.Do(req)
	if err != nil {
		t.Fatalf("POST %s: %v", url, err)
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	_ = resp.Body.Close()
	return resp.StatusCode
}

// TestClientReplaysPostBody: a token that the API accepted and then rejects
// is dropped, and the POST is sent again, with its body, under a fresh token.
func TestClientReplaysPostBody(t *testing.T) {
	srv := entityauthtest.Start(t, entityauthtest.Options{})
	api := newRecordingAPI(t)
	client := configFor(srv).Client(t.Context())

	const payload = `{"namespace":"testnet"}`
	if got := post(t, client, api.URL+createPath, payload, false); got != http.StatusCreated {
		t.Fatalf("first POST = %d; want 201", got)
	}
	api.rejectNext(1)
	if got := post(t, client, api.URL+createPath, payload, false); got != http.StatusCreated {
		t.Fatalf("POST after a 401 = %d; want 201", got)
	}
	if len(api.bodies) != 3 {
		t.Fatalf("API requests = %d; want 3", len(api.bodies))
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

// TestClientDropsTokenRejectedOnOneShotBody (issue 12, case 4): a 401 to a
// request whose body cannot be sent again goes back to the caller as it is,
// and the rejected token is dropped all the same, so that the next request
// carries a fresh token instead of meeting 401 again.
func TestClientDropsTokenRejectedOnOneShotBody(t *testing.T) {
	bubble(t, entityauthtest.Options{}, func(t *testing.T, srv *entityauthtest.Server) {
		client := configFor(srv).Client(t.Context())
		if got := get(t, client, srv.URL+didPath); got != http.StatusOK {
			t.Fatalf("first GET = %d; want 200", got)
		}
		srv.DropSessions()
		srv.ResetRequests()
		if got := post(t, client, srv.URL+createPath, `{"namespace":"testnet"}`, true); got != http.StatusUnauthorized {
			t.Fatalf("POST with a one-shot body = %d; want the 401 as it is", got)
		}
		if got := srv.APIRequests(); got != 1 {
			t.Fatalf("API requests = %d; want 1 (no replay)", got)
		}
		if got := get(t, client, srv.URL+didPath); got != http.StatusOK {
			t.Fatalf("GET after the 401 = %d; want 200", got)
		}
		if got := srv.APIRequests(); got != 2 {
			t.Errorf("API requests = %d; want 2: the GET must carry a fresh token, not meet the 401 again", got)
		}
		if got := srv.TokenRequests(); got != 1 {
			t.Errorf("token requests = %d; want 1", got)
		}
	})
}

// TestClientLasting401DoesNotStorm (issue 12, case 5): an API that always
// answers 401 (here: an Origin that the app does not allow) gets 25 calls,
// through one client or through a client built per call. Each returns the
// server's 401 at once; the first 401 costs one refresh, whose fresh token is
// rejected at once too, and no more follow, so that the token endpoint's rate
// limit stays unspent and a well-configured client of the same address still
// gets its token. Later, at most one refresh a minute follows.
func TestClientLasting401DoesNotStorm(t *testing.T) {
	for _, perCall := range []bool{false, true} {
		t.Run(fmt.Sprintf("client per call %v", perCall), func(t *testing.T) { lasting401(t, perCall) })
	}
}

func lasting401(t *testing.T, perCall bool) {
	bubble(t, entityauthtest.Options{AllowedOrigins: []string{allowedOrigin}}, func(t *testing.T, srv *entityauthtest.Server) {
		cfg := configFor(srv)
		cfg.Origin = "https://evil.example"
		shared := cfg.Client(t.Context())
		client := func() *http.Client {
			if perCall {
				c := *cfg // an equal Config, built anew
				return c.Client(t.Context())
			}
			return shared
		}
		const calls = 25
		var slowest time.Duration
		for i := range calls {
			start := time.Now()
			if got := get(t, client(), srv.URL+didPath); got != http.StatusUnauthorized {
				t.Fatalf("call %d = %d; want 401", i, got)
			}
			slowest = max(slowest, time.Since(start))
		}
		if slowest >= time.Second {
			t.Errorf("slowest call took %v; want well under a second", slowest)
		}
		if got := srv.TokenRequests(); got > 2 {
			t.Errorf("token requests for %d calls = %d; want at most 2", calls, got)
		}
		if got := srv.APIRequests(); got != calls+1 {
			t.Errorf("API requests = %d; want %d (one retry, with the one refreshed token)", got, calls+1)
		}
		t.Logf("%d calls answered 401: %d token requests, slowest call %v (virtual)", calls, srv.TokenRequests(), slowest)

		good := configFor(srv)
		good.Origin = allowedOrigin
		start := time.Now()
		if got := get(t, good.Client(t.Context()), srv.URL+didPath); got != http.StatusOK || time.Since(start) > 0 {
			t.Fatalf("GET by a well-configured client = %d after %v; want 200 at once", got, time.Since(start))
		}

		// Once the token is no longer fresh, a 401 may cost one refresh a
		// minute, never more.
		before := srv.TokenRequests()
		const minutes = 5
		for range minutes * 6 {
			time.Sleep(10 * time.Second)
			if got := get(t, client(), srv.URL+didPath); got != http.StatusUnauthorized {
				t.Fatalf("GET = %d; want 401", got)
			}
		}
		if got := srv.TokenRequests() - before; got < 1 || got > minutes {
			t.Errorf("token requests over %d minutes of 401s = %d; want 1 to %d", minutes, got, minutes)
		}
	})
}

// TestClientDroppedSessionRightAfterMint: a session dropped moments after
// the token was minted, before the API ever saw it, still costs one refresh,
// and the call succeeds (a process that read its token from a cache, such as
// the CLI, meets this).
func TestClientDroppedSessionRightAfterMint(t *testing.T) {
	bubble(t, entityauthtest.Options{}, func(t *testing.T, srv *entityauthtest.Server) {
		cfg := configFor(srv)
		mustToken(t, cfg.TokenSource(t.Context()))
		time.Sleep(2 * time.Second) // the server issues identical tokens within a second
		srv.DropSessions()
		if got := get(t, cfg.Client(t.Context()), srv.URL+didPath); got != http.StatusOK {
			t.Fatalf("GET after a session dropped right after the mint = %d; want 200 after one refresh", got)
		}
		if got := srv.TokenRequests(); got != 2 {
			t.Errorf("token requests = %d; want 2", got)
		}
	})
}

// TestClient401RefreshesAtMostOnceAMinute: a Transport refreshes after 401s
// to tokens that the API had accepted, but at most once a minute.
func TestClient401RefreshesAtMostOnceAMinute(t *testing.T) {
	bubble(t, entityauthtest.Options{}, func(t *testing.T, srv *entityauthtest.Server) {
		client := configFor(srv).Client(t.Context())
		if got := get(t, client, srv.URL+didPath); got != http.StatusOK {
			t.Fatalf("first GET = %d; want 200", got)
		}
		srv.DropSessions()
		if got := get(t, client, srv.URL+didPath); got != http.StatusOK {
			t.Fatalf("GET after a dropped session = %d; want 200 after one refresh", got)
		}
		srv.DropSessions()
		if got := get(t, client, srv.URL+didPath); got != http.StatusUnauthorized {
			t.Fatalf("GET after a second drop within the minute = %d; want 401 without a refresh", got)
		}
		if got := srv.TokenRequests(); got != 2 {
			t.Errorf("token requests = %d; want 2", got)
		}
		time.Sleep(time.Minute)
		if got := get(t, client, srv.URL+didPath); got != http.StatusOK {
			t.Fatalf("GET a minute later = %d; want 200 after one refresh", got)
		}
		if got := srv.TokenRequests(); got != 3 {
			t.Errorf("token requests = %d; want 3", got)
		}
	})
}

// TestClient401SurvivesFailedRefresh (issue 12, case 5): when the refresh
// after a 401 fails, the caller gets the server's 401 answer, body and all,
// never the token error.
func TestClient401SurvivesFailedRefresh(t *testing.T) {
	bubble(t, entityauthtest.Options{APIKey: canaryKey}, func(t *testing.T, srv *entityauthtest.Server) {
		logger, buf := newLogger()
		cfg := configFor(srv)
		cfg.Logger = logger
		client := cfg.Client(t.Context())
		if got := get(t, client, srv.URL+didPath); got != http.StatusOK {
			t.Fatalf("first GET = %d; want 200", got)
		}
		srv.DropSessions()
		srv.Enqueue(entityauthtest.TokenEndpoint, entityauthtest.Fault{Status: 429, JSON: tooMany, RetryAfter: "3600"})
		req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, srv.URL+didPath, nil)
		if err != nil {
			t.Fatal(err)
		}
		resp, err := client.Do(req)
		if err != nil {
			t.Fatalf("GET: %v; want the server's 401", err)
		}
		body, _ := io.ReadAll(resp.Body)
		_ = resp.Body.Close()
		if resp.StatusCode != http.StatusUnauthorized || !strings.Contains(string(body), "Token expired") {
			t.Errorf("GET = %d %q; want 401 with the server's message", resp.StatusCode, body)
		}
		if got := srv.TokenRequests(); got != 2 {
			t.Errorf("token requests = %d; want 2", got)
		}
		if leak := findSecret(buf.String(), append([]string{canaryKey}, issuedTokens(srv)...)...); leak != "" {
			t.Errorf("the log holds %s", leak)
		}
	})
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

// TestSchemeCheckShared checks that Config and Transport judge a URL by one
// rule: each URL is refused by both with ErrInsecureURL, or accepted by both,
// and the Transport's error names neither the path nor the query.
func TestSchemeCheckShared(t *testing.T) {
	tests := []struct {
		url    string
		refuse bool
	}{
		{"http://api.entity.hypersign.id", true},
		{"http://10.0.0.1", true},
		{"http://localhost.example.com", true},
		{"ftp://127.0.0.1", true},
		{"HTTP://api.example.com", true},
		{"https://api.entity.hypersign.id", false},
		{"HTTPS://api.entity.hypersign.id", false},
		{"http://LOCALHOST:8080", false},
		{"http://127.1.2.3:8080", false},
		{"http://[::1]:8080", false},
	}
	for _, tt := range tests {
		cerr := (&Config{APISecretKey: "k.v", BaseURL: tt.url}).Validate()
		if got := errors.Is(cerr, ErrInsecureURL); got != tt.refuse {
			t.Errorf("Config{BaseURL: %q}.Validate() = %v; want ErrInsecureURL: %v", tt.url, cerr, tt.refuse)
		}
		tr := &Transport{
			Source: oauth2.StaticTokenSource(&oauth2.Token{AccessToken: "t"}),
			Base: roundTripFunc(func(*http.Request) (*http.Response, error) {
				return &http.Response{StatusCode: http.StatusNoContent, Body: http.NoBody}, nil
			}),
		}
		req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, tt.url+"/secret-path?key=secret-query", nil)
		if err != nil {
			t.Fatal(err)
		}
		resp, terr := tr.RoundTrip(req)
		if terr == nil {
			_ = resp.Body.Close()
		}
		if got := errors.Is(terr, ErrInsecureURL); got != tt.refuse {
			t.Errorf("Transport.RoundTrip(%s) = %v; want ErrInsecureURL: %v", tt.url, terr, tt.refuse)
		}
		if terr != nil && strings.Contains(terr.Error(), "secret") {
			t.Errorf("Transport.RoundTrip(%s) = %q; want no path or query in the error", tt.url, terr)
		}
	}
}

func TestTransportAPIHosts(t *testing.T) {
	srv := entityauthtest.Start(t, entityauthtest.Options{})
	other := newRecordingAPI(t)

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
	target := newRecordingAPI(t)
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
		Source:   oauth2.StaticTokenSource(&oauth2.Token{AccessToken: secret}),
		Base:     http.DefaultTransport,
		Origin:   allowedOrigin,
		APIHosts: []string{"api.entity.hypersign.id"},
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

// requestless is a base transport that returns its answers without their
// Request, as some mocks and rewriting middleware do.
type requestless struct{ base http.RoundTripper }

func (r requestless) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := r.base.RoundTrip(req)
	if resp != nil {
		resp.Request = nil
	}
	return resp, err
}

// TestTransportRedirectOfUnknownOriginIsCrossHost (issue 12, case 6): when
// the base transport's answers lack their Request, the origin of a redirect
// cannot be told, and the redirected request goes without the token.
func TestTransportRedirectOfUnknownOriginIsCrossHost(t *testing.T) {
	srv := entityauthtest.Start(t, entityauthtest.Options{})
	target := newRecordingAPI(t)
	redirector := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, target.URL+createPath, http.StatusFound)
	}))
	t.Cleanup(redirector.Close)

	client := &http.Client{Transport: &Transport{
		Source: configFor(srv).TokenSource(t.Context()),
		Base:   requestless{http.DefaultTransport},
	}}
	if got := get(t, client, redirector.URL+"/away"); got != http.StatusCreated {
		t.Fatalf("redirected GET = %d; want 201", got)
	}
	if len(target.auths) != 1 || target.auths[0] != "" {
		t.Errorf("the redirect's target got Authorization %.12q; want none", target.auths)
	}
}

// headerRecorder is a real HTTP server that records every request's header
// and trailer names.
type headerRecorder struct {
	*httptest.Server
	mu    sync.Mutex
	names []string
	vals  []string
}

func newHeaderRecorder(t *testing.T) *headerRecorder {
	h := &headerRecorder{}
	h.Server = httptest.NewServer(http.HandlerFunc(func(_ http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body) // trailers arrive after the body
		h.mu.Lock()
		defer h.mu.Unlock()
		for _, hdr := range []http.Header{r.Header, r.Trailer} {
			for k, v := range hdr {
				h.names = append(h.names, k)
				h.vals = append(h.vals, v...)
			}
		}
	}))
	t.Cleanup(h.Close)
	return h
}

// TestClientStripsSecretKeyInAnySpelling (issue 12, case 7): the API secret
// key never leaves through the Client, whatever the spelling of the header's
// name, in the header or in a trailer.
func TestClientStripsSecretKeyInAnySpelling(t *testing.T) {
	srv := entityauthtest.Start(t, entityauthtest.Options{APIKey: canaryKey})
	api := newHeaderRecorder(t)
	client := configFor(srv).Client(t.Context())
	for _, name := range []string{"x-api-secret-key", "X-API-SECRET-KEY", "X-Api-Secret-Key", "x-Api-sEcReT-kEy"} {
		req, err := http.NewRequestWithContext(t.Context(), http.MethodPost, api.URL+createPath,
			io.MultiReader(strings.NewReader(`{"a":1}`))) // no length: chunked, so trailers go out
		if err != nil {
			t.Fatal(err)
		}
		req.Header[name] = []string{canaryKey}
		req.Trailer = http.Header{name: {canaryKey}}
		resp, err := client.Do(req)
		if err != nil {
			t.Fatalf("POST with %s: %v", name, err)
		}
		_ = resp.Body.Close()
		if got := req.Header[name]; len(got) != 1 || got[0] != canaryKey {
			t.Errorf("RoundTrip modified the caller's request header %s", name)
		}
	}
	api.mu.Lock()
	defer api.mu.Unlock()
	for _, n := range api.names {
		if strings.EqualFold(n, secretHeader) {
			t.Errorf("the API host got a %s header", n)
		}
	}
	for _, v := range api.vals {
		if findSecret(v, canaryKey) != "" {
			t.Errorf("the API host got the API secret key")
		}
	}
	if len(api.names) == 0 {
		t.Fatal("the API host recorded no header")
	}
}
