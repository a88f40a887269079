// Fixtures that the tests of this package share: the canary key and token,
// the synctest bubble, Caches, token sources, transports and log buffers.

package entityauth

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"golang.org/x/oauth2"

	"github.com/entity-studio-go/entityauth/entityauthtest"
	"github.com/entity-studio-go/entityauth/internal/testlog"
)

// Canaries: the key the fake accepts, and a token that fault bodies carry.
// Neither may ever show in an error.
var (
	canaryKey   = "ca0a0e" + strings.Repeat("0", 23) + "." + strings.Repeat("5ec0e7", 16) + "a"
	canaryToken = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJjYW5hcnkiOiJtYXRyaXgtdG9rZW4ifQ.c2lnbmF0dXJlLW9mLXRoZS1jYW5hcnk"
)

// CanaryKey and CanaryToken are the canaries for the tests of package
// entityauth_test (secrets_test.go), which cannot see this file otherwise.
var (
	CanaryKey   = canaryKey
	CanaryToken = canaryToken
)

// bubble runs f inside a synctest bubble with a pipe server made from opts.
// TokenSources in f live on t.Context(): when f returns it is cancelled,
// their refreshes end, and then the server closes.
func bubble(t *testing.T, opts entityauthtest.Options, f func(t *testing.T, srv *entityauthtest.Server)) {
	t.Helper()
	synctest.Test(t, func(t *testing.T) {
		srv := entityauthtest.NewPipeServer(opts)
		t.Cleanup(srv.Close)
		t.Cleanup(synctest.Wait)
		f(t, srv)
	})
}

// configFor returns a Config that reaches srv with its key.
func configFor(srv *entityauthtest.Server) *Config {
	return &Config{APISecretKey: srv.APIKey(), BaseURL: srv.URL, HTTPClient: srv.Client()}
}

// newLogger returns a JSON logger at Debug level writing to a new buffer.
func newLogger() (*slog.Logger, *testlog.Buffer) { return testlog.New() }

// roundTripFunc is an http.RoundTripper made of a function.
type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

// memCache is a Cache of the caller's, as a TokenSource sees one: the
// process's memoryCache (ttls on entries and locks, read from time.Now so
// that it follows a synctest bubble's clock) behind a type of its own, so
// that no TokenSource takes it for its own memory cache. It counts Loads and
// Stores, and err, when set, makes every call fail, like an unreachable Redis.
type memCache struct {
	*memoryCache
	statsMu sync.Mutex // guards the fields below
	err     error
	loads   int
	stores  int
}

func newMemCache() *memCache { return &memCache{memoryCache: newMemoryCache()} }

// fail returns the error set by setErr, counting the call in n if not nil.
func (m *memCache) fail(n *int) error {
	m.statsMu.Lock()
	defer m.statsMu.Unlock()
	if n != nil {
		*n++
	}
	return m.err
}

func (m *memCache) Load(ctx context.Context, key string) ([]byte, error) {
	if err := m.fail(&m.loads); err != nil {
		return nil, err
	}
	data, err := m.memoryCache.Load(ctx, key)
	return bytes.Clone(data), err
}

func (m *memCache) Store(ctx context.Context, key string, entry []byte, ttl time.Duration) error {
	if err := m.fail(&m.stores); err != nil {
		return err
	}
	return m.memoryCache.Store(ctx, key, entry, ttl)
}

func (m *memCache) Lock(ctx context.Context, key string, ttl time.Duration) (func(context.Context) error, error) {
	if err := m.fail(nil); err != nil {
		return nil, err
	}
	return m.memoryCache.Lock(ctx, key, ttl)
}

// hostileCache is a memCache that misbehaves as a user's Cache might: its
// calls ignore ctx and take their delay, Lock returns a nil unlock, or the
// method named by panics panics.
type hostileCache struct {
	*memCache
	key                              string // the cache key it is set up for
	loadDelay, lockDelay, storeDelay time.Duration
	nilUnlock                        bool
	panics                           string        // "Load", "Lock", "Store" or "unlock"
	release                          chan struct{} // closed at the test's end: delays end early
}

// delay sleeps for d or until the test ends, whatever ctx says.
func (h *hostileCache) delay(d time.Duration) {
	if d == 0 {
		return
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
	case <-h.release:
	}
}

func (h *hostileCache) Load(ctx context.Context, key string) ([]byte, error) {
	h.delay(h.loadDelay)
	if h.panics == "Load" {
		panic("Load bug")
	}
	return h.memCache.Load(ctx, key)
}

func (h *hostileCache) Store(ctx context.Context, key string, entry []byte, ttl time.Duration) error {
	h.delay(h.storeDelay)
	if h.panics == "Store" {
		var entries []byte
		_ = entries[len(key)] // an index out of range, as a real bug would
	}
	return h.memCache.Store(ctx, key, entry, ttl)
}

func (h *hostileCache) Lock(ctx context.Context, key string, ttl time.Duration) (func(context.Context) error, error) {
	h.delay(h.lockDelay)
	switch {
	case h.panics == "Lock":
		panic(errors.New("Lock bug"))
	case h.nilUnlock:
		return nil, nil
	}
	unlock, err := h.memCache.Lock(ctx, key, ttl)
	if err != nil || h.panics != "unlock" {
		return unlock, err
	}
	return func(context.Context) error { panic("unlock bug") }, nil
}

// cachedConfig returns a Config that reaches srv and uses a new memCache.
func cachedConfig(srv *entityauthtest.Server) (*Config, *memCache) {
	c := configFor(srv)
	cache := newMemCache()
	c.Cache = cache
	return c, cache
}

func (m *memCache) counts() (loads, stores int) {
	m.statsMu.Lock()
	defer m.statsMu.Unlock()
	return m.loads, m.stores
}

func (m *memCache) setErr(err error) {
	m.statsMu.Lock()
	defer m.statsMu.Unlock()
	m.err = err
}

// mustToken calls ts.Token and fails the test on error.
func mustToken(t *testing.T, ts *TokenSource) *oauth2.Token {
	t.Helper()
	tok, err := ts.Token()
	if err != nil {
		t.Fatalf("Token: %v", err)
	}
	return tok
}

// sleepUntil advances the bubble's clock to at.
func sleepUntil(at time.Time) { time.Sleep(time.Until(at)) }

func TestTokenSourceCaches(t *testing.T) {
	bubble(t, entityauthtest.Options{}, func(t *testing.T, srv *entityauthtest.Server) {
		ts := configFor(srv).TokenSource(t.Context())
		a := mustToken(t, ts)
		b, err := ts.TokenContext(context.Background())
		if err != nil || b != a {
			t.Errorf("second token = %p, %v; want the cached %p", b, err, a)
		}
		if got := srv.TokenRequests(); got != 1 {
			t.Errorf("token requests = %d; want 1", got)
		}
	})
}

// tokenFunc adapts a function to oauth2.TokenSource.
type tokenFunc func() (*oauth2.Token, error)

func (f tokenFunc) Token() (*oauth2.Token, error) { return f() }

// findSecret returns a description of the first secret found in text, or "".
// A secret is also found by its most telling part: the part of a key after
// its dot, and the payload or the signature of a JWT.
func findSecret(text string, secrets ...string) string {
	for _, s := range secrets {
		if s == "" {
			continue
		}
		parts := []string{s}
		if i := strings.IndexByte(s, '.'); i >= 0 {
			parts = append(parts, strings.Split(s, ".")[1:]...)
		}
		for _, p := range parts {
			if len(p) >= 16 && strings.Contains(text, p) {
				return fmt.Sprintf("a secret (%.6s…)", s)
			}
		}
	}
	return ""
}

// issuedTokens returns every bearer token that srv saw on a request.
func issuedTokens(srv *entityauthtest.Server) []string {
	var out []string
	for _, r := range srv.Requests() {
		if tok, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer "); ok {
			out = append(out, tok)
		}
	}
	return out
}
