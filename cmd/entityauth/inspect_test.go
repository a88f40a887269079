package main

import (
	"encoding/json"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/entity-studio-go/entityauth/internal/jwt"
)

// docsToken is the example token of the docs' Swagger, which carries
// appSecret in clear.
func docsToken(t *testing.T) string {
	t.Helper()
	b, err := os.ReadFile("../../testdata/docs-token.txt")
	if err != nil {
		t.Fatal(err)
	}
	return strings.TrimSpace(string(b))
}

// The docs token's appSecret, which must never be printed.
const docsAppSecret = "3c7cb565-6f5d-4f60-a246-6a8acaea2f43"

func TestInspectDocsToken(t *testing.T) {
	e := newEnv(t)
	tok := docsToken(t)
	for _, args := range [][]string{{"inspect", "-"}, {"inspect"}, {"inspect", tok}} {
		stdin := tok + "\n"
		if len(args) == 2 && args[1] == tok {
			stdin = ""
		}
		r := e.run(stdin, args...)
		r.want(t, 0, args[:1]...)
		for _, want := range []string{
			"WITHOUT verifying",
			`appId      "4d68f23f-70f4-41ad-a0eb-57208a6e9711"`,
			"appSecret  (redacted)",
			"2023-01-18T09:44:34Z (expired)", // exp 1674035074
			"2023-01-18T05:44:34Z",           // iat 1674020674
			`alg  "HS256"`,
		} {
			if !strings.Contains(r.stdout, want) {
				t.Errorf("inspect output lacks %q:\n%s", want, r.stdout)
			}
		}
		assertNoSecrets(t, "inspect output", r.stdout+r.stderr, docsAppSecret, tok)
	}
}

func TestInspectJSON(t *testing.T) {
	tok := docsToken(t)
	r := newEnv(t).run(tok, "inspect", "--format", "json")
	r.want(t, 0)
	assertNoSecrets(t, "inspect output", r.stdout, docsAppSecret, tok)
	var out struct {
		Verified  *bool             `json:"verified"`
		Header    map[string]string `json:"header"`
		Claims    map[string]any    `json:"claims"`
		IssuedAt  string            `json:"issued_at"`
		ExpiresAt string            `json:"expires_at"`
		Expired   *bool             `json:"expired"`
		TimeLeft  string            `json:"time_left"`
	}
	if err := json.Unmarshal([]byte(r.stdout), &out); err != nil {
		t.Fatalf("output is not JSON: %v\n%s", err, r.stdout)
	}
	if out.Verified == nil || *out.Verified {
		t.Errorf("verified = %v; want false", out.Verified)
	}
	if out.Header["alg"] != "HS256" {
		t.Errorf("header.alg = %q; want HS256", out.Header["alg"])
	}
	if got := out.Claims["appId"]; got != "4d68f23f-70f4-41ad-a0eb-57208a6e9711" {
		t.Errorf("claims.appId = %v; want 4d68f23f-70f4-41ad-a0eb-57208a6e9711", got)
	}
	if got := out.Claims["appSecret"]; got != redactedValue {
		t.Errorf("claims.appSecret = %v; want %q", got, redactedValue)
	}
	if got := out.Claims["exp"]; got != float64(1674035074) {
		t.Errorf("claims.exp = %v; want 1674035074", got)
	}
	if out.ExpiresAt != "2023-01-18T09:44:34Z" || out.IssuedAt != "2023-01-18T05:44:34Z" {
		t.Errorf("expires_at, issued_at = %q, %q; want 2023-01-18T09:44:34Z, 2023-01-18T05:44:34Z", out.ExpiresAt, out.IssuedAt)
	}
	if out.Expired == nil || !*out.Expired || out.TimeLeft != "" {
		t.Errorf("expired, time_left = %v, %q; want true, \"\"", out.Expired, out.TimeLeft)
	}
}

func TestInspectRedactsNestedSecretsAndShowsTimeLeft(t *testing.T) {
	now := time.Now().Unix()
	claims := map[string]any{
		"sub":           "app",
		"iat":           now,
		"exp":           now + 2*3600,
		"CLIENT_SECRET": "s1-hidden",
		"nested":        map[string]any{"mySecretValue": "s2-hidden", "list": []any{map[string]any{"secret": "s3-hidden"}}},
	}
	tok, err := jwt.Sign(claims, []byte("k"))
	if err != nil {
		t.Fatal(err)
	}
	e := newEnv(t)
	for _, format := range []string{"text", "json"} {
		r := e.run("Bearer "+tok, "inspect", "--format", format)
		r.want(t, 0, format)
		assertNoSecrets(t, "inspect output", r.stdout, "s1-hidden", "s2-hidden", "s3-hidden", tok)
		if n := strings.Count(r.stdout, redactedValue); n != 3 {
			t.Errorf("%s: %d redactions; want 3:\n%s", format, n, r.stdout)
		}
		if !strings.Contains(r.stdout, "1h59m") && !strings.Contains(r.stdout, "2h0m0s") {
			t.Errorf("%s: output lacks the time left (about 2h):\n%s", format, r.stdout)
		}
		if format == "text" && strings.Contains(r.stdout, "(expired)") ||
			format == "json" && !strings.Contains(r.stdout, `"expired": false`) {
			t.Errorf("%s: a live token shows as expired:\n%s", format, r.stdout)
		}
	}
}

func TestInspectNotAJWT(t *testing.T) {
	e := newEnv(t)
	for _, input := range []string{
		"not-a-token-hunter2",
		"a.b",
		"eyJhbGciOiJIUzI1NiJ9.bm90IGpzb24.c2ln", // payload is not JSON
		"hunter2.hunter2.hunter2",
		strings.Repeat("A", jwt.MaxTokenSize+10),
		"   ",
	} {
		r := e.run(input, "inspect", "-")
		if r.code != 1 {
			t.Errorf("inspect of %.20q: exit %d; want 1", input, r.code)
		}
		if !strings.Contains(r.stderr, "not a JWT") && !strings.Contains(r.stderr, "no token") {
			t.Errorf("inspect of %.20q: stderr = %q; want a clear message", input, r.stderr)
		}
		if r.stdout != "" {
			t.Errorf("inspect of %.20q: stdout = %q; want none", input, r.stdout)
		}
		if strings.Contains(r.stderr, "hunter2") || strings.Contains(r.stderr, "bm90IGpzb24") {
			t.Errorf("inspect of %.20q: stderr echoes the input: %q", input, r.stderr)
		}
	}
}
