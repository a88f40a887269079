package entityauth

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"golang.org/x/oauth2"

	"github.com/entity-studio-go/entityauth/entityauthtest"
)

// htmlPage is what an ingress or a load balancer answers instead of JSON.
const htmlPage = "<!DOCTYPE html><html><head><title>Error</title></head><body><pre>upstream failed</pre></body></html>"

// tooMany is the real server's 429 body: a bare JSON string.
const tooMany = "Too many requests. Try again later."

// faultRow is one fault injected into the token endpoint and the outcome that
// a TokenSource must show for it.
type faultRow struct {
	name string
	// faults returns the answers to queue; it runs inside the bubble, so
	// that HTTP dates follow virtual time.
	faults func(srv *entityauthtest.Server) []entityauthtest.Fault
	// setup, if not nil, changes the Config or the server before the call.
	setup func(t *testing.T, c *Config, srv *entityauthtest.Server)

	// The outcome: a token (expiresIn seconds after the request), or an
	// error that is every one of is, that is an *Error and an
	// *oauth2.RetrieveError of status when status != 0, and that is a
	// *url.Error (a network failure) when network is set.
	token     bool
	expiresIn time.Duration
	is        []error
	status    int
	network   bool
	message   string // a substring of err.Error(), if not ""

	attempts int // requests made, as RefreshEvent.Attempts reports them; 0: no refresh at all
	requests int // requests the server recorded; -1 means attempts
	// The virtual time the caller waited lies in [min, max].
	min, max time.Duration
}

func faults(f ...entityauthtest.Fault) func(*entityauthtest.Server) []entityauthtest.Fault {
	return func(*entityauthtest.Server) []entityauthtest.Fault { return f }
}

// thrice queues f for each of the default 3 attempts.
func thrice(f entityauthtest.Fault) func(*entityauthtest.Server) []entityauthtest.Fault {
	return faults(f, f, f)
}

// tokenBody returns a 200 JSON body with the canary token and the given
// expiresIn, written as raw JSON.
func tokenBody(expiresIn string) entityauthtest.Fault {
	return entityauthtest.Fault{
		Body:        `{"access_token":"` + canaryToken + `","expiresIn":` + expiresIn + `,"tokenType":"Bearer"}`,
		ContentType: "application/json; charset=utf-8",
	}
}

// routeTransport sends each request to the transport of its URL's host, so
// that one client reaches several pipe servers.
type routeTransport map[string]http.RoundTripper

func (rt routeTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	if t, ok := rt[r.URL.Host]; ok {
		return t.RoundTrip(r)
	}
	return nil, fmt.Errorf("no route to %s", r.URL.Host)
}

// faultMatrix lists every fault of the token endpoint and how a TokenSource
// with the default Config (3 attempts, 2 min refresh timeout) handles it.
// 5xx, 429 and network failures are retried with backoff; every other
// answer ends the refresh at once.
var faultMatrix = []faultRow{
	{
		name:   "500 JSON, three times",
		faults: thrice(entityauthtest.InternalServerError()),
		is:     []error{ErrServer}, status: 500, message: "Internal server error",
		attempts: 3, requests: -1, max: 1500 * time.Millisecond,
	},
	{
		name:   "502 once, then a token",
		faults: faults(entityauthtest.Fault{Status: 502, Body: "Bad Gateway"}),
		token:  true, expiresIn: 4 * time.Hour,
		attempts: 2, requests: -1, max: 500 * time.Millisecond,
	},
	{
		name:   "503 with an HTML body, three times",
		faults: thrice(entityauthtest.Fault{Status: 503, Body: htmlPage, ContentType: "text/html; charset=utf-8"}),
		is:     []error{ErrServer}, status: 503,
		attempts: 3, requests: -1, max: 1500 * time.Millisecond,
	},
	{
		name:   "504 once, then a token",
		faults: faults(entityauthtest.Fault{Status: 504}),
		token:  true, expiresIn: 4 * time.Hour,
		attempts: 2, requests: -1, max: 500 * time.Millisecond,
	},
	{
		name:   "429 bare string once: probed again after 1–2 s, then a token",
		faults: faults(entityauthtest.Fault{Status: 429, JSON: tooMany}),
		token:  true, expiresIn: 4 * time.Hour,
		attempts: 2, requests: -1, min: ProbeBase / 2, max: ProbeBase,
	},
	{
		name:   "429 bare string five times: probes do not count against MaxAttempts",
		faults: faults(slices.Repeat([]entityauthtest.Fault{{Status: 429, JSON: tooMany}}, 5)...),
		token:  true, expiresIn: 4 * time.Hour,
		attempts: 6, requests: -1, min: 23 * time.Second, max: 46 * time.Second,
	},
	{
		name:   "429 bare string, persistent: probes until the refresh timeout",
		faults: faults(slices.Repeat([]entityauthtest.Fault{{Status: 429, JSON: tooMany}}, 10)...),
		setup:  func(_ *testing.T, c *Config, _ *entityauthtest.Server) { c.RefreshTimeout = 3 * time.Second },
		is:     []error{ErrRateLimited}, status: 429, message: tooMany,
		attempts: 2, requests: -1, min: ProbeBase / 2, max: ProbeBase,
	},
	{
		name:   "429 Retry-After seconds",
		faults: faults(entityauthtest.Fault{Status: 429, JSON: tooMany, RetryAfter: "7"}),
		token:  true, expiresIn: 4 * time.Hour,
		attempts: 2, requests: -1, min: 7 * time.Second, max: 7 * time.Second,
	},
	{
		name: "429 Retry-After date",
		faults: func(*entityauthtest.Server) []entityauthtest.Fault {
			at := time.Now().Add(20 * time.Second).UTC().Format(http.TimeFormat)
			return []entityauthtest.Fault{{Status: 429, JSON: tooMany, RetryAfter: at}}
		},
		token: true, expiresIn: 4 * time.Hour,
		attempts: 2, requests: -1, min: 19 * time.Second, max: 20 * time.Second,
	},
	{
		name: "connection refused (closed server)",
		setup: func(_ *testing.T, c *Config, _ *entityauthtest.Server) {
			dead := entityauthtest.NewPipeServer(entityauthtest.Options{APIKey: canaryKey})
			dead.Close()
			c.BaseURL, c.HTTPClient = dead.URL, dead.Client()
		},
		is: []error{syscall.ECONNREFUSED}, network: true,
		attempts: 3, requests: 0, max: 1500 * time.Millisecond,
	},
	{
		name:     "connection closed by a dead host (SetDown)",
		setup:    func(_ *testing.T, _ *Config, srv *entityauthtest.Server) { srv.SetDown(true) },
		network:  true,
		attempts: 3, requests: -1, max: 1500 * time.Millisecond,
	},
	{
		name:   "connection reset mid-body once, then a token",
		faults: faults(entityauthtest.Fault{TruncateAt: 25}),
		token:  true, expiresIn: 4 * time.Hour,
		attempts: 2, requests: -1, max: 500 * time.Millisecond,
	},
	{
		name:     "connection dropped before headers, three times",
		faults:   thrice(entityauthtest.Fault{Drop: true}),
		network:  true,
		attempts: 3, requests: -1, max: 1500 * time.Millisecond,
	},
	{
		name:   "headers slower than RefreshTimeout",
		faults: thrice(entityauthtest.Fault{Delay: time.Hour}),
		setup:  func(_ *testing.T, c *Config, _ *entityauthtest.Server) { c.RefreshTimeout = 10 * time.Second },
		is:     []error{context.DeadlineExceeded}, network: true,
		attempts: 1, requests: -1, min: 10 * time.Second, max: 10 * time.Second,
	},
	{
		name:   "headers slower than the HTTP client's timeout",
		faults: thrice(entityauthtest.Fault{Delay: time.Hour}),
		setup: func(_ *testing.T, c *Config, srv *entityauthtest.Server) {
			c.HTTPClient = &http.Client{Transport: srv.Transport(), Timeout: 5 * time.Second}
		},
		network:  true,
		attempts: 3, requests: -1, min: 15 * time.Second, max: 16500 * time.Millisecond,
	},
	{
		name:     "truncated JSON",
		faults:   faults(entityauthtest.Fault{Body: `{"access_token":"` + canaryToken, ContentType: "application/json"}),
		is:       []error{ErrInvalidResponse},
		attempts: 1, requests: -1,
	},
	{
		name:     "200 with an HTML body",
		faults:   faults(entityauthtest.Fault{Body: htmlPage, ContentType: "text/html"}),
		is:       []error{ErrInvalidResponse},
		attempts: 1, requests: -1,
	},
	{
		name:     "200 with an empty token",
		faults:   faults(entityauthtest.Fault{JSON: map[string]any{"access_token": "", "expiresIn": 14400, "tokenType": "Bearer"}}),
		is:       []error{ErrInvalidResponse},
		attempts: 1, requests: -1,
	},
	{name: "200 with expiresIn 0", faults: faults(tokenBody("0")), is: []error{ErrInvalidResponse}, attempts: 1, requests: -1},
	{name: "200 with a negative expiresIn", faults: faults(tokenBody("-14400")), is: []error{ErrInvalidResponse}, attempts: 1, requests: -1},
	{name: "200 with expiresIn 1e-10", faults: faults(tokenBody("1e-10")), is: []error{ErrInvalidResponse}, attempts: 1, requests: -1},
	{name: "200 with expiresIn 0.5", faults: faults(tokenBody("0.5")), is: []error{ErrInvalidResponse}, attempts: 1, requests: -1},
	{name: "200 with a huge expiresIn", faults: faults(tokenBody("1e300")), is: []error{ErrInvalidResponse}, attempts: 1, requests: -1},
	{
		name: "200 with a float expiresIn (accepted)", faults: faults(tokenBody("3600.5")),
		token: true, expiresIn: 3600500 * time.Millisecond, attempts: 1, requests: -1,
	},
	{name: "200 with a string expiresIn", faults: faults(tokenBody(`"14400"`)), is: []error{ErrInvalidResponse}, attempts: 1, requests: -1},
	{
		// The error must quote nothing of a 200 body: here the tokenType
		// holds the token's signature.
		name: "200 with a tokenType holding a secret",
		faults: faults(entityauthtest.Fault{
			Body:        `{"access_token":"` + canaryToken + `","expiresIn":14400,"tokenType":"x` + canaryToken[strings.LastIndexByte(canaryToken, '.')+1:] + `"}`,
			ContentType: "application/json",
		}),
		is: []error{ErrInvalidResponse}, attempts: 1, requests: -1,
	},
	{
		name: "Origin with CR LF: refused before any request",
		setup: func(_ *testing.T, c *Config, _ *entityauthtest.Server) {
			c.Origin = "https://app.example\r\nX-Injected: 1"
		},
		is: []error{ErrInvalidConfig}, message: "Origin",
		attempts: 0, requests: 0,
	},
	{
		name:     "200 larger than 1 MiB",
		faults:   faults(entityauthtest.Fault{Oversize: MaxResponseBytes + 1}),
		is:       []error{ErrBodyTooLarge},
		attempts: 1, requests: -1,
	},
	{
		name:   "400 with an array message",
		faults: faults(entityauthtest.Fault{Status: 400, JSON: map[string]any{"statusCode": 400, "message": []string{"ExpiresIn must be a whole number of hours"}, "error": "Bad Request"}}),
		is:     []error{ErrBadRequest}, status: 400, message: "ExpiresIn must be a whole number of hours",
		attempts: 1, requests: -1,
	},
	{
		name:   "401 with a string message",
		faults: faults(entityauthtest.Fault{Status: 401, JSON: map[string]any{"statusCode": 401, "message": "access_denied", "error": "Unauthorized"}}),
		is:     []error{ErrUnauthorized}, status: 401, message: "access_denied",
		attempts: 1, requests: -1,
	},
	{
		name:   "401 with an array message",
		faults: faults(entityauthtest.Fault{Status: 401, JSON: map[string]any{"statusCode": 401, "message": []string{"Access denied."}, "error": "Unauthorized"}}),
		is:     []error{ErrUnauthorized}, status: 401, message: "Access denied.",
		attempts: 1, requests: -1,
	},
	{
		name: "401 echoing the key",
		faults: faults(entityauthtest.Fault{Status: 401, JSON: map[string]any{
			"statusCode": 401, "message": []string{"no app for key " + canaryKey}, "error": "Unauthorized " + canaryKey,
		}}),
		is: []error{ErrUnauthorized}, status: 401, message: "no app for key [REDACTED]",
		attempts: 1, requests: -1,
	},
	{
		name:   "403 with an object body",
		faults: faults(entityauthtest.Fault{Status: 403, JSON: map[string]any{"error": "Insufficient credits or no active plan"}}),
		is:     []error{ErrForbidden}, status: 403,
		attempts: 1, requests: -1,
	},
	{
		name:   "404 with an HTML body",
		faults: faults(entityauthtest.Fault{Status: 404, Body: htmlPage, ContentType: "text/html"}),
		is:     []error{ErrUnexpectedStatus}, status: 404,
		attempts: 1, requests: -1,
	},
	{
		name: "redirect to another host",
		setup: func(t *testing.T, c *Config, srv *entityauthtest.Server) {
			other := entityauthtest.NewPipeServer(entityauthtest.Options{})
			t.Cleanup(func() {
				if n := len(other.Requests()); n != 0 {
					t.Errorf("the redirect's target got %d requests; want 0 (the key must not follow)", n)
				}
				other.Close()
			})
			u, _ := url.Parse(srv.URL)
			o, _ := url.Parse(other.URL)
			c.HTTPClient = &http.Client{Transport: routeTransport{u.Host: srv.Transport(), o.Host: other.Transport()}}
			srv.Enqueue(entityauthtest.TokenEndpoint, entityauthtest.Fault{Status: 307, Redirect: other.URL + "/api/v1/app/oauth"})
		},
		is: []error{ErrUnexpectedStatus}, status: 307, message: "redirects are not followed",
		attempts: 1, requests: -1,
	},

	// A Cache is user code: whatever it does, the caller gets a token
	// within RefreshTimeout, and the process stays up.
	{
		name:  "Cache.Load ignores ctx and hangs for an hour",
		setup: hostile(func(h *hostileCache) { h.loadDelay = time.Hour }, 10*time.Second),
		token: true, expiresIn: 4 * time.Hour,
		// The wait budget: lockTTL 5 s + pollBase + pollMax 1 s.
		attempts: 1, requests: -1, min: 6*time.Second + pollBase, max: 6*time.Second + pollBase,
	},
	{
		name:  "Cache.Lock ignores ctx and hangs for an hour",
		setup: hostile(func(h *hostileCache) { h.lockDelay = time.Hour }, 10*time.Second),
		token: true, expiresIn: 4 * time.Hour,
		// The wait budget: lockTTL 5 s + pollBase + pollMax 1 s.
		attempts: 1, requests: -1, min: 6*time.Second + pollBase, max: 6*time.Second + pollBase,
	},
	{
		name:  "Cache.Store ignores ctx and hangs for an hour",
		setup: hostile(func(h *hostileCache) { h.storeDelay = time.Hour }, 10*time.Second),
		token: true, expiresIn: 4 * time.Hour,
		attempts: 1, requests: -1, min: 10 * time.Second, max: 10 * time.Second,
	},
	{
		name:  "Cache.Lock returns a nil unlock and no error",
		setup: hostile(func(h *hostileCache) { h.nilUnlock = true }, 0),
		token: true, expiresIn: 4 * time.Hour,
		attempts: 1, requests: -1,
	},
	{
		name:  "Cache.Load panics",
		setup: hostile(func(h *hostileCache) { h.panics = "Load" }, 0),
		token: true, expiresIn: 4 * time.Hour,
		attempts: 1, requests: -1,
	},
	{
		name:  "Cache.Lock panics",
		setup: hostile(func(h *hostileCache) { h.panics = "Lock" }, 0),
		token: true, expiresIn: 4 * time.Hour,
		attempts: 1, requests: -1,
	},
	{
		name:  "Cache.Store panics",
		setup: hostile(func(h *hostileCache) { h.panics = "Store" }, 0),
		token: true, expiresIn: 4 * time.Hour,
		attempts: 1, requests: -1,
	},
	{
		name:  "unlock panics",
		setup: hostile(func(h *hostileCache) { h.panics = "unlock" }, 0),
		token: true, expiresIn: 4 * time.Hour,
		attempts: 1, requests: -1,
	},
	{
		name: "Cache lock that never expires, RefreshTimeout 3 s",
		setup: hostile(func(h *hostileCache) {
			h.mu.Lock()
			h.locks[h.key] = time.Now().Add(1000 * time.Hour)
			h.mu.Unlock()
		}, 3*time.Second),
		token: true, expiresIn: 4 * time.Hour,
		// The wait budget: lockTTL 1.5 s + pollBase + pollMax 0.3 s.
		attempts: 1, requests: -1, min: 1800*time.Millisecond + pollBase, max: 1800*time.Millisecond + pollBase,
	},
	{
		name: "OnRefresh panics",
		setup: func(_ *testing.T, c *Config, _ *entityauthtest.Server) {
			record := c.OnRefresh
			c.OnRefresh = func(ev RefreshEvent) {
				record(ev)
				panic("callback bug holding " + canaryKey)
			}
		},
		message:  "entityauth: Config.OnRefresh panicked: callback bug holding [REDACTED]",
		attempts: 1, requests: -1,
	},
}

// hostile returns a setup that gives the Config a hostileCache changed by
// f, and the refresh timeout rt unless it is 0.
func hostile(f func(*hostileCache), rt time.Duration) func(*testing.T, *Config, *entityauthtest.Server) {
	return func(t *testing.T, c *Config, _ *entityauthtest.Server) {
		h := &hostileCache{memCache: newMemCache(), key: c.CacheKey(), release: make(chan struct{})}
		t.Cleanup(func() { close(h.release) })
		f(h)
		c.Cache = h
		if rt != 0 {
			c.RefreshTimeout = rt
		}
	}
}

// TestFaultMatrix runs every row of faultMatrix against a TokenSource in its
// own synctest bubble, with the canary key, and checks the outcome, the
// number of attempts, the virtual time waited, and that neither the key nor
// any token shows in the error.
func TestFaultMatrix(t *testing.T) {
	handled := 0
	for _, row := range faultMatrix {
		if t.Run(row.name, func(t *testing.T) { runFaultRow(t, row) }) {
			handled++
		}
	}
	t.Logf("%d faults, %d handled as specified", len(faultMatrix), handled)
}

func runFaultRow(t *testing.T, row faultRow) {
	bubble(t, entityauthtest.Options{APIKey: canaryKey}, func(t *testing.T, srv *entityauthtest.Server) {
		c := configFor(srv)
		var events []RefreshEvent
		c.OnRefresh = func(ev RefreshEvent) { events = append(events, ev) }
		if row.faults != nil {
			srv.Enqueue(entityauthtest.TokenEndpoint, row.faults(srv)...)
		}
		if row.setup != nil {
			row.setup(t, c, srv)
		}
		ts := c.TokenSource(t.Context())

		start := time.Now()
		tok, err := callNoPanic(t, ts)
		elapsed := time.Since(start)

		if row.token {
			if err != nil {
				t.Fatalf("Token: %v; want a token", err)
			}
			if tok.AccessToken == "" || !tok.Expiry.Equal(srv.Requests()[len(srv.Requests())-1].Time.Add(row.expiresIn)) {
				t.Errorf("token = %q expiring %v; want a token expiring %v after the last request", tok.AccessToken, tok.Expiry, row.expiresIn)
			}
		} else {
			checkFaultError(t, row, err)
		}

		// A Config error ends every call before any refresh starts.
		wantEvents := 1
		if row.attempts == 0 {
			wantEvents = 0
		}
		if len(events) != wantEvents {
			t.Fatalf("refresh events = %d; want %d", len(events), wantEvents)
		}
		if wantEvents == 1 && events[0].Attempts != row.attempts {
			t.Errorf("attempts = %d; want %d", events[0].Attempts, row.attempts)
		}
		wantRequests := row.requests
		if wantRequests < 0 {
			wantRequests = row.attempts
		}
		if got := srv.TokenRequests(); got != wantRequests {
			t.Errorf("token requests recorded = %d; want %d", got, wantRequests)
		}
		if elapsed < row.min || elapsed > row.max {
			t.Errorf("waited %v; want within [%v, %v]", elapsed, row.min, row.max)
		}

		secrets := append([]string{canaryKey, canaryToken}, issuedTokens(srv)...)
		if tok != nil {
			secrets = append(secrets, tok.AccessToken)
		}
		for _, s := range errorTexts(err) {
			if leak := findSecret(s, secrets...); leak != "" {
				t.Errorf("error text holds %s (%d bytes of text, not shown)", leak, len(s))
			}
		}
	})
}

// callNoPanic calls ts.Token and turns a panic into a test failure.
func callNoPanic(t *testing.T, ts *TokenSource) (tok *oauth2.Token, err error) {
	t.Helper()
	defer func() {
		if p := recover(); p != nil {
			t.Fatalf("Token panicked: %v", p)
		}
	}()
	return ts.Token()
}

// checkFaultError checks that err is the error class that row wants.
func checkFaultError(t *testing.T, row faultRow, err error) {
	t.Helper()
	if err == nil {
		t.Fatal("Token succeeded; want an error")
	}
	if !strings.HasPrefix(err.Error(), "entityauth: ") {
		t.Errorf("Error() = %q; want the prefix entityauth: ", err)
	}
	for _, want := range row.is {
		if !errors.Is(err, want) {
			t.Errorf("errors.Is(%v, %v) = false; want true", err, want)
		}
	}
	var e *Error
	var re *oauth2.RetrieveError
	isStatus := errors.As(err, &e)
	if isRetrieve := errors.As(err, &re); isStatus != isRetrieve {
		t.Errorf("errors.As *Error = %v, *oauth2.RetrieveError = %v; want both or neither", isStatus, isRetrieve)
	}
	switch {
	case row.status == 0 && isStatus:
		t.Errorf("error %v is an *Error of status %d; want no status error", err, e.StatusCode)
	case row.status != 0 && !isStatus:
		t.Errorf("error %v is not an *Error; want status %d", err, row.status)
	case row.status != 0:
		if e.StatusCode != row.status || re.Response == nil || re.Response.StatusCode != row.status {
			t.Errorf("*Error status = %d, RetrieveError status = %v; want %d", e.StatusCode, re.Response, row.status)
		}
		if got := re.Response.Request.Header.Get(secretHeader); got != redacted {
			t.Errorf("RetrieveError.Response.Request %s = %q; want %q", secretHeader, got, redacted)
		}
		if leak := findSecret(string(re.Body), canaryKey); leak != "" {
			t.Errorf("RetrieveError.Body holds %s", leak)
		}
	}
	var ue *url.Error
	if got := errors.As(err, &ue); got != row.network {
		t.Errorf("errors.As(%v, *url.Error) = %v; want %v", err, got, row.network)
	}
	var ne net.Error
	if row.network && row.min > 0 && (!errors.As(err, &ne) || !ne.Timeout()) {
		t.Errorf("error %v is not a net.Error timeout; want one", err)
	}
	if row.message != "" && !strings.Contains(err.Error(), row.message) {
		t.Errorf("Error() = %q; want it to carry %q", err, row.message)
	}
}

// errorTexts returns every way a user might print err.
func errorTexts(err error) []string {
	if err == nil {
		return nil
	}
	out := []string{err.Error()}
	for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%q"} {
		out = append(out, fmt.Sprintf(verb, err))
	}
	var re *oauth2.RetrieveError
	if errors.As(err, &re) {
		out = append(out, re.Error(), fmt.Sprintf("%+v", re))
	}
	return out
}
