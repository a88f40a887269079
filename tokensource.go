package entityauth

import (
	"context"
	"crypto/cipher"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/oauth2"
)

// Refresh-ahead windows, measured back from a token's expiry. See
// [Config.TokenSource].
const (
	longAdvisory   = 60 * time.Minute // for lifetimes of 90 min or more
	mediumAdvisory = 15 * time.Minute // for lifetimes from 20 to 90 min
	maxMandatory   = 60 * time.Second
)

// Failure backoff of a TokenSource: after a failed refresh, callers that need
// a token get the same error (or the still-valid token) for fgBackoff, and no
// background refresh starts for bgBackoff; both double with each failure.
const (
	fgBackoffBase = time.Second
	fgBackoffCap  = 30 * time.Second
	bgBackoffBase = 10 * time.Second
	bgBackoffCap  = 5 * time.Minute
)

var _ oauth2.TokenSource = (*TokenSource)(nil)

// TokenSource is a cached, refreshing [oauth2.TokenSource] built by
// [Config.TokenSource]. It is safe for concurrent use.
//
// A TokenSource prints redacted under fmt's %v, %+v and %#v and under
// [log/slog]: no token appears.
type TokenSource struct {
	ctx     context.Context
	cfg     Config // a copy, so later changes by the caller do not race
	fetcher *fetcher
	err     error // a Config error, returned by every call
	timeout time.Duration

	cur atomic.Pointer[entry] // the cached token; nil when there is none

	mu       sync.Mutex
	flight   *flight   // the refresh in progress, or nil
	failures int       // consecutive failed refreshes
	lastErr  error     // the error of the last refresh, if it failed
	fgNext   time.Time // callers needing a token get lastErr until then
	bgNext   time.Time // no background refresh starts before then
	rejected string    // the access token last passed to Invalidate

	// Config.Cache support.
	cacheKey    string
	aead        cipher.AEAD
	cacheWarned atomic.Bool
}

// entry is an immutable cached token with its refresh-ahead deadlines.
type entry struct {
	tok       *oauth2.Token
	issued    time.Time
	advisory  time.Time // a background refresh starts from here
	mandatory time.Time // callers wait for a new token from here
}

// flight is one refresh shared by every caller that needs its result.
type flight struct {
	done  chan struct{}
	async bool
	tok   *oauth2.Token // set before done is closed
	err   error         // set before done is closed
	last  error         // the last failed attempt's error, guarded by TokenSource.mu
}

// TokenSource returns a TokenSource that caches tokens and refreshes them
// ahead of expiry. ctx bounds the TokenSource's life, as in
// golang.org/x/oauth2/clientcredentials: every request it makes is derived
// from ctx, and once ctx is done it fetches no more tokens ([ErrClosed]).
// If c.HTTPClient is nil, an *http.Client in ctx's [oauth2.HTTPClient] value
// is used. The Config is copied: later changes to c have no effect.
//
// The TokenSource returns its cached token at once (one atomic load and one
// clock read) until the token's advisory window, which starts before expiry
// by 60 minutes for a lifetime L of 90 minutes or more, 15 minutes for L from
// 20 to 90 minutes, and L/2 below that, shortened at random by up to 10 %.
// Inside it, callers still get the cached token at once while one background
// refresh runs, bounded by Config.RefreshTimeout and ctx but by no caller's
// context. Callers wait only when the token has expired or is inside the
// mandatory window of min(60 s, advisory/2) before expiry; then all callers
// share one request, and its token or its error. A caller's context ends only
// its own wait.
//
// Each fetch makes up to Config.MaxAttempts requests. It retries network
// errors and the statuses 408, 429, 500, 502, 503 and 504 after a full-jitter
// exponential backoff, and never 400, 401 or 403. A Retry-After header (in
// seconds or as a date) sets the wait; one over 5 minutes is not waited for.
// The real server answers 429 without Retry-After once an address has made 10
// requests in its fixed 60 s window, so a 429 without Retry-After waits 60 to
// 66 seconds before the next attempt. A wait that would outlast the context's
// deadline is not started: the fetch fails at once with the last error.
//
// After a failed refresh the TokenSource keeps serving a token that has not
// expired, returns the same error without a new request for a short backoff
// (1 s doubling to 30 s, at least the 429 wait), and starts no background
// refresh for a longer one (10 s doubling to 5 min).
//
// Do not pass a TokenSource to [oauth2.NewClient] or [oauth2.ReuseTokenSource]:
// both wrap it in a ReuseTokenSource, whose own cache defeats refresh-ahead.
// Use Config.Client, or &oauth2.Transport{Source: ts}.
func (c *Config) TokenSource(ctx context.Context) *TokenSource {
	if ctx == nil {
		ctx = context.Background()
	}
	s := &TokenSource{ctx: ctx, cfg: *c, timeout: c.RefreshTimeout}
	if s.timeout == 0 {
		s.timeout = DefaultRefreshTimeout
	}
	s.fetcher, s.err = c.newFetcher(ctx)
	if s.err == nil && c.Cache != nil {
		s.cacheKey = c.CacheKey()
		s.aead = newAEAD(c.APISecretKey)
	}
	return s
}

// Token returns a valid token. It is TokenContext with the context given to
// [Config.TokenSource]. Do not modify the returned token: it is shared.
func (s *TokenSource) Token() (*oauth2.Token, error) {
	return s.TokenContext(s.ctx)
}

// TokenContext returns a valid token. ctx bounds only this caller's wait for
// a refresh, never the refresh itself. Do not modify the returned token: it
// is shared.
func (s *TokenSource) TokenContext(ctx context.Context) (*oauth2.Token, error) {
	// time.Until reads only the monotonic clock, as e.advisory carries a
	// monotonic reading (see newEntry).
	if e := s.cur.Load(); e != nil && time.Until(e.advisory) > 0 {
		return e.tok, nil
	}
	return s.slowToken(ctx)
}

// Invalidate expires the cached token if it is still rejected, typically
// because an API answered 401 to it, and reports whether it did. The next
// call then fetches a new token. A burst of calls for the same token costs one
// fetch: once the cache holds another token, Invalidate does nothing.
func (s *TokenSource) Invalidate(rejected *oauth2.Token) bool {
	if rejected == nil || rejected.AccessToken == "" {
		return false
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	e := s.cur.Load()
	if e == nil || e.tok.AccessToken != rejected.AccessToken {
		return false
	}
	s.cur.Store(nil)
	s.rejected = rejected.AccessToken
	return true
}

// slowToken handles every case but a fresh cached token.
func (s *TokenSource) slowToken(ctx context.Context) (*oauth2.Token, error) {
	if s.err != nil {
		return nil, s.err
	}
	s.mu.Lock()
	now := time.Now()
	e := s.cur.Load()
	if e != nil && now.Before(e.mandatory) {
		// Fresh, or in the advisory window: serve it, refreshing in the background.
		if !now.Before(e.advisory) && s.flight == nil && !now.Before(s.bgNext) && s.ctx.Err() == nil {
			s.startLocked(true)
		}
		s.mu.Unlock()
		return e.tok, nil
	}
	f := s.flight
	if f == nil {
		var err error
		switch {
		case s.ctx.Err() != nil:
			err = fmt.Errorf("%w: %w", ErrClosed, context.Cause(s.ctx))
		case s.lastErr != nil && now.Before(s.fgNext):
			err = s.lastErr
		}
		if err != nil {
			s.mu.Unlock()
			if e != nil && now.Before(e.tok.Expiry) {
				return e.tok, nil
			}
			return nil, err
		}
		f = s.startLocked(false)
	}
	s.mu.Unlock()
	select {
	case <-f.done:
		return f.tok, f.err
	case <-ctx.Done():
		s.mu.Lock()
		last := f.last
		s.mu.Unlock()
		if last != nil {
			return nil, fmt.Errorf("entityauth: waiting for token: %w (last attempt: %w)", context.Cause(ctx), last)
		}
		return nil, fmt.Errorf("entityauth: waiting for token: %w", context.Cause(ctx))
	}
}

// startLocked starts a refresh. The flight is recorded before its goroutine
// starts, so no second refresh can begin in between.
func (s *TokenSource) startLocked(async bool) *flight {
	f := &flight{done: make(chan struct{}), async: async}
	s.flight = f
	go s.run(f)
	return f
}

// run performs a refresh and publishes its outcome.
func (s *TokenSource) run(f *flight) {
	ctx, cancel := context.WithTimeout(s.ctx, s.timeout)
	defer cancel()
	start := time.Now()
	res, attempts, err := s.obtain(ctx, func(err error) {
		s.mu.Lock()
		f.last = err
		s.mu.Unlock()
	})
	now := time.Now()
	ev := RefreshEvent{Async: f.async, Attempts: attempts, Duration: now.Sub(start), Err: err}

	s.mu.Lock()
	switch {
	case err == nil && res != nil:
		ne := newEntry(res)
		s.cur.Store(ne)
		s.failures, s.lastErr, s.fgNext, s.bgNext = 0, nil, time.Time{}, time.Time{}
		f.tok = ne.tok
		ev.Expiry = res.expiry
	case err == nil:
		// Nothing new (another process holds the Cache's lock): keep
		// serving, and look again shortly.
		s.bgNext = now.Add(fgBackoffBase + jitterBelow(fgBackoffBase))
		if e := s.cur.Load(); e != nil {
			f.tok, ev.Expiry = e.tok, e.tok.Expiry
		}
	default:
		s.failures++
		s.lastErr = err
		fg, bg := failureBackoff(err, s.failures)
		s.fgNext, s.bgNext = now.Add(fg), now.Add(bg)
		if e := s.cur.Load(); e != nil && now.Before(e.tok.Expiry) {
			f.tok = e.tok // keep serving a token that has not expired
		} else {
			f.err = err
		}
	}
	if f.tok == nil && f.err == nil {
		f.err = fmt.Errorf("%w: no token", ErrInvalidResponse)
	}
	s.flight = nil
	s.mu.Unlock()

	s.report(ev)
	close(f.done)
}

// failureBackoff returns how long callers get the error of failed refresh
// number n, and how long background refreshes pause.
func failureBackoff(err error, n int) (fg, bg time.Duration) {
	fg = expBackoff(fgBackoffBase, fgBackoffCap, n)
	var e *Error
	if errors.As(err, &e) {
		switch {
		case e.hasRetryAfter:
			fg = max(fg, min(e.RetryAfter, maxRetryAfter))
		case e.StatusCode == http.StatusTooManyRequests:
			fg = max(fg, rateLimitWindow)
		}
	}
	bg = max(fg, expBackoff(bgBackoffBase, bgBackoffCap, n))
	return fg, bg + jitterBelow(bg/10)
}

// report tells the Logger and OnRefresh about a refresh.
func (s *TokenSource) report(ev RefreshEvent) {
	if l := s.cfg.Logger; l != nil {
		attrs := []slog.Attr{
			slog.Bool("async", ev.Async),
			slog.Int("attempts", ev.Attempts),
			slog.Duration("duration", ev.Duration),
		}
		if ev.Err != nil {
			attrs = append(attrs, slog.String("error", ev.Err.Error()))
			l.LogAttrs(s.ctx, slog.LevelWarn, "entityauth: token refresh failed", attrs...)
		} else {
			attrs = append(attrs, slog.Time("expiry", ev.Expiry))
			l.LogAttrs(s.ctx, slog.LevelDebug, "entityauth: token refreshed", attrs...)
		}
	}
	if s.cfg.OnRefresh != nil {
		s.cfg.OnRefresh(ev)
	}
}

// newEntry computes the refresh-ahead deadlines of a token. They are
// anchored to a fresh time.Now, so that they carry a monotonic clock reading
// even for a token from Config.Cache, and the cached path can compare them
// with time.Until, which then reads only the monotonic clock.
func newEntry(r *result) *entry {
	adv := advisoryWindow(r.expiry.Sub(r.issued))
	mand := min(maxMandatory, adv/2)
	adv -= jitterBelow(adv / 10)
	now := time.Now()
	return &entry{
		tok:       r.token(),
		issued:    r.issued,
		advisory:  now.Add(r.expiry.Add(-adv).Sub(now)),
		mandatory: now.Add(r.expiry.Add(-mand).Sub(now)),
	}
}

// advisoryWindow returns the advisory window, before jitter, of a token
// whose lifetime is l.
func advisoryWindow(l time.Duration) time.Duration {
	switch {
	case l >= 90*time.Minute:
		return longAdvisory
	case l >= 20*time.Minute:
		return mediumAdvisory
	default:
		return l / 2
	}
}
