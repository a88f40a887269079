package ssi

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"strconv"

	"github.com/entity-studio-go/entityauth"
)

// Kind is the class of an error of a [Client]'s call: it says who can make
// the call succeed, whichever layer failed. A call's error comes from the SSI
// API (an [*Error], matching this package's sentinels), or from the token
// service behind [github.com/entity-studio-go/entityauth.Config.Client]
// (an [*entityauth.Error] or another error of package entityauth, wrapped in
// the call's error), or from the network. [KindOf] classifies all three, so
// that a handler can map an error to its answer in one switch.
type Kind int

// The kinds of errors, from [KindOf].
const (
	// KindNone is the kind of a nil error.
	KindNone Kind = iota
	// KindTemporary means that the same call may succeed later, with nothing
	// changed: the SSI API or the token service answered 408, 429 or a 5xx
	// (the token service after the token source's retries), the network
	// failed (a refused, reset or dropped connection, a host not found), or
	// the call's deadline passed, for example while the token source waited
	// for the token service's rate window to roll over. It also covers a 401
	// "Token expired" that remains after [entityauth.Config.Client]'s retry:
	// the app's session ended and no new token could be fetched at once. That
	// 401 cannot tell why; the next call tries again, and reports the token
	// service's own error if it fails again (a refused key is then
	// [KindConfig]).
	KindTemporary
	// KindInvalid means that the request is wrong for the data it names: the
	// SSI API refused its body or query ([ErrValidation]), the resource does
	// not exist or belongs to another app ([ErrNotFound]), or it exists
	// already ([ErrConflict]), or it answered 413 or 422. Retrying the same
	// request does not help; the caller must change it.
	KindInvalid
	// KindConfig means that the program's configuration or the app's
	// account must change before any call can succeed: the API secret key is
	// missing, wrong or rotated (the token service's 401), a URL is insecure,
	// a certificate does not verify, the token service's URL answers 404 or a
	// redirect, the app does not allow the Origin ([ErrOriginMismatch]), the
	// SSI API refuses the token for another reason ([ErrUnauthorized]), the
	// token lacks the route's permission ([ErrPermissionDenied]) or has the
	// wrong grant type ([ErrInvalidGrant]), the app has no credits left
	// ([ErrCreditsExhausted]: a 400, but not the caller's mistake), or the
	// context given to Config.Client is done ([entityauth.ErrClosed], as
	// when a client is built with a request's context).
	KindConfig
	// KindCanceled means that the call's context was canceled: the caller
	// gave up, and nobody waits for an answer.
	KindCanceled
	// KindUnknown means that the error fits no class above: an answer that
	// could not be read ([ErrInvalidResponse], [ErrBodyTooLarge], and the
	// token service's), a status that no class covers, a list that an
	// iterator cannot walk ([ErrPageLimit], [ErrPageRepeated]), a queued
	// transaction that the chain refused ([ErrTransactionFailed]), or an
	// error of the caller's own HTTP stack.
	KindUnknown
)

var kindNames = [...]string{
	KindNone:      "none",
	KindTemporary: "temporary",
	KindInvalid:   "invalid",
	KindConfig:    "config",
	KindCanceled:  "canceled",
	KindUnknown:   "unknown",
}

// String returns the kind's name in lower case, such as "temporary".
func (k Kind) String() string {
	if k < 0 || int(k) >= len(kindNames) {
		return "Kind(" + strconv.Itoa(int(k)) + ")"
	}
	return kindNames[k]
}

// KindOf returns the kind of err, an error of a [Client]'s call, of one of
// its iterators, or of package entityauth. An error that carries more than
// one class, as when a call's deadline passes while the token source waits
// to ask the token service again, takes the class of the server's answer
// (there, a 429: [KindTemporary]) rather than the deadline's; a cancellation
// wins over both, and a done token source ([KindConfig]) over a
// cancellation.
func KindOf(err error) Kind {
	switch {
	case err == nil:
		return KindNone
	case errors.Is(err, entityauth.ErrClosed):
		// Before context.Canceled, which it wraps.
		return KindConfig
	case errors.Is(err, context.Canceled):
		return KindCanceled
	case errors.Is(err, entityauth.ErrMissingKey), errors.Is(err, entityauth.ErrInsecureURL),
		errors.Is(err, entityauth.ErrInvalidConfig), errors.Is(err, entityauth.ErrHostNotAllowed),
		errors.Is(err, ErrInsecureURL), isCertificateError(err):
		return KindConfig
	}
	var se *Error
	if errors.As(err, &se) {
		return se.kind()
	}
	var te *entityauth.Error
	if errors.As(err, &te) {
		return tokenKind(te.StatusCode)
	}
	switch {
	// The token service's status sentinels without their *entityauth.Error,
	// as a wrapper of the caller's might pass them on.
	case errors.Is(err, entityauth.ErrRateLimited), errors.Is(err, entityauth.ErrServer):
		return KindTemporary
	case errors.Is(err, entityauth.ErrUnauthorized), errors.Is(err, entityauth.ErrBadRequest),
		errors.Is(err, entityauth.ErrForbidden):
		return KindConfig
	case errors.Is(err, ErrInvalidResponse), errors.Is(err, ErrBodyTooLarge),
		errors.Is(err, ErrPageLimit), errors.Is(err, ErrPageRepeated), errors.Is(err, ErrTransactionFailed),
		errors.Is(err, entityauth.ErrInvalidResponse), errors.Is(err, entityauth.ErrBodyTooLarge):
		return KindUnknown
	case errors.Is(err, context.DeadlineExceeded), errors.Is(err, os.ErrDeadlineExceeded),
		isNetworkError(err):
		return KindTemporary
	}
	return KindUnknown
}

// sessionExpiredMessage is the SSI API's 401 message when the app's session
// is gone from its store, before the token's own expiry.
const sessionExpiredMessage = "Token expired"

// kind classifies an answer of the SSI API.
func (e *Error) kind() Kind {
	switch {
	case e.Is(ErrCreditsExhausted), e.Is(ErrInvalidGrant), e.Is(ErrOriginMismatch), e.Is(ErrPermissionDenied):
		return KindConfig
	case e.StatusCode == http.StatusUnauthorized && e.has(sessionExpiredMessage):
		// Config.Client fetches a new token and resends once; a 401 that
		// says so after that means that no new token came in time.
		return KindTemporary
	case e.Is(ErrUnauthorized):
		return KindConfig
	case e.Is(ErrValidation), e.Is(ErrNotFound), e.Is(ErrConflict),
		e.StatusCode == http.StatusRequestEntityTooLarge, e.StatusCode == http.StatusUnprocessableEntity:
		return KindInvalid
	case temporaryStatus(e.StatusCode):
		return KindTemporary
	}
	return KindUnknown
}

// tokenKind classifies an answer of the token service.
func tokenKind(status int) Kind {
	switch {
	case temporaryStatus(status):
		return KindTemporary
	case status == http.StatusBadRequest, status == http.StatusUnauthorized, status == http.StatusForbidden,
		status == http.StatusNotFound, status >= 300 && status < 400:
		// An unknown grant type, a wrong key, or a URL that is not the
		// token service's.
		return KindConfig
	}
	return KindUnknown
}

// temporaryStatus reports whether status says "try again later".
func temporaryStatus(status int) bool {
	return status == http.StatusRequestTimeout || status == http.StatusTooManyRequests ||
		status >= 500 && status <= 599
}

// isCertificateError reports whether err is a TLS failure that a retry does
// not fix: a certificate that does not verify, or a handshake refused.
func isCertificateError(err error) bool {
	var cv *tls.CertificateVerificationError
	var ua x509.UnknownAuthorityError
	var hn x509.HostnameError
	var ci x509.CertificateInvalidError
	return errors.As(err, &cv) || errors.As(err, &ua) || errors.As(err, &hn) || errors.As(err, &ci)
}

// isNetworkError reports whether err is a failure to reach a server or to
// read its answer. Every error of an [http.Client] is a [*url.Error]; the
// ones that name a status or a setting were classified before this.
func isNetworkError(err error) bool {
	var ue *url.Error
	var ne net.Error
	return errors.As(err, &ue) || errors.As(err, &ne) || errors.Is(err, io.ErrUnexpectedEOF)
}
