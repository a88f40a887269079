package main

import (
	"bufio"
	"context"
	"encoding/base64"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/entity-studio-go/entityauth/entityauthtest"
)

// canaryKey is the API secret key of the secret-scanning test.
var canaryKey = "5ec2e7" + strings.Repeat("b", 23) + "." + strings.Repeat("c1ca2a", 16) + "e"

// TestSecretsNeverInCLIOutput runs every subcommand with a canary key in the
// environment (and in a secret file), against a fake that accepts it, through
// successes and every class of failure. Apart from the token command's
// standard output, which is the token by design, no output and no cache file
// may hold the key or any token the fake issued.
func TestSecretsNeverInCLIOutput(t *testing.T) {
	srv := entityauthtest.Start(t, entityauthtest.Options{APIKey: canaryKey})
	e := newEnv(t, envSecret+"="+canaryKey, envBaseURL+"="+srv.URL, envOrigin+"=https://app.example.com")
	secretFile := filepath.Join(t.TempDir(), "secret")
	if err := os.WriteFile(secretFile, []byte(canaryKey+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}

	var outputs []labelledOutput
	var tokens []string
	record := func(label string, r result, tokenOnStdout bool) {
		if tokenOnStdout {
			tokens = append(tokens, tokenOf(r.stdout))
		} else {
			outputs = append(outputs, labelledOutput{label + " stdout", r.stdout})
		}
		outputs = append(outputs, labelledOutput{label + " stderr", r.stderr})
	}

	// token: every format and secret source; its stdout is the token.
	for _, args := range [][]string{
		{"token"},
		{"token", "--format", "json"},
		{"token", "--format", "header"},
		{"token", "--no-cache", "--lifetime", "2h"},
		{"token", "--secret-file", secretFile, "--no-cache"},
	} {
		r := e.run("", args...)
		r.want(t, 0, args...)
		record(strings.Join(args, " "), r, true)
	}
	r := e.run(canaryKey+"\n", "token", "--secret-file", "-", "--no-cache")
	r.want(t, 0, "token", "--secret-file", "-")
	record("token --secret-file -", r, true)

	// token: failures of the server, of the network and of the flags.
	faults := []entityauthtest.Fault{
		{Status: 401, JSON: map[string]any{"statusCode": 401, "message": []string{"unknown key " + canaryKey}, "error": canaryKey}},
		{Status: 400, JSON: map[string]any{"statusCode": 400, "message": []string{"Invalid grant type"}, "error": "Bad Request"}},
		{Status: 403, JSON: map[string]any{"error": "Insufficient credits or no active plan"}},
		{Status: 404, Body: "<html>Cannot POST " + canaryKey + "</html>", ContentType: "text/html"},
		{Status: 429, RetryAfter: "600", JSON: "Too many requests. Try again later."},
		{Status: 302, Redirect: "https://elsewhere.example/?k=" + canaryKey},
		{Body: `{"access_token":"` + canaryToken + `","expiresIn":"soon"}`, ContentType: "application/json"},
		{Body: `{"access_token":"` + canaryToken, ContentType: "application/json"},
		{Oversize: 2 << 20},
	}
	for _, f := range faults {
		srv.Enqueue(entityauthtest.TokenEndpoint, f)
		r := e.run("", "token", "--no-cache")
		r.want(t, 1, "token", "after a fault")
		record("token after a fault", r, false)
	}
	for _, args := range [][]string{
		{"token", "--base-url", "http://api.example.com"},
		{"token", "--base-url", "https://u:" + canaryKey + "@api.example.com"},
		{"token", "--lifetime", "90m"},
		{"token", "--secret-file", filepath.Join(t.TempDir(), "missing")},
		{"token", "extra"},
	} {
		r := e.run("", args...)
		if r.code == 0 {
			t.Errorf("entityauth %q: exit 0; want a failure", args[:2])
		}
		record("token with bad flags", r, false)
	}
	srv.SetDown(true)
	r = e.run("", "token", "--no-cache")
	r.want(t, 1, "token", "while the server is down")
	record("token while down", r, false)
	srv.SetDown(false)

	// inspect: a token issued by the fake, and one that carries the key as a
	// claim (as tokens of 2023 carried appSecret).
	withSecret := base64.RawURLEncoding.EncodeToString([]byte(`{"alg":"HS256","typ":"JWT"}`)) + "." +
		base64.RawURLEncoding.EncodeToString([]byte(`{"appId":"a","appSecret":"`+canaryKey+`","exp":4102444800}`)) + ".c2ln"
	for _, tok := range []string{tokens[0], withSecret} {
		for _, args := range [][]string{{"inspect", tok}, {"inspect", "--format", "json", tok}, {"inspect", "-"}} {
			stdin := ""
			if args[len(args)-1] == "-" {
				stdin = "Bearer " + tok + "\n"
			}
			r := e.run(stdin, args...)
			r.want(t, 0, args[0])
			record("inspect", r, false)
		}
	}
	r = e.run(canaryToken[:40]+"!", "inspect", "-")
	record("inspect of a broken token", r, false)

	// The other commands, with the key in their environment.
	for _, args := range [][]string{{"demo"}, {"version"}, {"help"}, {"help", "token"}, {"token", "-h"}} {
		r := e.run("", args...)
		r.want(t, 0, args...)
		record(strings.Join(args, " "), r, false)
	}
	outputs = append(outputs, runFakeBriefly(t, e)...)

	tokens = append(tokens, canaryToken)
	for _, req := range srv.Requests() {
		if tok, ok := strings.CutPrefix(req.Header.Get("Authorization"), "Bearer "); ok {
			tokens = append(tokens, tok)
		}
	}
	secrets := append([]string{canaryKey, strings.SplitN(canaryKey, ".", 2)[1]}, tokens...)
	for _, o := range outputs {
		assertNoSecrets(t, o.label, o.text, secrets...)
	}
	if n := assertCacheClean(t, e, secrets...); n == 0 {
		t.Error("the cache holds no file; the scan of the cache proves nothing")
	}
	t.Logf("scanned %d outputs and the cache for the key and %d tokens", len(outputs), len(tokens))
}

// canaryToken is a token that fault bodies carry.
const canaryToken = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJjYW5hcnkiOiJjbGkifQ.Y2FuYXJ5LWNsaS1zaWduYXR1cmU"

type labelledOutput struct{ label, text string }

// tokenOf returns the token in the output of entityauth token in any format.
func tokenOf(stdout string) string {
	s := strings.TrimSpace(stdout)
	s = strings.TrimPrefix(s, "Authorization: Bearer ")
	if strings.HasPrefix(s, "{") {
		if m := jwtPattern.FindString(s); m != "" {
			return m
		}
	}
	return s
}

// runFakeBriefly starts `entityauth fake` with the key in its environment,
// reads its banner, stops it with SIGINT and returns its outputs.
func runFakeBriefly(t *testing.T, e *env) []labelledOutput {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, binary, "fake", "--addr", "127.0.0.1:0")
	cmd.Env = e.vars
	var stderr strings.Builder
	cmd.Stderr = &stderr
	pipe, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	var banner strings.Builder
	sc := bufio.NewScanner(pipe)
	for sc.Scan() {
		banner.WriteString(sc.Text() + "\n")
		if strings.HasPrefix(sc.Text(), "Stop with") {
			break
		}
	}
	if err := cmd.Process.Signal(os.Interrupt); err != nil {
		t.Fatal(err)
	}
	for sc.Scan() {
		banner.WriteString(sc.Text() + "\n")
	}
	if err := cmd.Wait(); err != nil {
		t.Errorf("fake: %v", err)
	}
	return []labelledOutput{{"fake stdout", banner.String()}, {"fake stderr", stderr.String()}}
}
