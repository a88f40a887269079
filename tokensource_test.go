package entityauth

import (
	"context"
	"errors"
	"net/http"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"golang.org/x/oauth2"

	"github.com/entity-studio-go/entityauth/entityauthtest"
)

// TestTokenSourceWindows checks, for each lifetime L, that no refresh
// happens before the advisory window, that one background refresh starts
// by the window's latest jittered start while the caller gets the cached
// token at once, and that a caller inside the mandatory window waits.
func TestTokenSourceWindows(t *testing.T) {
	tests := []struct {
		lifetime, advisory, mandatory time.Duration
	}{
		{4 * time.Hour, 60 * time.Minute, 60 * time.Second},
		{90 * time.Minute, 60 * time.Minute, 60 * time.Second},
		{89 * time.Minute, 15 * time.Minute, 60 * time.Second},
		{20 * time.Minute, 15 * time.Minute, 60 * time.Second},
		{19 * time.Minute, 570 * time.Second, 60 * time.Second},
		{90 * time.Second, 45 * time.Second, 22500 * time.Millisecond},
	}
	for _, tt := range tests {
		t.Run(tt.lifetime.String(), func(t *testing.T) {
			bubble(t, entityauthtest.Options{Lifetime: tt.lifetime}, func(t *testing.T, srv *entityauthtest.Server) {
				var events []RefreshEvent
				c := configFor(srv)
				c.OnRefresh = func(ev RefreshEvent) { events = append(events, ev) }
				ts := c.TokenSource(t.Context())
				first := mustToken(t, ts)
				expiry := first.Expiry

				// Just before the earliest start of the advisory window.
				sleepUntil(expiry.Add(-tt.advisory - time.Millisecond))
				if tok := mustToken(t, ts); tok != first {
					t.Fatalf("token changed before the advisory window")
				}
				synctest.Wait()
				if got := srv.TokenRequests(); got != 1 {
					t.Fatalf("token requests before the advisory window = %d; want 1", got)
				}

				// At the latest jittered start: served at once, refreshed behind.
				sleepUntil(expiry.Add(-tt.advisory * 9 / 10))
				srv.Enqueue(entityauthtest.TokenEndpoint, entityauthtest.Fault{Delay: 5 * time.Second})
				start := time.Now()
				if tok := mustToken(t, ts); tok != first || time.Since(start) != 0 {
					t.Fatalf("in the advisory window: got a new token or waited %v; want the cached token at once", time.Since(start))
				}
				if tok := mustToken(t, ts); tok != first {
					t.Fatalf("second call in the advisory window: token changed before the refresh ended")
				}
				synctest.Wait()
				if got := srv.TokenRequests(); got != 2 {
					t.Errorf("token requests during the background refresh = %d; want 2 (one started)", got)
				}
				if tok := mustToken(t, ts); tok != first {
					t.Fatalf("token changed before the refresh ended")
				}
				time.Sleep(5 * time.Second)
				synctest.Wait()
				second := mustToken(t, ts)
				if second == first || srv.TokenRequests() != 2 {
					t.Fatalf("after the background refresh: same token %v, requests %d; want a new token from 2 requests", second == first, srv.TokenRequests())
				}
				if len(events) != 2 || events[0].Async || !events[1].Async || events[1].Err != nil || events[1].Attempts != 1 || events[1].Duration != 5*time.Second {
					t.Errorf("events = %+v; want a sync fetch, then an async success of 1 attempt in 5s", events)
				}

				// Skip the whole advisory window: inside the mandatory window the caller waits.
				sleepUntil(second.Expiry.Add(-tt.mandatory + time.Millisecond))
				srv.Enqueue(entityauthtest.TokenEndpoint, entityauthtest.Fault{Delay: 2 * time.Second})
				start = time.Now()
				third := mustToken(t, ts)
				if third == second || time.Since(start) != 2*time.Second {
					t.Errorf("in the mandatory window: new token %v after %v; want a new token after 2s", third != second, time.Since(start))
				}
				// Just before the mandatory window, no caller waits.
				sleepUntil(third.Expiry.Add(-tt.mandatory - time.Millisecond))
				srv.Enqueue(entityauthtest.TokenEndpoint, entityauthtest.Fault{Delay: 2 * time.Second})
				start = time.Now()
				if tok := mustToken(t, ts); tok != third || time.Since(start) != 0 {
					t.Errorf("just before the mandatory window: waited %v; want the cached token at once", time.Since(start))
				}
				time.Sleep(3 * time.Second)
				synctest.Wait()
				if got := srv.TokenRequests(); got != 4 {
					t.Errorf("token requests = %d; want 4", got)
				}
			})
		})
	}
}

// TestEntryJitter checks the bounds and the randomness of the jittered
// advisory start, and the mandatory window.
func TestEntryJitter(t *testing.T) {
	issued := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	for _, l := range []time.Duration{4 * time.Hour, 30 * time.Minute, 10 * time.Minute} {
		r := &result{accessToken: "t", tokenType: "Bearer", issued: issued, expiry: issued.Add(l)}
		adv := advisoryWindow(l)
		seen := map[time.Time]bool{}
		for range 200 {
			e := newEntry(r)
			latest, earliest := r.expiry.Add(-adv*9/10), r.expiry.Add(-adv)
			if e.advisory.Before(earliest) || e.advisory.After(latest) {
				t.Fatalf("L=%v: advisory start %v; want in [%v, %v]", l, e.advisory, earliest, latest)
			}
			if want := r.expiry.Add(-min(time.Minute, adv/2)); !e.mandatory.Equal(want) {
				t.Fatalf("L=%v: mandatory start %v; want %v", l, e.mandatory, want)
			}
			seen[e.advisory] = true
		}
		if len(seen) < 100 {
			t.Errorf("L=%v: %d distinct advisory starts in 200; want jitter", l, len(seen))
		}
	}
}

// TestTokenSourceOneFlight checks that concurrent callers share one request
// and its result, or its error.
func TestTokenSourceOneFlight(t *testing.T) {
	for _, fail := range []bool{false, true} {
		bubble(t, entityauthtest.Options{}, func(t *testing.T, srv *entityauthtest.Server) {
			f := entityauthtest.Fault{Delay: time.Second}
			if fail {
				f.Status, f.JSON = 401, map[string]any{"statusCode": 401, "message": []string{"Access denied."}, "error": "Unauthorized"}
			}
			srv.Enqueue(entityauthtest.TokenEndpoint, f)
			ts := configFor(srv).TokenSource(t.Context())
			const n = 50
			toks := make([]*oauth2.Token, n)
			errs := make([]error, n)
			var wg sync.WaitGroup
			for i := range n {
				wg.Go(func() { toks[i], errs[i] = ts.TokenContext(context.Background()) })
			}
			wg.Wait()
			for i := range n {
				if fail && !errors.Is(errs[i], ErrUnauthorized) {
					t.Fatalf("caller %d error = %v; want ErrUnauthorized", i, errs[i])
				}
				if !fail && (errs[i] != nil || toks[i] != toks[0]) {
					t.Fatalf("caller %d = %p, %v; want the shared %p", i, toks[i], errs[i], toks[0])
				}
			}
			if got := srv.TokenRequests(); got != 1 {
				t.Errorf("fail=%v: token requests = %d; want 1", fail, got)
			}
		})
	}
}

// TestTokenSourceWaiterCancel checks that a waiter's ctx ends only its own
// wait, never the shared fetch.
func TestTokenSourceWaiterCancel(t *testing.T) {
	bubble(t, entityauthtest.Options{}, func(t *testing.T, srv *entityauthtest.Server) {
		srv.Enqueue(entityauthtest.TokenEndpoint, entityauthtest.Fault{Delay: 10 * time.Second})
		ts := configFor(srv).TokenSource(t.Context())
		var wg sync.WaitGroup
		wg.Go(func() {
			ctx, cancel := context.WithTimeout(context.Background(), time.Second)
			defer cancel()
			start := time.Now()
			_, err := ts.TokenContext(ctx)
			if !errors.Is(err, context.DeadlineExceeded) || time.Since(start) != time.Second {
				t.Errorf("impatient waiter: %v after %v; want DeadlineExceeded after 1s", err, time.Since(start))
			}
		})
		start := time.Now()
		tok := mustToken(t, ts)
		if tok == nil || time.Since(start) != 10*time.Second {
			t.Errorf("patient waiter got its token after %v; want 10s", time.Since(start))
		}
		wg.Wait()
		if got := srv.TokenRequests(); got != 1 {
			t.Errorf("token requests = %d; want 1", got)
		}
	})
}

// TestTokenSourceWaiterSeesLastAttempt checks that a waiter that gives up
// during retries learns why.
func TestTokenSourceWaiterSeesLastAttempt(t *testing.T) {
	bubble(t, entityauthtest.Options{}, func(t *testing.T, srv *entityauthtest.Server) {
		f := entityauthtest.Fault{Status: 429, JSON: "Too many requests. Try again later."}
		srv.Enqueue(entityauthtest.TokenEndpoint, f, f, f) // probes end by 1+2+4 s at the earliest
		ts := configFor(srv).TokenSource(t.Context())
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_, err := ts.TokenContext(ctx)
		if !errors.Is(err, context.DeadlineExceeded) || !errors.Is(err, ErrRateLimited) {
			t.Errorf("error = %v; want DeadlineExceeded and ErrRateLimited", err)
		}
		synctest.Wait()
		// The shared fetch goes on probing and succeeds.
		if tok := mustToken(t, ts); tok == nil || srv.TokenRequests() != 4 {
			t.Errorf("token requests = %d; want 4", srv.TokenRequests())
		}
	})
}

// TestTokenSourceBackgroundRefreshTimeout checks that a slow background
// refresh ends at RefreshTimeout while callers keep the cached token.
func TestTokenSourceBackgroundRefreshTimeout(t *testing.T) {
	bubble(t, entityauthtest.Options{}, func(t *testing.T, srv *entityauthtest.Server) {
		events := make(chan RefreshEvent, 4)
		c := configFor(srv)
		c.RefreshTimeout = 30 * time.Second
		c.OnRefresh = func(ev RefreshEvent) { events <- ev }
		ts := c.TokenSource(t.Context())
		first := mustToken(t, ts)
		<-events
		sleepUntil(first.Expiry.Add(-50 * time.Minute))
		srv.Enqueue(entityauthtest.TokenEndpoint, entityauthtest.Fault{Delay: 10 * time.Minute})
		for range 40 {
			start := time.Now()
			if tok := mustToken(t, ts); tok != first || time.Since(start) != 0 {
				t.Fatalf("caller waited %v behind a slow refresh; want 0", time.Since(start))
			}
			time.Sleep(time.Second)
		}
		ev := <-events
		if !ev.Async || !errors.Is(ev.Err, context.DeadlineExceeded) || ev.Duration != 30*time.Second {
			t.Errorf("event = %+v; want an async refresh that timed out after 30s", ev)
		}
	})
}

// TestTokenSourceBackgroundFailureBackoff checks that after a failed
// background refresh the cached token is still served and the next
// background attempt waits for the backoff.
func TestTokenSourceBackgroundFailureBackoff(t *testing.T) {
	bubble(t, entityauthtest.Options{}, func(t *testing.T, srv *entityauthtest.Server) {
		c := configFor(srv)
		c.MaxAttempts = 1
		var failures atomic.Int32
		c.OnRefresh = func(ev RefreshEvent) {
			if ev.Err != nil {
				failures.Add(1)
			}
		}
		ts := c.TokenSource(t.Context())
		first := mustToken(t, ts)
		sleepUntil(first.Expiry.Add(-50 * time.Minute))
		srv.Enqueue(entityauthtest.TokenEndpoint, entityauthtest.Fault{Status: 503})
		if tok := mustToken(t, ts); tok != first {
			t.Fatal("token changed")
		}
		synctest.Wait()
		if failures.Load() != 1 || srv.TokenRequests() != 2 {
			t.Fatalf("failures, requests = %d, %d; want 1, 2", failures.Load(), srv.TokenRequests())
		}
		// During the backoff (at least BackgroundBackoffBase), callers get the cached token and no request is made.
		for range 9 {
			time.Sleep(time.Second)
			if tok := mustToken(t, ts); tok != first {
				t.Fatal("token changed during the backoff")
			}
			synctest.Wait()
		}
		if got := srv.TokenRequests(); got != 2 {
			t.Errorf("token requests during the backoff = %d; want 2", got)
		}
		// After the longest backoff (BackgroundBackoffBase + 10 %), the next call refreshes.
		time.Sleep(BackgroundBackoffBase*11/10 - 9*time.Second)
		mustToken(t, ts)
		synctest.Wait()
		if got := srv.TokenRequests(); got != 3 {
			t.Errorf("token requests after the backoff = %d; want 3", got)
		}
		if tok := mustToken(t, ts); tok == first {
			t.Errorf("token not refreshed after the backoff")
		}
	})
}

// TestTokenSourceErrorBackoff checks that after a failed fetch, callers that
// need a token get the error without a new request until the backoff ends.
func TestTokenSourceErrorBackoff(t *testing.T) {
	bubble(t, entityauthtest.Options{}, func(t *testing.T, srv *entityauthtest.Server) {
		srv.Enqueue(entityauthtest.TokenEndpoint, entityauthtest.Fault{Status: 401, JSON: map[string]any{"statusCode": 401, "message": []string{"Access denied."}}})
		ts := configFor(srv).TokenSource(t.Context())
		for range 5 {
			if _, err := ts.Token(); !errors.Is(err, ErrUnauthorized) {
				t.Fatalf("error = %v; want ErrUnauthorized", err)
			}
		}
		if got := srv.TokenRequests(); got != 1 {
			t.Errorf("token requests = %d; want 1", got)
		}
		time.Sleep(FailureBackoffBase)
		if _, err := ts.Token(); err != nil {
			t.Errorf("after the backoff: %v; want a token", err)
		}
	})
}

// TestTokenSourceServesUnexpiredOnFailure checks that a caller inside the
// mandatory window gets the old, still unexpired token when the refresh fails.
func TestTokenSourceServesUnexpiredOnFailure(t *testing.T) {
	bubble(t, entityauthtest.Options{}, func(t *testing.T, srv *entityauthtest.Server) {
		c := configFor(srv)
		c.MaxAttempts = 1
		ts := c.TokenSource(t.Context())
		first := mustToken(t, ts)
		sleepUntil(first.Expiry.Add(-30 * time.Second))
		srv.SetDown(true)
		if tok, err := ts.Token(); tok != first || err != nil {
			t.Errorf("mandatory window, server down: %v, %v; want the old token", tok, err)
		}
		sleepUntil(first.Expiry)
		time.Sleep(FailureBackoffCap)
		if _, err := ts.Token(); err == nil {
			t.Errorf("expired, server down: no error")
		}
	})
}

func TestTokenSourceInvalidate(t *testing.T) {
	bubble(t, entityauthtest.Options{}, func(t *testing.T, srv *entityauthtest.Server) {
		ts := configFor(srv).TokenSource(t.Context())
		first := mustToken(t, ts)
		if ts.Invalidate(nil) || ts.Invalidate(&oauth2.Token{AccessToken: "other"}) {
			t.Errorf("Invalidate of another token = true; want false")
		}
		time.Sleep(time.Second) // the fake issues a new token only in a new second
		srv.Enqueue(entityauthtest.TokenEndpoint, entityauthtest.Fault{Delay: time.Second})
		var wg sync.WaitGroup
		var invalidated atomic.Int32
		for range 20 {
			wg.Go(func() {
				rejected := &oauth2.Token{AccessToken: first.AccessToken}
				if ts.Invalidate(rejected) {
					invalidated.Add(1)
				}
				tok, err := ts.Token()
				if err != nil || tok.AccessToken == first.AccessToken {
					t.Errorf("after Invalidate: %v, same token %v; want a new token", err, err == nil && tok.AccessToken == first.AccessToken)
				}
			})
		}
		wg.Wait()
		if invalidated.Load() != 1 || srv.TokenRequests() != 2 {
			t.Errorf("Invalidate true %d times, token requests %d; want 1, 2", invalidated.Load(), srv.TokenRequests())
		}
		if ts.Invalidate(first) {
			t.Errorf("Invalidate of the replaced token = true; want false")
		}
	})
}

func TestTokenSourceClosed(t *testing.T) {
	bubble(t, entityauthtest.Options{}, func(t *testing.T, srv *entityauthtest.Server) {
		ctx, cancel := context.WithCancel(context.Background())
		ts := configFor(srv).TokenSource(ctx)
		first := mustToken(t, ts)
		cancel()
		if tok, err := ts.Token(); tok != first || err != nil {
			t.Errorf("cached token after close = %v, %v; want it", tok, err)
		}
		sleepUntil(first.Expiry)
		if _, err := ts.Token(); !errors.Is(err, ErrClosed) || !errors.Is(err, context.Canceled) {
			t.Errorf("after close and expiry: %v; want ErrClosed wrapping context.Canceled", err)
		}
		if got := srv.TokenRequests(); got != 1 {
			t.Errorf("token requests = %d; want 1", got)
		}
	})
}

// TestTokenSourceSuspend checks that the windows are wall-clock facts: after
// a suspend that outlasts the token, the wall clock has moved by the
// suspend, while the monotonic clock and every timer have not (Linux stops
// CLOCK_MONOTONIC during suspend). The clock seam moves only the wall clock;
// a cached path that read the monotonic clock would keep serving the dead
// token for hours of awake time.
func TestTokenSourceSuspend(t *testing.T) {
	bubble(t, entityauthtest.Options{}, func(t *testing.T, srv *entityauthtest.Server) {
		var suspended atomic.Int64 // wall-clock time that passed asleep
		wall := func() time.Time { return time.Now().Add(time.Duration(suspended.Load())) }
		ts := configFor(srv).TokenSource(t.Context())
		ts.now, ts.fetcher.now = wall, wall
		first := mustToken(t, ts)
		time.Sleep(time.Minute)
		if tok := mustToken(t, ts); tok != first {
			t.Fatal("token changed before the suspend")
		}
		suspended.Store(int64(5 * time.Hour)) // the laptop slept for 5 h
		tok := mustToken(t, ts)
		if tok == first || !tok.Expiry.After(wall()) {
			t.Fatalf("after a 5 h suspend: the old token %v, expiry %v at wall time %v; want a new, valid token",
				tok == first, tok.Expiry, wall())
		}
		if got := srv.TokenRequests(); got != 2 {
			t.Errorf("token requests = %d; want 2", got)
		}
		// A suspend into the advisory window: served at once, refreshed behind.
		suspended.Add(int64(3*time.Hour + 10*time.Minute))
		start := time.Now()
		if got := mustToken(t, ts); got != tok || time.Since(start) != 0 {
			t.Errorf("in the advisory window after a suspend: new token %v after %v; want the cached one at once", got != tok, time.Since(start))
		}
		synctest.Wait()
		if got := srv.TokenRequests(); got != 3 {
			t.Errorf("token requests after the background refresh = %d; want 3", got)
		}
	})
}

// TestTokenSourcesShare checks that sources of equal Configs share one token,
// however they are built: 1,000 sequential requests, each through a fresh
// Config.Client on the incoming request's context (the usual x/oauth2
// pattern) and half of them from a Config built anew, make one token request
// against the fake's real rate limit.
func TestTokenSourcesShare(t *testing.T) {
	bubble(t, entityauthtest.Options{}, func(t *testing.T, srv *entityauthtest.Server) {
		shared := configFor(srv)
		for i := range 1000 {
			cfg := shared
			if i%2 == 1 {
				cfg = configFor(srv) // equal, built anew
			}
			reqCtx, cancel := context.WithCancel(t.Context())
			req, err := http.NewRequestWithContext(reqCtx, http.MethodGet, srv.URL+"/api/v1/did", nil)
			if err != nil {
				t.Fatal(err)
			}
			resp, err := cfg.Client(reqCtx).Do(req)
			if err != nil {
				t.Fatalf("request %d: %v", i, err)
			}
			_ = resp.Body.Close()
			cancel()
			if resp.StatusCode != http.StatusOK {
				t.Fatalf("request %d: status %d; want 200", i, resp.StatusCode)
			}
		}
		if got := srv.TokenRequests(); got != 1 {
			t.Errorf("token requests of 1,000 per-request clients = %d; want 1", got)
		}
		// A Config that gets other tokens (another origin) does not share.
		other := configFor(srv)
		other.Origin = "https://other.example"
		mustToken(t, other.TokenSource(t.Context()))
		if got := srv.TokenRequests(); got != 2 {
			t.Errorf("token requests after another origin = %d; want 2", got)
		}
	})
}

// TestTokenSourcesSkipInvalidated checks that a token one source invalidated
// is not handed to a source built later from an equal Config, as it would be
// if it stayed in the process's memory cache.
func TestTokenSourcesSkipInvalidated(t *testing.T) {
	bubble(t, entityauthtest.Options{}, func(t *testing.T, srv *entityauthtest.Server) {
		first := mustToken(t, configFor(srv).TokenSource(t.Context()))
		time.Sleep(2 * time.Second) // the server issues identical tokens within a second
		a := configFor(srv).TokenSource(t.Context())
		if tok := mustToken(t, a); tok.AccessToken != first.AccessToken {
			t.Fatal("a second source did not share the first token")
		}
		if !a.Invalidate(first) {
			t.Fatal("Invalidate(current token) = false; want true")
		}
		b := configFor(srv).TokenSource(t.Context())
		if tok := mustToken(t, b); tok.AccessToken == first.AccessToken {
			t.Error("a source built after Invalidate got the rejected token")
		}
		if got := srv.TokenRequests(); got != 2 {
			t.Errorf("token requests = %d; want 2", got)
		}
		if tok := mustToken(t, a); tok.AccessToken == first.AccessToken {
			t.Error("the invalidating source got the rejected token back")
		}
		if got := srv.TokenRequests(); got != 2 {
			t.Errorf("token requests after both sources refreshed = %d; want 2 (shared)", got)
		}
	})
}

// TestTokenSourcesShareOneFlight checks that concurrent callers of distinct
// sources of one Config share one request.
func TestTokenSourcesShareOneFlight(t *testing.T) {
	bubble(t, entityauthtest.Options{}, func(t *testing.T, srv *entityauthtest.Server) {
		srv.Enqueue(entityauthtest.TokenEndpoint, entityauthtest.Fault{Delay: time.Second})
		var wg sync.WaitGroup
		toks := make([]*oauth2.Token, 50)
		for i := range toks {
			ts := configFor(srv).TokenSource(t.Context())
			wg.Go(func() { toks[i] = mustToken(t, ts) })
		}
		wg.Wait()
		for i, tok := range toks {
			if tok.AccessToken != toks[0].AccessToken {
				t.Fatalf("source %d has another token", i)
			}
		}
		if got := srv.TokenRequests(); got != 1 {
			t.Errorf("token requests of 50 new sources at once = %d; want 1", got)
		}
	})
}

// TestTokenSourceClosedWhileWaiting checks that callers still waiting when
// the source's context ends get ErrClosed, whichever context they wait with.
func TestTokenSourceClosedWhileWaiting(t *testing.T) {
	bubble(t, entityauthtest.Options{}, func(t *testing.T, srv *entityauthtest.Server) {
		srv.Enqueue(entityauthtest.TokenEndpoint, entityauthtest.Fault{Delay: time.Minute})
		ctx, cancel := context.WithCancel(t.Context())
		ts := configFor(srv).TokenSource(ctx)
		time.AfterFunc(time.Second, cancel)
		var wg sync.WaitGroup
		for _, wait := range []func() (*oauth2.Token, error){
			ts.Token,
			func() (*oauth2.Token, error) { return ts.TokenContext(context.Background()) },
		} {
			wg.Go(func() {
				_, err := wait()
				if !errors.Is(err, ErrClosed) || !errors.Is(err, context.Canceled) {
					t.Errorf("waiter when the source closed: %v; want ErrClosed wrapping context.Canceled", err)
				}
			})
		}
		wg.Wait()
	})
}

// TestTokenSourceZeroValue checks that a zero TokenSource fails, not panics.
func TestTokenSourceZeroValue(t *testing.T) {
	var ts TokenSource
	for name, call := range map[string]func() (*oauth2.Token, error){
		"Token":        ts.Token,
		"TokenContext": func() (*oauth2.Token, error) { return ts.TokenContext(context.Background()) },
	} {
		func() {
			defer func() {
				if p := recover(); p != nil {
					t.Errorf("%s of a zero TokenSource panicked: %v", name, p)
				}
			}()
			if tok, err := call(); tok != nil || !errors.Is(err, ErrInvalidConfig) {
				t.Errorf("%s of a zero TokenSource = %v, %v; want ErrInvalidConfig", name, tok, err)
			}
		}()
	}
	if ts.Invalidate(&oauth2.Token{AccessToken: "x"}) {
		t.Error("Invalidate of a zero TokenSource = true; want false")
	}
}

// TestTokenSourceWaitBoundedByToken checks that a caller whose token has
// not expired waits for a slow refresh no longer than the token has left.
func TestTokenSourceWaitBoundedByToken(t *testing.T) {
	bubble(t, entityauthtest.Options{}, func(t *testing.T, srv *entityauthtest.Server) {
		ts := configFor(srv).TokenSource(t.Context())
		first := mustToken(t, ts)
		sleepUntil(first.Expiry.Add(-30 * time.Second))
		srv.Enqueue(entityauthtest.TokenEndpoint, entityauthtest.Fault{Delay: 10 * time.Minute})
		start := time.Now()
		_, err := ts.Token()
		if el := time.Since(start); el != 30*time.Second || !errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("slow refresh with 30 s left: %v after %v; want DeadlineExceeded after 30s", err, el)
		}
	})
}
