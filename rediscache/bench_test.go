package rediscache_test

import (
	"testing"
	"time"

	"golang.org/x/oauth2"

	"github.com/entity-studio-go/entityauth"
	"github.com/entity-studio-go/entityauth/entityauthtest"
	"github.com/entity-studio-go/entityauth/rediscache"
)

var sink *oauth2.Token

// BenchmarkTokenCachedRedis measures the cached path of a TokenSource with a
// Redis cache beside one without, and oauth2.ReuseTokenSource as the
// baseline. The in-process layer sits in front of the Cache, so the first two
// should cost the same: no Redis round trip, no allocation.
func BenchmarkTokenCachedRedis(b *testing.B) {
	addr := testRedisAddr(b)
	srv := entityauthtest.Start(b, entityauthtest.Options{RateLimit: -1})
	plain := entityauth.Config{APISecretKey: srv.APIKey(), BaseURL: srv.URL, HTTPClient: srv.Client()}
	withRedis := plain
	withRedis.Cache = rediscache.New(newTestClient(b, addr), rediscache.Options{Prefix: testPrefix(b)})

	srcs := map[string]oauth2.TokenSource{
		"cache=none":  plain.TokenSource(b.Context()),
		"cache=redis": withRedis.TokenSource(b.Context()),
	}
	for name, ts := range srcs {
		if _, err := ts.Token(); err != nil {
			b.Fatalf("%s: %v", name, err)
		}
	}
	reuse := oauth2.ReuseTokenSource(nil, oauth2.StaticTokenSource(&oauth2.Token{
		AccessToken: "x", TokenType: "Bearer", Expiry: time.Now().Add(4 * time.Hour),
	}))
	srcs["baseline=ReuseTokenSource"] = reuse

	for _, name := range []string{"cache=none", "cache=redis", "baseline=ReuseTokenSource"} {
		ts := srcs[name]
		b.Run(name, func(b *testing.B) {
			b.ReportAllocs()
			var tok *oauth2.Token
			for b.Loop() {
				tok, _ = ts.Token()
			}
			sink = tok
		})
	}
}

// BenchmarkCacheOpsRedis measures one round trip of each Cache operation to
// the test Redis, the cost a replica pays once per refresh, beside a bare
// go-redis GET as the baseline.
func BenchmarkCacheOpsRedis(b *testing.B) {
	addr := testRedisAddr(b)
	rc := newTestClient(b, addr)
	prefix := testPrefix(b)
	c := rediscache.New(rc, rediscache.Options{Prefix: prefix})
	ctx := b.Context()
	entry := make([]byte, 300) // about the size of a sealed entry
	if err := c.Store(ctx, testKey, entry, time.Hour); err != nil {
		b.Fatal(err)
	}
	b.Run("baseline=GET", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if err := rc.Get(ctx, prefix+testKey).Err(); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("Load", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := c.Load(ctx, testKey); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("Store", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if err := c.Store(ctx, testKey, entry, time.Hour); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("Lock+unlock", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			unlock, err := c.Lock(ctx, testKey, time.Minute)
			if err != nil {
				b.Fatal(err)
			}
			if err := unlock(ctx); err != nil {
				b.Fatal(err)
			}
		}
	})
}
