package entityauth

import (
	"context"
	"encoding/csv"
	"errors"
	"flag"
	"os"
	"runtime"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/oauth2"

	"github.com/entity-studio-go/entityauth/entityauthtest"
)

// Flags of TestFleet. The default is a small fleet that every `go test` runs;
// BENCHMARKS.md gives the command of the full one.
var (
	fleetSources = flag.Int("fleet.sources", 120, "TestFleet: number of token sources")
	fleetCSV     = flag.String("fleet.csv", "", "TestFleet: write token requests per minute to this CSV file")
)

// Shape of the fleet simulation.
const (
	fleetLifetime = 4 * time.Hour     // the server's default token lifetime
	fleetDuration = 3 * fleetLifetime // three token lifetimes
	fleetTick     = 10 * time.Second  // each source is called once per tick
	fleetWorkers  = 100               // goroutines that call the sources
	fleetLimit    = 10                // the real server's token requests per minute
	fleetMinutes  = int(fleetDuration / time.Minute)
)

// fleetModes are the three fleets of TestFleet, in the order of the CSV's
// columns.
var fleetModes = []string{"no-jitter", "jitter", "shared-cache"}

// fleetResult is the outcome of one simulated fleet.
type fleetResult struct {
	perMinute []int // token requests in each virtual minute
	total     int
}

// deploy is the token requests of the first minute, when every source
// starts; peak is the largest count of any later minute.
func (r fleetResult) deploy() int { return r.perMinute[0] }

func (r fleetResult) peak() (count, minute int) {
	for m, c := range r.perMinute[1:] {
		if c > count {
			count, minute = c, m+1
		}
	}
	return count, minute
}

// TestFleet simulates a deploy: fleet.sources token sources start together
// against one fake token server without a rate limit, and every source is
// called once every 10 s of virtual time for three token lifetimes (12 h).
// It counts the server's token requests per virtual minute for three fleets:
//
//   - no-jitter: oauth2.ReuseTokenSourceWithExpiry over Config.Token with the
//     same 60-minute refresh-ahead window as TokenSource, but no jitter.
//     TokenSource has no switch to turn its jitter off, and this package's
//     non-test code is not changed for a test.
//   - jitter: TokenSource, whose advisory window is shortened at random by up
//     to 10 %, 6 minutes for 4-hour tokens. Each source has a memory cache of
//     its own, as it would in a process of its own.
//   - shared-cache: TokenSource with one Config.Cache (memCache) shared by
//     every source, as replicas share Redis.
//
// The sources are the real thing; only the callers are pooled: fleetWorkers
// goroutines (n/10 for a smaller fleet) each own an equal share of the sources and call each of them in
// turn on every tick, so the simulation does not need one goroutine per
// source. The test checks what each fleet must do, at any size.
func TestFleet(t *testing.T) {
	n := *fleetSources
	if n < 30 {
		t.Fatalf("-fleet.sources = %d; want at least 30", n)
	}
	results := make(map[string]fleetResult)
	for _, mode := range fleetModes {
		t.Run(mode, func(t *testing.T) {
			var before, after runtime.MemStats
			runtime.ReadMemStats(&before)
			start := time.Now()
			r := simulateFleet(t, mode, n)
			runtime.ReadMemStats(&after)
			peak, at := r.peak()
			t.Logf("%d sources: deploy minute %d requests; peak after it %d/min at minute %d (%.1fx the limit of %d/min); total %d; %v wall, %d MiB allocated",
				n, r.deploy(), peak, at, float64(peak)/fleetLimit, fleetLimit, r.total,
				time.Since(start).Round(time.Millisecond), (after.TotalAlloc-before.TotalAlloc)>>20)
			results[mode] = r
			checkFleet(t, mode, n, r)
		})
	}
	if *fleetCSV != "" && len(results) == len(fleetModes) {
		if err := writeFleetCSV(*fleetCSV, results); err != nil {
			t.Fatal(err)
		}
	}
}

// checkFleet fails t unless r is what fleet mode of n sources must do.
func checkFleet(t *testing.T, mode string, n int, r fleetResult) {
	t.Helper()
	peak, _ := r.peak()
	switch mode {
	case "no-jitter":
		// Every source refreshes at the same tick, once per cycle.
		if r.deploy() != n || peak != n || r.total != 4*n {
			t.Errorf("deploy, peak, total = %d, %d, %d; want %d, %d, %d", r.deploy(), peak, r.total, n, n, 4*n)
		}
	case "jitter":
		// Every source still refreshes once per cycle, but the cycles
		// spread over at least 6 minutes: uniform jitter puts n/6 in a
		// minute on average, and far fewer than n/3 in any.
		if r.deploy() != n || r.total != 4*n {
			t.Errorf("deploy, total = %d, %d; want %d, %d", r.deploy(), r.total, n, 4*n)
		}
		if peak >= n/3 {
			t.Errorf("peak = %d/min; want < %d (n/3)", peak, n/3)
		}
	case "shared-cache":
		// One request per cycle for the whole fleet.
		if r.deploy() != 1 || peak != 1 || r.total != 4 {
			t.Errorf("deploy, peak, total = %d, %d, %d; want 1, 1, 4", r.deploy(), peak, r.total)
		}
	}
}

// simulateFleet runs one fleet in a synctest bubble and returns the token
// requests it made per virtual minute.
func simulateFleet(t *testing.T, mode string, n int) fleetResult {
	var r fleetResult
	bubble(t, entityauthtest.Options{RateLimit: -1, MaxRecorded: 1 << 17}, func(t *testing.T, srv *entityauthtest.Server) { // every token request's time
		ctx, cancel := context.WithCancel(t.Context())
		defer cancel()
		cfg := configFor(srv)
		var cache *memCache
		if mode == "shared-cache" {
			cache = newMemCache()
			cfg.Cache = cache
		}
		sources := make([]oauth2.TokenSource, n)
		for i := range sources {
			if mode == "no-jitter" {
				sources[i] = oauth2.ReuseTokenSourceWithExpiry(nil, tokenFunc(func() (*oauth2.Token, error) {
					return cfg.Token(ctx)
				}), LongAdvisoryWindow)
			} else {
				c := *cfg
				if c.Cache == nil {
					c.Cache = newMemoryCache() // each source its own process
				}
				sources[i] = c.TokenSource(ctx)
			}
		}

		workers := min(fleetWorkers, n/10)
		start := time.Now()
		var failures atomic.Int64
		var firstErr atomic.Value
		var wg sync.WaitGroup
		for w := range workers {
			mine := sources[w*n/workers : (w+1)*n/workers]
			wg.Go(func() {
				tick := time.NewTicker(fleetTick)
				defer tick.Stop()
				for time.Since(start) < fleetDuration {
					for _, src := range mine {
						if _, err := src.Token(); err != nil {
							failures.Add(1)
							firstErr.CompareAndSwap(nil, err)
						}
					}
					<-tick.C
				}
			})
		}
		wg.Wait()
		if f := failures.Load(); f > 0 {
			t.Fatalf("%d Token calls failed; first: %v", f, firstErr.Load())
		}

		r.perMinute = make([]int, fleetMinutes)
		for _, req := range srv.Requests() {
			if req.Path != "/api/v1/app/oauth" {
				continue
			}
			r.total++
			if m := int(req.Time.Sub(start) / time.Minute); m < fleetMinutes {
				r.perMinute[m]++
			}
		}
	})
	return r
}

// writeFleetCSV writes one row per virtual minute: the minute, then the
// token requests of each fleet mode.
func writeFleetCSV(path string, results map[string]fleetResult) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	w := csv.NewWriter(f)
	_ = w.Write(append([]string{"minute"}, fleetModes...))
	for m := range fleetMinutes {
		row := []string{strconv.Itoa(m)}
		for _, mode := range fleetModes {
			row = append(row, strconv.Itoa(results[mode].perMinute[m]))
		}
		_ = w.Write(row)
	}
	w.Flush()
	if err := w.Error(); err != nil {
		_ = f.Close()
		return err
	}
	return f.Close()
}

// TestFleetDeploy measures the deploy arithmetic of docs/fleet.md: N replicas, each
// a process of its own without a shared cache, start together against the
// fake with its real limit (10 token requests per 60 s window, the window
// starting at its first request) and the default Config. The first 10 get a
// token at once; the others probe, and when the window rolls over the first
// 10 probes of the new window get through. Within the 2-minute
// RefreshTimeout the window rolls over once, so 20 replicas end with a token
// and the rest fail with ErrRateLimited.
func TestFleetDeploy(t *testing.T) {
	for _, tt := range []struct{ replicas, tokens int }{{20, 20}, {25, 20}, {40, 20}} {
		t.Run(strconv.Itoa(tt.replicas), func(t *testing.T) {
			bubble(t, entityauthtest.Options{}, func(t *testing.T, srv *entityauthtest.Server) {
				start := time.Now()
				waits := make([]time.Duration, tt.replicas)
				errs := make([]error, tt.replicas)
				var wg sync.WaitGroup
				for i := range tt.replicas {
					c := configFor(srv)
					c.Cache = newMemoryCache() // a process of its own
					ts := c.TokenSource(t.Context())
					wg.Go(func() {
						_, errs[i] = ts.Token()
						waits[i] = time.Since(start)
					})
				}
				wg.Wait()
				var got, limited int
				var waited []time.Duration // of the replicas that got a token after a 429
				for i, err := range errs {
					switch {
					case err == nil:
						got++
						if waits[i] > 0 {
							waited = append(waited, waits[i])
						}
					case errors.Is(err, ErrRateLimited):
						limited++
					default:
						t.Errorf("replica %d: %v; want a token or ErrRateLimited", i, err)
					}
				}
				var sum time.Duration
				for _, w := range waited {
					sum += w
				}
				mean := time.Duration(0)
				if len(waited) > 0 {
					mean = sum / time.Duration(len(waited))
				}
				t.Logf("%d replicas: %d tokens, %d ErrRateLimited, %d token requests; the %d that met a 429 waited %v on average",
					tt.replicas, got, limited, srv.TokenRequests(), len(waited), mean.Round(time.Second))
				if got != tt.tokens || limited != tt.replicas-tt.tokens {
					t.Errorf("tokens, ErrRateLimited = %d, %d; want %d, %d", got, limited, tt.tokens, tt.replicas-tt.tokens)
				}
				for _, w := range waited {
					if w < 60*time.Second || w > 60*time.Second+ProbeCap {
						t.Errorf("a replica that met a 429 got its token after %v; want from 60s to one probe wait later", w)
					}
				}
			})
		})
	}
}
