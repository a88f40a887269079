package entityauth

import (
	"context"
	"crypto/cipher"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/oauth2"
)

// The refresh windows of a [TokenSource], measured back from a token's
// expiry; the package documentation ("Caching and refresh") tells what
// happens in each. A token whose lifetime is L has an advisory window of
// LongAdvisoryWindow when L is LongLifetime or more, of MediumAdvisoryWindow
// when L is MediumLifetime or more, and of L/2 below that, shortened at random
// by up to a tenth, so that sources that got their tokens together do not
// refresh together. Its mandatory window is half of its advisory window
// before that jitter, and at most MaxMandatoryWindow.
const (
	// LongLifetime is the shortest lifetime that has the long advisory window.
	LongLifetime = 90 * time.Minute
	// LongAdvisoryWindow is the advisory window of a token that lives
	// LongLifetime or longer.
	LongAdvisoryWindow = 60 * time.Minute
	// MediumLifetime is the shortest lifetime that has the medium advisory
	// window.
	MediumLifetime = 20 * time.Minute
	// MediumAdvisoryWindow is the advisory window of a token that lives
	// MediumLifetime or longer, but less than LongLifetime.
	MediumAdvisoryWindow = 15 * time.Minute
	// MaxMandatoryWindow bounds the mandatory window, inside which callers
	// wait for a new token.
	MaxMandatoryWindow = 60 * time.Second
)

// The failure backoff of a [TokenSource]. After a failed refresh, callers
// that need a new token get its error, without a request, for
// FailureBackoffBase, or for the answer's Retry-After if it is longer (up to
// [MaxRetryAfter]); no background refresh starts for BackgroundBackoffBase
// (never less than the callers' backoff), plus up to a tenth at random. Each
// backoff doubles with each further failure in a row, up to its cap. A token
// that has not expired is served meanwhile.
const (
	// FailureBackoffBase is how long callers get the error of a first failed
	// refresh.
	FailureBackoffBase = time.Second
	// FailureBackoffCap bounds how long callers get the error of a failed
	// refresh, however many failed before it.
	FailureBackoffCap = 30 * time.Second
	// BackgroundBackoffBase is how long background refreshes pause after a
	// first failed refresh.
	BackgroundBackoffBase = 10 * time.Second
	// BackgroundBackoffCap bounds the pause of background refreshes after
	// failed ones.
	BackgroundBackoffCap = 5 * time.Minute
)

var _ oauth2.TokenSource = (*TokenSource)(nil)

// errZeroSource is the error of a TokenSource that Config.TokenSource did not build.
var errZeroSource = fmt.Errorf("%w: a zero TokenSource; build one with Config.TokenSource", ErrInvalidConfig)

// TokenSource is a cached, refreshing [oauth2.TokenSource] built by
// [Config.TokenSource]. It is safe for concurrent use. Its zero value is not
// usable: every call returns an error wrapping [ErrInvalidConfig].
//
// A TokenSource prints redacted under fmt's %v, %+v and %#v and under
// [log/slog]: no token appears.
type TokenSource struct {
	ctx     context.Context
	cfg     Config // a copy, so later changes by the caller do not race
	fetcher *fetcher
	err     error // a Config error, returned by every call
	timeout time.Duration
	now     func() time.Time // the wall clock: time.Now, or a test's clock

	cur atomic.Pointer[entry] // the cached token; nil when there is none

	mu       sync.Mutex
	flight   *flight          // the refresh in progress, or nil
	failures int              // consecutive refreshes that obtained no token
	lastErr  error            // the error of the last refresh, if it failed
	fgNext   time.Time        // callers needing a token get lastErr until then
	bgNext   time.Time        // no background refresh starts before then
	rejected uint64           // the generation last invalidated; load skips it
	floor    time.Time        // load skips tokens issued before: see drop
	past     [4]*oauth2.Token // the tokens this source served last, replaced since
	pastNext int              // where past is written next

	// Sharing beyond this TokenSource: Config.Cache, or the process's
	// memory cache when it is nil.
	cache       Cache
	cacheKey    string
	aead        cipher.AEAD
	cacheWarned atomic.Bool
}

// entry is an immutable cached token with its refresh-ahead deadlines. Every
// time in it is a wall-clock reading without a monotonic one: a token's
// validity is a wall-clock fact (the server checks exp against its clock),
// and the monotonic clock stops while the machine sleeps.
type entry struct {
	tok       *oauth2.Token
	gen       uint64 // the fetch that brought tok: see newGeneration
	issued    time.Time
	advisory  time.Time // a background refresh starts from here
	mandatory time.Time // callers wait for a new token from here
}

// fresh reports whether the token needs no refresh at now.
func (e *entry) fresh(now time.Time) bool { return now.Before(e.advisory) }

// usable reports whether the token is served at once at now, before its
// mandatory window.
func (e *entry) usable(now time.Time) bool { return now.Before(e.mandatory) }

// valid reports whether the token has not expired at now.
func (e *entry) valid(now time.Time) bool { return now.Before(e.tok.Expiry) }

// flight is one refresh shared by every caller that needs its result.
type flight struct {
	done  chan struct{}
	async bool
	tok   *oauth2.Token // set before done is closed
	err   error         // set before done is closed
	last  error         // the last failed attempt's error, guarded by TokenSource.mu
}

// TokenSource returns a TokenSource that caches tokens and refreshes them
// ahead of expiry, as the package documentation describes ("Caching and
// refresh"). ctx bounds the TokenSource's life, as in
// golang.org/x/oauth2/clientcredentials: every request it makes is derived
// from ctx, and once ctx is done it fetches no more tokens ([ErrClosed]).
// If c.HTTPClient is nil, an *http.Client in ctx's [oauth2.HTTPClient] value
// is used. The Config is copied: later changes to c have no effect.
//
// Build one TokenSource (or one [Config.Client]) at start-up and share it.
// Sources built anew from Configs with the same [Config.CacheKey] still share
// one token and one refresh, through Config.Cache or, when it is nil, through
// a cache in the process's memory (see [Cache]).
func (c *Config) TokenSource(ctx context.Context) *TokenSource {
	if ctx == nil {
		ctx = context.Background()
	}
	s := &TokenSource{ctx: ctx, cfg: *c, timeout: c.RefreshTimeout, now: time.Now}
	if s.timeout == 0 {
		s.timeout = DefaultRefreshTimeout
	}
	s.fetcher, s.err = c.newFetcher(ctx)
	if s.err == nil {
		s.cache = c.Cache
		if s.cache == nil {
			s.cache = processCache
		}
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
	if e := s.cur.Load(); e != nil && e.fresh(s.now()) {
		return e.tok, nil
	}
	return s.slowToken(ctx)
}

// Invalidate expires the cached token if rejected is that token, typically
// because an API answered 401 to it, and reports whether it did. The next
// call then fetches a new token. A burst of calls for the same token costs one
// fetch: once the source holds another token, Invalidate does nothing and
// returns false.
//
// rejected is a token that Token or TokenContext returned, or a copy of one.
// Tokens are told apart by the fetch that brought them, not by their text
// alone: the token service issues byte-identical tokens within one second, so
// that the token of a refresh may have the very text of the token it
// replaced. A token this source served and has replaced since never matches;
// a copy matches by its text and expiry, and a token with a zero Expiry by
// its text alone.
//
// The token is dropped from the process's memory cache too, so that sources
// built later from an equal Config do not pick it up; a newer token that
// another source put there stays. A [Cache] of the caller's keeps it until a
// newer token replaces it; this source skips it.
func (s *TokenSource) Invalidate(rejected *oauth2.Token) bool {
	if rejected == nil || rejected.AccessToken == "" {
		return false
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	e := s.cur.Load()
	if e == nil || !s.servesLocked(e, rejected) {
		return false
	}
	s.dropLocked(e)
	return true
}

// drop expires e if it is still the cached entry, and reports whether it
// did. If floor is not zero, the source takes no token issued before floor
// from the cache from then on: after a 401 at floor has shown that the app's
// session ended, a token issued earlier may be as stale as e, though newer.
func (s *TokenSource) drop(e *entry, floor time.Time) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.cur.Load() != e {
		return false
	}
	s.dropLocked(e)
	if floor.After(s.floor) {
		s.floor = floor.Round(0)
	}
	return true
}

// servesLocked reports whether tok is the token of e, the cached entry: e's
// own token, or a copy of it, but not a token this source served before e.
func (s *TokenSource) servesLocked(e *entry, tok *oauth2.Token) bool {
	switch {
	case tok == e.tok:
		return true
	case slices.Contains(s.past[:], tok):
		return false
	}
	return tok.AccessToken == e.tok.AccessToken && (tok.Expiry.IsZero() || tok.Expiry.Equal(e.tok.Expiry))
}

// dropLocked expires e, the cached entry, here and in the process's memory
// cache, where it is removed only if it is still there: the entry of the
// same generation.
func (s *TokenSource) dropLocked(e *entry) {
	s.replacedLocked(e)
	s.cur.Store(nil)
	s.rejected = e.gen
	if m, ok := s.cache.(*memoryCache); ok {
		m.evict(s.cacheKey, func(data []byte) bool {
			res, err := open(s.aead, s.cacheKey, data)
			return err == nil && res.gen == e.gen
		})
	}
}

// replacedLocked records that e, the cached entry, is being replaced or
// dropped, so that a late Invalidate of its token does nothing.
func (s *TokenSource) replacedLocked(e *entry) {
	s.past[s.pastNext] = e.tok
	s.pastNext = (s.pastNext + 1) % len(s.past)
}

// slowToken handles every case but a fresh cached token.
func (s *TokenSource) slowToken(ctx context.Context) (*oauth2.Token, error) {
	if s.fetcher == nil {
		if s.err != nil {
			return nil, s.err
		}
		return nil, errZeroSource
	}
	s.mu.Lock()
	now := s.now()
	e := s.cur.Load()
	if e != nil && e.usable(now) {
		// In the advisory window: serve it, refreshing in the background.
		if !e.fresh(now) && s.flight == nil && !now.Before(s.bgNext) && s.ctx.Err() == nil {
			s.startLocked(true)
		}
		s.mu.Unlock()
		return e.tok, nil
	}
	f := s.flight
	if f == nil {
		if err := s.refusalLocked(now); err != nil {
			s.mu.Unlock()
			if e != nil && e.valid(now) {
				return e.tok, nil
			}
			return nil, err
		}
		f = s.startLocked(false)
	}
	s.mu.Unlock()
	return s.wait(ctx, f, e, now)
}

// refusalLocked returns why no refresh may start now, or nil.
func (s *TokenSource) refusalLocked(now time.Time) error {
	switch {
	case s.ctx.Err() != nil:
		return s.closedError(nil)
	case s.lastErr != nil && now.Before(s.fgNext):
		return s.lastErr
	}
	return nil
}

// closedError is the error of a TokenSource whose context is done, wrapping
// the error of the refresh that the end of the context interrupted, if any.
func (s *TokenSource) closedError(interrupted error) error {
	if interrupted != nil && !errors.Is(interrupted, context.Cause(s.ctx)) {
		return fmt.Errorf("%w: %w (%w)", ErrClosed, context.Cause(s.ctx), interrupted)
	}
	return fmt.Errorf("%w: %w", ErrClosed, context.Cause(s.ctx))
}

// wait waits for flight f, for as long as ctx and the TokenSource live, and
// no longer than e, the cached token seen at now, has left.
func (s *TokenSource) wait(ctx context.Context, f *flight, e *entry, now time.Time) (*oauth2.Token, error) {
	var expired <-chan time.Time
	if e != nil && e.valid(now) {
		t := time.NewTimer(e.tok.Expiry.Sub(now))
		defer t.Stop()
		expired = t.C
	}
	var cause error
	select {
	case <-f.done:
		return f.tok, f.err
	case <-s.ctx.Done():
		return nil, s.closedError(nil)
	case <-ctx.Done():
		if s.ctx.Err() != nil {
			return nil, s.closedError(nil)
		}
		cause = context.Cause(ctx)
	case <-expired:
		cause = fmt.Errorf("the cached token expired: %w", context.DeadlineExceeded)
	}
	s.mu.Lock()
	last := f.last
	s.mu.Unlock()
	if last != nil {
		return nil, fmt.Errorf("entityauth: waiting for token: %w (last attempt: %w)", cause, last)
	}
	return nil, fmt.Errorf("entityauth: waiting for token: %w", cause)
}

// startLocked starts a refresh. The flight is recorded before its goroutine
// starts, so no second refresh can begin in between.
func (s *TokenSource) startLocked(async bool) *flight {
	f := &flight{done: make(chan struct{}), async: async}
	s.flight = f
	go s.run(f)
	return f
}

// errNothingNew is the error of a refresh that obtained no token because
// another holder has the Cache's lock while the cached token is still usable.
var errNothingNew = fmt.Errorf("entityauth: no new token yet: %w", ErrLocked)

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
	if err == nil && res == nil {
		err = errNothingNew
	}
	if err != nil && s.ctx.Err() != nil {
		err = s.closedError(err)
	}
	now := s.now()
	ev := RefreshEvent{Async: f.async, Attempts: attempts, Duration: time.Since(start), Err: err}

	s.mu.Lock()
	e := s.cur.Load()
	switch {
	case err == nil:
		if e != nil {
			s.replacedLocked(e)
		}
		e = newEntry(res)
		s.cur.Store(e)
		s.failures, s.lastErr, s.fgNext, s.bgNext = 0, nil, time.Time{}, time.Time{}
		f.tok, ev.Expiry = e.tok, e.tok.Expiry
	case errors.Is(err, errNothingNew):
		// Another process is refreshing: keep serving, and look again
		// after a background backoff, but do not refuse callers.
		s.failures++
		_, bg := failureBackoff(err, s.failures)
		s.bgNext = now.Add(bg)
	default:
		s.failures++
		s.lastErr = err
		fg, bg := failureBackoff(err, s.failures)
		s.fgNext, s.bgNext = now.Add(fg), now.Add(bg)
	}
	if f.tok == nil {
		if e != nil && e.valid(now) {
			f.tok = e.tok // keep serving a token that has not expired
		} else {
			f.err = err
		}
	}
	s.flight = nil
	s.mu.Unlock()

	if perr := s.report(ev); perr != nil {
		f.tok, f.err = nil, perr
	}
	close(f.done)
}

// failureBackoff returns how long callers get the error of failed refresh
// number n, and how long background refreshes pause.
func failureBackoff(err error, n int) (fg, bg time.Duration) {
	fg = expBackoff(FailureBackoffBase, FailureBackoffCap, n)
	var e *Error
	if errors.As(err, &e) && e.hasRetryAfter {
		fg = max(fg, min(e.RetryAfter, MaxRetryAfter))
	}
	bg = max(fg, expBackoff(BackgroundBackoffBase, BackgroundBackoffCap, n))
	return fg, bg + jitterBelow(bg/10)
}

// RefreshEvent describes one completed refresh of a [TokenSource].
type RefreshEvent struct {
	// Async reports whether the refresh ran ahead of time in the background
	// while callers kept the cached token, rather than with callers waiting.
	Async bool
	// Attempts is the number of requests made to the token endpoint, probes
	// after a 429 included; 0 when the token came from Config.Cache or from
	// another TokenSource of the process.
	Attempts int
	// Duration is how long the refresh took, waits between retries included.
	Duration time.Duration
	// Err is the refresh's error, or nil. A refresh that obtained no new
	// token fails: while another holder has Config.Cache's lock and the
	// cached token is still served, Err wraps [ErrLocked].
	Err error
	// Expiry is the new token's expiry, or the zero time when Err is not nil.
	Expiry time.Time
}

// report tells the Logger and OnRefresh about a refresh. A panic in
// OnRefresh is recovered, logged, and returned as an error.
func (s *TokenSource) report(ev RefreshEvent) (err error) {
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
	if s.cfg.OnRefresh == nil {
		return nil
	}
	defer func() {
		if p := recover(); p != nil {
			err = panicError("Config.OnRefresh", p, s.cfg.APISecretKey)
			if l := s.cfg.Logger; l != nil {
				l.LogAttrs(s.ctx, slog.LevelError, "entityauth: OnRefresh panicked", slog.String("error", err.Error()))
			}
		}
	}()
	s.cfg.OnRefresh(ev)
	return nil
}

// panicError turns a recovered panic of user code into an error, with the
// API secret key redacted from its text.
func panicError(what string, p any, key string) error {
	return fmt.Errorf("entityauth: %s panicked: %s", what, sanitize(redact(fmt.Sprint(p), key), maxMessage))
}

// newEntry computes the refresh-ahead deadlines of a token, as wall-clock
// times.
func newEntry(r *result) *entry {
	expiry := r.expiry.Round(0)
	adv := advisoryWindow(expiry.Sub(r.issued))
	adv -= jitterBelow(adv / 10)
	tok := r.token()
	tok.Expiry = expiry
	return &entry{
		tok:       tok,
		gen:       r.gen,
		issued:    r.issued.Round(0),
		advisory:  expiry.Add(-adv),
		mandatory: r.mandatory(),
	}
}

// mandatory returns the start of the token's mandatory window, as a
// wall-clock time.
func (r *result) mandatory() time.Time {
	expiry := r.expiry.Round(0)
	return expiry.Add(-mandatoryWindow(expiry.Sub(r.issued)))
}

// usable reports whether the token may be served at now without a wait: it
// is before its mandatory window.
func (r *result) usable(now time.Time) bool { return now.Before(r.mandatory()) }

// advisoryWindow returns the advisory window, before jitter, of a token
// whose lifetime is l.
func advisoryWindow(l time.Duration) time.Duration {
	switch {
	case l >= LongLifetime:
		return LongAdvisoryWindow
	case l >= MediumLifetime:
		return MediumAdvisoryWindow
	default:
		return l / 2
	}
}

// mandatoryWindow returns the mandatory window of a token whose lifetime is
// l: callers wait for a new token once it is this close to expiry.
func mandatoryWindow(l time.Duration) time.Duration {
	return min(MaxMandatoryWindow, advisoryWindow(l)/2)
}
