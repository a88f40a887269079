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
	// No rate limit: the runs make more token requests than the real limit
	// allows; the 429s are queued.
	srv := entityauthtest.Start(t, entityauthtest.Options{APIKey: canaryKey, RateLimit: -1})
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
	faults := []struct {
		f    entityauthtest.Fault
		code int
	}{
		{entityauthtest.Fault{Status: 401, JSON: map[string]any{"statusCode": 401, "message": []string{"unknown key " + canaryKey}, "error": canaryKey}}, 1},
		{entityauthtest.Fault{Status: 400, JSON: map[string]any{"statusCode": 400, "message": []string{"Invalid grant type"}, "error": "Bad Request"}}, 1},
		{entityauthtest.Fault{Status: 403, JSON: map[string]any{"error": "Insufficient credits or no active plan"}}, 1},
		{entityauthtest.Fault{Status: 404, Body: "<html>Cannot POST " + canaryKey + "</html>", ContentType: "text/html"}, 1},
		{entityauthtest.Fault{Status: 429, RetryAfter: "600", JSON: "Too many requests. Try again later."}, 75},
		{entityauthtest.Fault{Status: 429, RetryAfter: "900", JSON: []string{"slow down " + canaryKey}}, 75},
		{entityauthtest.Fault{Status: 302, Redirect: "https://elsewhere.example/?k=" + canaryKey}, 1},
		{entityauthtest.Fault{Body: `{"access_token":"` + canaryToken + `","expiresIn":"soon"}`, ContentType: "application/json"}, 1},
		{entityauthtest.Fault{Body: `{"access_token":"` + canaryToken, ContentType: "application/json"}, 1},
		{entityauthtest.Fault{Oversize: 2 << 20}, 1},
	}
	for _, f := range faults {
		srv.Enqueue(entityauthtest.TokenEndpoint, f.f)
		r := e.run("", "token", "--no-cache")
		r.want(t, f.code, "token", "after a fault")
		record("token after a fault", r, false)
	}
	// 5xx and dropped connections until the retries give up.
	five := entityauthtest.Fault{Status: 503, JSON: map[string]any{"message": []string{"down for " + canaryKey}}}
	drop := entityauthtest.Fault{Drop: true}
	for _, fs := range [][]entityauthtest.Fault{{five, five, five}, {drop, drop, drop}} {
		srv.Enqueue(entityauthtest.TokenEndpoint, fs...)
		r := e.run("", "token", "--no-cache")
		r.want(t, 75, "token", "after temporary faults")
		record("token after temporary faults", r, false)
	}
	// Usage errors, with the key (or another) where an argument echoes.
	other := strings.Repeat("f", 29) + "." + strings.Repeat("e", 97)
	for _, args := range [][]string{
		{"token", "--base-url", "http://api.example.com"},
		{"token", "--base-url", "https://u:" + canaryKey + "@api.example.com"},
		{"token", "--base-url", "https://" + other + "@api.example.com"},
		{"token", "--base-url", "https://api.example.com/?key=" + other},
		{"token", "--base-url", "https://api.example.com/#" + other},
		{"token", "--base-url", "http://192.0.2.1/" + canaryKey},
		{"token", "--base-url", canaryKey},
		{"token", "--base-url", other},
		{"token", "--format", canaryKey},
		{"token", "--lifetime", canaryKey},
		{"token", "--" + canaryKey},
		{"token", "--no-cache=" + canaryKey},
		{"token", canaryKey},
		{canaryKey},
		{"--" + canaryKey},
		{"help", canaryKey},
		{"inspect", "--format", canaryKey},
		{"fake", "--addr", canaryKey},
		{"fake", "--rate-limit", canaryKey},
		{"token", "--lifetime", "90m"},
		{"token", "--secret-file", filepath.Join(t.TempDir(), "missing")},
		{"token", "extra"},
	} {
		r := e.run("", args...)
		if r.code == 0 {
			t.Errorf("entityauth %.20q: exit 0; want a failure", args)
		}
		record("usage error", r, false)
	}
	emptyFile := filepath.Join(t.TempDir(), "empty")
	if err := os.WriteFile(emptyFile, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	r = e.run("", "token", "--secret-file", emptyFile)
	r.want(t, 2, "token", "--secret-file", "empty")
	record("token with an empty secret file", r, false)
	// ENTITY_API_BASE_URL and ENTITY_API_SECRET_KEY swapped by mistake.
	swapped := newEnv(t, envSecret+"="+srv.URL, envBaseURL+"="+canaryKey)
	r = swapped.run("", "token", "--no-cache")
	r.want(t, 2, "token", "with swapped variables")
	record("token with swapped variables", r, false)
	srv.SetDown(true)
	r = e.run("", "token", "--no-cache")
	r.want(t, 75, "token", "while the server is down")
	record("token while down", r, false)
	srv.SetDown(false)

	// api: against the fake's SSI half (the key is the token service's and
	// the SSI API's URL is the fake's), through a refresh after a dropped
	// session and HTTP errors whose bodies hold the key; then against an SSI
	// API that echoes the Authorization header in its answers.
	fakeAPI := newEnv(t, envSecret+"="+canaryKey, envBaseURL+"="+srv.URL, envSSIURL+"="+srv.URL, envOrigin+"=https://app.example.com")
	srv.DropSessions()
	for _, step := range []struct {
		fault *entityauthtest.Fault
		args  []string
		code  int
	}{
		{nil, []string{"api", "/api/v1/did"}, 0},
		{nil, []string{"api", "-d", `{"namespace":"testnet"}`, "/api/v1/did/create"}, 0},
		{nil, []string{"api", "--secret-file", secretFile, "--no-cache", "/api/v1/did"}, 0},
		{&entityauthtest.Fault{Status: 400, JSON: map[string]any{"statusCode": 400, "message": []string{"bad key " + canaryKey}, "error": canaryKey}}, []string{"api", "/api/v1/did"}, 1},
		{&entityauthtest.Fault{Status: 403, JSON: map[string]any{"statusCode": 403, "message": []any{map[string]string{"key": canaryKey}}}}, []string{"api", "/api/v1/did"}, 1},
		{&entityauthtest.Fault{Status: 500, Body: "<html>" + canaryKey + "</html>", ContentType: "text/html"}, []string{"api", "/api/v1/did"}, 75},
		{&entityauthtest.Fault{Body: `{"totalCount":1,"data":["` + canaryKey + `"]}`, ContentType: "application/json"}, []string{"api", "--paginate", "/api/v1/did"}, 0},
		{&entityauthtest.Fault{Drop: true}, []string{"api", "/api/v1/did"}, 75},
	} {
		if step.fault != nil {
			srv.Enqueue(entityauthtest.APIEndpoint, *step.fault)
		}
		r := fakeAPI.run("", step.args...)
		r.want(t, step.code, step.args...)
		record(strings.Join(step.args, " "), r, false)
	}
	r = fakeAPI.run(canaryKey+"\n", "api", "--secret-file", "-", "--no-cache", "/api/v1/did")
	r.want(t, 0, "api --secret-file -")
	record("api --secret-file -", r, false)
	echo := startSSI(t, echoAuth)
	echoAPI := newEnv(t, envSecret+"="+canaryKey, envBaseURL+"="+srv.URL, envSSIURL+"="+echo.URL)
	for _, args := range [][]string{{"api", "/api/v1/did"}, {"api", "-d", "{}", "/api/v1/did/create"}, {"api", "--paginate", "/api/v1/did"}} {
		r := echoAPI.run("", args...)
		record("api echoing the token: "+strings.Join(args, " "), r, false)
	}
	for _, req := range echo.requests() {
		tokens = append(tokens, strings.TrimPrefix(req.Auth, "Bearer "))
	}
	// api: usage errors with the key where an argument echoes.
	for _, args := range [][]string{
		{"api", canaryKey},
		{"api", "https://elsewhere.example/" + canaryKey},
		{"api", "https://u:" + canaryKey + "@elsewhere.example/"},
		{"api", "/api/v1/did?k=" + canaryKey, "/x"},
		{"api", "-X", canaryKey, "/x"},
		{"api", "-d", "{" + canaryKey, "/x"},
		{"api", "-d", canaryKey, "/x"},
		{"api", "-d", "@" + canaryKey, "/x"},
		{"api", "--api-url", canaryKey, "/x"},
		{"api", "--api-url", "http://192.0.2.1/" + canaryKey, "/x"},
		{"api", "--paginate", "/api/v1/did?limit=" + canaryKey},
		{"api", "--" + canaryKey},
	} {
		r := fakeAPI.run("", args...)
		if r.code == 0 {
			t.Errorf("entityauth %.20q: exit 0; want a failure", args)
		}
		record("api usage error", r, false)
	}

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
	for _, args := range [][]string{{"demo"}, {"version"}, {"--version"}, {"help"}, {"help", "token"}, {"token", "-h"}, {"api", "-h"}, {"fake", "-h"}} {
		r := e.run("", args...)
		r.want(t, 0, args...)
		record(strings.Join(args, " "), r, false)
	}
	outputs = append(outputs, runFakeBriefly(t, e, "--addr", "127.0.0.1:0")...)
	outputs = append(outputs, runFakeBriefly(t, e, "--addr", "127.0.0.1:0", "--env")...)
	outputs = append(outputs, runFakeBriefly(t, e, "--addr", "0.0.0.0:0")...)

	tokens = append(tokens, canaryToken)
	for _, req := range srv.Requests() {
		if tok, ok := strings.CutPrefix(req.Header.Get("Authorization"), "Bearer "); ok {
			tokens = append(tokens, tok)
		}
	}
	secrets := append([]string{canaryKey, strings.SplitN(canaryKey, ".", 2)[1], other}, tokens...)
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

// runFakeBriefly starts `entityauth fake args...` with the key in its
// environment, reads its banner (or its export lines), stops it with SIGINT
// and returns its outputs.
func runFakeBriefly(t *testing.T, e *env, args ...string) []labelledOutput {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, binary, append([]string{"fake"}, args...)...)
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
		if strings.HasPrefix(sc.Text(), "Stop with") || strings.HasPrefix(sc.Text(), "export "+envFakePID+"=") {
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
	label := "fake " + strings.Join(args, " ")
	return []labelledOutput{{label + " stdout", banner.String()}, {label + " stderr", stderr.String()}}
}
