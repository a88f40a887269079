package entityauth

import (
	"context"
	"slices"
	"sync"
	"testing"
	"time"

	"golang.org/x/oauth2"

	"github.com/entity-studio-go/entityauth/entityauthtest"
)

// Parameters of BenchmarkTokenDuringRefresh.
const (
	refreshDelay    = 500 * time.Millisecond // the fake's answer time during the refresh
	refreshInterval = time.Millisecond       // one Token call is started every interval
	refreshCalls    = int(refreshDelay / refreshInterval)
)

// BenchmarkTokenDuringRefresh measures the latency of Token calls made while
// a refresh is in flight, against a fake that answers the refresh in 500 ms.
// Each source starts with a token inside its 60-minute refresh-ahead window
// (issued 3 h 10 min ago, 50 min left). Calls are started open-loop, one
// every millisecond, each on its own goroutine, for the 500 ms of the refresh
// (one op is one call); the first call triggers the refresh. It reports the
// p50, p99 and maximum latency of the calls.
//
// entityauth gets that token from a Config.Cache that another replica filled
// (the only way to hold a token so old without waiting hours), and refreshes
// in the background. The baseline, ReuseTokenSource, is
// oauth2.ReuseTokenSourceWithExpiry with the same 60-minute window over
// Config.Token: its callers wait for the refresh.
func BenchmarkTokenDuringRefresh(b *testing.B) {
	srv := entityauthtest.Start(b, entityauthtest.Options{RateLimit: -1})
	cfg := Config{APISecretKey: srv.APIKey(), BaseURL: srv.URL, HTTPClient: srv.Client()}
	arms := []struct {
		name string
		// start returns a source inside its refresh-ahead window and a
		// function that waits for its refresh to end.
		start func(b *testing.B) (oauth2.TokenSource, func())
	}{
		{"entityauth", func(b *testing.B) (oauth2.TokenSource, func()) {
			c := cfg
			c.Cache = staleCache(b, &c)
			done := make(chan struct{}, 1)
			c.OnRefresh = func(ev RefreshEvent) {
				if ev.Async {
					if ev.Err != nil {
						b.Errorf("background refresh: %v", ev.Err)
					}
					done <- struct{}{}
				}
			}
			ts := c.TokenSource(b.Context())
			if _, err := ts.Token(); err != nil { // loads the stale token from the Cache
				b.Fatal(err)
			}
			if got := srv.TokenRequests(); got != 0 {
				b.Fatalf("token requests before the refresh = %d; want 0", got)
			}
			return ts, func() { <-done }
		}},
		{"ReuseTokenSource", func(b *testing.B) (oauth2.TokenSource, func()) {
			stale := &oauth2.Token{AccessToken: "stale", TokenType: "Bearer", Expiry: time.Now().Add(50 * time.Minute)}
			ctx := b.Context()
			src := oauth2.ReuseTokenSourceWithExpiry(stale, tokenFunc(func() (*oauth2.Token, error) {
				return cfg.Token(ctx)
			}), LongAdvisoryWindow)
			return src, func() {
				if _, err := src.Token(); err != nil { // waits for the refresh, if any
					b.Error(err)
				}
			}
		}},
	}
	for _, arm := range arms {
		b.Run(arm.name, func(b *testing.B) {
			lat := make([]time.Duration, 0, b.N)
			for len(lat) < b.N {
				b.StopTimer()
				srv.ResetRequests()
				src, wait := arm.start(b)
				srv.Enqueue(entityauthtest.TokenEndpoint, entityauthtest.Fault{Delay: refreshDelay})
				b.StartTimer()
				lat = append(lat, pacedCalls(b, src, min(refreshCalls, b.N-len(lat)))...)
				b.StopTimer()
				wait()
				if got := srv.TokenRequests(); got != 1 {
					b.Fatalf("token requests = %d; want 1 refresh", got)
				}
			}
			slices.Sort(lat)
			b.ReportMetric(0, "ns/op")
			b.ReportMetric(float64(lat[len(lat)/2]), "p50-ns")
			b.ReportMetric(float64(lat[(len(lat)*99+99)/100-1]), "p99-ns")
			b.ReportMetric(float64(lat[len(lat)-1]), "max-ns")
		})
	}
}

// pacedCalls starts n Token calls on src, one every refreshInterval, each on
// its own goroutine so that a waiting call does not delay the next, and
// returns their latencies.
func pacedCalls(b *testing.B, src oauth2.TokenSource, n int) []time.Duration {
	lat := make([]time.Duration, n)
	tick := time.NewTicker(refreshInterval)
	defer tick.Stop()
	var wg sync.WaitGroup
	for i := range n {
		if i > 0 {
			<-tick.C
		}
		wg.Go(func() {
			start := time.Now()
			tok, err := src.Token()
			lat[i] = time.Since(start)
			if err != nil || tok == nil || tok.AccessToken == "" {
				b.Errorf("Token = %v, %v; want a token", tok, err)
			}
		})
	}
	wg.Wait()
	return lat
}

// staleCache returns a Cache holding, under c's cache key, a token that
// another replica fetched 3 h 10 min ago and that expires in 50 min: inside
// its 60-minute advisory window, before its mandatory one.
func staleCache(b *testing.B, c *Config) Cache {
	b.Helper()
	now := time.Now()
	res := &result{accessToken: "stale", tokenType: "Bearer", issued: now.Add(-3*time.Hour - 10*time.Minute), expiry: now.Add(50 * time.Minute)}
	data, err := seal(newAEAD(c.APISecretKey), c.CacheKey(), res)
	if err != nil {
		b.Fatal(err)
	}
	cache := newMemCache()
	if err := cache.Store(context.Background(), c.CacheKey(), data, time.Hour); err != nil {
		b.Fatal(err)
	}
	return cache
}
