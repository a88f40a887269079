package entityauth

import (
	"context"
	"testing"
	"time"

	"golang.org/x/oauth2"

	"github.com/entity-studio-go/entityauth/entityauthtest"
)

// benchSources returns a warmed TokenSource on a fake server and, as the
// baseline, an oauth2.ReuseTokenSource holding a token of the same lifetime.
func benchSources(b *testing.B) map[string]oauth2.TokenSource {
	b.Helper()
	srv := entityauthtest.Start(b, entityauthtest.Options{})
	c := &Config{APISecretKey: srv.APIKey(), BaseURL: srv.URL, HTTPClient: srv.Client()}
	ts := c.TokenSource(b.Context())
	tok, err := ts.Token()
	if err != nil {
		b.Fatal(err)
	}
	reuse := oauth2.ReuseTokenSource(nil, oauth2.StaticTokenSource(&oauth2.Token{
		AccessToken: tok.AccessToken, TokenType: "Bearer", Expiry: time.Now().Add(4 * time.Hour),
	}))
	if _, err := reuse.Token(); err != nil {
		b.Fatal(err)
	}
	return map[string]oauth2.TokenSource{"entityauth": ts, "ReuseTokenSource": reuse}
}

var sink *oauth2.Token

// BenchmarkTokenCached measures the cached path on one goroutine, beside
// its baseline, oauth2.ReuseTokenSource, and its floor, a bare time.Now (the
// cached path compares one wall-clock reading), in one run.
func BenchmarkTokenCached(b *testing.B) {
	srcs := benchSources(b)
	for _, name := range []string{"entityauth", "ReuseTokenSource"} {
		src := srcs[name]
		b.Run(name, func(b *testing.B) {
			b.ReportAllocs()
			var tok *oauth2.Token
			for b.Loop() {
				tok, _ = src.Token()
			}
			sink = tok
		})
	}
	b.Run("time.Now", func(b *testing.B) {
		b.ReportAllocs()
		var now time.Time
		for b.Loop() {
			now = time.Now()
		}
		timeSink = now
	})
}

// BenchmarkTokenCachedParallel measures the cached path under contention:
// 8 goroutines per GOMAXPROCS.
func BenchmarkTokenCachedParallel(b *testing.B) {
	srcs := benchSources(b)
	for _, name := range []string{"entityauth", "ReuseTokenSource"} {
		src := srcs[name]
		b.Run(name, func(b *testing.B) {
			b.ReportAllocs()
			b.SetParallelism(8)
			b.RunParallel(func(pb *testing.PB) {
				var tok *oauth2.Token
				for pb.Next() {
					tok, _ = src.Token()
				}
				_ = tok
			})
		})
	}
}

// BenchmarkTokenContextCached measures TokenContext, the ctx-taking path.
func BenchmarkTokenContextCached(b *testing.B) {
	ts := benchSources(b)["entityauth"].(*TokenSource)
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		sink, _ = ts.TokenContext(ctx)
	}
}

var timeSink time.Time
