package entityauth

import (
	"context"
	"crypto/tls"
	"errors"
	"math/rand/v2"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Retry tuning. A fetch retries network errors and the statuses 408, 429,
// 500, 502, 503 and 504, waiting a full-jitter exponential backoff between
// attempts (a random delay in [0, min(backoffCap, backoffBase*2^(n-1)))).
// A Retry-After header sets the wait instead; one longer than maxRetryAfter
// ends the fetch at once.
//
// A 429 without Retry-After is probed instead: the real server's 60 s window
// starts at its first request and rolls over at a moment the client cannot
// know, and requests into a full window cost nothing, so the fetch asks again
// after a wait that doubles from probeBase to probeCap, less up to half at
// random (1–2 s, 2–4 s, 4–8 s, 8–16 s, 8–16 s…). Probes do not count against
// Config.MaxAttempts: they are bounded by time (the refresh timeout, or the
// context's deadline), since a probe into a full window changes nothing
// that more attempts could make worse.
const (
	backoffBase   = 500 * time.Millisecond
	backoffCap    = 30 * time.Second
	maxRetryAfter = 5 * time.Minute
	probeBase     = 2 * time.Second
	probeCap      = 16 * time.Second
)

// fetch makes up to f.maxAttempts requests, not counting the probes after a
// 429 without Retry-After. progress, if not nil, sees the error of every
// failed request. It returns the number of requests made, probes included.
func (f *fetcher) fetch(ctx context.Context, progress func(error)) (*result, int, error) {
	requests, probes := 0, 0
	for attempt := 1; ; {
		res, err := f.once(ctx)
		requests++
		if err == nil {
			return res, requests, nil
		}
		if progress != nil {
			progress(err)
		}
		var delay time.Duration
		if isBare429(err) {
			probes++
			delay = probeDelay(probes)
		} else {
			var ok bool
			if delay, ok = retryDelay(err, attempt); !ok || attempt >= f.maxAttempts {
				return nil, requests, err
			}
			attempt++
		}
		if ctx.Err() != nil {
			return nil, requests, err
		}
		if dl, has := ctx.Deadline(); has && time.Until(dl) < delay {
			// Waiting would only end in the deadline: fail now.
			return nil, requests, err
		}
		if !sleep(ctx, delay) {
			return nil, requests, err
		}
	}
}

// isBare429 reports whether err is a 429 answer without Retry-After.
func isBare429(err error) bool {
	var e *Error
	return errors.As(err, &e) && e.StatusCode == http.StatusTooManyRequests && !e.hasRetryAfter
}

// probeDelay returns the wait before probe n (from 1) after a bare 429.
func probeDelay(n int) time.Duration {
	d := expBackoff(probeBase, probeCap, n)
	return d - jitterBelow(d/2)
}

// sleep waits for d or until ctx is done; it reports whether d elapsed.
func sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}

// retryDelay reports whether the error of attempt n (from 1) may be retried,
// and after what delay.
func retryDelay(err error, n int) (time.Duration, bool) {
	var e *Error
	if errors.As(err, &e) {
		switch e.StatusCode {
		case http.StatusRequestTimeout, http.StatusTooManyRequests, http.StatusInternalServerError,
			http.StatusBadGateway, http.StatusServiceUnavailable, http.StatusGatewayTimeout:
		default:
			return 0, false
		}
		if e.hasRetryAfter {
			return e.RetryAfter, e.RetryAfter <= maxRetryAfter
		}
		return backoff(n), true
	}
	// A certificate that does not verify, or a server that does not speak
	// TLS at all (an https URL to a plain-http server), fails the same way
	// every time.
	var cert *tls.CertificateVerificationError
	var record tls.RecordHeaderError
	if errors.Is(err, ErrInvalidResponse) || errors.Is(err, ErrBodyTooLarge) || errors.As(err, &cert) ||
		errors.Is(err, http.ErrSchemeMismatch) || errors.As(err, &record) {
		return 0, false
	}
	// A network error: the connection failed, dropped or timed out.
	return backoff(n), true
}

// backoff returns the full-jitter delay after attempt n (from 1).
func backoff(n int) time.Duration {
	return jitterBelow(expBackoff(backoffBase, backoffCap, n))
}

// expBackoff returns min(limit, base*2^(n-1)) for n >= 1.
func expBackoff(base, limit time.Duration, n int) time.Duration {
	d := base
	for i := 1; i < n && d < limit; i++ {
		d *= 2
	}
	return min(d, limit)
}

// jitterBelow returns a random duration in [0, d).
func jitterBelow(d time.Duration) time.Duration {
	if d <= 0 {
		return 0
	}
	return rand.N(d) //nolint:gosec // jitter needs no cryptographic randomness
}

// parseRetryAfter parses a Retry-After value, either delay-seconds or an
// HTTP date, into a delay from now. Dates in the past give 0.
func parseRetryAfter(v string, now time.Time) (time.Duration, bool) {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0, false
	}
	if v[0] >= '0' && v[0] <= '9' {
		const limit = 1 << 30 // seconds, about 34 years: no overflow
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil && !errors.Is(err, strconv.ErrRange) {
			return 0, false
		}
		if err != nil || n > limit {
			n = limit
		}
		return time.Duration(n) * time.Second, true
	}
	t, err := http.ParseTime(v)
	if err != nil {
		return 0, false
	}
	return max(t.Sub(now), 0), true
}
