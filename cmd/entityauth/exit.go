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
	"strings"
	"time"

	"golang.org/x/oauth2"

	"github.com/entity-studio-go/entityauth"
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
)

// fail prints err on stderr, prefixed by the command's name, and a hint
// where one helps, and returns the exit status that err calls for: see
// failure.
func (c *cli) fail(name string, err error) int {
	code, hint := failure(err)
	c.stderr.printf("entityauth %s: %s\n", name, c.redact(strings.TrimPrefix(err.Error(), "entityauth: ")))
	if hint != "" {
		c.stderr.printf("hint: %s\n", hint)
	}
	return code
}

// failure maps a command's error to its exit status and a hint, from the
// error's type alone: exitTempFail for a temporary failure, exitFail for
// any other. Every command reports its failures through fail, so that the
// same error gets the same status in each.
func failure(err error) (code int, hint string) {
	var re *oauth2.RetrieveError
	if errors.As(err, &re) && re.Response != nil {
		return statusFailure(re.Response.StatusCode, err)
	}
	var cert *tls.CertificateVerificationError
	if errors.As(err, &cert) {
		return exitFail, "the server's TLS certificate did not verify; check --base-url"
	}
	if temporary(err) {
		hint := ""
		var dns *net.DNSError
		if errors.As(err, &dns) && dns.IsNotFound {
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
