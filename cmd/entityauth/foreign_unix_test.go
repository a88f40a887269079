//go:build unix

package main

import (
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

// TestTokenCacheForeignThings (issue 12, cases 16 and 17): a FIFO at the
// entry's and at the lock's path must not hang `entityauth token`, and a
// directory at the entry's path must not defeat the cache: each is replaced,
// and 7 runs make one token request, not 7.
func TestTokenCacheForeignThings(t *testing.T) {
	srv, e := tokenEnv(t)
	e.run("", "token").want(t, 0)
	dir := filepath.Join(e.cacheDir, "entityauth")
	entries, err := filepath.Glob(filepath.Join(dir, "*.entry"))
	if err != nil || len(entries) != 1 {
		t.Fatalf("cache entries = %q, %v; want one", entries, err)
	}
	entry := entries[0]
	lock := strings.TrimSuffix(entry, ".entry") + ".lock"

	steps := []struct {
		name  string
		plant func(t *testing.T)
	}{
		{"a FIFO at the entry and at the lock", func(t *testing.T) {
			for _, p := range []string{entry, lock} {
				if err := syscall.Mkfifo(p, 0o600); err != nil {
					t.Fatal(err)
				}
			}
		}},
		{"a directory at the entry", func(t *testing.T) {
			if err := os.Mkdir(entry, 0o700); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(filepath.Join(entry, "inside"), []byte("x"), 0o600); err != nil {
				t.Fatal(err)
			}
		}},
	}
	for _, step := range steps {
		t.Run(step.name, func(t *testing.T) {
			e := *e
			e.t = t
			for _, p := range []string{entry, lock} {
				if err := os.RemoveAll(p); err != nil {
					t.Fatal(err)
				}
			}
			step.plant(t)
			before := srv.TokenRequests()
			const runs = 7
			for i := range runs {
				r := e.run("", "token") // bounded: a hang fails the test
				r.want(t, 0, "token")
				checkToken(t, strings.TrimSpace(r.stdout))
				if n := strings.Count(r.stderr, "\n"); n > 1 {
					t.Errorf("run %d: stderr has %d lines; want at most a one-line warning:\n%s", i+1, n, r.stderr)
				}
				assertNoSecrets(t, "stderr", r.stderr, srv.APIKey())
			}
			if got := srv.TokenRequests() - before; got != 1 {
				t.Errorf("token requests for %d runs = %d; want 1", runs, got)
			}
			if fi, err := os.Lstat(entry); err != nil || !fi.Mode().IsRegular() {
				t.Errorf("the entry's path after the runs: %v, %v; want a regular file", fi, err)
			}
		})
	}
}
