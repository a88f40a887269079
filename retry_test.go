package entityauth

import (
	"cmp"
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/entity-studio-go/entityauth/entityauthtest"
)

// gaps returns the time between consecutive recorded requests.
func gaps(srv *entityauthtest.Server) []time.Duration {
	reqs := srv.Requests()
	var out []time.Duration
	for i := 1; i < len(reqs); i++ {
		out = append(out, reqs[i].Time.Sub(reqs[i-1].Time))
	}
	return out
}

// TestRetryWaits checks the wait before each retry, in virtual time.
func TestRetryWaits(t *testing.T) {
	httpDate := func(d time.Duration) string { return time.Now().Add(d).UTC().Format(http.TimeFormat) }
	tests := []struct {
		name     string
		faults   func() []entityauthtest.Fault
		attempts int             // Config.MaxAttempts; 0 means 5
		min, max []time.Duration // bounds of each gap, inclusive
	}{
		{
			name:   "Retry-After seconds",
			faults: func() []entityauthtest.Fault { return []entityauthtest.Fault{{Status: 503, RetryAfter: "7"}} },
			min:    []time.Duration{7 * time.Second}, max: []time.Duration{7 * time.Second},
		},
		{
			name: "Retry-After date",
			faults: func() []entityauthtest.Fault {
				return []entityauthtest.Fault{{Status: 429, RetryAfter: httpDate(12 * time.Second)}}
			},
			min: []time.Duration{12 * time.Second}, max: []time.Duration{12 * time.Second},
		},
		{
			name: "Retry-After date in the past",
			faults: func() []entityauthtest.Fault {
				return []entityauthtest.Fault{{Status: 503, RetryAfter: httpDate(-time.Hour)}}
			},
			min: []time.Duration{0}, max: []time.Duration{0},
		},
		{
			name: "429 without Retry-After is probed, apart from MaxAttempts",
			faults: func() []entityauthtest.Fault {
				f := entityauthtest.Fault{Status: 429, JSON: "Too many requests. Try again later."}
				return []entityauthtest.Fault{f, f, f, f, f}
			},
			attempts: 1,
			min:      []time.Duration{ProbeBase / 2, ProbeBase, 2 * ProbeBase, ProbeCap / 2, ProbeCap / 2},
			max:      []time.Duration{ProbeBase, 2 * ProbeBase, 4 * ProbeBase, ProbeCap, ProbeCap},
		},
		{
			name: "full-jitter exponential backoff",
			faults: func() []entityauthtest.Fault {
				return []entityauthtest.Fault{{Status: 500}, {Status: 502}, {Status: 504}, {Status: 408}}
			},
			min: []time.Duration{0, 0, 0, 0},
			max: []time.Duration{RetryBackoffBase, 2 * RetryBackoffBase, 4 * RetryBackoffBase, 8 * RetryBackoffBase},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			bubble(t, entityauthtest.Options{}, func(t *testing.T, srv *entityauthtest.Server) {
				srv.Enqueue(entityauthtest.TokenEndpoint, tt.faults()...)
				c := configFor(srv)
				c.MaxAttempts = cmp.Or(tt.attempts, 5)
				if _, err := c.Token(context.Background()); err != nil {
					t.Fatalf("Token: %v", err)
				}
				g := gaps(srv)
				if len(g) != len(tt.min) {
					t.Fatalf("retries = %d; want %d", len(g), len(tt.min))
				}
				for i := range g {
					if g[i] < tt.min[i] || g[i] > tt.max[i] {
						t.Errorf("wait before retry %d = %v; want in [%v, %v]", i+1, g[i], tt.min[i], tt.max[i])
					}
				}
			})
		})
	}
}

func TestRetryGivesUp(t *testing.T) {
	t.Run("Retry-After too long", func(t *testing.T) {
		bubble(t, entityauthtest.Options{}, func(t *testing.T, srv *entityauthtest.Server) {
			srv.Enqueue(entityauthtest.TokenEndpoint, entityauthtest.Fault{Status: 503, RetryAfter: "600"})
			start := time.Now()
			_, err := configFor(srv).Token(context.Background())
			var e *Error
			if !errors.As(err, &e) || e.RetryAfter != 600*time.Second || !errors.Is(err, ErrServer) {
				t.Fatalf("error = %v; want ErrServer with RetryAfter 10m", err)
			}
			if srv.TokenRequests() != 1 || time.Since(start) != 0 {
				t.Errorf("requests, elapsed = %d, %v; want 1, 0", srv.TokenRequests(), time.Since(start))
			}
		})
	})
	t.Run("https to a plain-http server", func(t *testing.T) {
		bubble(t, entityauthtest.Options{}, func(t *testing.T, srv *entityauthtest.Server) {
			cfg := configFor(srv)
			cfg.BaseURL = strings.Replace(srv.URL, "http://", "https://", 1)
			start := time.Now()
			_, err := cfg.Token(t.Context())
			if !errors.Is(err, http.ErrSchemeMismatch) {
				t.Fatalf("error = %v; want http.ErrSchemeMismatch", err)
			}
			if el := time.Since(start); el != 0 {
				t.Errorf("failed after %v; want at once, with no retry", el)
			}
		})
	})
	t.Run("deadline shorter than the next probe", func(t *testing.T) {
		bubble(t, entityauthtest.Options{}, func(t *testing.T, srv *entityauthtest.Server) {
			srv.Enqueue(entityauthtest.TokenEndpoint, entityauthtest.Fault{Status: 429, JSON: "Too many requests. Try again later."})
			ctx, cancel := context.WithTimeout(context.Background(), ProbeBase/2)
			defer cancel()
			start := time.Now()
			_, err := configFor(srv).Token(ctx)
			if !errors.Is(err, ErrRateLimited) {
				t.Fatalf("error = %v; want ErrRateLimited", err)
			}
			if time.Since(start) != 0 {
				t.Errorf("elapsed = %v; want 0 (no wait that the deadline would cut)", time.Since(start))
			}
		})
	})
	t.Run("cancelled during the wait", func(t *testing.T) {
		bubble(t, entityauthtest.Options{}, func(t *testing.T, srv *entityauthtest.Server) {
			srv.Enqueue(entityauthtest.TokenEndpoint, entityauthtest.Fault{Status: 503, RetryAfter: "30"})
			ctx, cancel := context.WithCancel(context.Background())
			time.AfterFunc(5*time.Second, cancel)
			start := time.Now()
			_, err := configFor(srv).Token(ctx)
			if !errors.Is(err, ErrServer) || time.Since(start) != 5*time.Second {
				t.Errorf("error, elapsed = %v, %v; want ErrServer after 5s", err, time.Since(start))
			}
		})
	})
	// The fake's window starts at its first request: the 11th token request
	// probes until the window rolls over, 60 s after the first, and gets
	// through at the first probe after that.
	t.Run("the real rate limit", func(t *testing.T) {
		bubble(t, entityauthtest.Options{}, func(t *testing.T, srv *entityauthtest.Server) {
			c := configFor(srv)
			c.MaxAttempts = 1
			windowStart := time.Now()
			for range 10 {
				if _, err := c.Token(context.Background()); err != nil {
					t.Fatalf("Token: %v", err)
				}
			}
			if _, err := c.Token(context.Background()); err != nil {
				t.Fatalf("11th Token: %v", err)
			}
			if el := time.Since(windowStart); el < 60*time.Second || el > 60*time.Second+ProbeCap {
				t.Errorf("11th Token took %v; want from 60s (the window's end) to one probe wait later", el)
			}
			// Probe waits of 1–2, 2–4, 4–8 and then 8–16 s reach 60 s
			// after 6 probes at the latest and 10 at the most.
			if got := srv.TokenRequests(); got < 17 || got > 21 {
				t.Errorf("token requests = %d; want 10, the 11th, and 6 to 10 probes", got)
			}
		})
	})
}

// TestProbeMeanWait measures what probing buys (issue 12, case 18): a caller
// that meets the real limit at a random moment of a full window waits, on
// average, about what is left of the window, half of it, plus the overshoot
// of its last probe, instead of a fixed 60 to 66 s.
func TestProbeMeanWait(t *testing.T) {
	const trials = 200
	var total, longest time.Duration
	for i := range trials {
		offset := time.Duration(i) * time.Minute / trials // spread over the window
		bubble(t, entityauthtest.Options{}, func(t *testing.T, srv *entityauthtest.Server) {
			c := configFor(srv)
			for range 10 {
				if _, err := c.Token(context.Background()); err != nil {
					t.Fatalf("Token: %v", err)
				}
			}
			time.Sleep(offset)
			start := time.Now()
			if _, err := c.Token(context.Background()); err != nil {
				t.Fatalf("Token into a full window: %v", err)
			}
			wait := time.Since(start)
			total += wait
			longest = max(longest, wait)
		})
	}
	mean := total / trials
	t.Logf("mean wait after a 429 at a random moment of the window: %v (longest %v; a fixed wait was 60-66 s)", mean, longest)
	if mean > 40*time.Second {
		t.Errorf("mean wait = %v; want about half the 60 s window", mean)
	}
	if longest > time.Minute+ProbeCap {
		t.Errorf("longest wait = %v; want at most the window and one probe", longest)
	}
}

func TestParseRetryAfter(t *testing.T) {
	now := time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC)
	tests := []struct {
		in   string
		want time.Duration
		ok   bool
	}{
		{"0", 0, true},
		{" 3 ", 3 * time.Second, true},
		{"300", 300 * time.Second, true},
		{"301", 301 * time.Second, true},
		{"99999999999999999999999", (1 << 30) * time.Second, true},
		{now.Add(90 * time.Second).Format(http.TimeFormat), 90 * time.Second, true},
		{now.Add(-time.Minute).Format(http.TimeFormat), 0, true},
		{"", 0, false},
		{"-1", 0, false},
		{"1.5", 0, false},
		{"soon", 0, false},
	}
	for _, tt := range tests {
		got, ok := parseRetryAfter(tt.in, now)
		if got != tt.want || ok != tt.ok {
			t.Errorf("parseRetryAfter(%q) = %v, %v; want %v, %v", tt.in, got, ok, tt.want, tt.ok)
		}
	}
}
