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
// ends the fetch at once. A 429 without Retry-After waits rateLimitWindow plus
// up to 10 %, so that the server's fixed 60 s window has surely rolled over.
const (
	backoffBase     = 500 * time.Millisecond
	backoffCap      = 30 * time.Second
	rateLimitWindow = 60 * time.Second
	maxRetryAfter   = 5 * time.Minute
)

// fetch makes up to f.maxAttempts requests. progress, if not nil, sees the
// error of every failed attempt. It returns the number of requests made.
func (f *fetcher) fetch(ctx context.Context, progress func(error)) (*result, int, error) {
	for attempt := 1; ; attempt++ {
		res, err := f.once(ctx)
		if err == nil {
			return res, attempt, nil
		}
		if progress != nil {
			progress(err)
		}
		delay, ok := retryDelay(err, attempt)
		if !ok || attempt >= f.maxAttempts || ctx.Err() != nil {
			return nil, attempt, err
		}
		if dl, has := ctx.Deadline(); has && time.Until(dl) < delay {
			// Waiting would only end in the deadline: fail now.
			return nil, attempt, err
		}
		if !sleep(ctx, delay) {
			return nil, attempt, err
		}
	}
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
		if e.StatusCode == http.StatusTooManyRequests {
			return rateLimitDelay(), true
		}
		return backoff(n), true
	}
	var cert *tls.CertificateVerificationError
	if errors.Is(err, ErrInvalidResponse) || errors.Is(err, ErrBodyTooLarge) || errors.As(err, &cert) {
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

// rateLimitDelay is the wait after a 429 without Retry-After.
func rateLimitDelay() time.Duration {
	return rateLimitWindow + jitterBelow(rateLimitWindow/10)
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
