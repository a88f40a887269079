package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/entity-studio-go/entityauth/entityauthtest"
	"github.com/entity-studio-go/entityauth/internal/jwt"
)

// tokenEnv returns a fake server and an environment pointed at it with its key.
func tokenEnv(t *testing.T) (*entityauthtest.Server, *env) {
	t.Helper()
	srv := entityauthtest.Start(t, entityauthtest.Options{})
	return srv, newEnv(t, envSecret+"="+srv.APIKey(), envBaseURL+"="+srv.URL)
}

// checkToken fails unless tok decodes as one of the fake's tokens.
func checkToken(t *testing.T, tok string) {
	t.Helper()
	if _, claims, err := jwt.Decode(tok); err != nil || claims["appId"] == nil {
		t.Fatalf("printed token does not decode as the fake's JWT: %v", err)
	}
}

// assertCacheClean scans every file under the cache directory: the
// directory is 0700, the files 0600, and no byte sequence is the key or a
// token in clear.
func assertCacheClean(t *testing.T, e *env, secrets ...string) (files int) {
	t.Helper()
	dir := filepath.Join(e.cacheDir, "entityauth")
	fi, err := os.Stat(dir)
	if err != nil {
		t.Fatalf("cache directory: %v", err)
	}
	if fi.Mode().Perm() != 0o700 {
		t.Errorf("cache directory mode = %v; want 0700", fi.Mode().Perm())
	}
	err = filepath.WalkDir(e.cacheDir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		files++
		info, err := d.Info()
		if err != nil {
			return err
		}
		if info.Mode().Perm() != 0o600 {
			t.Errorf("%s: mode %v; want 0600", path, info.Mode().Perm())
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		assertNoSecrets(t, "cache file "+d.Name(), string(b), secrets...)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return files
}

func TestTokenFormats(t *testing.T) {
	srv, e := tokenEnv(t)
	key := srv.APIKey()

	r := e.run("", "token", "--no-cache")
	r.want(t, 0)
	tok := strings.TrimSuffix(r.stdout, "\n")
	if strings.ContainsAny(tok, " \n") {
		t.Fatalf("raw output = %q; want the token and one newline", r.stdout)
	}
	checkToken(t, tok)

	r = e.run("", "token", "--no-cache", "--format", "header")
	r.want(t, 0)
	hdr, ok := strings.CutPrefix(r.stdout, "Authorization: Bearer ")
	if !ok || !strings.HasSuffix(hdr, "\n") {
		t.Fatalf("header output = %q; want \"Authorization: Bearer <token>\\n\"", r.stdout)
	}
	checkToken(t, strings.TrimSpace(hdr))

	r = e.run("", "token", "--no-cache", "--format", "json")
	r.want(t, 0)
	var out struct {
		AccessToken string `json:"access_token"`
		TokenType   string `json:"token_type"`
		Expiry      string `json:"expiry"`
	}
	if err := json.Unmarshal([]byte(r.stdout), &out); err != nil {
		t.Fatalf("json output %q: %v", r.stdout, err)
	}
	checkToken(t, out.AccessToken)
	if out.TokenType != "Bearer" {
		t.Errorf("token_type = %q; want %q", out.TokenType, "Bearer")
	}
	exp, err := time.Parse(time.RFC3339, out.Expiry)
	if err != nil {
		t.Fatalf("expiry %q is not RFC 3339: %v", out.Expiry, err)
	}
	if d := time.Until(exp); d < 3*time.Hour || d > 4*time.Hour+time.Minute {
		t.Errorf("expiry in %v; want about 4h (the fake's default)", d)
	}
	if got := srv.TokenRequests(); got != 3 {
		t.Errorf("token requests with --no-cache = %d; want 3", got)
	}
	for _, r := range srv.Requests() {
		if got := r.Header.Get("X-Api-Secret-Key"); got != key {
			t.Errorf("X-Api-Secret-Key sent = %.8q…; want the fake's key", got)
		}
	}
	if _, err := os.Stat(e.cacheDir); !os.IsNotExist(err) {
		t.Errorf("--no-cache created the cache directory (stat: %v)", err)
	}
}

func TestTokenRequestFlags(t *testing.T) {
	srv := entityauthtest.Start(t, entityauthtest.Options{})
	// The flags override the environment.
	e := newEnv(t, envSecret+"="+srv.APIKey(), envBaseURL+"=http://127.0.0.1:1", envOrigin+"=https://env.example")
	r := e.run("", "token", "--no-cache", "--base-url", srv.URL, "--origin", "https://app.example",
		"--grant-type", "access_service_ssi", "--lifetime", "2h")
	r.want(t, 0)
	reqs := srv.Requests()
	if len(reqs) != 1 {
		t.Fatalf("requests = %d; want 1", len(reqs))
	}
	req := reqs[0]
	if got := req.Header.Get("Origin"); got != "https://app.example" {
		t.Errorf("Origin = %q; want %q", got, "https://app.example")
	}
	if got := req.Header.Get("ExpiresIn"); got != "2" {
		t.Errorf("ExpiresIn = %q; want %q", got, "2")
	}
	if req.RawQuery != "grant_type=access_service_ssi" {
		t.Errorf("query = %q; want %q", req.RawQuery, "grant_type=access_service_ssi")
	}

	// ENTITY_API_ORIGIN is used without the flag.
	e = newEnv(t, envSecret+"="+srv.APIKey(), envBaseURL+"="+srv.URL, envOrigin+"=https://env.example")
	e.run("", "token", "--no-cache").want(t, 0)
	reqs = srv.Requests()
	if got := reqs[len(reqs)-1].Header.Get("Origin"); got != "https://env.example" {
		t.Errorf("Origin from %s = %q; want %q", envOrigin, got, "https://env.example")
	}
}

func TestTokenSecretSources(t *testing.T) {
	srv := entityauthtest.Start(t, entityauthtest.Options{})
	key := srv.APIKey()
	e := newEnv(t, envBaseURL+"="+srv.URL)
	file := filepath.Join(e.home, "key")
	if err := os.WriteFile(file, []byte("\n  "+key+"\r\n\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	e.run("", "token", "--no-cache", "--secret-file", file).want(t, 0)
	e.run("\t"+key+"\n", "token", "--no-cache", "--secret-file", "-").want(t, 0)
	padded := newEnv(t, envBaseURL+"="+srv.URL, envSecret+"=  "+key+"\n")
	padded.run("", "token", "--no-cache").want(t, 0)
	if got := srv.TokenRequests(); got != 3 {
		t.Errorf("token requests = %d; want 3", got)
	}

	r := e.run("", "token", "--secret-file", filepath.Join(e.home, "missing"))
	r.want(t, 1)
	assertNoSecrets(t, "stderr", r.stderr, key)
}

func TestTokenMissingSecret(t *testing.T) {
	srv := entityauthtest.Start(t, entityauthtest.Options{})
	e := newEnv(t, envBaseURL+"="+srv.URL)
	empty := filepath.Join(e.home, "empty")
	if err := os.WriteFile(empty, []byte("\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		e    *env
		args []string
		want string
	}{
		{e, nil, "no API secret key: set $ENTITY_API_SECRET_KEY or use --secret-file PATH"},
		{newEnv(t, envBaseURL+"="+srv.URL, envSecret+"=  \n"), nil, "no API secret key: $ENTITY_API_SECRET_KEY is blank"},
		// A file that holds no key: the error names the file and does not
		// send the user to the flag they used.
		{e, []string{"--secret-file", empty}, "no API secret key: the file " + strconv.Quote(empty) + " holds none"},
		{e, []string{"--secret-file", "-"}, "no API secret key: standard input (--secret-file -) holds none"},
	} {
		args := append([]string{"token"}, tc.args...)
		r := tc.e.run("", args...)
		r.want(t, 2, args...)
		if want := "entityauth token: " + tc.want + "\nRun 'entityauth token -h' for usage.\n"; r.stderr != want {
			t.Errorf("entityauth %q: stderr = %q; want %q", args, r.stderr, want)
		}
		if tc.args != nil && strings.Contains(r.stderr, "use --secret-file") {
			t.Errorf("entityauth %q: stderr %q tells the user to use the flag they used", args, r.stderr)
		}
		if r.stdout != "" {
			t.Errorf("stdout = %q; want none", r.stdout)
		}
	}
	if got := srv.TokenRequests(); got != 0 {
		t.Errorf("token requests without a secret = %d; want 0", got)
	}
}

// TestTokenBaseURLEcho: a bad base URL is a usage error that echoes it as
// typed, with every part that may hold a key redacted.
func TestTokenBaseURLEcho(t *testing.T) {
	srv := entityauthtest.Start(t, entityauthtest.Options{APIKey: canaryKey})
	e := newEnv(t, envSecret+"="+canaryKey)
	const (
		notURL   = " is not an absolute URL such as https://api.entity.dashboard.hypersign.id"
		userinfo = " must not hold credentials (user:password@): the key goes in $ENTITY_API_SECRET_KEY"
		query    = " must not hold a query or a fragment"
	)
	other := strings.Repeat("f", 29) + "." + strings.Repeat("e", 97) // a key, but not this run's
	for _, tc := range []struct {
		url, want string
	}{
		{"api.entity.dashboard.hypersign.id", `"api.entity.dashboard.hypersign.id"` + notURL},
		{"HTTPS//api.example.com", `"HTTPS//api.example.com"` + notURL},
		{"http://192.0.2.1:8080/x", `"http://192.0.2.1:8080/x"` + " " + insecureURL},
		{"FTP://127.0.0.1", `"FTP://127.0.0.1"` + " " + insecureURL},
		{"https://" + canaryKey + "@api.example.com/v1", `"https://REDACTED@api.example.com/v1"` + userinfo},
		{"https://user:" + other + "@api.example.com", `"https://REDACTED@api.example.com"` + userinfo},
		{"user:" + other + "@api.example.com", `"REDACTED@api.example.com"` + notURL},
		{"https://api.example.com/?key=" + other + "&x=1", `"https://api.example.com/?REDACTED"` + query},
		{"https://api.example.com#" + other, `"https://api.example.com#REDACTED"` + query},
		{"http://192.0.2.1/" + canaryKey, `"http://192.0.2.1/REDACTED"` + " " + insecureURL},
		{other, "(a value of 127 characters without a scheme, not shown)" + notURL},
		{"https://api.example.com/\n?k", `"https://api.example.com/\n?REDACTED"` + notURL},
	} {
		r := e.run("", "token", "--no-cache", "--base-url", tc.url)
		r.want(t, 2, "--base-url", tc.url)
		if want := "entityauth token: --base-url " + tc.want + "\nRun 'entityauth token -h' for usage.\n"; r.stderr != want {
			t.Errorf("--base-url %.40q: stderr = %q; want %q", tc.url, r.stderr, want)
		}
		assertNoSecrets(t, "stderr", r.stderr, canaryKey, other)
	}
	// From the environment, the error names the variable.
	e = newEnv(t, envSecret+"="+canaryKey, envBaseURL+"=localhost:8080")
	r := e.run("", "token", "--no-cache")
	r.want(t, 2)
	if want := "entityauth token: $ENTITY_API_BASE_URL \"localhost:8080\"" + notURL + "\n"; !strings.HasPrefix(r.stderr, want) {
		t.Errorf("stderr = %q; want it to start with %q", r.stderr, want)
	}
	if got := srv.TokenRequests(); got != 0 {
		t.Errorf("token requests = %d; want 0", got)
	}
}

func TestTokenUsageErrorsMakeNoRequest(t *testing.T) {
	srv, e := tokenEnv(t)
	for _, args := range [][]string{
		{"--lifetime", "90m"},
		{"--lifetime", "0h"},
		{"--lifetime", "-2h"},
		{"--lifetime", "four"},
		{"--lifetime", "1000h"}, // over the server's limit: refused by the library
		{"--format", "yaml"},
		{"extra-argument"},
		{"--base-url", "http://192.0.2.1"}, // plain http beyond loopback
		{"--base-url", "ftp://127.0.0.1"},
	} {
		r := e.run("", append([]string{"token"}, args...)...)
		r.want(t, 2, args...)
		assertNoSecrets(t, "stderr", r.stderr, srv.APIKey())
	}
	if got := srv.TokenRequests(); got != 0 {
		t.Errorf("token requests after usage errors = %d; want 0", got)
	}
}

// TestTokenExitStatus: a temporary failure (a 429, a 5xx or a network
// error, after the library's retries) exits 75, any other failure 1; the
// 401 and the 429 come with a hint.
func TestTokenExitStatus(t *testing.T) {
	// No rate limit: the cases make more requests than the real limit allows.
	srv := entityauthtest.Start(t, entityauthtest.Options{RateLimit: -1})
	e := newEnv(t, envSecret+"="+srv.APIKey(), envBaseURL+"="+srv.URL)
	rateHint := fmt.Sprintf("hint: the token service allows %d requests a minute per address", tokenRateLimit)
	keyHint := "hint: the token service refused the API secret key; check $" + envSecret
	drop := entityauthtest.Fault{Drop: true}
	for _, tc := range []struct {
		name   string
		faults []entityauthtest.Fault // one per attempt
		down   bool
		args   []string
		code   int
		stderr []string // substrings of stderr
	}{
		{name: "401", faults: []entityauthtest.Fault{{Status: 401, JSON: map[string]any{"statusCode": 401, "message": []string{"Access denied."}}}},
			code: 1, stderr: []string{"401", "Access denied.", keyHint}},
		{name: "400", faults: []entityauthtest.Fault{{Status: 400, JSON: map[string]any{"statusCode": 400, "message": []string{"Invalid grant type"}, "error": "Bad Request"}}},
			args: []string{"--grant-type", "nonsense"}, code: 1, stderr: []string{"Invalid grant type"}},
		{name: "403", faults: []entityauthtest.Fault{{Status: 403, JSON: map[string]any{"error": "Insufficient credits or no active plan"}}},
			code: 1, stderr: []string{"403"}},
		{name: "invalid body", faults: []entityauthtest.Fault{{Body: `{"access_token":"x","expiresIn":"soon"}`, ContentType: "application/json"}},
			code: 1, stderr: []string{"invalid token response"}},
		{name: "429 with a long Retry-After", faults: []entityauthtest.Fault{{Status: 429, RetryAfter: "600"}},
			code: 75, stderr: []string{"429", rateHint + "; it asked to wait 10m0s"}},
		{name: "500 three times", faults: []entityauthtest.Fault{entityauthtest.InternalServerError(), entityauthtest.InternalServerError(), entityauthtest.InternalServerError()},
			code: 75, stderr: []string{"500"}},
		{name: "503, 502, 504", faults: []entityauthtest.Fault{{Status: 503}, {Status: 502}, {Status: 504}},
			code: 75, stderr: []string{"504"}},
		{name: "408 three times", faults: []entityauthtest.Fault{{Status: 408}, {Status: 408}, {Status: 408}},
			code: 75, stderr: []string{"408"}},
		{name: "dropped connections", faults: []entityauthtest.Fault{drop, drop, drop}, code: 75, stderr: []string{"EOF"}},
		{name: "truncated bodies", faults: []entityauthtest.Fault{{TruncateAt: 5}, {TruncateAt: 5}, {TruncateAt: 5}}, code: 75},
		{name: "server down", down: true, code: 75},
		{name: "nothing listening", args: []string{"--base-url", closedPortURL(t)}, code: 75, stderr: []string{"connection refused"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv.Enqueue(entityauthtest.TokenEndpoint, tc.faults...)
			srv.SetDown(tc.down)
			defer srv.SetDown(false)
			start := time.Now()
			r := e.run("", append([]string{"token", "--no-cache"}, tc.args...)...)
			r.want(t, tc.code, tc.name)
			if d := time.Since(start); d > 10*time.Second {
				t.Errorf("took %v; want the failure within the retries' few seconds", d)
			}
			for _, want := range tc.stderr {
				if !strings.Contains(r.stderr, want) {
					t.Errorf("stderr = %q; want it to hold %q", r.stderr, want)
				}
			}
			if tc.name != "401" && strings.Contains(r.stderr, keyHint) {
				t.Errorf("stderr = %q; want no hint about the key", r.stderr)
			}
			if r.stdout != "" {
				t.Errorf("stdout = %q; want none", r.stdout)
			}
			assertNoSecrets(t, "stderr", r.stderr, srv.APIKey())
		})
	}
	// A 429 without Retry-After is probed again after 1 to 2 s: the
	// server's window may have rolled over, and the run gets its token.
	before := srv.TokenRequests()
	srv.Enqueue(entityauthtest.TokenEndpoint, entityauthtest.Fault{Status: 429, JSON: "Too many requests. Try again later."})
	start := time.Now()
	r := e.run("", "token", "--no-cache")
	r.want(t, 0, "a 429, then a token")
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("a 429 then a token took %v; want one probe of at most 2 s", d)
	}
	if got := srv.TokenRequests() - before; got != 2 {
		t.Errorf("token requests = %d; want 2 (the 429 and one probe)", got)
	}
	// The real 401 of a wrong key, not a queued one.
	wrong := strings.Repeat("a", 29) + "." + strings.Repeat("b", 97)
	r = newEnv(t, envSecret+"="+wrong, envBaseURL+"="+srv.URL).run("", "token")
	r.want(t, 1)
	if want := "entityauth token: token endpoint answered 401 Unauthorized: Access denied.\n" + keyHint; !strings.HasPrefix(r.stderr, want) {
		t.Errorf("stderr = %q; want it to start with %q", r.stderr, want)
	}
	assertNoSecrets(t, "stderr", r.stderr, wrong, srv.APIKey())
}

// closedPortURL returns the URL of a loopback port that nothing listens on.
func closedPortURL(t *testing.T) string {
	t.Helper()
	var lc net.ListenConfig
	ln, err := lc.Listen(t.Context(), "tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	url := "http://" + ln.Addr().String()
	if err := ln.Close(); err != nil {
		t.Fatal(err)
	}
	return url
}

// TestTokenInterrupted: an interrupt while the token request is under way
// ends the run at once with the status that shells report for the signal,
// 130 for SIGINT and 143 for SIGTERM, not with the 75 of a temporary
// failure, in the token command and in the api command.
func TestTokenInterrupted(t *testing.T) {
	for _, tc := range []struct {
		sig  os.Signal
		code int
	}{
		{os.Interrupt, 130},
		{syscall.SIGTERM, 143},
	} {
		for _, args := range [][]string{{"token", "--no-cache"}, {"api", "--no-cache", "/api/v1/did"}} {
			t.Run(fmt.Sprintf("%s %v", args[0], tc.sig), func(t *testing.T) {
				srv, e := fakeEnv(t)
				srv.Enqueue(entityauthtest.TokenEndpoint, entityauthtest.Fault{Delay: time.Minute})
				cmd := exec.CommandContext(t.Context(), binary, args...)
				cmd.Env = e.vars
				var stdout, stderr bytes.Buffer
				cmd.Stdout, cmd.Stderr = &stdout, &stderr
				if err := cmd.Start(); err != nil {
					t.Fatal(err)
				}
				for deadline := time.Now().Add(10 * time.Second); srv.TokenRequests() == 0; time.Sleep(10 * time.Millisecond) {
					if time.Now().After(deadline) {
						_ = cmd.Process.Kill()
						t.Fatal("the token request did not arrive within 10 s")
					}
				}
				if err := cmd.Process.Signal(tc.sig); err != nil {
					t.Fatal(err)
				}
				err := cmd.Wait()
				var exit *exec.ExitError
				if !errors.As(err, &exit) || exit.ExitCode() != tc.code {
					t.Fatalf("run ended by %v: %v; want exit %d\nstderr: %s", tc.sig, err, tc.code, stderr.String())
				}
				if stdout.Len() != 0 {
					t.Errorf("stdout = %q; want none", stdout.String())
				}
				assertNoSecrets(t, "stderr", stderr.String(), srv.APIKey())
			})
		}
	}
}

// TestTokenCache is the criterion: 12 calls in a row make one token
// request, and the cache holds neither the key nor the token in clear.
func TestTokenCache(t *testing.T) {
	srv, e := tokenEnv(t)
	var first string
	for i := range 12 {
		r := e.run("", "token")
		r.want(t, 0)
		if i == 0 {
			first = r.stdout
		} else if r.stdout != first {
			t.Fatalf("call %d printed another token than the first", i+1)
		}
		assertNoSecrets(t, "stderr", r.stderr, srv.APIKey())
	}
	if got := srv.TokenRequests(); got != 1 {
		t.Errorf("token requests for 12 calls = %d; want 1", got)
	}
	if n := assertCacheClean(t, e, srv.APIKey(), strings.TrimSpace(first)); n != 1 {
		t.Errorf("files in the cache = %d; want 1", n)
	}

	// Another configuration (here a lifetime) is another entry.
	e.run("", "token", "--lifetime", "1h").want(t, 0)
	e.run("", "token", "--lifetime", "1h").want(t, 0)
	if got := srv.TokenRequests(); got != 2 {
		t.Errorf("token requests after two calls with another lifetime = %d; want 2", got)
	}
	// --no-cache neither reads nor writes.
	e.run("", "token", "--no-cache").want(t, 0)
	if got := srv.TokenRequests(); got != 3 {
		t.Errorf("token requests after --no-cache = %d; want 3", got)
	}
	if n := assertCacheClean(t, e, srv.APIKey(), strings.TrimSpace(first)); n != 2 {
		t.Errorf("files in the cache = %d; want 2", n)
	}
}

func TestTokenCacheCorruptFiles(t *testing.T) {
	srv, e := tokenEnv(t)
	e.run("", "token").want(t, 0)
	dir := filepath.Join(e.cacheDir, "entityauth")
	mangle := func(content func([]byte) []byte) {
		ents, err := os.ReadDir(dir)
		if err != nil {
			t.Fatal(err)
		}
		for _, ent := range ents {
			p := filepath.Join(dir, ent.Name())
			b, err := os.ReadFile(p)
			if err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(p, content(b), 0o600); err != nil {
				t.Fatal(err)
			}
		}
	}
	steps := []struct {
		name    string
		content func([]byte) []byte
	}{
		{"garbage", func([]byte) []byte { return []byte("not a cache entry") }},
		{"flipped last byte (the seal fails)", func(b []byte) []byte {
			b[len(b)-1] ^= 0xff
			return b
		}},
		{"truncated", func(b []byte) []byte { return b[:len(b)/2] }},
		{"empty", func([]byte) []byte { return nil }},
	}
	for i, step := range steps {
		mangle(step.content)
		r := e.run("", "token")
		if r.code != 0 {
			t.Fatalf("token over a %s cache file: exit %d; stderr %s", step.name, r.code, r.stderr)
		}
		checkToken(t, strings.TrimSpace(r.stdout))
		if got, want := srv.TokenRequests(), i+2; got != want {
			t.Errorf("token requests after a %s cache file = %d; want %d", step.name, got, want)
		}
		// The file was replaced: the next call is served from the cache.
		e.run("", "token").want(t, 0)
		if got, want := srv.TokenRequests(), i+2; got != want {
			t.Errorf("token requests after replacing a %s cache file = %d; want %d", step.name, got, want)
		}
	}
}

// TestTokenCacheOtherKey: an entry sealed under one key is useless to
// another key, whatever the file is named.
func TestTokenCacheOtherKey(t *testing.T) {
	srv, e := tokenEnv(t)
	e.run("", "token").want(t, 0)
	newKey := srv.RotateKey()
	e2 := *e
	e2.vars = append(append([]string(nil), e.vars...), envSecret+"="+newKey)
	e2.run("", "token").want(t, 0)
	if got := srv.TokenRequests(); got != 2 {
		t.Errorf("token requests after the key changed = %d; want 2", got)
	}
	// The old key's entry is still served: the server rejects the old key
	// but keeps the tokens it issued valid, so no request is made.
	r := e.run("", "token")
	r.want(t, 0)
	if got := srv.TokenRequests(); got != 2 {
		t.Errorf("token requests = %d; want 2", got)
	}
}

// TestTokenParallel runs 8 invocations at once on an empty cache: they
// share the fetch through the cache's lock, and no file is left corrupt.
func TestTokenParallel(t *testing.T) {
	srv, e := tokenEnv(t)
	results := make([]result, 8)
	var wg sync.WaitGroup
	for i := range results {
		wg.Go(func() { results[i] = e.run("", "token") })
	}
	wg.Wait()
	secrets := []string{srv.APIKey()}
	for i, r := range results {
		if r.code != 0 {
			t.Fatalf("run %d: exit %d; stderr %s", i, r.code, r.stderr)
		}
		tok := strings.TrimSpace(r.stdout)
		checkToken(t, tok)
		secrets = append(secrets, tok)
		assertNoSecrets(t, "stderr", r.stderr, srv.APIKey())
	}
	got := srv.TokenRequests()
	t.Logf("token requests for 8 parallel runs: %d", got)
	if got > 2 {
		t.Errorf("token requests for 8 parallel runs = %d; want at most 2", got)
	}
	assertCacheClean(t, e, secrets...)
	// And the cache is intact: the next call needs no request.
	e.run("", "token").want(t, 0)
	if after := srv.TokenRequests(); after != got {
		t.Errorf("token requests after the parallel runs = %d; want %d", after, got)
	}
}
