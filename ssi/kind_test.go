package ssi_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"
	"testing/synctest"
	"time"

	"github.com/entity-studio-go/entityauth"
	"github.com/entity-studio-go/entityauth/entityauthtest"
	"github.com/entity-studio-go/entityauth/gen/ssiapi"
	"github.com/entity-studio-go/entityauth/ssi"
)

// TestKindOf makes each class of failure happen against the fake, through a
// Client on entityauth.Config.Client as a program builds it, and checks the
// kind of the call's error, and which family's sentinels it matches.
func TestKindOf(t *testing.T) {
	// noRetry makes the token source give up after one request, so that an
	// outage of the token service fails the call without backoff.
	noRetry := entityauth.Config{MaxAttempts: 1}
	listDIDs := func(t *testing.T, c *ssi.Client) error {
		_, err := c.ListDIDs(t.Context(), 0, 0)
		return err
	}
	// warm makes one call, so that the client holds a token.
	warm := func(t *testing.T, c *ssi.Client) {
		t.Helper()
		if err := listDIDs(t, c); err != nil {
			t.Fatalf("the first ListDIDs: %v", err)
		}
	}
	tests := []struct {
		name string
		opts entityauthtest.Options
		cfg  entityauth.Config
		call func(t *testing.T, srv *entityauthtest.Server, c *ssi.Client) error
		want ssi.Kind
		is   []error // sentinels the error must match
		isNt []error // sentinels it must not match
	}{
		// Temporary: the SSI API.
		{
			name: "SSI API 500",
			call: func(t *testing.T, srv *entityauthtest.Server, c *ssi.Client) error {
				srv.Enqueue(entityauthtest.APIEndpoint, entityauthtest.InternalServerError())
				return listDIDs(t, c)
			},
			want: ssi.KindTemporary, is: []error{ssi.ErrServer}, isNt: []error{entityauth.ErrServer},
		},
		{
			name: "SSI API 503 from a proxy, as HTML",
			call: func(t *testing.T, srv *entityauthtest.Server, c *ssi.Client) error {
				srv.Enqueue(entityauthtest.APIEndpoint, entityauthtest.Fault{Status: http.StatusServiceUnavailable, Body: "<html><body>503 Service Temporarily Unavailable</body></html>"})
				return listDIDs(t, c)
			},
			want: ssi.KindTemporary, is: []error{ssi.ErrServer},
		},
		{
			name: "SSI API 429",
			call: func(t *testing.T, srv *entityauthtest.Server, c *ssi.Client) error {
				srv.Enqueue(entityauthtest.APIEndpoint, entityauthtest.Fault{Status: http.StatusTooManyRequests, JSON: map[string]any{"statusCode": 429, "message": "ThrottlerException: Too Many Requests"}})
				return listDIDs(t, c)
			},
			want: ssi.KindTemporary, isNt: []error{entityauth.ErrRateLimited, ssi.ErrValidation},
		},
		{
			name: "SSI API drops the connection",
			call: func(t *testing.T, srv *entityauthtest.Server, c *ssi.Client) error {
				warm(t, c)
				// A POST, which net/http does not resend on a new connection.
				srv.Enqueue(entityauthtest.APIEndpoint, entityauthtest.Fault{Drop: true})
				_, err := c.CreateDID(t.Context(), ssiapi.CreateDIDRequest{Namespace: ssiapi.DIDNamespaceTestnet})
				return err
			},
			want: ssi.KindTemporary,
		},
		// Temporary: the token service, through an ssi call.
		{
			name: "token service 503",
			cfg:  noRetry,
			call: func(t *testing.T, srv *entityauthtest.Server, c *ssi.Client) error {
				srv.Enqueue(entityauthtest.TokenEndpoint, entityauthtest.Fault{Status: http.StatusServiceUnavailable})
				return listDIDs(t, c)
			},
			want: ssi.KindTemporary, is: []error{entityauth.ErrServer}, isNt: []error{ssi.ErrServer},
		},
		{
			name: "token service 500, as the real one fails",
			cfg:  noRetry,
			call: func(t *testing.T, srv *entityauthtest.Server, c *ssi.Client) error {
				srv.Enqueue(entityauthtest.TokenEndpoint, entityauthtest.InternalServerError())
				return listDIDs(t, c)
			},
			want: ssi.KindTemporary, is: []error{entityauth.ErrServer},
		},
		{
			name: "token service 429 with Retry-After beyond the limit",
			call: func(t *testing.T, srv *entityauthtest.Server, c *ssi.Client) error {
				srv.Enqueue(entityauthtest.TokenEndpoint, entityauthtest.Fault{Status: http.StatusTooManyRequests, RetryAfter: "3600"})
				return listDIDs(t, c)
			},
			want: ssi.KindTemporary, is: []error{entityauth.ErrRateLimited},
		},
		{
			name: "token service unreachable",
			cfg:  noRetry,
			call: func(t *testing.T, srv *entityauthtest.Server, c *ssi.Client) error {
				srv.SetDown(true)
				return listDIDs(t, c)
			},
			want: ssi.KindTemporary,
		},
		{
			name: "session ended while the token service fails",
			cfg:  noRetry,
			call: func(t *testing.T, srv *entityauthtest.Server, c *ssi.Client) error {
				warm(t, c)
				srv.DropSessions()
				srv.Enqueue(entityauthtest.TokenEndpoint, entityauthtest.Fault{Status: http.StatusServiceUnavailable})
				return listDIDs(t, c) // the first 401 comes back: no new token came
			},
			want: ssi.KindTemporary, is: []error{ssi.ErrUnauthorized}, isNt: []error{entityauth.ErrServer},
		},
		{
			name: "session ended and the key rotated, the next call",
			call: func(t *testing.T, srv *entityauthtest.Server, c *ssi.Client) error {
				warm(t, c)
				srv.DropSessions()
				srv.RotateKey()
				// The first 401 comes back as it is: no new token came,
				// and the call cannot tell why.
				if err := listDIDs(t, c); ssi.KindOf(err) != ssi.KindTemporary {
					t.Errorf("the first call: KindOf(%v) = %v; want temporary", err, ssi.KindOf(err))
				}
				return listDIDs(t, c) // the token source's own error
			},
			want: ssi.KindConfig, is: []error{entityauth.ErrUnauthorized}, isNt: []error{ssi.ErrUnauthorized},
		},
		// The caller's mistakes.
		{
			name: "SSI API 422",
			call: func(t *testing.T, srv *entityauthtest.Server, c *ssi.Client) error {
				srv.Enqueue(entityauthtest.APIEndpoint, entityauthtest.Fault{Status: http.StatusUnprocessableEntity, JSON: map[string]any{"statusCode": 422, "message": "unprocessable"}})
				return listDIDs(t, c)
			},
			want: ssi.KindInvalid, isNt: []error{ssi.ErrValidation},
		},
		{
			name: "validation",
			call: func(t *testing.T, _ *entityauthtest.Server, c *ssi.Client) error {
				_, err := c.CreateDID(t.Context(), ssiapi.CreateDIDRequest{MethodSpecificId: "short"})
				return err
			},
			want: ssi.KindInvalid, is: []error{ssi.ErrValidation},
		},
		{
			name: "not found",
			call: func(t *testing.T, _ *entityauthtest.Server, c *ssi.Client) error {
				_, err := c.GetCredential(t.Context(), "vc:hid:testnet:z6MkUnknown", false)
				return err
			},
			want: ssi.KindInvalid, is: []error{ssi.ErrNotFound},
		},
		{
			name: "conflict",
			call: func(t *testing.T, _ *entityauthtest.Server, c *ssi.Client) error {
				req := ssiapi.CreateDIDRequest{MethodSpecificId: "KindKindKindKindKindKindKindKind42", Namespace: ssiapi.DIDNamespaceTestnet}
				if _, err := c.CreateDID(t.Context(), req); err != nil {
					return fmt.Errorf("the first CreateDID: %w", err)
				}
				_, err := c.CreateDID(t.Context(), req)
				return err
			},
			want: ssi.KindInvalid, is: []error{ssi.ErrConflict},
		},
		// Configuration and the app's account.
		{
			name: "key rotated",
			call: func(t *testing.T, srv *entityauthtest.Server, c *ssi.Client) error {
				srv.RotateKey()
				return listDIDs(t, c)
			},
			want: ssi.KindConfig, is: []error{entityauth.ErrUnauthorized}, isNt: []error{ssi.ErrUnauthorized},
		},
		{
			name: "token service 403",
			cfg:  noRetry,
			call: func(t *testing.T, srv *entityauthtest.Server, c *ssi.Client) error {
				srv.Enqueue(entityauthtest.TokenEndpoint, entityauthtest.Fault{Status: http.StatusForbidden})
				return listDIDs(t, c)
			},
			want: ssi.KindConfig, is: []error{entityauth.ErrForbidden}, isNt: []error{ssi.ErrPermissionDenied},
		},
		{
			name: "SSI API host not in APIHosts",
			cfg:  entityauth.Config{APIHosts: []string{"api.entity.hypersign.id"}},
			call: func(t *testing.T, _ *entityauthtest.Server, c *ssi.Client) error { return listDIDs(t, c) },
			want: ssi.KindConfig, is: []error{entityauth.ErrHostNotAllowed},
		},
		{
			name: "token service URL that is not one",
			call: func(t *testing.T, srv *entityauthtest.Server, _ *ssi.Client) error {
				cfg := entityauth.Config{APISecretKey: srv.APIKey(), BaseURL: srv.URL + "/elsewhere"}
				c, err := ssi.NewClient(srv.URL, cfg.Client(t.Context()))
				if err != nil {
					return err
				}
				return listDIDs(t, c)
			},
			want: ssi.KindConfig, is: []error{entityauth.ErrUnexpectedStatus},
		},
		{
			name: "no key",
			call: func(t *testing.T, srv *entityauthtest.Server, _ *ssi.Client) error {
				cfg := entityauth.Config{BaseURL: srv.URL}
				c, err := ssi.NewClient(srv.URL, cfg.Client(t.Context()))
				if err != nil {
					return err
				}
				return listDIDs(t, c)
			},
			want: ssi.KindConfig, is: []error{entityauth.ErrMissingKey},
		},
		{
			name: "token service URL in clear",
			call: func(t *testing.T, srv *entityauthtest.Server, _ *ssi.Client) error {
				cfg := entityauth.Config{APISecretKey: srv.APIKey(), BaseURL: "http://token.example"}
				c, err := ssi.NewClient(srv.URL, cfg.Client(t.Context()))
				if err != nil {
					return err
				}
				return listDIDs(t, c)
			},
			want: ssi.KindConfig, is: []error{entityauth.ErrInsecureURL},
		},
		{
			name: "client built on a context that ended",
			call: func(t *testing.T, srv *entityauthtest.Server, _ *ssi.Client) error {
				ctx, cancel := context.WithCancel(t.Context())
				cfg := entityauth.Config{APISecretKey: srv.APIKey(), BaseURL: srv.URL}
				hc := cfg.Client(ctx)
				cancel() // as a request's context ends with its request
				c, err := ssi.NewClient(srv.URL, hc)
				if err != nil {
					return err
				}
				return listDIDs(t, c)
			},
			want: ssi.KindConfig, is: []error{entityauth.ErrClosed, context.Canceled},
		},
		{
			name: "token service certificate that does not verify",
			call: func(t *testing.T, srv *entityauthtest.Server, _ *ssi.Client) error {
				tls := httptest.NewTLSServer(http.NotFoundHandler()) // a certificate no one trusts
				t.Cleanup(tls.Close)
				cfg := entityauth.Config{APISecretKey: srv.APIKey(), BaseURL: tls.URL}
				c, err := ssi.NewClient(srv.URL, cfg.Client(t.Context()))
				if err != nil {
					return err
				}
				return listDIDs(t, c)
			},
			want: ssi.KindConfig,
		},
		{
			name: "origin mismatch",
			opts: entityauthtest.Options{AllowedOrigins: []string{"https://app.example"}},
			cfg:  entityauth.Config{Origin: "https://other.example"},
			call: func(t *testing.T, _ *entityauthtest.Server, c *ssi.Client) error { return listDIDs(t, c) },
			want: ssi.KindConfig, is: []error{ssi.ErrOriginMismatch, ssi.ErrUnauthorized}, isNt: []error{entityauth.ErrUnauthorized},
		},
		{
			name: "token refused, none sent",
			call: func(t *testing.T, srv *entityauthtest.Server, _ *ssi.Client) error {
				c, err := ssi.NewClient(srv.URL, srv.Client())
				if err != nil {
					return err
				}
				return listDIDs(t, c)
			},
			want: ssi.KindConfig, is: []error{ssi.ErrUnauthorized},
		},
		{
			name: "credits exhausted",
			call: func(t *testing.T, srv *entityauthtest.Server, c *ssi.Client) error {
				srv.SetCredits(false)
				_, err := c.CreateDID(t.Context(), ssiapi.CreateDIDRequest{Namespace: ssiapi.DIDNamespaceTestnet})
				return err
			},
			want: ssi.KindConfig, is: []error{ssi.ErrCreditsExhausted}, isNt: []error{ssi.ErrValidation},
		},
		{
			name: "permission denied",
			call: func(t *testing.T, _ *entityauthtest.Server, c *ssi.Client) error {
				_, err := c.GetSSIStatus(t.Context(), "did:hid:testnet:z6MkUnknown", 0, 0)
				return err
			},
			want: ssi.KindConfig, is: []error{ssi.ErrPermissionDenied},
		},
		{
			name: "invalid grant",
			cfg:  entityauth.Config{GrantType: "client_credentials"},
			call: func(t *testing.T, srv *entityauthtest.Server, c *ssi.Client) error {
				// The fake's first token creates the session; a later
				// one carries the grant type it asked for.
				if _, err := (&entityauth.Config{APISecretKey: srv.APIKey(), BaseURL: srv.URL}).Token(t.Context()); err != nil {
					return err
				}
				return listDIDs(t, c)
			},
			want: ssi.KindConfig, is: []error{ssi.ErrInvalidGrant}, isNt: []error{ssi.ErrValidation},
		},
		// The caller gave up.
		{
			name: "canceled",
			call: func(t *testing.T, _ *entityauthtest.Server, c *ssi.Client) error {
				warm(t, c)
				ctx, cancel := context.WithCancel(t.Context())
				cancel()
				_, err := c.ListDIDs(ctx, 0, 0)
				return err
			},
			want: ssi.KindCanceled, is: []error{context.Canceled},
		},
		// Answers that cannot be read, or of no class.
		{
			name: "SSI API 418",
			call: func(t *testing.T, srv *entityauthtest.Server, c *ssi.Client) error {
				srv.Enqueue(entityauthtest.APIEndpoint, entityauthtest.Fault{Status: http.StatusTeapot})
				return listDIDs(t, c)
			},
			want: ssi.KindUnknown,
		},
		{
			name: "SSI API 200 that is not JSON",
			call: func(t *testing.T, srv *entityauthtest.Server, c *ssi.Client) error {
				srv.Enqueue(entityauthtest.APIEndpoint, entityauthtest.Fault{Body: "<html>maintenance</html>"})
				return listDIDs(t, c)
			},
			want: ssi.KindUnknown, is: []error{ssi.ErrInvalidResponse},
		},
		{
			name: "token service 200 that is not a token",
			cfg:  noRetry,
			call: func(t *testing.T, srv *entityauthtest.Server, c *ssi.Client) error {
				srv.Enqueue(entityauthtest.TokenEndpoint, entityauthtest.Fault{JSON: map[string]any{"message": "welcome"}})
				return listDIDs(t, c)
			},
			want: ssi.KindUnknown, is: []error{entityauth.ErrInvalidResponse},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := entityauthtest.Start(t, tt.opts)
			err := tt.call(t, srv, fakeClient(t, srv, tt.cfg))
			if err == nil {
				t.Fatalf("the call succeeded; want a %v error", tt.want)
			}
			if got := ssi.KindOf(err); got != tt.want {
				t.Errorf("KindOf(%v) = %v; want %v", err, got, tt.want)
			}
			for _, s := range tt.is {
				if !errors.Is(err, s) {
					t.Errorf("errors.Is(%v, %v) = false; want true", err, s)
				}
			}
			for _, s := range tt.isNt {
				if errors.Is(err, s) {
					t.Errorf("errors.Is(%v, %v) = true; want false", err, s)
				}
			}
			assertNoSecret(t, err.Error(), srv)
		})
	}
}

// TestKindOfRateLimitedToken checks what docs/ssi.md says in bold: when the
// token service's rate window is full (a 429 without Retry-After), a call
// without a deadline of its own waits until the token source gives up,
// up to DefaultRefreshTimeout later, while a call with a deadline fails at it;
// both errors are KindTemporary.
func TestKindOfRateLimitedToken(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		srv := entityauthtest.NewPipeServer(entityauthtest.Options{RateLimit: 1, RateWindow: time.Hour})
		t.Cleanup(srv.Close)
		t.Cleanup(synctest.Wait)
		// Another client of the same address spends the window's one request.
		req, err := http.NewRequestWithContext(t.Context(), http.MethodPost, srv.URL+"/api/v1/app/oauth", http.NoBody)
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("X-Api-Secret-Key", srv.APIKey())
		resp, err := srv.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		_ = resp.Body.Close()

		cfg := &entityauth.Config{APISecretKey: srv.APIKey(), BaseURL: srv.URL, HTTPClient: srv.Client()}
		c, err := ssi.NewClient(srv.URL, cfg.Client(t.Context()))
		if err != nil {
			t.Fatal(err)
		}

		start := time.Now()
		ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
		defer cancel()
		_, err = c.ListDIDs(ctx, 0, 0)
		if got := time.Since(start); got != 10*time.Second {
			t.Errorf("a call with a 10 s deadline returned after %v; want 10s", got)
		}
		if got := ssi.KindOf(err); got != ssi.KindTemporary {
			t.Errorf("KindOf(%v) = %v; want temporary", err, got)
		}
		if !errors.Is(err, context.DeadlineExceeded) || !errors.Is(err, entityauth.ErrRateLimited) {
			t.Errorf("err = %v; want context.DeadlineExceeded and entityauth.ErrRateLimited", err)
		}

		// The same refresh goes on: a call without a deadline waits for its end.
		_, err = c.ListDIDs(t.Context(), 0, 0)
		// The refresh ends when its next probe would outlast it.
		if got, lo, hi := time.Since(start), entityauth.DefaultRefreshTimeout-entityauth.ProbeCap, entityauth.DefaultRefreshTimeout; got <= lo || got > hi {
			t.Errorf("a call without a deadline returned after %v; want more than %v, at most %v", got, lo, hi)
		}
		if got := ssi.KindOf(err); got != ssi.KindTemporary {
			t.Errorf("KindOf(%v) = %v; want temporary", err, got)
		}
		if !errors.Is(err, entityauth.ErrRateLimited) {
			t.Errorf("err = %v; want entityauth.ErrRateLimited", err)
		}
	})
}

// TestKindOfWrapped classifies errors that carry a sentinel without the
// error that the calls return around it, as a caller's wrapper might.
func TestKindOfWrapped(t *testing.T) {
	for _, tt := range []struct {
		err  error
		want ssi.Kind
	}{
		{entityauth.ErrRateLimited, ssi.KindTemporary},
		{entityauth.ErrServer, ssi.KindTemporary},
		{entityauth.ErrUnauthorized, ssi.KindConfig},
		{entityauth.ErrBadRequest, ssi.KindConfig},
		{entityauth.ErrForbidden, ssi.KindConfig},
		{entityauth.ErrMissingKey, ssi.KindConfig},
		{ssi.ErrInsecureURL, ssi.KindConfig},
		{entityauth.ErrBodyTooLarge, ssi.KindUnknown},
		{ssi.ErrBodyTooLarge, ssi.KindUnknown},
		{ssi.ErrPageLimit, ssi.KindUnknown},
		{ssi.ErrPageRepeated, ssi.KindUnknown},
		{ssi.ErrTransactionFailed, ssi.KindUnknown},
		{context.DeadlineExceeded, ssi.KindTemporary},
		{context.Canceled, ssi.KindCanceled},
		{errors.New("something else"), ssi.KindUnknown},
	} {
		err := fmt.Errorf("my wrapper: %w", tt.err)
		if got := ssi.KindOf(err); got != tt.want {
			t.Errorf("KindOf(%v) = %v; want %v", err, got, tt.want)
		}
	}
}

func TestKindString(t *testing.T) {
	for k, want := range map[ssi.Kind]string{
		ssi.KindNone: "none", ssi.KindTemporary: "temporary", ssi.KindInvalid: "invalid", ssi.KindConfig: "config",
		ssi.KindCanceled: "canceled", ssi.KindUnknown: "unknown", ssi.Kind(-1): "Kind(-1)", ssi.Kind(42): "Kind(42)",
	} {
		if got := k.String(); got != want {
			t.Errorf("Kind(%d).String() = %q; want %q", int(k), got, want)
		}
	}
	if got := ssi.KindOf(nil); got != ssi.KindNone {
		t.Errorf("KindOf(nil) = %v; want none", got)
	}
}
