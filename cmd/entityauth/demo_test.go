package main

import (
	"os"
	"regexp"
	"strings"
	"testing"
	"time"
)

// fakeKeyPattern matches a key in the format of the fake's random keys (and
// the real ones): 29 hex digits, a dot, 97 hex digits.
var fakeKeyPattern = regexp.MustCompile(`[0-9a-f]{29}\.[0-9a-f]{97}`)

// TestDemo runs the demo and pins its steps in order (token, inspect, create
// DID, register and wait, issue and wait, revoke and wait, one token for all,
// recovery from a 401), and that it prints no token and no key.
func TestDemo(t *testing.T) {
	e := newEnv(t)
	start := time.Now()
	r := e.run("", "demo")
	elapsed := time.Since(start)
	r.want(t, 0)
	t.Logf("demo wall time: %v", elapsed)
	// Three waits for the chain of about a second each, and the rest.
	if elapsed > 6*time.Second {
		t.Errorf("demo took %v; want under 6 s", elapsed)
	}
	// The steps, in order, each with its result.
	steps := []string{
		"1. Fetch a token",
		"wire: POST /api/v1/app/oauth -> 200 OK",
		"eyJhbGciOi…(redacted)",
		"2. Inspect it",
		"WITHOUT verifying",
		"3. Create a DID through package ssi",
		"wire: POST /api/v1/did/create -> 201 Created",
		"-> did:hid:testnet:z6Mk",
		", UNREGISTRED",
		"4. Register it on chain",
		"wire: POST /api/v1/did/register -> 201 Created",
		`-> UNREGISTRED, transaction hash "": queued`,
		"5. Wait until it is on chain",
		"waiting…",
		"wire: GET /api/v1/did/resolve/did:hid:testnet:z6Mk",
		"-> on chain after ",
		"6. Issue a credential",
		"wire: POST /api/v1/credential/issue -> 201 Created",
		"-> vc:hid:testnet:z6Mk",
		", Credential is active",
		"waiting…",
		"wire: GET /api/v1/credential/vc:hid:testnet:z6Mk",
		"-> LIVE on chain after ",
		"7. Revoke it",
		"-> 200 OK",
		"-> revoked false: queued, the answer is the status from before the change",
		"waiting…",
		"-> revoked true on chain, Credential is revoked",
		"8. Every call above used one token",
		"token requests: 1",
		"9. Recover from a forced 401",
		"wire: GET /api/v1/did -> 401 Unauthorized",
		"wire: POST /api/v1/app/oauth -> 200 OK",
		"wire: GET /api/v1/did -> 200 OK",
		"-> 1 DID; token requests for the recovery: 1; API requests: 2",
		"In all: 2 token requests, 12 SSI API requests.",
	}
	rest := r.stdout
	for _, want := range steps {
		i := strings.Index(rest, want)
		if i < 0 {
			t.Fatalf("demo output lacks %q after the steps before it:\n%s", want, r.stdout)
		}
		rest = rest[i+len(want):]
	}
	// Each wait polls twice: at once, and after about a second, when the
	// demo's chain (half a second) has caught up.
	if n := strings.Count(r.stdout, "wire: "); n != 14 {
		t.Errorf("demo output shows %d requests on the wire; want 14 (2 token, 12 SSI API):\n%s", n, r.stdout)
	}
	assertNoSecrets(t, "demo output", r.stdout+r.stderr)
	if m := fakeKeyPattern.FindString(r.stdout + r.stderr); m != "" {
		t.Errorf("demo output holds the fake's API key (%.8s…)", m)
	}
	// No file cache: the demo leaves nothing behind.
	if _, err := os.Stat(e.cacheDir); !os.IsNotExist(err) {
		t.Errorf("demo created the cache directory (stat: %v)", err)
	}
}
