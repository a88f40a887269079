package entityauthtest_test

import (
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/entity-studio-go/entityauth/entityauthtest"
)

func TestTokenSuccess(t *testing.T) {
	s := entityauthtest.Start(t, entityauthtest.Options{})
	a := fetchToken(t, s, tokenRequest{})
	if a.status != http.StatusOK {
		t.Fatalf("status = %d; want 200 (body %s)", a.status, a.body)
	}
	if got, want := a.header.Get("Content-Type"), "application/json; charset=utf-8"; got != want {
		t.Errorf("Content-Type = %q; want %q", got, want)
	}
	re := regexp.MustCompile(`^\{"access_token":"[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+","expiresIn":14400,"tokenType":"Bearer"\}$`)
	if !re.MatchString(a.body) {
		t.Errorf("body = %q; want the recorded shape and key order", a.body)
	}
	var body struct {
		AccessToken string `json:"access_token"`
	}
	if err := json.Unmarshal([]byte(a.body), &body); err != nil {
		t.Fatal(err)
	}
	c := claims(t, body.AccessToken)
	var keys []string
	for k := range c {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	if want := []string{"appId", "appName", "exp", "grantType", "iat", "sessionId", "subdomain"}; !slices.Equal(keys, want) {
		t.Errorf("claims = %q; want %q", keys, want)
	}
	if got := c["exp"].(float64) - c["iat"].(float64); got != 14400 {
		t.Errorf("exp - iat = %v; want 14400", got)
	}
	if got := c["grantType"]; got != "access_service_ssi" {
		t.Errorf("grantType = %v; want access_service_ssi", got)
	}
	if s.APIKey() == "" || !regexp.MustCompile(`^[0-9a-f]{29}\.[0-9a-f]{97}$`).MatchString(s.APIKey()) {
		t.Errorf("generated key does not have the real format")
	}
}

// TestTokenTable covers every row of the reference that concerns the token endpoint.
func TestTokenTable(t *testing.T) {
	const denied = `{"statusCode":401,"message":["Access denied."],"error":"Unauthorized"}`
	const missing = `{"statusCode":401,"message":["x-api-secret-key header is missing"],"error":"Unauthorized"}`
	badExpires := `{"statusCode":400,"message":["ExpiresIn must be a whole number of hours, at least 1"],"error":"Bad Request"}`
	tests := []struct {
		name       string
		legacy     bool
		req        tokenRequest
		wantStatus int
		wantBody   string // exact, or "" to skip
		wantExpiry float64
		wantGrant  string
	}{
		{name: "default lifetime", wantStatus: 200, wantExpiry: 14400, wantGrant: "access_service_ssi"},
		{name: "ExpiresIn 1", req: tokenRequest{expiresIn: "1"}, wantStatus: 200, wantExpiry: 3600, wantGrant: "access_service_ssi"},
		{name: "ExpiresIn 24", req: tokenRequest{expiresIn: "24"}, wantStatus: 200, wantExpiry: 86400, wantGrant: "access_service_ssi"},
		{name: "ExpiresIn 0", req: tokenRequest{expiresIn: "0"}, wantStatus: 400, wantBody: badExpires},
		{name: "ExpiresIn 05", req: tokenRequest{expiresIn: "05"}, wantStatus: 400, wantBody: badExpires},
		{name: "ExpiresIn 1.5", req: tokenRequest{expiresIn: "1.5"}, wantStatus: 400, wantBody: badExpires},
		{name: "ExpiresIn 4h", req: tokenRequest{expiresIn: "4h"}, wantStatus: 400, wantBody: badExpires},
		{name: "ExpiresIn -1", req: tokenRequest{expiresIn: "-1"}, wantStatus: 400, wantBody: badExpires},
		{name: "grant ssi", req: tokenRequest{grant: "grant_type=access_service_ssi"}, wantStatus: 200, wantExpiry: 14400, wantGrant: "access_service_ssi"},
		{name: "grant kyc", req: tokenRequest{grant: "grant_type=access_service_kyc"}, wantStatus: 200, wantExpiry: 14400, wantGrant: "access_service_kyc"},
		{name: "grant empty", req: tokenRequest{grant: "grant_type="}, wantStatus: 200, wantExpiry: 14400, wantGrant: "access_service_ssi"},
		{name: "grant unknown", req: tokenRequest{grant: "grant_type=password"}, wantStatus: 400,
			wantBody: `{"statusCode":400,"message":["Invalid grant_type"],"error":"Bad Request"}`},
		{name: "key missing", req: tokenRequest{key: strp("<absent>")}, wantStatus: 401, wantBody: missing},
		{name: "key empty", req: tokenRequest{key: strp("")}, wantStatus: 401, wantBody: missing},
		{name: "key wrong", req: tokenRequest{key: strp(strings.Repeat("a", 29) + "." + strings.Repeat("b", 97))}, wantStatus: 401, wantBody: denied},
		{name: "key malformed", req: tokenRequest{key: strp("not-a-key")}, wantStatus: 401, wantBody: denied},
		{name: "key wrong legacy", legacy: true, req: tokenRequest{key: strp("nope")}, wantStatus: 401,
			wantBody: `{"statusCode":401,"message":"access_denied","error":"Unauthorized"}`},
		{name: "origin not checked at issue", req: tokenRequest{origin: "https://evil.example"}, wantStatus: 200, wantExpiry: 14400, wantGrant: "access_service_ssi"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := entityauthtest.Start(t, entityauthtest.Options{LegacyErrors: tt.legacy, AllowedOrigins: []string{"https://app.example"}})
			a := fetchToken(t, s, tt.req)
			if a.status != tt.wantStatus {
				t.Fatalf("status = %d; want %d (body %s)", a.status, tt.wantStatus, a.body)
			}
			if got, want := a.header.Get("Content-Type"), "application/json; charset=utf-8"; got != want {
				t.Errorf("Content-Type = %q; want %q", got, want)
			}
			if tt.wantBody != "" && a.body != tt.wantBody {
				t.Errorf("body = %s; want %s", a.body, tt.wantBody)
			}
			if tt.wantStatus != http.StatusOK {
				return
			}
			var body struct {
				AccessToken string  `json:"access_token"`
				ExpiresIn   float64 `json:"expiresIn"`
			}
			if err := json.Unmarshal([]byte(a.body), &body); err != nil {
				t.Fatal(err)
			}
			if body.ExpiresIn != tt.wantExpiry {
				t.Errorf("expiresIn = %v; want %v", body.ExpiresIn, tt.wantExpiry)
			}
			c := claims(t, body.AccessToken)
			if got := c["exp"].(float64) - c["iat"].(float64); got != tt.wantExpiry {
				t.Errorf("exp - iat = %v; want %v", got, tt.wantExpiry)
			}
			if c["grantType"] != tt.wantGrant {
				t.Errorf("grantType = %v; want %v", c["grantType"], tt.wantGrant)
			}
		})
	}
}

func TestTokenLifetimeOption(t *testing.T) {
	s := entityauthtest.Start(t, entityauthtest.Options{Lifetime: 90 * time.Second})
	c := claims(t, token(t, s, tokenRequest{}))
	if got := c["exp"].(float64) - c["iat"].(float64); got != 90 {
		t.Errorf("exp - iat = %v; want 90", got)
	}
}

func TestTokenSameSecondSameToken(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s := entityauthtest.NewPipeServer(entityauthtest.Options{})
		defer s.Close()
		a := token(t, s, tokenRequest{})
		b := token(t, s, tokenRequest{})
		if a != b {
			t.Errorf("two tokens in the same second differ; want the same token")
		}
		c := token(t, s, tokenRequest{expiresIn: "2"})
		if c == a {
			t.Errorf("a token with another lifetime equals the default one; want a different token")
		}
		time.Sleep(time.Second)
		if d := token(t, s, tokenRequest{}); d == a {
			t.Errorf("a token one second later equals the first; want a new one")
		}
	})
}

func TestRecording(t *testing.T) {
	s := entityauthtest.Start(t, entityauthtest.Options{})
	fetchToken(t, s, tokenRequest{grant: "grant_type=access_service_ssi", expiresIn: "2", origin: "https://app.example"})
	callAPI(t, s, http.MethodGet, "/api/v1/did", "")
	callAPI(t, s, http.MethodGet, "/nowhere", "")
	reqs := s.Requests()
	if len(reqs) != 3 {
		t.Fatalf("recorded %d requests; want 3", len(reqs))
	}
	r := reqs[0]
	if r.Method != http.MethodPost || r.Path != "/api/v1/app/oauth" || r.RawQuery != "grant_type=access_service_ssi" {
		t.Errorf("request = %s %s?%s; want POST /api/v1/app/oauth?grant_type=access_service_ssi", r.Method, r.Path, r.RawQuery)
	}
	if got := r.Header.Get("X-Api-Secret-Key"); got != s.APIKey() {
		t.Errorf("recorded key differs from the key sent")
	}
	if got := r.Header.Get("ExpiresIn"); got != "2" {
		t.Errorf("ExpiresIn = %q; want %q", got, "2")
	}
	if r.Time.IsZero() || !strings.HasPrefix(r.RemoteAddr, "127.0.0.1:") {
		t.Errorf("time = %v, remote = %q; want a time and a loopback address", r.Time, r.RemoteAddr)
	}
	reqs[0].Header.Set("X-Api-Secret-Key", "changed")
	if s.Requests()[0].Header.Get("X-Api-Secret-Key") == "changed" {
		t.Errorf("Requests returned the recorded header itself; want a copy")
	}
	if got := s.TokenRequests(); got != 1 {
		t.Errorf("TokenRequests = %d; want 1", got)
	}
	if got := s.APIRequests(); got != 1 {
		t.Errorf("APIRequests = %d; want 1", got)
	}
	s.ResetRequests()
	if got := len(s.Requests()); got != 0 || s.TokenRequests() != 0 {
		t.Errorf("after ResetRequests: %d requests; want 0", got)
	}
}

func TestUnknownRouteIsNestJS404(t *testing.T) {
	s := entityauthtest.Start(t, entityauthtest.Options{})
	a := callAPI(t, s, http.MethodGet, "/api/v1/app/oauth", "")
	if want := `{"statusCode":404,"message":"Cannot GET /api/v1/app/oauth","error":"Not Found"}`; a.status != 404 || a.body != want {
		t.Errorf("GET on the token route = %d %s; want 404 %s", a.status, a.body, want)
	}
}

func TestLogfNeverPrintsSecrets(t *testing.T) {
	var (
		mu    sync.Mutex
		lines []string
	)
	s := entityauthtest.Start(t, entityauthtest.Options{Logf: func(format string, args ...any) {
		mu.Lock()
		defer mu.Unlock()
		lines = append(lines, strings.TrimSpace(fmt.Sprintf(format, args...)))
	}})
	tok := token(t, s, tokenRequest{})
	callAPI(t, s, http.MethodGet, "/api/v1/did", tok)
	callAPI(t, s, http.MethodGet, "/api/v1/did", tok+"x")
	fetchToken(t, s, tokenRequest{key: strp("wrong-key-value")})
	s.Close()
	mu.Lock()
	defer mu.Unlock()
	if len(lines) < 4 {
		t.Fatalf("logged %d lines; want at least 4", len(lines))
	}
	for _, l := range lines {
		for _, secret := range []string{s.APIKey(), tok, "wrong-key-value"} {
			if strings.Contains(l, secret) {
				t.Errorf("log line %q contains a secret", l)
			}
		}
	}
}

func TestNewListenerServer(t *testing.T) {
	var lc net.ListenConfig
	ln, err := lc.Listen(t.Context(), "tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := entityauthtest.NewListenerServer(ln, entityauthtest.Options{})
	if want := "http://" + ln.Addr().String(); srv.URL != want {
		t.Errorf("URL = %q; want %q", srv.URL, want)
	}
	req, err := http.NewRequestWithContext(t.Context(), http.MethodPost, srv.URL+"/api/v1/app/oauth", nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("X-Api-Secret-Key", srv.APIKey())
	resp, err := srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Errorf("status = %d; want 200", resp.StatusCode)
	}
	srv.Close()
	var d net.Dialer
	if c, err := d.DialContext(t.Context(), "tcp", ln.Addr().String()); err == nil {
		_ = c.Close()
		t.Errorf("the listener still accepts connections after Close")
	}
}
