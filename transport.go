package entityauth

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync/atomic"

	"golang.org/x/oauth2"
)

// ErrHostNotAllowed is returned, wrapped, by [Transport.RoundTrip] for a request
// to a host that is not in [Transport.AllowedHosts]. No token is sent.
var ErrHostNotAllowed = errors.New("entityauth: host not allowed")

// maxDrain is how much of a rejected 401 response body is read before it is
// closed, so that its connection can be reused.
const maxDrain = 64 << 10

// tokenContexter is a token source whose waits can be bounded by a context, as
// [*TokenSource] is.
type tokenContexter interface {
	TokenContext(ctx context.Context) (*oauth2.Token, error)
}

// invalidator is a token source that can drop a token the server rejected, as
// [*TokenSource] is.
type invalidator interface {
	Invalidate(rejected *oauth2.Token) bool
}

// Transport is an [http.RoundTripper] that authenticates requests to the SSI
// API. It sets "Authorization: Bearer <token>" (and Origin, when set) on every
// request, and when the API answers 401 it drops the rejected token, fetches a
// fresh one and sends the request once more.
//
// Most users call [Config.Client], which builds a Transport. Build one directly
// to compose your own stack, for example with tracing or retry middleware:
//
//	client := &http.Client{Transport: &entityauth.Transport{
//		Source: cfg.TokenSource(ctx),
//		Base:   otelhttp.NewTransport(http.DefaultTransport),
//	}}
//
// A Transport refuses to attach a token to a plain-http request unless its host
// is loopback, and it never sends the API secret key. When the [http.Client]
// follows a redirect to a host other than the original one, the redirected
// request is sent without the token, unless that host is in AllowedHosts (in
// which case it gets the token as any other allowed host does).
//
// A Transport is safe for concurrent use. Its fields must not change after its
// first use.
type Transport struct {
	// Source supplies the tokens. It is usually a [*TokenSource]. If Source has
	// a TokenContext method, the request's context bounds the wait for a token;
	// if it has an Invalidate method, a 401 answer is retried once with a fresh
	// token. Any other oauth2.TokenSource gets neither.
	Source oauth2.TokenSource

	// Origin, if not empty, is sent as the Origin header on every request. The
	// SSI API checks it against the app's allowed origins.
	Origin string

	// Base is the transport that sends the requests. Nil means
	// http.DefaultTransport.
	Base http.RoundTripper

	// AllowedHosts, if not empty, lists the hosts that may receive the token:
	// host names (matched case-insensitively, on any port) or host:port pairs.
	// A request to any other host fails with ErrHostNotAllowed before it is
	// sent.
	AllowedHosts []string

	// Logger, if not nil, records retries after 401 and invalidations at
	// debug and info level. It never records a token or a key.
	Logger *slog.Logger

	cached atomic.Pointer[headerValues]
}

var _ http.RoundTripper = (*Transport)(nil)

// RoundTrip authenticates req and sends it through t.Base. It implements
// [http.RoundTripper]: it does not modify req, and it closes req.Body.
//
// When the answer is 401 and the body of req can be sent again (it has none,
// or req.GetBody is set), RoundTrip drains and closes that answer, invalidates
// the token it used, fetches a fresh one and sends req once more, even if the
// fresh token is byte for byte the old one. The second answer is returned as it
// is, whatever its status. Other statuses, 400 and 403 among them, are never
// retried, because a new token does not fix them.
func (t *Transport) RoundTrip(req *http.Request) (*http.Response, error) {
	closeBody := func() {
		if req.Body != nil {
			_ = req.Body.Close()
		}
	}
	if t.Source == nil {
		closeBody()
		return nil, errors.New("entityauth: Transport.Source is nil")
	}
	if req.URL == nil {
		closeBody()
		return nil, errors.New("entityauth: request has no URL")
	}
	if err := t.checkHost(req); err != nil {
		closeBody()
		return nil, err
	}
	// A redirect that the http.Client follows to another host is sent as it
	// is, without the token, unless that host is explicitly allowed.
	if isCrossHostRedirect(req) && len(t.AllowedHosts) == 0 {
		t.log(req.Context(), slog.LevelDebug, "entityauth: redirect to another host sent without token", req)
		return t.base().RoundTrip(t.prepare(req, nil))
	}

	ctx := req.Context()
	tok, err := t.token(ctx)
	if err != nil {
		closeBody()
		return nil, err
	}
	resp, err := t.base().RoundTrip(t.prepare(req, tok))
	if err != nil || resp.StatusCode != http.StatusUnauthorized {
		return resp, err
	}
	inv, ok := t.Source.(invalidator)
	if !ok || !replayable(req) {
		return resp, nil
	}

	drain(resp)
	invalidated := inv.Invalidate(tok)
	t.log(ctx, slog.LevelInfo, "entityauth: API answered 401; retrying once with a fresh token", req,
		slog.Bool("invalidated", invalidated))
	fresh, err := t.token(ctx)
	if err != nil {
		return nil, err
	}
	retry := t.prepare(req, fresh)
	if req.Body != nil && req.Body != http.NoBody {
		body, err := req.GetBody()
		if err != nil {
			return nil, fmt.Errorf("entityauth: replay request body: %w", err)
		}
		retry.Body = body
	}
	return t.base().RoundTrip(retry)
}

// token gets a token from t.Source, bounded by ctx when the source allows it.
func (t *Transport) token(ctx context.Context) (*oauth2.Token, error) {
	var (
		tok *oauth2.Token
		err error
	)
	if s, ok := t.Source.(tokenContexter); ok {
		tok, err = s.TokenContext(ctx)
	} else {
		tok, err = t.Source.Token()
	}
	if err != nil {
		return nil, err
	}
	if tok == nil || tok.AccessToken == "" {
		return nil, errors.New("entityauth: token source returned an empty token")
	}
	return tok, nil
}

// prepare returns a copy of req that carries tok (unless tok is nil) and
// t.Origin, and never the API secret key. The copy shares the header values
// of req, which are never modified, and a cached Authorization value per token.
func (t *Transport) prepare(req *http.Request, tok *oauth2.Token) *http.Request {
	r := new(http.Request)
	*r = *req
	r.Header = make(http.Header, len(req.Header)+2)
	for k, v := range req.Header {
		r.Header[k] = v
	}
	r.Header.Del(secretHeader)
	if tok == nil {
		r.Header.Del("Authorization")
		return r
	}
	h := t.headers(tok)
	r.Header["Authorization"] = h.auth
	if h.origin != nil {
		r.Header["Origin"] = h.origin
	}
	return r
}

// headerValues are the header values that a Transport sets for one token.
type headerValues struct {
	tok    *oauth2.Token
	auth   []string
	origin []string
}

// headers returns the header values for tok, built once per token.
func (t *Transport) headers(tok *oauth2.Token) *headerValues {
	if h := t.cached.Load(); h != nil && h.tok == tok {
		return h
	}
	h := &headerValues{tok: tok, auth: []string{"Bearer " + tok.AccessToken}}
	if t.Origin != "" {
		h.origin = []string{t.Origin}
	}
	t.cached.Store(h)
	return h
}

// checkHost refuses plain http off loopback and hosts outside AllowedHosts.
func (t *Transport) checkHost(req *http.Request) error {
	switch strings.ToLower(req.URL.Scheme) {
	case "https":
	case "http":
		if !isLoopback(req.URL.Hostname()) {
			return fmt.Errorf("%w: refusing to send a token over plain http to %s", ErrInsecureURL, req.URL.Host)
		}
	default:
		return fmt.Errorf("%w: unsupported scheme %q", ErrInsecureURL, req.URL.Scheme)
	}
	if len(t.AllowedHosts) > 0 && !hostAllowed(t.AllowedHosts, req.URL) {
		return fmt.Errorf("%w: %s", ErrHostNotAllowed, req.URL.Host)
	}
	return nil
}

func (t *Transport) base() http.RoundTripper {
	if t.Base != nil {
		return t.Base
	}
	return http.DefaultTransport
}

func (t *Transport) log(ctx context.Context, level slog.Level, msg string, req *http.Request, attrs ...slog.Attr) {
	if t.Logger == nil {
		return
	}
	attrs = append(attrs, slog.String("method", req.Method), slog.String("host", req.URL.Host), slog.String("path", req.URL.Path))
	t.Logger.LogAttrs(ctx, level, msg, attrs...)
}

// hostAllowed reports whether u's host, or its host:port, matches an entry of
// allowed.
func hostAllowed(allowed []string, u *url.URL) bool {
	return slices.ContainsFunc(allowed, func(a string) bool {
		return strings.EqualFold(a, u.Hostname()) || strings.EqualFold(a, u.Host)
	})
}

// isCrossHostRedirect reports whether req is a redirect, followed by an
// http.Client, to a host other than the one of the original request.
func isCrossHostRedirect(req *http.Request) bool {
	if req.Response == nil || req.Response.Request == nil || req.Response.Request.URL == nil {
		return false
	}
	first := req.Response.Request
	for first.Response != nil && first.Response.Request != nil {
		first = first.Response.Request
	}
	return !strings.EqualFold(first.URL.Host, req.URL.Host)
}

// replayable reports whether req's body can be sent a second time.
func replayable(req *http.Request) bool {
	return req.Body == nil || req.Body == http.NoBody || req.GetBody != nil
}

// drain reads a little of resp's body and closes it, so that the connection
// can be reused.
func drain(resp *http.Response) {
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, maxDrain))
	_ = resp.Body.Close()
}

// Client returns an HTTP client for the SSI API that authenticates every
// request with tokens from [Config.TokenSource] through a [Transport]. The
// context bounds the life of the token source, as in [Config.TokenSource].
//
// When c.HTTPClient is set, its Transport is the base of the returned client's
// Transport, and its Timeout, Jar and CheckRedirect are kept.
//
// Client is the way to call the SSI API. Do not pass the token source to
// oauth2.NewClient: it wraps every source in oauth2.ReuseTokenSource, which
// defeats refresh-ahead, and it does not refresh on 401.
func (c *Config) Client(ctx context.Context) *http.Client {
	t := &Transport{
		Source:       c.TokenSource(ctx),
		Origin:       c.Origin,
		AllowedHosts: c.APIHosts,
		Logger:       c.Logger,
	}
	client := &http.Client{Transport: t}
	if hc := c.HTTPClient; hc != nil {
		t.Base = hc.Transport
		client.Timeout = hc.Timeout
		client.Jar = hc.Jar
		client.CheckRedirect = hc.CheckRedirect
	}
	return client
}
