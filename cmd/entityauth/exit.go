package main

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"golang.org/x/oauth2"

	"github.com/entity-studio-go/entityauth"
	"github.com/entity-studio-go/entityauth/ssi"
)

// Exit statuses.
const (
	exitOK    = 0
	exitFail  = 1
	exitUsage = 2
	// exitTempFail (EX_TEMPFAIL of sysexits.h) says that the same command
	// may succeed later: the server limited the rate, failed with a 5xx
	// after the library's retries, or could not be reached. Scripts can so
	// tell a retryable failure from a bad key.
	exitTempFail = 75
	// exitInterrupted (128 + SIGINT, as shells report it) says that the
	// user interrupted the command.
	exitInterrupted = 130
	// exitTerminated (128 + SIGTERM, as shells report it) says that the
	// command was asked to stop: kill, a service manager, a container stop.
	exitTerminated = 143
)

// signalContext returns a context that SIGINT or SIGTERM cancels, as
// signal.NotifyContext does, and its stop function. The signal that came is
// noted, so that fail exits with the status that shells report for it.
func (c *cli) signalContext() (context.Context, context.CancelFunc) {
	ctx, cancel := context.WithCancelCause(context.Background())
	ch := make(chan os.Signal, 1)
	signal.Notify(ch, os.Interrupt, syscall.SIGTERM)
	go func() {
		select {
		case s := <-ch:
			if s == syscall.SIGTERM {
				c.terminated.Store(true)
			}
			cancel(signalCause{s})
		case <-ctx.Done():
		}
	}()
	return ctx, func() {
		signal.Stop(ch)
		cancel(context.Canceled)
	}
}

// signalCause is the cause of a context that a signal cancelled.
type signalCause struct{ sig os.Signal }

func (e signalCause) Error() string        { return e.sig.String() + " signal received" }
func (e signalCause) Is(target error) bool { return target == context.Canceled }

// fail prints err on stderr, prefixed by the command's name, and a hint
// where one helps, and returns the exit status that err calls for: see
// failure.
func (c *cli) fail(name string, err error) int {
	code, hint := failure(err)
	if code == exitInterrupted && c.terminated.Load() {
		code = exitTerminated
	}
	c.stderr.printf("entityauth %s: %s\n", name, c.redact(strings.TrimPrefix(err.Error(), "entityauth: ")))
	if hint != "" {
		c.stderr.printf("hint: %s\n", hint)
	}
	return code
}

// failure maps a command's error to its exit status and a hint, from the
// error's type alone: exitInterrupted for an interrupt (fail makes it
// exitTerminated for a SIGTERM), exitTempFail for a temporary failure,
// exitFail for any other. Every command reports its failures through fail, so that the
// same error gets the same status in each.
func failure(err error) (code int, hint string) {
	if errors.Is(err, context.Canceled) { // only a signal cancels a command's context: see signalContext
		return exitInterrupted, ""
	}
	var re *oauth2.RetrieveError
	if errors.As(err, &re) && re.Response != nil {
		return statusFailure(re.Response.StatusCode, err)
	}
	var se *ssi.Error
	if errors.As(err, &se) {
		return ssiFailure(se)
	}
	if errors.Is(err, entityauth.ErrHostNotAllowed) {
		return exitFail, "the token goes to the SSI API's host alone (--api-url); a redirect elsewhere is not followed"
	}
	var cert *tls.CertificateVerificationError
	if errors.As(err, &cert) {
		return exitFail, "the server's TLS certificate did not verify; check --base-url"
	}
	if temporary(err) {
		hint := ""
		var dns *net.DNSError
		var api *apiRequestError
		switch {
		case errors.As(err, &dns) && dns.IsNotFound && errors.As(err, &api) && dns.Name == api.target.Hostname():
			hint = fmt.Sprintf("the host %q was not found; check --api-url (or $%s) and the network", dns.Name, envSSIURL)
		case dns != nil && dns.IsNotFound:
			hint = fmt.Sprintf("the host %q was not found; check --base-url (or $%s) and the network", dns.Name, envBaseURL)
		}
		return exitTempFail, hint
	}
	return exitFail, ""
}

// statusFailure maps an HTTP status of the token service.
func statusFailure(status int, err error) (code int, hint string) {
	switch {
	case status == http.StatusUnauthorized:
		return exitFail, fmt.Sprintf("the token service refused the API secret key; check $%s (or the file given to --secret-file)", envSecret)
	case status == http.StatusTooManyRequests:
		hint := fmt.Sprintf("the token service allows %d requests a minute per address; try again in a minute", tokenRateLimit)
		var e *entityauth.Error
		if errors.As(err, &e) && e.RetryAfter > 0 {
			hint = fmt.Sprintf("the token service allows %d requests a minute per address; it asked to wait %v", tokenRateLimit, e.RetryAfter.Round(time.Second))
		}
		return exitTempFail, hint
	case status == http.StatusRequestTimeout || status >= 500 && status <= 599:
		return exitTempFail, ""
	}
	return exitFail, ""
}

// ssiFailure maps an HTTP error of the SSI API: a 408, 429 or 5xx is
// temporary; the hints name what the user can change.
func ssiFailure(e *ssi.Error) (code int, hint string) {
	code = exitFail
	if s := e.StatusCode; s == http.StatusRequestTimeout || s == http.StatusTooManyRequests || s >= 500 && s <= 599 {
		code = exitTempFail
	}
	switch {
	case errors.Is(e, ssi.ErrOriginMismatch):
		hint = fmt.Sprintf("the app does not allow this Origin; set --origin (or $%s) to one of its allowed origins", envOrigin)
	case errors.Is(e, ssi.ErrUnauthorized):
		hint = "the SSI API refused the token, and a fresh one; check that --api-url and --base-url belong to the same Entity Studio"
	case errors.Is(e, ssi.ErrInvalidGrant):
		hint = "the token is not for the SSI service; leave --grant-type out, or set access_service_ssi"
	case errors.Is(e, ssi.ErrPermissionDenied):
		hint = "tokens minted from an API key lack this permission (the schema routes and POST /api/v1/credential/verify need a user's token)"
	case errors.Is(e, ssi.ErrCreditsExhausted):
		hint = "the app has no credits left; an admin of the app must add some"
	}
	return code, hint
}

// temporary reports whether err is a failure to reach the server or to read
// its answer: a dial, reset, dropped or cut connection, or a timeout. A
// failure to listen (the fake's port in use) is not.
func temporary(err error) bool {
	var ue *url.Error
	var op *net.OpError
	if errors.As(err, &op) && op.Op == "listen" {
		return false
	}
	// Not net.Error: syscall.Errno implements it too, so every failed file
	// operation would pass.
	return errors.As(err, &ue) || op != nil ||
		errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, os.ErrDeadlineExceeded) ||
		errors.Is(err, context.DeadlineExceeded)
}
