package entityauth

import (
	"errors"
	"fmt"
	"net/http"
	"time"

	"golang.org/x/oauth2"
)

// Sentinel errors. Every error returned by this package wraps at most one of
// the status sentinels below (reach them with [errors.Is]); every answer of
// the token endpoint that is not 2xx also unwraps to an [*oauth2.RetrieveError]
// and to an [*Error] (reach them with [errors.As]).
//
// These are the token service's errors. Through the client of
// [Config.Client], they come back from the calls that need a token, such as
// those of package [github.com/entity-studio-go/entityauth/ssi], wrapped in a
// [*net/url.Error]: errors.Is and errors.As still reach them. Package ssi has
// sentinels of the same names for the SSI API's answers (ssi.ErrUnauthorized
// is the API refusing a token, ErrUnauthorized here the token service
// refusing the key), and [github.com/entity-studio-go/entityauth/ssi.KindOf]
// classifies the errors of both services, and of the network, in one switch.
var (
	// ErrMissingKey means that Config.APISecretKey is empty.
	ErrMissingKey = errors.New("entityauth: missing API secret key")
	// ErrInsecureURL means that Config.BaseURL, or the URL of a request
	// given to a [Transport], is neither https nor plain http to a loopback
	// host. No connection is made, and no token is sent.
	ErrInsecureURL = errors.New("entityauth: insecure base URL")
	// ErrInvalidConfig means that a Config field other than the key or the
	// URL's scheme is unusable, such as a Lifetime that is not whole hours.
	ErrInvalidConfig = errors.New("entityauth: invalid config")

	// ErrBadRequest means that the token endpoint answered 400, for example
	// because of an unknown grant type. It is never retried.
	ErrBadRequest = errors.New("entityauth: bad request")
	// ErrUnauthorized means that the token endpoint answered 401: the API
	// secret key is wrong, revoked or rotated. It is never retried.
	ErrUnauthorized = errors.New("entityauth: unauthorized")
	// ErrForbidden means that the token endpoint answered 403. It is never retried.
	ErrForbidden = errors.New("entityauth: forbidden")
	// ErrRateLimited means that the token endpoint answered 429. The real
	// server allows 10 token requests per client address in a window of 60
	// seconds that opens at the window's first request, and answers 429
	// without Retry-After until it rolls over.
	ErrRateLimited = errors.New("entityauth: rate limited")
	// ErrServer means that the token endpoint answered with a 5xx status.
	ErrServer = errors.New("entityauth: server error")
	// ErrUnexpectedStatus means that the token endpoint answered with a
	// status outside the classes above, such as 404 or a redirect (redirects
	// are never followed, so that the API secret key goes nowhere else).
	ErrUnexpectedStatus = errors.New("entityauth: unexpected status")

	// ErrInvalidResponse means that the token endpoint answered 200 with a
	// body that is not a usable token: not JSON, no access_token, or an
	// expiresIn that is missing, under a second (dead on arrival) or longer
	// than [MaxLifetime].
	ErrInvalidResponse = errors.New("entityauth: invalid token response")
	// ErrBodyTooLarge means that an answer of the token endpoint exceeded
	// [MaxResponseBytes].
	ErrBodyTooLarge = errors.New("entityauth: response body too large")

	// ErrClosed means that the context given to [Config.TokenSource] is done,
	// so the TokenSource fetches no more tokens.
	ErrClosed = errors.New("entityauth: token source closed")
)

// Error is the error for an answer of the token endpoint that is not 2xx.
//
// Its Error method carries the status and the server's message. Unwrap
// yields the status sentinel (such as [ErrUnauthorized]) and an
// [*oauth2.RetrieveError] whose Body is capped and whose Response.Request
// has the API secret key redacted.
type Error struct {
	// StatusCode is the HTTP status of the answer.
	StatusCode int
	// Message is the server's message, with the entries of a list joined by
	// "; ". It is empty when the body held none (for example an HTML page).
	Message string
	// RetryAfter is the delay that the server asked for in a Retry-After
	// header (seconds or a date), or 0. A delay beyond [MaxRetryAfter] ends
	// the retries at once.
	RetryAfter time.Duration

	hasRetryAfter bool
	kind          error
	retrieve      *oauth2.RetrieveError
}

// Error returns "entityauth: token endpoint answered <status>: <message>".
func (e *Error) Error() string {
	s := fmt.Sprintf("entityauth: token endpoint answered %d %s", e.StatusCode, http.StatusText(e.StatusCode))
	if e.StatusCode >= 300 && e.StatusCode < 400 {
		s += " (redirects are not followed)"
	}
	if e.Message != "" {
		s += ": " + e.Message
	}
	return s
}

// Unwrap returns the status sentinel and the [*oauth2.RetrieveError].
func (e *Error) Unwrap() []error {
	return []error{e.kind, e.retrieve}
}

// statusKind maps a status to its sentinel.
func statusKind(code int) error {
	switch {
	case code == http.StatusBadRequest:
		return ErrBadRequest
	case code == http.StatusUnauthorized:
		return ErrUnauthorized
	case code == http.StatusForbidden:
		return ErrForbidden
	case code == http.StatusTooManyRequests:
		return ErrRateLimited
	case code >= 500 && code <= 599:
		return ErrServer
	default:
		return ErrUnexpectedStatus
	}
}
