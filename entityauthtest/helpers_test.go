package entityauthtest_test

import (
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/entity-studio-go/entityauth/entityauthtest"
	"github.com/entity-studio-go/entityauth/internal/jwt"
)

// answer is one response, read whole.
type answer struct {
	status int
	header http.Header
	body   string
}

// tokenRequest describes a request to the token endpoint.
type tokenRequest struct {
	key       *string // nil: the server's key
	expiresIn string  // "" = absent
	grant     string  // raw query, e.g. "grant_type=x"
	origin    string
	header    http.Header // extra header lines, sent as they are (empty values and repeats included)
	body      string      // request body, sent with Content-Type application/json unless header sets one
}

func strp(s string) *string { return &s }

func fetchToken(t *testing.T, s *entityauthtest.Server, tr tokenRequest) answer {
	t.Helper()
	var body io.Reader
	if tr.body != "" {
		body = strings.NewReader(tr.body)
	}
	req, err := http.NewRequestWithContext(t.Context(), http.MethodPost, s.URL+"/api/v1/app/oauth", body)
	if err != nil {
		t.Fatal(err)
	}
	if tr.body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	if tr.grant != "" {
		req.URL.RawQuery = tr.grant
	}
	key := s.APIKey()
	if tr.key != nil {
		key = *tr.key
	}
	if tr.key == nil || *tr.key != "<absent>" {
		req.Header.Set("X-Api-Secret-Key", key)
	}
	if tr.expiresIn != "" {
		req.Header.Set("ExpiresIn", tr.expiresIn)
	}
	if tr.origin != "" {
		req.Header.Set("Origin", tr.origin)
	}
	for k, vs := range tr.header {
		req.Header[k] = vs
	}
	return do(t, s, req)
}

func do(t *testing.T, s *entityauthtest.Server, req *http.Request) answer {
	t.Helper()
	resp, err := s.Client().Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", req.Method, req.URL.Path, err)
	}
	defer func() { _ = resp.Body.Close() }()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		t.Fatalf("reading %s %s: %v", req.Method, req.URL.Path, err)
	}
	return answer{resp.StatusCode, resp.Header, string(b)}
}

// token fetches a token and fails the test unless it is issued.
func token(t *testing.T, s *entityauthtest.Server, tr tokenRequest) string {
	t.Helper()
	a := fetchToken(t, s, tr)
	if a.status != http.StatusOK {
		t.Fatalf("token status = %d (%s); want 200", a.status, a.body)
	}
	var body struct {
		AccessToken string `json:"access_token"`
	}
	if err := json.Unmarshal([]byte(a.body), &body); err != nil {
		t.Fatalf("token body: %v", err)
	}
	return body.AccessToken
}

// callAPI calls the SSI API slice with a bearer token (none when tok is "").
func callAPI(t *testing.T, s *entityauthtest.Server, method, path, tok string) answer {
	t.Helper()
	var body io.Reader
	if method == http.MethodPost {
		body = strings.NewReader(`{"namespace":"testnet"}`)
	}
	req, err := http.NewRequestWithContext(t.Context(), method, s.URL+path, body)
	if err != nil {
		t.Fatal(err)
	}
	if tok != "" {
		req.Header.Set("Authorization", "Bearer "+tok)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	return do(t, s, req)
}

// claims decodes a token's payload.
func claims(t *testing.T, tok string) map[string]any {
	t.Helper()
	_, raw, err := jwt.Decode(tok)
	if err != nil {
		t.Fatalf("decoding the token: %v", err)
	}
	out := map[string]any{}
	for k, v := range raw {
		var x any
		if err := json.Unmarshal(v, &x); err != nil {
			t.Fatalf("claim %s: %v", k, err)
		}
		out[k] = x
	}
	return out
}
