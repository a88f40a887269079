package entityauth

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/oauth2"
)

// ErrHostNotAllowed is returned, wrapped, by [Transport.RoundTrip] for a request
// to a host that is not in [Transport.APIHosts]. No token is sent.
var ErrHostNotAllowed = errors.New("entityauth: host not allowed")

// max401Body is how much of the body of a 401 answer is read and kept while
// the request waits for a fresh token, so that the answer can still go back
// to the caller if no token comes. A longer body is not read, and the 401
// goes back unread, without a retry.
const max401Body = 64 << 10

// maxRedirectChain bounds the walk back to the original request of a
// redirect; http.Client itself stops after 10 redirects.
const maxRedirectChain = 64

// The bounds on the refreshes that 401 answers trigger in a [Transport].
// When the token that a refresh after a 401 brought is rejected at once, the
// token is not the problem (a wrong Origin, an app that the API does not
// serve): another one would be rejected too, and each one spends the token
// endpoint's rate ([ErrRateLimited]). The bounds hold for every Transport
// whose Source is a [*TokenSource] with the same [Config.CacheKey] together,
// so that clients built per request are bounded as one; a Transport with
// another Source is bounded on its own.
const (
	// FreshTokenAge is how long the token that a refresh after a 401 brought
	// stays fresh: a 401 to it within that time triggers no refresh.
	FreshTokenAge = time.Minute
	// Min401RefreshInterval is the shortest interval between two refreshes
	// that 401 answers trigger.
	Min401RefreshInterval = time.Minute
)

// refreshGuard holds the state behind the bounds on refreshes after 401.
type refreshGuard struct {
	mu       sync.Mutex
	rejected tokenID   // the token last invalidated after a 401 that led to a refresh
	at       time.Time // when a 401 last led to a refresh
	brought  tokenID   // the token that refresh fetched
	fresh    time.Time // when it came
}

// tokenID identifies a token for the bounds on refreshes after 401: by its
// generation (see newGeneration) when its source is a [*TokenSource], whose
// tokens of one Config share their generations through the cache, and by its
// text otherwise.
type tokenID struct {
	gen  uint64
	text string
}

// refreshGuards holds the guard of each CacheKey whose sources have met a 401.
var refreshGuards sync.Map // CacheKey -> *refreshGuard

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
// request, and when the API answers 401 to a token that may have gone stale it
// drops that token, fetches a fresh one and sends the request once more.
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
// is loopback, and it never sends the API secret key (X-Api-Secret-Key is
// removed in whatever spelling of its name the request carries it). When the
// [http.Client] follows a redirect to a host other than the original one, the
// redirected request is sent without the token, unless that host is in
// APIHosts (in which case it gets the token as any other allowed host
// does). A redirect whose original host cannot be told (a base transport that
// returns responses without their Request) counts as going to another host.
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

	// APIHosts, if not empty, lists the SSI API hosts that may receive the
	// token: host names (matched case-insensitively, on any port) or
	// host:port pairs. A request, or a redirect the http.Client follows, to
	// any other host fails with [ErrHostNotAllowed] before it is sent.
	APIHosts []string

	// Logger, if not nil, records retries after 401 and invalidations at
	// debug and info level. It never records a token or a key.
	Logger *slog.Logger

	cached atomic.Pointer[headerValues]
	own    refreshGuard // when Source is not a *TokenSource
}

var _ http.RoundTripper = (*Transport)(nil)

// RoundTrip authenticates req and sends it through t.Base. It implements
// [http.RoundTripper]: it does not modify req, and it closes req.Body.
//
// A 401 answer goes back to the caller as it is, whatever happens to the
// token. A 401 drops the token it rejected ([TokenSource.Invalidate]), so
// that the next request uses a new one, and if the body of req can be sent
// again (it has none, or req.GetBody is set), RoundTrip fetches a fresh token
// and sends req once more, even if the fresh token is byte for byte the old
// one; the second answer is returned as it is, whatever its status. If no
// fresh token comes (the token endpoint fails, or the request's context ends),
// the first 401 is returned, never the token error.
//
// Refreshes after 401 are bounded ([FreshTokenAge], [Min401RefreshInterval]),
// counted together for all clients of one Config, so that a lasting 401 does
// not spend the token endpoint's rate limit. A burst of 401s to one token
// costs one refresh, through one Transport or through Transports built per
// request from equal Configs, and a 401 to a token that such a refresh has
// replaced is sent again with the replacement. Other statuses, 400 and 403
// among them, are never retried, because a new token does not fix them.
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
	if isCrossHostRedirect(req) && len(t.APIHosts) == 0 {
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
	if err != nil {
		return nil, err
	}
	if resp.StatusCode != http.StatusUnauthorized {
		return resp, nil
	}
	inv, ok := t.Source.(invalidator)
	if !ok {
		return resp, nil
	}
	again, brought := t.refreshAfter401(tok, inv)
	if !again {
		t.log(ctx, slog.LevelDebug, "entityauth: API answered 401; not refreshing a fresh token, or too soon after the last refresh", req)
		return resp, nil
	}
	if !replayable(req) {
		t.log(ctx, slog.LevelInfo, "entityauth: API answered 401; token dropped, body cannot be replayed", req)
		return resp, nil
	}
	rejected, kept := keep401(resp)
	if !kept {
		return rejected, nil
	}
	t.log(ctx, slog.LevelInfo, "entityauth: API answered 401; retrying once with a fresh token", req)
	fresh, err := t.token(ctx)
	if err == nil && brought != nil {
		brought(fresh)
	}
	if err != nil {
		t.log(ctx, slog.LevelWarn, "entityauth: API answered 401 and no fresh token came; returning the 401", req,
			slog.String("error", err.Error()))
		return rejected, nil
	}
	retry := t.prepare(req, fresh)
	if req.Body != nil && req.Body != http.NoBody {
		body, err := req.GetBody()
		if err != nil {
			t.log(ctx, slog.LevelWarn, "entityauth: API answered 401 and the body cannot be replayed; returning the 401", req,
				slog.String("error", err.Error()))
			return rejected, nil
		}
		retry.Body = body
	}
	_ = rejected.Body.Close()
	return t.base().RoundTrip(retry)
}

// refreshAfter401 decides whether a 401 to a request sent with tok is worth
// a new token. If it is, it drops tok, unless the source already serves
// another token, and it reports true: the request may be sent again with the
// source's next token. When this call started a refresh, brought records the
// token that the refresh brings.
//
// The decision is shared by the sources of one Config (one guard per
// CacheKey), which tell tokens apart by generation, so that a 401 to a token
// that a refresh has already replaced, in this source or in another, is
// retried with the replacement, whatever its text: a token issued before the
// last refresh after 401 is as stale as the one that refresh replaced.
func (t *Transport) refreshAfter401(tok *oauth2.Token, inv invalidator) (retry bool, brought func(*oauth2.Token)) {
	src, _ := t.Source.(*TokenSource)
	if src == nil || src.err != nil {
		return t.own.after401(tokenID{text: tok.AccessToken}, time.Time{}, func(time.Time) { inv.Invalidate(tok) },
			func(fresh *oauth2.Token, _ time.Time) (tokenID, bool) { return tokenID{text: fresh.AccessToken}, true })
	}
	e := src.cur.Load()
	if e == nil || e.tok != tok {
		return true, nil // another request dropped it already, or a refresh replaced it
	}
	v, _ := refreshGuards.LoadOrStore(src.cacheKey, &refreshGuard{})
	return v.(*refreshGuard).after401(tokenID{gen: e.gen}, e.issued, func(floor time.Time) { src.drop(e, floor) },
		func(fresh *oauth2.Token, since time.Time) (tokenID, bool) {
			f := src.cur.Load()
			if f == nil || f.tok != fresh || f.issued.Before(since) {
				return tokenID{}, false // not fetched after the 401: it proves nothing
			}
			return tokenID{gen: f.gen}, true
		})
}

// after401 applies the bounds to a 401 answered to the token id, issued at
// issued (zero when unknown). drop drops the token; its floor, when not zero,
// is the time of the 401 that starts a refresh, before which the refresh
// takes no token (see TokenSource.drop). idOf identifies the token that a
// refresh brings, unless it was issued before since.
func (g *refreshGuard) after401(id tokenID, issued time.Time, drop func(floor time.Time),
	idOf func(fresh *oauth2.Token, since time.Time) (tokenID, bool)) (retry bool, brought func(*oauth2.Token)) {
	g.mu.Lock()
	defer g.mu.Unlock()
	now := time.Now()
	recent := !g.at.IsZero() && now.Sub(g.at) < Min401RefreshInterval
	switch {
	case id == g.brought && now.Sub(g.fresh) < FreshTokenAge:
		return false, nil // a fresh token rejected at once: the token is not the problem
	case recent && (id == g.rejected || (!issued.IsZero() && issued.Before(g.at))):
		drop(time.Time{}) // another 401 to it, or to a newer one, started the refresh
		return true, nil
	case recent:
		return false, nil
	}
	g.rejected, g.at, g.brought = id, now, tokenID{}
	drop(now)
	return true, func(fresh *oauth2.Token) {
		fid, ok := idOf(fresh, now)
		if !ok {
			return
		}
		g.mu.Lock()
		defer g.mu.Unlock()
		if g.at.Equal(now) {
			g.brought, g.fresh = fid, time.Now()
		}
	}
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
	r.Header = withoutSecret(req.Header, 2)
	if req.Trailer != nil {
		r.Trailer = withoutSecret(req.Trailer, 0)
	}
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

// withoutSecret returns a copy of h without the secret header, whatever the
// spelling of its name, with room for extra more keys. The values are shared.
func withoutSecret(h http.Header, extra int) http.Header {
	out := make(http.Header, len(h)+extra)
	for k, v := range h {
		if len(k) == len(secretHeader) && strings.EqualFold(k, secretHeader) {
			continue
		}
		out[k] = v
	}
	return out
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

// checkHost refuses plain http off loopback and hosts outside APIHosts.
func (t *Transport) checkHost(req *http.Request) error {
	if err := checkScheme(req.URL); err != nil {
		return err
	}
	if len(t.APIHosts) > 0 && !hostAllowed(t.APIHosts, req.URL) {
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
// http.Client, to a host other than the one of the original request. A
// redirect whose original request cannot be found (a response without its
// Request), or that lies more than maxRedirectChain requests back, counts as
// going to another host.
func isCrossHostRedirect(req *http.Request) bool {
	first := req
	for n := 0; first.Response != nil; n++ {
		first = first.Response.Request
		if first == nil || first.URL == nil || n == maxRedirectChain {
			return true
		}
	}
	return first != req && !strings.EqualFold(first.URL.Host, req.URL.Host)
}

// replayable reports whether req's body can be sent a second time.
func replayable(req *http.Request) bool {
	return req.Body == nil || req.Body == http.NoBody || req.GetBody != nil
}

// keep401 reads the body of a 401 answer into memory, so that the answer can
// still be returned after its connection is released. If the body is longer
// than max401Body, or cannot be read, it returns resp with its body whole
// (the part read, then the rest) and kept false.
func keep401(resp *http.Response) (_ *http.Response, kept bool) {
	body, err := io.ReadAll(io.LimitReader(resp.Body, max401Body+1))
	if err != nil || len(body) > max401Body {
		resp.Body = readCloser{io.MultiReader(bytes.NewReader(body), resp.Body), resp.Body}
		return resp, false
	}
	_ = resp.Body.Close()
	resp.Body = io.NopCloser(bytes.NewReader(body))
	return resp, true
}

// readCloser joins a Reader and the Closer of the body it reads.
type readCloser struct {
	io.Reader
	io.Closer
}

// Client returns an HTTP client for the SSI API that authenticates every
// request with tokens from [Config.TokenSource] through a [Transport]. The
// context bounds the life of the token source, as in [Config.TokenSource].
//
// When c.HTTPClient is set, its Transport is the base of the returned client's
// Transport, and its Timeout, Jar and CheckRedirect are kept.
//
// Client is the way to call the SSI API: build it once at start-up and share
// it.
func (c *Config) Client(ctx context.Context) *http.Client {
	t := &Transport{
		Source:   c.TokenSource(ctx),
		Origin:   c.Origin,
		APIHosts: c.APIHosts,
		Logger:   c.Logger,
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
