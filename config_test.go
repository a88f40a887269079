package entityauth

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/oauth2"

	"github.com/entity-studio-go/entityauth/entityauthtest"
)

func TestConfigTokenRequestAndExpiry(t *testing.T) {
	bubble(t, entityauthtest.Options{}, func(t *testing.T, srv *entityauthtest.Server) {
		c := configFor(srv)
		c.Origin = "https://app.example.com"
		c.GrantType = "access_service_ssi"
		c.Lifetime = 2 * time.Hour
		sent := time.Now()
		tok, err := c.Token(context.Background())
		if err != nil {
			t.Fatalf("Token: %v", err)
		}
		if tok.AccessToken == "" || tok.TokenType != "Bearer" {
			t.Errorf("token = %q type %q; want a token of type Bearer", tok.AccessToken, tok.TokenType)
		}
		if want := sent.Add(2 * time.Hour); !tok.Expiry.Equal(want) {
			t.Errorf("Expiry = %v; want %v (send time + expiresIn)", tok.Expiry, want)
		}
		reqs := srv.Requests()
		if len(reqs) != 1 {
			t.Fatalf("requests = %d; want 1", len(reqs))
		}
		r := reqs[0]
		checks := []struct{ name, got, want string }{
			{"method", r.Method, http.MethodPost},
			{"path", r.Path, "/api/v1/app/oauth"},
			{"query", r.RawQuery, "grant_type=access_service_ssi"},
			{"X-Api-Secret-Key", r.Header.Get("X-Api-Secret-Key"), srv.APIKey()},
			{"Origin", r.Header.Get("Origin"), "https://app.example.com"},
			{"ExpiresIn", r.Header.Get("ExpiresIn"), "2"},
		}
		for _, c := range checks {
			if c.got != c.want {
				t.Errorf("%s = %q; want %q", c.name, c.got, c.want)
			}
		}
	})
}

func TestConfigTokenOmitsOptionalParameters(t *testing.T) {
	bubble(t, entityauthtest.Options{}, func(t *testing.T, srv *entityauthtest.Server) {
		if _, err := configFor(srv).Token(context.Background()); err != nil {
			t.Fatalf("Token: %v", err)
		}
		r := srv.Requests()[0]
		for _, h := range []string{"Origin", "ExpiresIn"} {
			if v, ok := r.Header[h]; ok {
				t.Errorf("header %s = %q; want none", h, v)
			}
		}
		if r.RawQuery != "" {
			t.Errorf("query = %q; want none", r.RawQuery)
		}
	})
}

// TestConfigTokenStatusErrors checks each error answer: its sentinel, its
// RetrieveError, its message, and how many requests it cost.
func TestConfigTokenStatusErrors(t *testing.T) {
	tests := []struct {
		name     string
		opts     entityauthtest.Options
		wrongKey bool
		faults   []entityauthtest.Fault
		sentinel error
		status   int
		code     string
		message  string
		requests int
	}{
		{name: "wrong key", wrongKey: true, sentinel: ErrUnauthorized, status: 401, code: "Unauthorized", message: "Access denied.", requests: 1},
		{name: "legacy wrong key", opts: entityauthtest.Options{LegacyErrors: true}, wrongKey: true, sentinel: ErrUnauthorized, status: 401, code: "Unauthorized", message: "access_denied", requests: 1},
		{
			name:     "bad request",
			faults:   []entityauthtest.Fault{{Status: 400, JSON: map[string]any{"statusCode": 400, "message": []string{"ExpiresIn must be a whole number of hours"}, "error": "Bad Request"}}},
			sentinel: ErrBadRequest, status: 400, code: "Bad Request", message: "ExpiresIn must be a whole number of hours", requests: 1,
		},
		{
			name:     "forbidden, objects in message",
			faults:   []entityauthtest.Fault{{Status: 403, JSON: map[string]any{"message": []any{map[string]any{"message": "no plan"}, map[string]any{"property": "x", "constraints": map[string]string{"b": "two", "a": "one"}}}}}},
			sentinel: ErrForbidden, status: 403, message: "no plan; one; two", requests: 1,
		},
		{
			name:     "500 three times",
			faults:   []entityauthtest.Fault{entityauthtest.InternalServerError(), entityauthtest.InternalServerError(), entityauthtest.InternalServerError()},
			sentinel: ErrServer, status: 500, message: "MongoServerError; connection pool cleared; Internal server error", requests: 3,
		},
		{
			name:     "html 502 three times",
			faults:   []entityauthtest.Fault{{Status: 502, Body: "<html>bad gateway</html>", ContentType: "text/html"}, {Status: 502, Body: "<html>", ContentType: "text/html"}, {Status: 502, Body: "<html>", ContentType: "text/html"}},
			sentinel: ErrServer, status: 502, requests: 3,
		},
		{
			name:     "404 not retried",
			faults:   []entityauthtest.Fault{{Status: 404, JSON: map[string]any{"statusCode": 404, "message": "Cannot POST /api/v1/app/oauth", "error": "Not Found"}}},
			sentinel: ErrUnexpectedStatus, status: 404, code: "Not Found", message: "Cannot POST /api/v1/app/oauth", requests: 1,
		},
		{
			name:     "malformed error fields",
			faults:   []entityauthtest.Fault{{Status: 401, JSON: map[string]any{"statusCode": "x", "error": 5, "message": 7}}},
			sentinel: ErrUnauthorized, status: 401, message: "7", requests: 1,
		},
		{
			name:     "truncated error body",
			faults:   []entityauthtest.Fault{{Status: 401, Body: `{"message":["Access`}},
			sentinel: ErrUnauthorized, status: 401, requests: 1,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			bubble(t, tt.opts, func(t *testing.T, srv *entityauthtest.Server) {
				c := configFor(srv)
				if tt.wrongKey {
					c.APISecretKey = strings.Repeat("a", 29) + "." + strings.Repeat("b", 97)
				}
				srv.Enqueue(entityauthtest.TokenEndpoint, tt.faults...)
				tok, err := c.Token(context.Background())
				if err == nil {
					t.Fatalf("Token = %v; want an error", tok)
				}
				if !errors.Is(err, tt.sentinel) {
					t.Errorf("errors.Is(%v, %v) = false; want true", err, tt.sentinel)
				}
				var re *oauth2.RetrieveError
				if !errors.As(err, &re) {
					t.Fatalf("errors.As(%v, *oauth2.RetrieveError) = false; want true", err)
				}
				if re.Response == nil || re.Response.StatusCode != tt.status {
					t.Errorf("RetrieveError.Response = %v; want status %d", re.Response, tt.status)
				}
				if re.ErrorCode != tt.code || re.ErrorDescription != tt.message {
					t.Errorf("ErrorCode, ErrorDescription = %q, %q; want %q, %q", re.ErrorCode, re.ErrorDescription, tt.code, tt.message)
				}
				if len(re.Body) == 0 {
					t.Errorf("RetrieveError.Body is empty; want the raw body")
				}
				if got := re.Response.Request.Header.Get("X-Api-Secret-Key"); got != "[REDACTED]" {
					t.Errorf("Response.Request X-Api-Secret-Key = %q; want [REDACTED]", got)
				}
				var e *Error
				if !errors.As(err, &e) || e.StatusCode != tt.status {
					t.Errorf("errors.As(*Error) status = %v; want %d", e, tt.status)
				}
				if tt.message != "" && !strings.Contains(err.Error(), tt.message) {
					t.Errorf("Error() = %q; want it to carry %q", err.Error(), tt.message)
				}
				if !strings.HasPrefix(err.Error(), "entityauth: ") {
					t.Errorf("Error() = %q; want the prefix entityauth: ", err.Error())
				}
				if got := srv.TokenRequests(); got != tt.requests {
					t.Errorf("token requests = %d; want %d", got, tt.requests)
				}
				if strings.Contains(err.Error(), srv.APIKey()) || strings.Contains(re.Error(), c.APISecretKey) {
					t.Errorf("an error holds the API key")
				}
			})
		})
	}
}

// TestConfigTokenInvalidSuccess feeds 200 answers that are not usable tokens.
// None may be accepted, and no error may quote the token.
func TestConfigTokenInvalidSuccess(t *testing.T) {
	const secret = "eyJhbGciOiJIUzI1NiJ9.c2VjcmV0LXRva2Vu.c2ln"
	tests := []struct {
		name  string
		fault entityauthtest.Fault
		ok    bool
		want  time.Duration
	}{
		{name: "float expiresIn", fault: entityauthtest.Fault{Body: `{"access_token":"` + secret + `","expiresIn":14400.0,"tokenType":"Bearer"}`, ContentType: "application/json; charset=utf-8"}, ok: true, want: 4 * time.Hour},
		{name: "no tokenType", fault: entityauthtest.Fault{JSON: map[string]any{"access_token": secret, "expiresIn": 60}}, ok: true, want: time.Minute},
		{name: "not JSON", fault: entityauthtest.Fault{Body: "access_token=" + secret, ContentType: "application/json"}},
		{name: "HTML", fault: entityauthtest.Fault{Body: `{"access_token":"` + secret + `","expiresIn":14400}`, ContentType: "text/html"}},
		{name: "no access_token", fault: entityauthtest.Fault{JSON: map[string]any{"expiresIn": 14400}}},
		{name: "empty access_token", fault: entityauthtest.Fault{JSON: map[string]any{"access_token": "", "expiresIn": 14400}}},
		{name: "token with newline", fault: entityauthtest.Fault{JSON: map[string]any{"access_token": secret + "\nX: y", "expiresIn": 14400}}},
		{name: "no expiresIn", fault: entityauthtest.Fault{JSON: map[string]any{"access_token": secret}}},
		{name: "zero expiresIn", fault: entityauthtest.Fault{JSON: map[string]any{"access_token": secret, "expiresIn": 0}}},
		{name: "negative expiresIn", fault: entityauthtest.Fault{JSON: map[string]any{"access_token": secret, "expiresIn": -5}}},
		{name: "absurd expiresIn", fault: entityauthtest.Fault{JSON: map[string]any{"access_token": secret, "expiresIn": 1e12}}},
		{name: "string expiresIn", fault: entityauthtest.Fault{JSON: map[string]any{"access_token": secret, "expiresIn": "14400"}}},
		{name: "array body", fault: entityauthtest.Fault{JSON: []string{secret}}},
		{name: "mac token", fault: entityauthtest.Fault{JSON: map[string]any{"access_token": secret, "expiresIn": 60, "tokenType": "mac"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			bubble(t, entityauthtest.Options{}, func(t *testing.T, srv *entityauthtest.Server) {
				srv.Enqueue(entityauthtest.TokenEndpoint, tt.fault)
				start := time.Now()
				tok, err := configFor(srv).Token(context.Background())
				if tt.ok {
					if err != nil {
						t.Fatalf("Token: %v", err)
					}
					if tok.AccessToken != secret || !tok.Expiry.Equal(start.Add(tt.want)) {
						t.Errorf("token, expiry = %q, %v; want %q, %v", tok.AccessToken, tok.Expiry, secret, start.Add(tt.want))
					}
					return
				}
				if !errors.Is(err, ErrInvalidResponse) {
					t.Fatalf("Token error = %v; want ErrInvalidResponse", err)
				}
				var re *oauth2.RetrieveError
				if errors.As(err, &re) {
					t.Errorf("a 200 unwraps to a RetrieveError holding the body")
				}
				if strings.Contains(err.Error(), "c2VjcmV0LXRva2Vu") {
					t.Errorf("Error() = %q; holds the token", err.Error())
				}
				if got := srv.TokenRequests(); got != 1 {
					t.Errorf("token requests = %d; want 1 (invalid answers are not retried)", got)
				}
			})
		})
	}
}

func TestConfigTokenBodyLimits(t *testing.T) {
	bubble(t, entityauthtest.Options{}, func(t *testing.T, srv *entityauthtest.Server) {
		srv.Enqueue(entityauthtest.TokenEndpoint, entityauthtest.Fault{Oversize: 2 << 20})
		_, err := configFor(srv).Token(context.Background())
		if !errors.Is(err, ErrBodyTooLarge) {
			t.Errorf("oversized 200: error = %v; want ErrBodyTooLarge", err)
		}
		srv.Enqueue(entityauthtest.TokenEndpoint, entityauthtest.Fault{Status: 500, Body: strings.Repeat("x", 3<<20)})
		c := configFor(srv)
		c.MaxAttempts = 1
		_, err = c.Token(context.Background())
		var re *oauth2.RetrieveError
		if !errors.As(err, &re) || len(re.Body) > maxErrorBody {
			t.Errorf("oversized 500: error %v with body of %d bytes; want a RetrieveError with at most %d", err, len(re.Body), maxErrorBody)
		}
	})
}

// TestConfigTokenNetworkRetries checks that dropped and truncated answers
// are retried, and that a redirect is neither followed nor retried.
func TestConfigTokenNetworkRetries(t *testing.T) {
	for _, f := range []entityauthtest.Fault{{Drop: true}, {TruncateAt: 10}} {
		bubble(t, entityauthtest.Options{}, func(t *testing.T, srv *entityauthtest.Server) {
			srv.Enqueue(entityauthtest.TokenEndpoint, f)
			if _, err := configFor(srv).Token(context.Background()); err != nil {
				t.Fatalf("Token after %+v: %v", f, err)
			}
			if got := srv.TokenRequests(); got != 2 {
				t.Errorf("token requests = %d; want 2", got)
			}
		})
	}
	bubble(t, entityauthtest.Options{}, func(t *testing.T, srv *entityauthtest.Server) {
		srv.Enqueue(entityauthtest.TokenEndpoint, entityauthtest.Fault{Redirect: srv.URL + "/elsewhere"})
		_, err := configFor(srv).Token(context.Background())
		if !errors.Is(err, ErrUnexpectedStatus) {
			t.Errorf("redirect: error = %v; want ErrUnexpectedStatus", err)
		}
		if n := len(srv.Requests()); n != 1 {
			t.Errorf("requests = %d; want 1 (redirect not followed)", n)
		}
	})
	bubble(t, entityauthtest.Options{}, func(t *testing.T, srv *entityauthtest.Server) {
		srv.SetDown(true)
		c := configFor(srv)
		c.MaxAttempts = 4
		_, err := c.Token(context.Background())
		if err == nil || !strings.HasPrefix(err.Error(), "entityauth: ") {
			t.Errorf("server down: error = %v; want an entityauth error", err)
		}
	})
}

// countingTransport counts the requests that reach it, then fails them.
type countingTransport struct{ n atomic.Int32 }

func (c *countingTransport) RoundTrip(*http.Request) (*http.Response, error) {
	c.n.Add(1)
	return nil, errors.New("no network in this test")
}

// TestConfigValidation checks that each unusable Config fails Token,
// TokenSource and Validate with the same typed error and no request, and that
// Validate passes each usable one.
func TestConfigValidation(t *testing.T) {
	const key = "k.v"
	tests := []struct {
		name string
		c    Config
		want error
	}{
		{"missing key", Config{}, ErrMissingKey},
		{"key with newline", Config{APISecretKey: key + "\n"}, ErrInvalidConfig},
		{"http to a public host", Config{APISecretKey: key, BaseURL: "http://api.entity.dashboard.hypersign.id"}, ErrInsecureURL},
		{"http to a private address", Config{APISecretKey: key, BaseURL: "http://10.0.0.1"}, ErrInsecureURL},
		{"http to a localhost look-alike", Config{APISecretKey: key, BaseURL: "http://localhost.example.com"}, ErrInsecureURL},
		{"ftp", Config{APISecretKey: key, BaseURL: "ftp://127.0.0.1"}, ErrInsecureURL},
		{"no scheme", Config{APISecretKey: key, BaseURL: "api.entity.dashboard.hypersign.id"}, ErrInvalidConfig},
		{"credentials in URL", Config{APISecretKey: key, BaseURL: "https://u:p@example.com"}, ErrInvalidConfig},
		{"query in URL", Config{APISecretKey: key, BaseURL: "https://example.com?x=1"}, ErrInvalidConfig},
		{"lifetime below an hour", Config{APISecretKey: key, Lifetime: 30 * time.Minute}, ErrInvalidConfig},
		{"lifetime not whole hours", Config{APISecretKey: key, Lifetime: 90 * time.Minute}, ErrInvalidConfig},
		{"lifetime too long", Config{APISecretKey: key, Lifetime: 745 * time.Hour}, ErrInvalidConfig},
		{"negative attempts", Config{APISecretKey: key, MaxAttempts: -1}, ErrInvalidConfig},
		{"negative refresh timeout", Config{APISecretKey: key, RefreshTimeout: -time.Second}, ErrInvalidConfig},
		{"origin with CR LF", Config{APISecretKey: key, Origin: "https://app.example\r\nX-Injected: 1"}, ErrInvalidConfig},
		{"origin with LF", Config{APISecretKey: key, Origin: "https://app.example\n"}, ErrInvalidConfig},
		{"origin with CR", Config{APISecretKey: key, Origin: "https://app.example\r"}, ErrInvalidConfig},
		{"origin with NUL", Config{APISecretKey: key, Origin: "https://app.example\x00"}, ErrInvalidConfig},
		{"origin", Config{APISecretKey: key, Origin: "https://app.example:8443"}, nil},
		{"https", Config{APISecretKey: key, BaseURL: "https://example.com/prefix/"}, nil},
		{"default URL", Config{APISecretKey: key, Lifetime: 744 * time.Hour}, nil},
		{"http localhost", Config{APISecretKey: key, BaseURL: "http://LOCALHOST:8080"}, nil},
		{"http 127.0.0.0/8", Config{APISecretKey: key, BaseURL: "http://127.1.2.3:8080"}, nil},
		{"http ::1", Config{APISecretKey: key, BaseURL: "http://[::1]:8080"}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ct := &countingTransport{}
			c := tt.c
			c.HTTPClient = &http.Client{Transport: ct}
			if c.MaxAttempts == 0 {
				c.MaxAttempts = 1
			}
			verr := c.Validate()
			_, err := c.Token(context.Background())
			if tt.want == nil {
				if ct.n.Load() != 1 || verr != nil {
					t.Errorf("requests = %d, error %v, Validate = %v; want 1 request and nil (a valid config)", ct.n.Load(), err, verr)
				}
				return
			}
			if !errors.Is(err, tt.want) {
				t.Errorf("Token error = %v; want %v", err, tt.want)
			}
			if !errors.Is(verr, tt.want) || verr.Error() != err.Error() {
				t.Errorf("Validate = %v; want Token's error %v", verr, err)
			}
			if ct.n.Load() != 0 {
				t.Errorf("requests = %d; want 0 (refused before any connection)", ct.n.Load())
			}
			if _, err := c.TokenSource(context.Background()).Token(); !errors.Is(err, tt.want) {
				t.Errorf("TokenSource.Token error = %v; want %v", err, tt.want)
			}
			if tt.c.APISecretKey != "" && strings.Contains(err.Error(), tt.c.APISecretKey+"\n") {
				t.Errorf("error %q holds the key", err)
			}
		})
	}
}

func TestConfigTokenUsesContextHTTPClient(t *testing.T) {
	bubble(t, entityauthtest.Options{}, func(t *testing.T, srv *entityauthtest.Server) {
		c := configFor(srv)
		c.HTTPClient = nil
		ctx := context.WithValue(context.Background(), oauth2.HTTPClient, srv.Client())
		if _, err := c.Token(ctx); err != nil {
			t.Fatalf("Token with the client in ctx: %v", err)
		}
	})
}

// TestConfigOriginWithLineBreakFailsAtOnce (issue 12, case 9): an Origin with
// CR or LF is ErrInvalidConfig at once, with no request and no retry, from
// Token, a TokenSource and a Client alike.
func TestConfigOriginWithLineBreakFailsAtOnce(t *testing.T) {
	bubble(t, entityauthtest.Options{}, func(t *testing.T, srv *entityauthtest.Server) {
		c := configFor(srv)
		c.Origin = "https://app.example\r\nX-Injected: 1"
		start := time.Now()
		if _, err := c.Token(t.Context()); !errors.Is(err, ErrInvalidConfig) {
			t.Errorf("Token error = %v; want ErrInvalidConfig", err)
		}
		if _, err := c.TokenSource(t.Context()).Token(); !errors.Is(err, ErrInvalidConfig) {
			t.Errorf("TokenSource.Token error = %v; want ErrInvalidConfig", err)
		}
		req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, srv.URL+didPath, nil)
		if err != nil {
			t.Fatal(err)
		}
		resp, err := c.Client(t.Context()).Do(req)
		if err == nil {
			_ = resp.Body.Close()
		}
		if !errors.Is(err, ErrInvalidConfig) {
			t.Errorf("Client error = %v; want ErrInvalidConfig", err)
		}
		if waited := time.Since(start); waited != 0 {
			t.Errorf("waited %v; want 0 (no retry)", waited)
		}
		if got := len(srv.Requests()); got != 0 {
			t.Errorf("requests = %d; want 0", got)
		}
	})
}
