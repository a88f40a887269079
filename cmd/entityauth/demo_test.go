package main

import (
	"os"
	"strings"
	"testing"
	"time"
)

func TestDemo(t *testing.T) {
	e := newEnv(t)
	start := time.Now()
	r := e.run("", "demo")
	elapsed := time.Since(start)
	r.want(t, 0)
	t.Logf("demo wall time: %v", elapsed)
	if elapsed > 5*time.Second {
		t.Errorf("demo took %v; want under 5 s", elapsed)
	}
	for _, want := range []string{
		"1. Fetch a token",
		"eyJhbGciOi…(redacted)",
		"2. Inspect it",
		"WITHOUT verifying",
		"3. Call the SSI API through Config.Client",
		"GET /api/v1/did -> 200 OK",
		"4. A cached call makes no token request",
		"token requests: 1 before, 1 after",
		"5. Recover from a forced 401",
		"wire: GET /api/v1/did -> 401 Unauthorized",
		"token requests for the recovery: 1; API requests: 2",
		"In all: 2 token requests",
	} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("demo output lacks %q:\n%s", want, r.stdout)
		}
	}
	assertNoSecrets(t, "demo output", r.stdout+r.stderr)
	// No file cache: the demo leaves nothing behind.
	if _, err := os.Stat(e.cacheDir); !os.IsNotExist(err) {
		t.Errorf("demo created the cache directory (stat: %v)", err)
	}
}
