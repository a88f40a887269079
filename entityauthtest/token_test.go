package entityauthtest_test

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/entity-studio-go/entityauth/entityauthtest"
	"github.com/entity-studio-go/entityauth/internal/testlog"
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
	const badExpires = "{\"statusCode\":400,\"message\":[\"`expiresIn` must be a whole number greater than or equal to 1.\"],\"error\":\"Bad Request\"}"
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
		{name: "ExpiresIn empty is 4 h", req: tokenRequest{header: http.Header{"Expiresin": {""}}}, wantStatus: 200, wantExpiry: 14400, wantGrant: "access_service_ssi"},
		{name: "ExpiresIn has no maximum", req: tokenRequest{expiresIn: "2000000"}, wantStatus: 200, wantExpiry: 2000000 * 3600, wantGrant: "access_service_ssi"},
		{name: "ExpiresIn read case-insensitively", req: tokenRequest{header: http.Header{"EXPIRESIN": {"2"}}}, wantStatus: 200, wantExpiry: 7200, wantGrant: "access_service_ssi"},
		{name: "ExpiresIn repeated is joined and refused", req: tokenRequest{header: http.Header{"Expiresin": {"2", "2"}}}, wantStatus: 400, wantBody: badExpires},
		{name: "ExpiresIn 0", req: tokenRequest{expiresIn: "0"}, wantStatus: 400, wantBody: badExpires},
		{name: "ExpiresIn 05", req: tokenRequest{expiresIn: "05"}, wantStatus: 400, wantBody: badExpires},
		{name: "ExpiresIn 1.5", req: tokenRequest{expiresIn: "1.5"}, wantStatus: 400, wantBody: badExpires},
		{name: "ExpiresIn 4h", req: tokenRequest{expiresIn: "4h"}, wantStatus: 400, wantBody: badExpires},
		{name: "ExpiresIn -1", req: tokenRequest{expiresIn: "-1"}, wantStatus: 400, wantBody: badExpires},
		{name: "ExpiresIn +1", req: tokenRequest{expiresIn: "+1"}, wantStatus: 400, wantBody: badExpires},
		{name: "ExpiresIn 1e3", req: tokenRequest{expiresIn: "1e3"}, wantStatus: 400, wantBody: badExpires},
		{name: "ExpiresIn beyond int64", req: tokenRequest{expiresIn: "99999999999999999999"}, wantStatus: 400, wantBody: badExpires},
		{name: "grant ssi", req: tokenRequest{grant: "grant_type=access_service_ssi"}, wantStatus: 200, wantExpiry: 14400, wantGrant: "access_service_ssi"},
		{name: "grant kyc ignored without a session", req: tokenRequest{grant: "grant_type=access_service_kyc"}, wantStatus: 200, wantExpiry: 14400, wantGrant: "access_service_ssi"},
		{name: "grant empty", req: tokenRequest{grant: "grant_type="}, wantStatus: 200, wantExpiry: 14400, wantGrant: "access_service_ssi"},
		{name: "grant unknown not validated", req: tokenRequest{grant: "grant_type=password"}, wantStatus: 200, wantExpiry: 14400, wantGrant: "access_service_ssi"},
		{name: "key missing", req: tokenRequest{key: strp("<absent>")}, wantStatus: 401, wantBody: missing},
		{name: "key empty", req: tokenRequest{key: strp("")}, wantStatus: 401, wantBody: missing},
		{name: "key wrong", req: tokenRequest{key: strp(strings.Repeat("a", 29) + "." + strings.Repeat("b", 97))}, wantStatus: 401, wantBody: denied},
		{name: "key malformed", req: tokenRequest{key: strp("not-a-key")}, wantStatus: 401, wantBody: denied},
		{name: "key wrong legacy", legacy: true, req: tokenRequest{key: strp("nope")}, wantStatus: 401,
			wantBody: `{"statusCode":401,"message":"access_denied","error":"Unauthorized"}`},
		{name: "key repeated is joined and denied", req: tokenRequest{header: http.Header{"X-Api-Secret-Key": {"k", "k"}}}, wantStatus: 401, wantBody: denied},
		{name: "origin not checked at issue", req: tokenRequest{origin: "https://evil.example"}, wantStatus: 200, wantExpiry: 14400, wantGrant: "access_service_ssi"},
		{name: "two Origin headers", req: tokenRequest{header: http.Header{"Origin": {"https://app.example", "https://evil.example"}}}, wantStatus: 200, wantExpiry: 14400, wantGrant: "access_service_ssi"},
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
	var logs testlog.Buffer
	s := entityauthtest.Start(t, entityauthtest.Options{Logf: logs.Logf})
	tok := token(t, s, tokenRequest{})
	callAPI(t, s, http.MethodGet, "/api/v1/did", tok)
	callAPI(t, s, http.MethodGet, "/api/v1/did", tok+"x")
	fetchToken(t, s, tokenRequest{key: strp("wrong-key-value")})
	// A malformed JSON body that holds the key: the 400 quotes one character.
	if a := fetchToken(t, s, tokenRequest{body: `{"key":"` + s.APIKey() + `"`}); a.status != 400 || strings.Contains(a.body, s.APIKey()) {
		t.Errorf("malformed body holding the key: %d %s; want a 400 without the key", a.status, a.body)
	}
	s.Enqueue(entityauthtest.TokenEndpoint, entityauthtest.InternalServerError())
	fetchToken(t, s, tokenRequest{})
	s.Close()
	lines := strings.Split(strings.TrimSpace(logs.String()), "\n")
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

// TestTokenCheckOrder follows the real server's order of checks: rate limit,
// ExpiresIn, missing key, wrong key; an SSI app has no service check.
func TestTokenCheckOrder(t *testing.T) {
	const (
		badExpires = "{\"statusCode\":400,\"message\":[\"`expiresIn` must be a whole number greater than or equal to 1.\"],\"error\":\"Bad Request\"}"
		missing    = `{"statusCode":401,"message":["x-api-secret-key header is missing"],"error":"Unauthorized"}`
		denied     = `{"statusCode":401,"message":["Access denied."],"error":"Unauthorized"}`
	)
	tests := []struct {
		name       string
		limited    bool
		req        tokenRequest
		wantStatus int
		wantBody   string
	}{
		{name: "limit before ExpiresIn and key", limited: true, req: tokenRequest{key: strp("<absent>"), expiresIn: "0"}, wantStatus: 429, wantBody: tooMany},
		{name: "ExpiresIn before a missing key", req: tokenRequest{key: strp("<absent>"), expiresIn: "0"}, wantStatus: 400, wantBody: badExpires},
		{name: "ExpiresIn before an empty key", req: tokenRequest{key: strp(""), expiresIn: "1.5"}, wantStatus: 400, wantBody: badExpires},
		{name: "ExpiresIn before a wrong key", req: tokenRequest{key: strp("wrong"), expiresIn: "4h"}, wantStatus: 400, wantBody: badExpires},
		{name: "missing key before grant", req: tokenRequest{key: strp("<absent>"), grant: "grant_type=x"}, wantStatus: 401, wantBody: missing},
		{name: "wrong key before grant", req: tokenRequest{key: strp("wrong"), grant: "grant_type=x&grant_type=y"}, wantStatus: 401, wantBody: denied},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := entityauthtest.Start(t, entityauthtest.Options{RateLimit: 1})
			if tt.limited {
				fetchToken(t, s, tokenRequest{})
			}
			a := fetchToken(t, s, tt.req)
			if a.status != tt.wantStatus || a.body != tt.wantBody {
				t.Errorf("answer = %d %s; want %d %s", a.status, a.body, tt.wantStatus, tt.wantBody)
			}
		})
	}
}

// TestTokenGrantType follows grant_type through an SSI app's session: ignored
// while there is none, copied into the claim unchecked once there is one,
// and a request for access_service_kyb has a session of its own.
func TestTokenGrantType(t *testing.T) {
	s := entityauthtest.Start(t, entityauthtest.Options{})
	steps := []struct {
		grant       string // raw query
		wantGrant   any
		wantSession string // the session key, before hashing, after "<appId>_"
	}{
		{grant: "grant_type=access_service_kyc", wantGrant: "access_service_ssi", wantSession: "customer"},
		{grant: "grant_type=access_service_kyc", wantGrant: "access_service_kyc", wantSession: "customer"},
		{grant: "", wantGrant: "access_service_ssi", wantSession: "customer"},
		{grant: "grant_type=", wantGrant: "access_service_ssi", wantSession: "customer"},
		{grant: "grant_type=password", wantGrant: "password", wantSession: "customer"},
		{grant: "grant_type=a&grant_type=b", wantGrant: []any{"a", "b"}, wantSession: "customer"},
		{grant: "grant_type=access_service_kyb", wantGrant: "access_service_ssi", wantSession: "customer_access_service_kyb"},
		{grant: "grant_type=access_service_kyb", wantGrant: "access_service_kyb", wantSession: "customer_access_service_kyb"},
	}
	for i, st := range steps {
		c := claims(t, token(t, s, tokenRequest{grant: st.grant}))
		if got := c["grantType"]; fmt.Sprint(got) != fmt.Sprint(st.wantGrant) {
			t.Errorf("step %d (%s): grantType = %#v; want %#v", i+1, st.grant, got, st.wantGrant)
		}
		sum := sha256.Sum256([]byte(c["appId"].(string) + "_" + st.wantSession))
		if got, want := c["sessionId"], hex.EncodeToString(sum[:]); got != want {
			t.Errorf("step %d (%s): sessionId = %v; want sha256hex(appId_%s) = %s", i+1, st.grant, got, st.wantSession, want)
		}
	}
	// The copied grant reaches the SSI API, which refuses it.
	tok := token(t, s, tokenRequest{grant: "grant_type=password"})
	if a := callAPI(t, s, http.MethodGet, "/api/v1/did", tok); a.status != http.StatusBadRequest || a.body != invalidGrant {
		t.Errorf("SSI API with grantType password: %d %s; want 400 %s", a.status, a.body, invalidGrant)
	}
}

// TestTokenSessionID checks that sessionId is sha256hex("<appId>_customer"):
// 64 hex digits, the same in every token of the app.
func TestTokenSessionID(t *testing.T) {
	s := entityauthtest.Start(t, entityauthtest.Options{})
	a := claims(t, token(t, s, tokenRequest{}))
	b := claims(t, token(t, s, tokenRequest{expiresIn: "7", grant: "grant_type=access_service_ssi"}))
	sum := sha256.Sum256([]byte(a["appId"].(string) + "_customer"))
	want := hex.EncodeToString(sum[:])
	if !regexp.MustCompile(`^[0-9a-f]{64}$`).MatchString(want) || a["sessionId"] != want || b["sessionId"] != want {
		t.Errorf("sessionIds = %v, %v; want both %s", a["sessionId"], b["sessionId"], want)
	}
	other := entityauthtest.Start(t, entityauthtest.Options{})
	if c := claims(t, token(t, other, tokenRequest{})); c["sessionId"] == want {
		t.Errorf("another app's sessionId equals this app's")
	}
}

// TestSessionLifetime runs the session's week in virtual time: it starts at
// the first token, is not extended by later ones, ends for every token at
// once, and the next token recreates it, which revives the older tokens.
func TestSessionLifetime(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s := entityauthtest.NewPipeServer(entityauthtest.Options{})
		defer s.Close()
		const week = 7 * 24 * time.Hour
		status := func(tok string) answer { return callAPI(t, s, http.MethodGet, "/api/v1/did", tok) }

		first := token(t, s, tokenRequest{expiresIn: "400"}) // 400 h outlives the session
		time.Sleep(6 * 24 * time.Hour)
		second := token(t, s, tokenRequest{expiresIn: "400"}) // does not extend the session
		time.Sleep(24*time.Hour - time.Second)
		for i, tok := range []string{first, second} {
			if a := status(tok); a.status != http.StatusOK {
				t.Errorf("token %d one second before the week ends: %d %s; want 200", i+1, a.status, a.body)
			}
		}
		time.Sleep(time.Second)
		for i, tok := range []string{first, second} {
			if a := status(tok); a.status != http.StatusUnauthorized || a.body != tokenExpired {
				t.Errorf("token %d when the week ends: %d %s; want 401 %s", i+1, a.status, a.body, tokenExpired)
			}
		}
		third := token(t, s, tokenRequest{}) // recreates the session
		for i, tok := range []string{first, second, third} {
			if a := status(tok); a.status != http.StatusOK {
				t.Errorf("token %d after the session is recreated: %d %s; want 200", i+1, a.status, a.body)
			}
		}
		if claims(t, third)["sessionId"] != claims(t, first)["sessionId"] {
			t.Errorf("the recreated session has another ID; want the same")
		}
		// The new session has a week of its own, from the third token.
		time.Sleep(week - time.Second)
		if a := status(first); a.status != http.StatusOK {
			t.Errorf("first token one second before the new week ends: %d %s; want 200", a.status, a.body)
		}
		time.Sleep(time.Second)
		if a := status(first); a.body != tokenExpired {
			t.Errorf("first token when the new week ends: %s; want %s", a.body, tokenExpired)
		}
	})
}

// TestDropSessionsLikeLapse checks that DropSessions behaves as the end of
// the session's week: every token gets "Token expired" until the next token
// request, which revives the unexpired ones but not the expired ones.
func TestDropSessionsLikeLapse(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s := entityauthtest.NewPipeServer(entityauthtest.Options{})
		defer s.Close()
		status := func(tok string) answer { return callAPI(t, s, http.MethodGet, "/api/v1/did", tok) }
		short := token(t, s, tokenRequest{expiresIn: "1"})
		old := token(t, s, tokenRequest{})
		time.Sleep(time.Hour)
		s.DropSessions()
		if a := status(old); a.status != http.StatusUnauthorized || a.body != tokenExpired {
			t.Errorf("token after DropSessions: %d %s; want 401 %s", a.status, a.body, tokenExpired)
		}
		fresh := token(t, s, tokenRequest{})
		if fresh == old {
			t.Fatalf("a token an hour later equals the old one")
		}
		for name, tok := range map[string]string{"fresh": fresh, "old": old} {
			if a := status(tok); a.status != http.StatusOK {
				t.Errorf("%s token after the session is recreated: %d %s; want 200", name, a.status, a.body)
			}
		}
		if a := status(short); a.status != http.StatusUnauthorized || a.body != invalidToken {
			t.Errorf("token past its exp: %d %s; want 401 %s", a.status, a.body, invalidToken)
		}
		// In the same second, the same claims sign to the same token, as on the real server.
		s.DropSessions()
		if again := token(t, s, tokenRequest{}); again != fresh {
			t.Errorf("a token in the same second after DropSessions differs; want the same token")
		}
	})
}

// TestTokenMalformedJSONBody checks the body parser: a malformed body sent
// as JSON gets 400 with a plain-string message and does not count against
// the rate limit; other bodies are ignored.
func TestTokenMalformedJSONBody(t *testing.T) {
	tests := []struct {
		name, body, ctype string
		wantStatus        int
		wantMessage       string
	}{
		{name: "bad object", body: `{"a":}`, wantStatus: 400, wantMessage: "Unexpected token } in JSON at position 5"},
		{name: "truncated", body: `{"a":`, wantStatus: 400, wantMessage: "Unexpected end of JSON input"},
		{name: "strict top level", body: `"text"`, wantStatus: 400, wantMessage: `Unexpected token " in JSON at position 0`},
		{name: "only spaces", body: "  \n", wantStatus: 400, wantMessage: "Unexpected end of JSON input"},
		{name: "charset parameter", body: `{x}`, ctype: "application/json; charset=utf-8", wantStatus: 400, wantMessage: "Unexpected token x in JSON at position 1"},
		{name: "object", body: `{"a":1}`, wantStatus: 200},
		{name: "array", body: ` [1, 2]`, wantStatus: 200},
		{name: "not JSON content", body: `{"a":}`, ctype: "text/plain", wantStatus: 200},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := entityauthtest.Start(t, entityauthtest.Options{RateLimit: 1})
			req := tokenRequest{body: tt.body}
			if tt.ctype != "" {
				req.header = http.Header{"Content-Type": {tt.ctype}}
			}
			a := fetchToken(t, s, req)
			if a.status != tt.wantStatus {
				t.Fatalf("status = %d (%s); want %d", a.status, a.body, tt.wantStatus)
			}
			if tt.wantStatus == http.StatusOK {
				return
			}
			want := fmt.Sprintf(`{"statusCode":400,"message":%q,"error":"Bad Request"}`, tt.wantMessage)
			if a.body != want {
				t.Errorf("body = %s; want %s", a.body, want)
			}
			// The refused request did not count: the limit of 1 is still free.
			if a := fetchToken(t, s, tokenRequest{}); a.status != http.StatusOK {
				t.Errorf("after a body parser 400: %d %s; want 200", a.status, a.body)
			}
			if a := fetchToken(t, s, tokenRequest{}); a.status != http.StatusTooManyRequests {
				t.Errorf("second good request with RateLimit 1: %d; want 429", a.status)
			}
		})
	}
}

// TestInternalServerErrorPath checks that the 500 body's path is the URL
// as sent, query string included, and its timestamp the time it is served.
func TestInternalServerErrorPath(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s := entityauthtest.NewPipeServer(entityauthtest.Options{})
		defer s.Close()
		f := entityauthtest.InternalServerError()
		time.Sleep(time.Hour)
		s.Enqueue(entityauthtest.TokenEndpoint, f)
		a := fetchToken(t, s, tokenRequest{grant: "grant_type=access_service_ssi&x=%2F"})
		var body struct {
			StatusCode int      `json:"statusCode"`
			Timestamp  string   `json:"timestamp"`
			Path       string   `json:"path"`
			Message    []string `json:"message"`
		}
		if err := json.Unmarshal([]byte(a.body), &body); err != nil || a.status != 500 {
			t.Fatalf("answer = %d %s; want a 500 JSON body", a.status, a.body)
		}
		if want := "/api/v1/app/oauth?grant_type=access_service_ssi&x=%2F"; body.Path != want {
			t.Errorf("path = %q; want %q", body.Path, want)
		}
		if want := time.Now().UTC().Format("2006-01-02T15:04:05.000Z"); body.Timestamp != want {
			t.Errorf("timestamp = %q; want %q (when served)", body.Timestamp, want)
		}
		if strings.Contains(a.body, `"error"`) || len(body.Message) != 3 || body.Message[2] != "Internal server error" {
			t.Errorf("body = %s; want the real 500 shape", a.body)
		}
	})
}
