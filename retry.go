package entityauth

import (
	"crypto/tls"
	"errors"
	"math/rand/v2"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// The retry policy of one fetch: [Config.Token], or one refresh of a
// [TokenSource]. A fetch retries network errors (but not a TLS failure, such
// as a certificate that does not verify) and the statuses 408, 429, 500, 502,
// 503 and 504, never 400, 401 or 403, and makes at most Config.MaxAttempts
// requests. Between attempts it waits a random delay below
// RetryBackoffBase, a bound that doubles with each attempt up to
// RetryBackoffCap, or the answer's Retry-After (seconds or a date) if it has
// one; a Retry-After longer than MaxRetryAfter ends the fetch at once.
//
// A 429 without Retry-After is probed instead. The real server sends it while
// an address's rate window is full ([ErrRateLimited]), a window that rolls
// over at a moment the client cannot know, and a request into a full window
// costs nothing; so the fetch asks again after a wait of ProbeBase, doubling
// with each probe up to ProbeCap, less up to half at random, until a token
// comes. Probes do not count against Config.MaxAttempts: Config.RefreshTimeout
// and the context bound them. A wait that would outlast the context's
// deadline is not started: the fetch fails at once with the last error.
const (
	// RetryBackoffBase bounds the random wait before the second attempt.
	RetryBackoffBase = 500 * time.Millisecond
	// RetryBackoffCap bounds every wait between attempts but a Retry-After.
	RetryBackoffCap = 30 * time.Second
	// MaxRetryAfter is the longest Retry-After that a fetch waits for.
	MaxRetryAfter = 5 * time.Minute
	// ProbeBase is the longest wait before the first probe after a 429
	// without Retry-After.
	ProbeBase = 2 * time.Second
	// ProbeCap bounds every wait between probes.
	ProbeCap = 16 * time.Second
)

// isBare429 reports whether err is a 429 answer without Retry-After.
func isBare429(err error) bool {
	var e *Error
	return errors.As(err, &e) && e.StatusCode == http.StatusTooManyRequests && !e.hasRetryAfter
}

// probeDelay returns the wait before probe n (from 1) after a bare 429.
func probeDelay(n int) time.Duration {
	d := expBackoff(ProbeBase, ProbeCap, n)
	return d - jitterBelow(d/2)
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
			return e.RetryAfter, e.RetryAfter <= MaxRetryAfter
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
	return jitterBelow(expBackoff(RetryBackoffBase, RetryBackoffCap, n))
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
