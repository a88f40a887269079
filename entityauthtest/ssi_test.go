package entityauthtest_test

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/entity-studio-go/entityauth/entityauthtest"
	"github.com/entity-studio-go/entityauth/internal/jwt"
)

const (
	invalidToken   = `{"statusCode":401,"message":["Invalid or expired token"],"error":"Unauthorized"}`
	tokenExpired   = `{"statusCode":401,"message":["Token expired"],"error":"Unauthorized"}`
	originMismatch = `{"statusCode":401,"message":["Origin mismatch"],"error":"Unauthorized"}`
	invalidGrant   = `{"statusCode":400,"message":["Invalid grant type"],"error":"Bad Request"}`
	noCredits      = `{"statusCode":400,"message":["No credits found or credit exhausted. Please contact the admin"],"error":"Bad Request"}`
	passToken      = `{"statusCode":401,"message":["Unauthorized","Please pass access token"],"error":"Unauthorized"}`
)

// TestAPITable covers the SSI API's refusals of the reference, in the
// middleware's order, and the 200/201 successes, on two routes.
func TestAPITable(t *testing.T) {
	allowed := "https://app.example"
	tests := []struct {
		name       string
		setup      func(s *entityauthtest.Server)
		grant      string
		authz      func(tok string) string // the Authorization header
		origin     string
		wantStatus map[string]int // by method
		wantBody   string
	}{
		{name: "ok", wantStatus: map[string]int{"GET": 200, "POST": 201}},
		{name: "ok with allowed origin", origin: allowed, wantStatus: map[string]int{"GET": 200, "POST": 201}},
		{name: "no authorization", authz: func(string) string { return "" }, wantStatus: map[string]int{"GET": 401, "POST": 401}, wantBody: passToken},
		{name: "lower-case bearer", authz: func(tok string) string { return "bearer " + tok }, wantStatus: map[string]int{"GET": 401, "POST": 401}, wantBody: passToken},
		{name: "no space", authz: func(tok string) string { return "Bearer" + tok }, wantStatus: map[string]int{"GET": 401, "POST": 401}, wantBody: passToken},
		{name: "bad signature", authz: func(tok string) string { return "Bearer " + tok[:len(tok)-2] + "AA" }, wantStatus: map[string]int{"GET": 401, "POST": 401}, wantBody: invalidToken},
		{name: "garbage", authz: func(string) string { return "Bearer not.a.jwt" }, wantStatus: map[string]int{"GET": 401, "POST": 401}, wantBody: invalidToken},
		{name: "foreign key", authz: func(tok string) string {
			_, c, _ := jwt.Decode(tok)
			forged, _ := jwt.Sign(c, []byte("another key"))
			return "Bearer " + forged
		}, wantStatus: map[string]int{"GET": 401, "POST": 401}, wantBody: invalidToken},
		{name: "sessions dropped", setup: (*entityauthtest.Server).DropSessions, wantStatus: map[string]int{"GET": 401, "POST": 401}, wantBody: tokenExpired},
		{name: "origin mismatch", origin: "https://evil.example", wantStatus: map[string]int{"GET": 401, "POST": 401}, wantBody: originMismatch},
		{name: "origin differs by slash", origin: allowed + "/", wantStatus: map[string]int{"GET": 401, "POST": 401}, wantBody: originMismatch},
		{name: "kyc grant", grant: "grant_type=access_service_kyc", wantStatus: map[string]int{"GET": 400, "POST": 400}, wantBody: invalidGrant},
		{name: "no credits", setup: func(s *entityauthtest.Server) { s.SetCredits(false) }, wantStatus: map[string]int{"GET": 400, "POST": 400}, wantBody: noCredits},
		{name: "credits restored", setup: func(s *entityauthtest.Server) { s.SetCredits(false); s.SetCredits(true) }, wantStatus: map[string]int{"GET": 200, "POST": 201}},
		{name: "key rotated", setup: func(s *entityauthtest.Server) { s.RotateKey() }, wantStatus: map[string]int{"GET": 200, "POST": 201}},
	}
	for _, tt := range tests {
		for _, method := range []string{http.MethodGet, http.MethodPost} {
			path := map[string]string{"GET": "/api/v1/did", "POST": "/api/v1/did/create"}[method]
			t.Run(tt.name+"/"+method, func(t *testing.T) {
				s := entityauthtest.Start(t, entityauthtest.Options{AllowedOrigins: []string{allowed}})
				if tt.grant != "" {
					token(t, s, tokenRequest{}) // with a session, grant_type is copied into the token
				}
				tok := token(t, s, tokenRequest{grant: tt.grant})
				if tt.setup != nil {
					tt.setup(s)
				}
				req, err := http.NewRequestWithContext(t.Context(), method, s.URL+path, strings.NewReader(`{"namespace":"testnet"}`))
				if err != nil {
					t.Fatal(err)
				}
				h := "Bearer " + tok
				if tt.authz != nil {
					h = tt.authz(tok)
				}
				if h != "" {
					req.Header.Set("Authorization", h)
				}
				if tt.origin != "" {
					req.Header.Set("Origin", tt.origin)
				}
				a := do(t, s, req)
				if want := tt.wantStatus[method]; a.status != want {
					t.Fatalf("status = %d (%s); want %d", a.status, a.body, want)
				}
				if tt.wantBody != "" && a.body != tt.wantBody {
					t.Errorf("body = %s; want %s", a.body, tt.wantBody)
				}
				if got, want := a.header.Get("Content-Type"), "application/json; charset=utf-8"; got != want {
					t.Errorf("Content-Type = %q; want %q", got, want)
				}
			})
		}
	}
}

func TestAPIListsCreatedDIDs(t *testing.T) {
	s := entityauthtest.Start(t, entityauthtest.Options{})
	tok := token(t, s, tokenRequest{})
	a := callAPI(t, s, http.MethodPost, "/api/v1/did/create", tok)
	var created struct {
		DID string `json:"did"`
	}
	if err := json.Unmarshal([]byte(a.body), &created); err != nil || !strings.HasPrefix(created.DID, "did:hid:testnet:") {
		t.Fatalf("create body = %s; want a did:hid:testnet DID", a.body)
	}
	a = callAPI(t, s, http.MethodGet, "/api/v1/did", tok)
	var list struct {
		TotalCount int      `json:"totalCount"`
		Data       []string `json:"data"`
	}
	if err := json.Unmarshal([]byte(a.body), &list); err != nil {
		t.Fatalf("list body = %s: %v", a.body, err)
	}
	if list.TotalCount != 1 || len(list.Data) != 1 || list.Data[0] != created.DID {
		t.Errorf("list = %s; want the created DID %s", a.body, created.DID)
	}
}

func TestAPITokenExpiry(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s := entityauthtest.NewPipeServer(entityauthtest.Options{Lifetime: time.Hour})
		defer s.Close()
		tok := token(t, s, tokenRequest{})
		time.Sleep(time.Hour - time.Second)
		if a := callAPI(t, s, http.MethodGet, "/api/v1/did", tok); a.status != 200 {
			t.Errorf("one second before exp: status = %d; want 200", a.status)
		}
		time.Sleep(time.Second)
		if a := callAPI(t, s, http.MethodGet, "/api/v1/did", tok); a.status != 401 || a.body != invalidToken {
			t.Errorf("at exp: %d %s; want 401 %s", a.status, a.body, invalidToken)
		}
	})
}

func TestRotateKey(t *testing.T) {
	s := entityauthtest.Start(t, entityauthtest.Options{APIKey: "first-key"})
	tok := token(t, s, tokenRequest{})
	newKey := s.RotateKey()
	if newKey == "first-key" || s.APIKey() != newKey {
		t.Fatalf("RotateKey = %q, APIKey = %q; want a new key returned by both", newKey, s.APIKey())
	}
	if a := fetchToken(t, s, tokenRequest{key: strp("first-key")}); a.status != 401 {
		t.Errorf("old key: status = %d; want 401", a.status)
	}
	token(t, s, tokenRequest{key: strp(newKey)})
	if a := callAPI(t, s, http.MethodGet, "/api/v1/did", tok); a.status != 200 {
		t.Errorf("token issued before the rotation: %d %s; want 200", a.status, a.body)
	}
}

func TestSetDown(t *testing.T) {
	s := entityauthtest.Start(t, entityauthtest.Options{})
	s.SetDown(true)
	req, _ := http.NewRequestWithContext(t.Context(), http.MethodPost, s.URL+"/api/v1/app/oauth", nil)
	req.Header.Set("X-Api-Secret-Key", s.APIKey())
	resp, err := s.Client().Do(req)
	if err == nil {
		_ = resp.Body.Close()
		t.Fatalf("while down: status %d; want a connection error", resp.StatusCode)
	}
	if got := s.TokenRequests(); got != 1 {
		t.Errorf("TokenRequests while down = %d; want 1", got)
	}
	s.SetDown(false)
	token(t, s, tokenRequest{})
}
