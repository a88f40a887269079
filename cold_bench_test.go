package entityauth

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/oauth2"

	"github.com/entity-studio-go/entityauth/entityauthtest"
)

// plainFetch is the baseline of a cold fetch: the minimal token request a
// user would write with net/http and encoding/json, with the same body cap
// as this package. It reads the body to EOF so that the connection is reused,
// as Config.Token does.
func plainFetch(ctx context.Context, hc *http.Client, baseURL, key string) (*oauth2.Token, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, baseURL+"/api/v1/app/oauth", nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("X-Api-Secret-Key", key)
	sent := time.Now()
	resp, err := hc.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return nil, err
	}
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("status %d", resp.StatusCode)
	}
	var tr struct {
		AccessToken string  `json:"access_token"`
		ExpiresIn   float64 `json:"expiresIn"`
		TokenType   string  `json:"tokenType"`
	}
	if err := json.Unmarshal(body, &tr); err != nil {
		return nil, err
	}
	return &oauth2.Token{
		AccessToken: tr.AccessToken,
		TokenType:   "Bearer",
		Expiry:      sent.Add(time.Duration(tr.ExpiresIn * float64(time.Second))),
	}, nil
}

// BenchmarkColdFetch compares one token request through the generated client
// (Config.Token: validation, the generated request, retries, strict decoding)
// with plainFetch, against the same loopback fake on the same transport.
func BenchmarkColdFetch(b *testing.B) {
	srv := entityauthtest.Start(b, entityauthtest.Options{RateLimit: -1})
	cfg := &Config{APISecretKey: srv.APIKey(), BaseURL: srv.URL, HTTPClient: srv.Client()}
	fetchers := []struct {
		name  string
		fetch func(context.Context) (*oauth2.Token, error)
	}{
		{"entityauth", cfg.Token},
		{"net-http", func(ctx context.Context) (*oauth2.Token, error) {
			return plainFetch(ctx, srv.Client(), srv.URL, srv.APIKey())
		}},
	}
	for _, f := range fetchers {
		b.Run(f.name, func(b *testing.B) {
			ctx := b.Context()
			b.ReportAllocs()
			for b.Loop() {
				tok, err := f.fetch(ctx)
				if err != nil {
					b.Fatal(err)
				}
				sink = tok
			}
		})
	}
}

// coldStartCallers is the number of goroutines of BenchmarkColdStart.
const coldStartCallers = 1000

// BenchmarkColdStart starts coldStartCallers goroutines calling Token at once
// on a new source, and fails unless they share exactly one token request.
// Each iteration also times, as baselines, one caller on another new source
// (one fetch) and coldStartCallers goroutines released the same way that do
// nothing (the scheduler's floor). It reports the means of the time until
// every caller has its token (served-ns), of the one fetch (fetch-ns) and of
// the floor (wake-ns), and served/fetch.
//
// src=entityauth is a new TokenSource with an empty memory cache, as in a new
// process (sources of one process share the process's cache); src=once is the least a hand-written
// single flight can do: sync.OnceValues over plainFetch. delay=0 fetches from
// the loopback fake at once; delay=20ms makes the fake answer each token
// request after 20 ms, closer to a fetch from the real service.
func BenchmarkColdStart(b *testing.B) {
	srv := entityauthtest.Start(b, entityauthtest.Options{RateLimit: -1})
	cfg := &Config{APISecretKey: srv.APIKey(), BaseURL: srv.URL, HTTPClient: srv.Client()}
	ctx := b.Context()
	sources := []struct {
		name string
		// fresh returns the Token function of a new, empty source.
		fresh func() func() error
	}{
		{"entityauth", func() func() error {
			c := *cfg
			c.Cache = newMemoryCache() // empty, as in a new process
			ts := c.TokenSource(ctx)
			return func() error { _, err := ts.Token(); return err }
		}},
		{"once", func() func() error {
			get := sync.OnceValues(func() (*oauth2.Token, error) {
				return plainFetch(ctx, srv.Client(), srv.URL, srv.APIKey())
			})
			return func() error { _, err := get(); return err }
		}},
	}
	for _, delay := range []time.Duration{0, 20 * time.Millisecond} {
		for _, src := range sources {
			name := "delay=" + delay.String() + "/src=" + src.name
			if delay == 0 {
				name = "delay=0/src=" + src.name
			}
			b.Run(name, func(b *testing.B) { benchColdStart(b, srv, delay, src.fresh) })
		}
	}
}

func benchColdStart(b *testing.B, srv *entityauthtest.Server, delay time.Duration, fresh func() func() error) {
	var fetch, served, wake time.Duration
	var n int
	b.ReportAllocs()
	for b.Loop() {
		n++
		srv.ResetRequests()
		if delay > 0 {
			srv.Enqueue(entityauthtest.TokenEndpoint, entityauthtest.Fault{Delay: delay}, entityauthtest.Fault{Delay: delay})
		}

		one := fresh()
		start := time.Now()
		if err := one(); err != nil {
			b.Fatal(err)
		}
		fetch += time.Since(start)

		wake += releaseAll(func() {})

		token := fresh()
		var failed atomic.Int32
		served += releaseAll(func() {
			if err := token(); err != nil {
				failed.Add(1)
			}
		})
		if n := failed.Load(); n > 0 {
			b.Fatalf("%d of %d callers got an error", n, coldStartCallers)
		}
		if got := srv.TokenRequests(); got != 2 {
			b.Fatalf("token requests = %d; want 2 (1 for one caller, 1 for %d callers)", got, coldStartCallers)
		}
	}
	b.ReportMetric(0, "ns/op")
	b.ReportMetric(float64(fetch.Nanoseconds())/float64(n), "fetch-ns")
	b.ReportMetric(float64(served.Nanoseconds())/float64(n), "served-ns")
	b.ReportMetric(float64(wake.Nanoseconds())/float64(n), "wake-ns")
	b.ReportMetric(float64(served)/float64(fetch), "served/fetch")
}

// releaseAll starts coldStartCallers goroutines that wait at a gate, opens
// the gate, and returns the time from then until every one has run f.
func releaseAll(f func()) time.Duration {
	gate := make(chan struct{})
	var ready, wg sync.WaitGroup
	ready.Add(coldStartCallers)
	for range coldStartCallers {
		wg.Go(func() {
			ready.Done()
			<-gate
			f()
		})
	}
	ready.Wait()
	start := time.Now()
	close(gate)
	wg.Wait()
	return time.Since(start)
}
