package ssi

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"time"

	"golang.org/x/oauth2"

	"github.com/entity-studio-go/entityauth/gen/ssiapi"
)

// The polling of [Client.WaitRegistered] and [Client.WaitCredentialStatus]:
// the first poll is at once, the next after WaitBackoffBase, and each wait
// after doubles up to WaitBackoffMax, every one jittered by up to a fifth
// either way. Each poll is a GET that costs the app a credit; the real
// service's queued transactions take several seconds, possibly tens.
const (
	WaitBackoffBase = 1 * time.Second
	WaitBackoffMax  = 10 * time.Second
)

// ErrTransactionFailed means that the chain refused a queued transaction that
// a wait was waiting for: the SSI API recorded it as failed. Waiting longer
// does not help.
var ErrTransactionFailed = errors.New("entityauth: ssi: queued transaction failed")

// WaitRegistered waits until did is on chain, and returns it as it resolves
// then, with its didDocumentMetadata. It polls [Client.ResolveDID] with
// backoff (see [WaitBackoffBase]) until ctx is done.
//
// Use it after [Client.RegisterDID]: an app with credits has a fee grant, and
// then the SSI API queues the registration and answers UNREGISTRED with an
// empty transaction hash; the DID reaches the chain seconds later, and until
// then issuing a credential with it fails. In the SSI API's own database the
// DID stays UNREGISTRED: resolving is the only way that an API-key token has
// to see it land. A registration that the chain refuses leaves nothing to
// see, so always give ctx a deadline.
//
// A permanent failure (an answer other than 429 or 5xx, such as a 401 after
// the token's refresh, a 404 or a validation error, or a refusal of the
// token service) ends the wait at once with that error; temporary ones (429,
// 5xx, the network) are polled through. When ctx ends first, the error wraps
// ctx's error, and the last poll's temporary failure if there was one, and
// says what it waited for.
func (c *Client) WaitRegistered(ctx context.Context, did string) (*ssiapi.ResolvedDID, error) {
	var got *ssiapi.ResolvedDID
	err := poll(ctx, "DID "+did+" to be on chain", func() (bool, error) {
		r, err := c.ResolveDID(ctx, did)
		if err != nil {
			return false, err
		}
		if r.DidDocumentMetadata == nil {
			return false, nil
		}
		got = r
		return true, nil
	})
	if err != nil {
		return nil, err
	}
	return got, nil
}

// WaitCredentialStatus waits until the on-chain status of the credential id
// is status, and returns the credential as [Client.GetCredential] answers it
// then (without the document). LIVE means registered, neither suspended nor
// revoked; SUSPEND suspended; REVOKE revoked. It polls with backoff (see
// [WaitBackoffBase]) until ctx is done.
//
// Use it after [Client.IssueCredential] (status LIVE) and after
// [Client.UpdateCredentialStatus]: with a fee grant the SSI API queues the
// status's registration and its changes, and UpdateCredentialStatus answers
// the status from before the change. Until the registration lands, changing
// the status fails (400 "No credential status found…"). The credential's
// status shows only once the SSI API has recorded a landed transaction for
// it: when every recorded transaction failed, the wait ends with
// [ErrTransactionFailed]. A refused change (such as one of a revoked
// credential) leaves the status as it was, so always give ctx a deadline.
//
// Errors are as for [Client.WaitRegistered].
func (c *Client) WaitCredentialStatus(ctx context.Context, id string, status ssiapi.CredentialStatusChange) (*ssiapi.Credential, error) {
	switch status {
	case ssiapi.CredentialStatusChangeLive, ssiapi.CredentialStatusChangeSuspend, ssiapi.CredentialStatusChangeRevoke:
	default:
		return nil, fmt.Errorf("entityauth: ssi: waiting for credential %s: status %q is none of LIVE, SUSPEND, REVOKE", id, status)
	}
	var got *ssiapi.Credential
	what := "credential " + id + " to be " + string(status) + " on chain"
	err := poll(ctx, what, func() (bool, error) {
		cred, err := c.GetCredential(ctx, id, false)
		if err != nil {
			return false, err
		}
		if statusOf(cred) == status {
			got = cred
			return true, nil
		}
		if cred.CredentialStatus == nil && allFailed(cred.Metadata.TransactionStatus) {
			return false, fmt.Errorf("%w: waiting for %s: every transaction recorded for it failed", ErrTransactionFailed, what)
		}
		return false, nil
	})
	if err != nil {
		return nil, err
	}
	return got, nil
}

// statusOf returns the credential's status on chain, or "" when it has none.
func statusOf(cred *ssiapi.Credential) ssiapi.CredentialStatusChange {
	st := cred.CredentialStatus
	switch {
	case st == nil:
		return ""
	case st.Revoked != nil && *st.Revoked:
		return ssiapi.CredentialStatusChangeRevoke
	case st.Suspended != nil && *st.Suspended:
		return ssiapi.CredentialStatusChangeSuspend
	}
	return ssiapi.CredentialStatusChangeLive
}

// allFailed reports whether there are records and none of them succeeded
// (status 0).
func allFailed(records *[]ssiapi.TransactionStatus) bool {
	if records == nil || len(*records) == 0 {
		return false
	}
	for _, r := range *records {
		if r.Status == nil || *r.Status == 0 {
			return false
		}
	}
	return true
}

// poll calls check at once, then with jittered exponential backoff, until it
// reports done, fails permanently, or ctx ends. what says what it waits for,
// in errors.
func poll(ctx context.Context, what string, check func() (done bool, err error)) error {
	delay := WaitBackoffBase
	var last error // the last temporary failure, for the error at ctx's end
	for {
		done, err := check()
		switch {
		case done:
			return nil
		case ctx.Err() != nil:
			return waitError(ctx, what, last)
		case err != nil && !temporary(err):
			return err
		}
		last = err
		t := time.NewTimer(jitter(delay))
		select {
		case <-ctx.Done():
			t.Stop()
			return waitError(ctx, what, last)
		case <-t.C:
		}
		delay = min(2*delay, WaitBackoffMax)
	}
}

func waitError(ctx context.Context, what string, last error) error {
	if last != nil {
		return fmt.Errorf("entityauth: ssi: waiting for %s: %w (last poll: %w)", what, context.Cause(ctx), last)
	}
	return fmt.Errorf("entityauth: ssi: waiting for %s: %w", what, context.Cause(ctx))
}

// jitter spreads d by up to a fifth either way.
func jitter(d time.Duration) time.Duration {
	return d - d/5 + rand.N(2*d/5+1) //nolint:gosec // jitter, not a secret
}

// temporary reports whether polling again may succeed after err: an answer
// of the SSI API or of the token service that is 408, 429 or 5xx, or a
// request that got no answer (the network). Everything else, such as a 401
// after the refresh, a 404, a 400, an undecodable answer or a Config that the
// token source refuses, is permanent.
func temporary(err error) bool {
	var e *Error
	if errors.As(err, &e) {
		return retryableStatus(e.StatusCode)
	}
	var re *oauth2.RetrieveError
	if errors.As(err, &re) {
		return re.Response != nil && retryableStatus(re.Response.StatusCode)
	}
	var ue *url.Error // what http.Client wraps every failure in: look inside
	if errors.As(err, &ue) {
		err = ue.Err
	}
	var ne net.Error
	return errors.As(err, &ne) || errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF)
}

func retryableStatus(code int) bool {
	return code == http.StatusRequestTimeout || code == http.StatusTooManyRequests || code >= http.StatusInternalServerError
}
