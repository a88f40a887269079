package entityauthtest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/entity-studio-go/entityauth/api"
)

// Paths served by a Server.
const (
	tokenPath = "/api/v1/app/oauth" //nolint:gosec // a URL path, not a credential
	ssiPrefix = "/api/v1/"
)

// Options configures a Server. The zero value behaves like the real service.
type Options struct {
	// APIKey is the key the server accepts. "" means a random key in the
	// real format: 29 lowercase hex digits, a dot, and 97 lowercase hex digits.
	APIKey string
	// RateLimit is the number of token requests per window per client
	// address. 0 means 10, the real limit; a negative value disables the limit.
	RateLimit int
	// RateWindow is the length of the fixed rate-limit window, which starts
	// at the window's first request. 0 means 60s.
	RateWindow time.Duration
	// Lifetime is the token lifetime when a request has no ExpiresIn header,
	// or an empty one. 0 means 4h. It is truncated to whole seconds.
	Lifetime time.Duration
	// AllowedOrigins lists the origins the SSI API accepts in an Origin
	// header. nil accepts any Origin, or none.
	AllowedOrigins []string
	// Credits is the app's credit balance, which the SSI API spends at the
	// real service's prices (see [Server.CreditsUsed]); once it cannot pay
	// for a request, the request gets the real 400. 0 means unlimited.
	Credits int
	// DirectMode makes the SSI API answer as the real service does for an
	// app without a fee grant: registrations, DID updates and credential
	// status changes reach the chain before the answer, which carries the
	// transaction hash (COMPLETED). By default (false) the fake answers as
	// production does for an app that was given credits, and with them a fee
	// grant: those transactions are queued, the answer comes at once
	// (registerDID: UNREGISTRED with an empty transactionHash), and the chain
	// changes [Options.ChainDelay] later. See "Queued transactions" in the
	// package documentation.
	DirectMode bool
	// ChainDelay is how long a queued transaction takes to reach the chain.
	// 0 means [DefaultChainDelay]; a negative delay lands it at the next
	// request. [Server.FlushChain] lands every queued transaction at once.
	ChainDelay time.Duration
	// UnknownService makes the app's first service none that the token
	// server knows (SSI, Cavach, Quest): every token request with the right
	// key gets 400 ["Invalid service ID: <appId>"], after the key's checks.
	// (The real server checks the service only when the app has no live
	// session, which such an app never gets.)
	UnknownService bool
	// LegacyErrors makes the wrong-key 401 carry the message as the plain
	// string "access_denied", as older servers did.
	LegacyErrors bool
	// Logf, if set, receives one line per request. It never receives the
	// API key or a token.
	Logf func(format string, args ...any)
	// MaxRecorded is how many requests [Server.Requests] keeps, the latest:
	// 0 means [DefaultMaxRecorded], a negative value none, for a server that
	// runs long (the entityauth fake command). [Server.TokenRequests] and
	// [Server.APIRequests] count every request all the same.
	MaxRecorded int
}

// A Server is a fake Entity Studio token service and SSI API. Create it with
// [NewServer], [NewPipeServer] or [Start]; it is safe for concurrent use.
type Server struct {
	// URL is the base URL of both the token endpoint and the SSI API slice,
	// without a trailing slash, for example http://127.0.0.1:41234.
	URL string

	opts      Options
	limit     int
	window    time.Duration
	lifetime  time.Duration
	signKey   []byte
	appID     string
	subdomain string
	mux       *http.ServeMux

	mu       sync.Mutex
	key      string
	down     bool
	noCredit bool
	// ownerDeleted: the app's owner is gone (DeleteOwner).
	ownerDeleted bool
	sessions     map[string]session // by session ID; see claimsLocked
	ssi          *ssiState          // the SSI API's state, ssi_state.go
	queues       [2][]Fault
	requests     requestLog
	counters     map[string]*rateCounter
	closed       bool

	done      chan struct{} // closed by Close
	served    chan struct{} // closed when the Serve goroutine returns
	inflight  sync.WaitGroup
	srv       *http.Server
	transport *http.Transport
	client    *http.Client
	closeOnce sync.Once
}

// NewServer starts a Server on a loopback TCP port (127.0.0.1:0), like
// httptest.NewServer. The caller must call Close. It panics if it cannot listen.
func NewServer(opts Options) *Server {
	var lc net.ListenConfig
	ln, err := lc.Listen(context.Background(), "tcp", "127.0.0.1:0")
	if err != nil {
		if ln, err = lc.Listen(context.Background(), "tcp6", "[::1]:0"); err != nil {
			panic(fmt.Sprintf("entityauthtest: failed to listen on a loopback port: %v", err))
		}
	}
	return NewListenerServer(ln, opts)
}

// NewListenerServer starts a Server on ln, for example a listener on a fixed
// loopback port, as the entityauth fake command does. The Server owns ln and
// closes it in Close. The caller must call Close.
func NewListenerServer(ln net.Listener, opts Options) *Server {
	tr := &http.Transport{
		DialContext:         (&net.Dialer{Timeout: 30 * time.Second}).DialContext,
		MaxIdleConnsPerHost: 16,
		IdleConnTimeout:     90 * time.Second,
	}
	return start(opts, ln, tr)
}

// NewPipeServer starts a Server on an in-memory network built on net.Pipe,
// for use inside a testing/synctest bubble: create it inside the bubble and
// reach it only through [Server.Client] or [Server.Transport]. Its URL looks
// like http://127.0.0.1:<port>, so loopback checks pass, but nothing listens
// on that port. Close it before the bubble ends; Close stops every goroutine
// it started.
func NewPipeServer(opts Options) *Server {
	ln := newPipeListener()
	tr := &http.Transport{DialContext: ln.dial, MaxIdleConnsPerHost: 16}
	return start(opts, ln, tr)
}

// Start returns a new Server on a loopback port and closes it when the test
// and its subtests finish.
func Start(t testing.TB, opts Options) *Server {
	t.Helper()
	s := NewServer(opts)
	t.Cleanup(s.Close)
	return s
}

func start(opts Options, ln net.Listener, tr *http.Transport) *Server {
	s := &Server{
		URL:       "http://" + ln.Addr().String(),
		opts:      opts,
		limit:     opts.RateLimit,
		window:    opts.RateWindow,
		lifetime:  opts.Lifetime.Truncate(time.Second),
		signKey:   randomBytes(32),
		appID:     randomHex(32),
		subdomain: "ent-" + randomHex(7),
		key:       opts.APIKey,
		sessions:  make(map[string]session),
		counters:  make(map[string]*rateCounter),
		requests:  newRequestLog(opts.MaxRecorded),
		done:      make(chan struct{}),
		served:    make(chan struct{}),
		transport: tr,
	}
	if s.limit == 0 {
		s.limit = 10
	}
	if s.window <= 0 {
		s.window = 60 * time.Second
	}
	if s.lifetime <= 0 {
		s.lifetime = 4 * time.Hour
	}
	if s.key == "" {
		s.key = newAPIKey()
	}
	s.client = &http.Client{Transport: tr}
	s.mux = s.routes()

	errLog := log.New(io.Discard, "", 0)
	if opts.Logf != nil {
		errLog = log.New(logWriter(opts.Logf), "entityauthtest: ", 0)
	}
	s.srv = &http.Server{Handler: s, ErrorLog: errLog, ReadHeaderTimeout: time.Minute}
	go func() {
		defer close(s.served)
		_ = s.srv.Serve(ln)
	}()
	return s
}

// APIKey returns the key the server currently accepts.
func (s *Server) APIKey() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.key
}

// Client returns an HTTP client whose transport reaches this server. Pipe
// servers can be reached only through it (or [Server.Transport]).
func (s *Server) Client() *http.Client { return s.client }

// Transport returns the transport of [Server.Client].
func (s *Server) Transport() http.RoundTripper { return s.transport }

// Close stops the server: it answers queued delays at once by closing their
// connections, closes every connection and the client's idle connections,
// and returns when every handler has returned. It is safe to call twice.
func (s *Server) Close() {
	s.closeOnce.Do(func() {
		s.mu.Lock()
		s.closed = true
		s.mu.Unlock()
		close(s.done)
		_ = s.srv.Close()
		s.inflight.Wait()
		<-s.served
		s.transport.CloseIdleConnections()
	})
}

// RotateKey makes the server accept a new random key, which it returns. The
// old key then gets 401; tokens already issued stay valid.
func (s *Server) RotateKey() string {
	k := newAPIKey()
	s.mu.Lock()
	defer s.mu.Unlock()
	s.key = k
	return k
}

// DropSessions ends the app's server-side session at once, exactly as if
// its week had run out.
//
// Like the real token server, the fake keeps one session per app (its ID is
// the sessionId claim, the same in every token). The first token request
// creates it; it lives one week from then and is never extended. Once it
// has ended, by DropSessions or by the clock, the SSI API answers
// 401 ["Token expired"] for every token of the app, although the tokens have
// not reached their exp. The next token request creates the session again,
// with the same ID, and from then on every token that has not reached its
// exp works again, those issued before included.
func (s *Server) DropSessions() {
	s.mu.Lock()
	defer s.mu.Unlock()
	clear(s.sessions)
}

// SetDown takes the server down (true) or brings it back (false). While it is
// down, every request is answered by closing the connection, like a dead
// host; such requests are recorded but do not count against the rate limit.
func (s *Server) SetDown(down bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.down = down
}

// SetCredits sets whether the app has credits. Without them (false), every
// SSI route that spends credits answers 400 ["No credits found or credit
// exhausted. Please contact the admin"]; true gives the app unlimited credits.
func (s *Server) SetCredits(ok bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.noCredit = !ok
	if ok {
		s.ssi.credits = unlimitedCredits
	}
}

func (s *Server) routes() *http.ServeMux {
	mux := http.NewServeMux()
	h := &handler{s: s}
	api.HandlerWithOptions(h, api.StdHTTPServerOptions{BaseRouter: mux, ErrorHandlerFunc: h.paramError})
	s.mountSSI(mux)                                  // the SSI API, ssi_*.go
	mux.HandleFunc(HIDNodeStatusPath, s.statusRoute) // hid-node's status query, hidnode.go
	mux.HandleFunc("/", notFound)
	return mux
}

func (s *Server) logf(format string, args ...any) {
	if s.opts.Logf != nil {
		s.opts.Logf("entityauthtest: "+format, args...)
	}
}

// logWriter adapts Logf to the http.Server's error log. Those lines carry
// no request headers.
type logWriter func(format string, args ...any)

func (f logWriter) Write(p []byte) (int, error) {
	f("%s", strings.TrimSuffix(string(p), "\n"))
	return len(p), nil
}

func newAPIKey() string { return randomHex(29) + "." + randomHex(97) }

func randomBytes(n int) []byte {
	b := make([]byte, n)
	_, _ = rand.Read(b) // crypto/rand.Read never fails
	return b
}

func randomHex(n int) string { return hex.EncodeToString(randomBytes((n + 1) / 2))[:n] }
