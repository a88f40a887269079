package rediscache_test

import (
	"bytes"
	"context"
	"log/slog"
	"net"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"golang.org/x/oauth2"

	"github.com/entity-studio-go/entityauth"
	"github.com/entity-studio-go/entityauth/entityauthtest"
	"github.com/entity-studio-go/entityauth/internal/testlog"
	"github.com/entity-studio-go/entityauth/rediscache"
)

// fleet builds replicas of one app: TokenSources with the same Config, each
// with its own Redis client, as separate processes would have.
type fleet struct {
	t      *testing.T
	srv    *entityauthtest.Server
	addr   string // Redis
	prefix string
	cfg    entityauth.Config // template; Cache and Logger are set per replica
	logs   *testlog.Buffer
}

func newFleet(t *testing.T, srv *entityauthtest.Server, addr string) *fleet {
	return &fleet{
		t: t, srv: srv, addr: addr, prefix: testPrefix(t), logs: &testlog.Buffer{},
		cfg: entityauth.Config{APISecretKey: srv.APIKey(), BaseURL: srv.URL, HTTPClient: srv.Client()},
	}
}

// replica is one process of the fleet.
type replica struct {
	ts     *entityauth.TokenSource
	client *redis.Client
	logs   *testlog.Buffer // this replica's log records only
}

func (f *fleet) replica() *replica {
	f.t.Helper()
	r := &replica{client: newTestClient(f.t, f.addr), logs: &testlog.Buffer{}}
	cfg := f.cfg
	cfg.Cache = rediscache.New(r.client, rediscache.Options{Prefix: f.prefix})
	cfg.Logger = testlog.Logger(slog.LevelWarn, r.logs, f.logs)
	r.ts = cfg.TokenSource(f.t.Context())
	return r
}

// key is the Redis key of the fleet's token.
func (f *fleet) key() string { return f.prefix + f.cfg.CacheKey() }

// tokens calls Token on every replica at once and returns the tokens, failing
// the test on any error.
func tokens(t *testing.T, rs []*replica) []*oauth2.Token {
	t.Helper()
	out := make([]*oauth2.Token, len(rs))
	errs := make([]error, len(rs))
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i, r := range rs {
		wg.Go(func() {
			<-start
			out[i], errs[i] = r.ts.Token()
		})
	}
	close(start)
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Fatalf("replica %d: Token: %v", i, err)
		}
	}
	return out
}

// sameToken fails the test unless every token has the access token of the first.
func sameToken(t *testing.T, toks []*oauth2.Token) {
	t.Helper()
	for i, tok := range toks {
		if tok.AccessToken != toks[0].AccessToken {
			t.Fatalf("replica %d has another token than replica 0; want one token for the fleet", i)
		}
	}
}

// checkNoSecrets fails the test if the logs hold the API key or a token.
func checkNoSecrets(t *testing.T, logs string, secrets ...string) {
	t.Helper()
	for _, s := range secrets {
		if s != "" && strings.Contains(logs, s) {
			t.Fatalf("logs hold a secret:\n%s", logs)
		}
	}
}

func TestRedisFleetStartsWithOneTokenRequest(t *testing.T) {
	addr := testRedisAddr(t)
	srv := entityauthtest.Start(t, entityauthtest.Options{}) // the real 10 requests per 60 s
	f := newFleet(t, srv, addr)
	rs := make([]*replica, 20)
	for i := range rs {
		rs[i] = f.replica()
	}
	toks := tokens(t, rs)
	sameToken(t, toks)
	if got := srv.TokenRequests(); got != 1 {
		t.Errorf("token requests of 20 replicas starting together = %d; want 1", got)
	}
	// The in-process layer serves from here on: no request, no Redis.
	toks = tokens(t, rs)
	sameToken(t, toks)
	if got := srv.TokenRequests(); got != 1 {
		t.Errorf("token requests after a second round = %d; want 1", got)
	}
	// Redis holds the token sealed: not the access token, not the key.
	raw, err := rs[0].client.Get(t.Context(), f.key()).Bytes()
	if err != nil {
		t.Fatalf("GET of the fleet's key: %v", err)
	}
	if bytes.Contains(raw, []byte(toks[0].AccessToken)) || bytes.Contains(raw, []byte(srv.APIKey())) {
		t.Errorf("Redis holds the token or the key in clear")
	}
	if logs := f.logs.String(); logs != "" {
		t.Errorf("logs of a healthy fleet = %q; want none", logs)
	}
}

// Without the shared cache the same fleet breaks the rate limit: the
// baseline that shows what the test above proves. Each replica is a process
// of its own, whose memory holds no token yet (emptyCache): sources in one
// process would share one token. A refresh timeout of 1 s ends each fetch at
// its first 429, before the first probe.
func TestFleetWithoutCacheIsRateLimited(t *testing.T) {
	srv := entityauthtest.Start(t, entityauthtest.Options{})
	cfg := entityauth.Config{APISecretKey: srv.APIKey(), BaseURL: srv.URL, HTTPClient: srv.Client(), RefreshTimeout: time.Second}
	var rs []*replica
	for range 20 {
		c := cfg
		c.Cache = emptyCache{}
		rs = append(rs, &replica{ts: c.TokenSource(t.Context())})
	}
	var limited int
	var mu sync.Mutex
	var wg sync.WaitGroup
	for _, r := range rs {
		wg.Go(func() {
			if _, err := r.ts.Token(); err != nil {
				mu.Lock()
				limited++
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	if got := srv.TokenRequests(); got != 20 {
		t.Errorf("token requests of 20 replicas without a shared cache = %d; want 20", got)
	}
	if limited != 10 {
		t.Errorf("replicas refused at start = %d; want 10 (the limit is 10 per 60 s)", limited)
	}
}

func TestRedisFleetSurvivesRedisRestart(t *testing.T) {
	testRedisAddr(t) // the CI gate; this test runs a redis-server of its own
	addr, kill := startRedisServer(t, 0)
	srv := entityauthtest.Start(t, entityauthtest.Options{})
	f := newFleet(t, srv, addr)

	// Redis up: three replicas share one token.
	up := []*replica{f.replica(), f.replica(), f.replica()}
	first := tokens(t, up)
	sameToken(t, first)
	if got := srv.TokenRequests(); got != 1 {
		t.Fatalf("token requests with Redis up = %d; want 1", got)
	}

	// Redis dies. Running replicas serve their token without touching Redis;
	// new ones fetch directly, quickly, and each logs the failure once.
	kill()
	for i, tok := range tokens(t, up) {
		if tok.AccessToken != first[0].AccessToken {
			t.Fatalf("running replica %d changed token while Redis was down", i)
		}
	}
	down := []*replica{f.replica(), f.replica(), f.replica()}
	start := time.Now()
	tokens(t, down)
	if el := time.Since(start); el > 3*time.Second {
		t.Errorf("replicas took %v to get a token with Redis down; want about two OpTimeouts", el)
	}
	if got := srv.TokenRequests(); got != 1+len(down) {
		t.Errorf("token requests with Redis down = %d; want %d (one per new replica)", got, 1+len(down))
	}
	// A second failure of the same replica logs nothing more.
	if !down[0].ts.Invalidate(mustToken(t, down[0])) {
		t.Fatal("Invalidate did nothing")
	}
	mustToken(t, down[0])
	for i, r := range down {
		if n := strings.Count(r.logs.String(), "cache failed"); n != 1 {
			t.Errorf("replica %d logged %d cache failures; want 1:\n%s", i, n, r.logs)
		}
	}

	// Redis returns, empty, on the same address. A replica that fell back
	// uses it again at its next refresh: it stores the new token, and a new
	// replica reads it without a request.
	startRedisServer(t, portOf(t, addr))
	before := srv.TokenRequests()
	if !down[1].ts.Invalidate(mustToken(t, down[1])) {
		t.Fatal("Invalidate did nothing")
	}
	refreshed := mustToken(t, down[1])
	if got := srv.TokenRequests(); got != before+1 {
		t.Fatalf("token requests for the refresh = %d; want %d", got, before+1)
	}
	if n, err := down[1].client.Exists(t.Context(), f.key()).Result(); err != nil || n != 1 {
		t.Fatalf("EXISTS of the fleet's key after Redis returned = %d, %v; want 1, nil", n, err)
	}
	late := f.replica()
	if tok := mustToken(t, late); tok.AccessToken != refreshed.AccessToken {
		t.Error("a replica started after Redis returned did not get the stored token")
	}
	if got := srv.TokenRequests(); got != before+1 {
		t.Errorf("token requests after Redis returned = %d; want %d", got, before+1)
	}
	checkNoSecrets(t, f.logs.String(), srv.APIKey(), first[0].AccessToken, refreshed.AccessToken)
}

// A Redis that stops answering (not down: connections stay open) costs a
// caller about two OpTimeouts, never a failure.
func TestRedisFleetSlowRedis(t *testing.T) {
	addr := testRedisAddr(t)
	proxy := startSlowProxy(t, addr)
	srv := entityauthtest.Start(t, entityauthtest.Options{})
	f := newFleet(t, srv, proxy.Addr())
	rs := []*replica{f.replica(), f.replica()}
	for _, r := range rs {
		if err := r.client.Ping(t.Context()).Err(); err != nil { // connect while Redis is quick
			t.Fatal(err)
		}
	}
	proxy.SetDelay(5 * time.Second)
	start := time.Now()
	toks := tokens(t, rs)
	if el := time.Since(start); el > 2*time.Second {
		t.Errorf("replicas took %v with a Redis that does not answer; want about 2 x %v", el, rediscache.DefaultOpTimeout)
	}
	if toks[0] == nil || toks[1] == nil {
		t.Fatal("no token")
	}
	if got := srv.TokenRequests(); got != 2 {
		t.Errorf("token requests = %d; want 2 (each replica fetched directly)", got)
	}
	for i, r := range rs {
		if n := strings.Count(r.logs.String(), "cache failed"); n != 1 {
			t.Errorf("replica %d logged %d cache failures; want 1:\n%s", i, n, r.logs)
		}
	}
}

func TestRedisFleetReplacesCorruptOrForeignEntry(t *testing.T) {
	addr := testRedisAddr(t)
	srv := entityauthtest.Start(t, entityauthtest.Options{})
	f := newFleet(t, srv, addr)
	rc := newTestClient(t, addr)

	// A foreign entry: sealed by a TokenSource of another app (another
	// secret), then put under this app's key.
	other := entityauthtest.Start(t, entityauthtest.Options{})
	of := newFleet(t, other, addr)
	of.prefix = f.prefix
	mustToken(t, of.replica())
	foreign, err := rc.Get(t.Context(), of.key()).Bytes()
	if err != nil {
		t.Fatalf("GET of the other app's entry: %v", err)
	}

	for _, tc := range []struct {
		name  string
		entry []byte
	}{
		{"garbage", []byte("not a sealed entry")},
		{"empty", nil},
		{"truncated", foreign[:len(foreign)/2]},
		{"foreign", foreign},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if err := rc.Set(t.Context(), f.key(), tc.entry, time.Hour).Err(); err != nil {
				t.Fatal(err)
			}
			before := srv.TokenRequests()
			tok := mustToken(t, f.replica())
			if got := srv.TokenRequests(); got != before+1 {
				t.Fatalf("token requests = %d; want %d (the bad entry is ignored)", got, before+1)
			}
			stored, err := rc.Get(t.Context(), f.key()).Bytes()
			if err != nil || bytes.Equal(stored, tc.entry) {
				t.Fatalf("the bad entry was not replaced (err %v)", err)
			}
			if next := mustToken(t, f.replica()); next.AccessToken != tok.AccessToken {
				t.Error("the next replica did not get the replacement entry")
			}
			if got := srv.TokenRequests(); got != before+1 {
				t.Errorf("token requests after the replacement = %d; want %d", got, before+1)
			}
		})
	}
	checkNoSecrets(t, f.logs.String(), srv.APIKey(), other.APIKey())
}

func TestRedisFleetEntryExpiresWithToken(t *testing.T) {
	addr := testRedisAddr(t)
	for _, tc := range []struct {
		name     string
		lifetime time.Duration // Config.Lifetime (sent as ExpiresIn)
		want     time.Duration
	}{
		{"default 4h", 0, 4 * time.Hour},
		{"ExpiresIn 2h", 2 * time.Hour, 2 * time.Hour},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := entityauthtest.Start(t, entityauthtest.Options{})
			f := newFleet(t, srv, addr)
			f.cfg.Lifetime = tc.lifetime
			r := f.replica()
			tok := mustToken(t, r)
			pttl, err := r.client.PTTL(t.Context(), f.key()).Result()
			if err != nil {
				t.Fatal(err)
			}
			// The TTL is the token's remaining lifetime, to the second.
			if d := time.Until(tok.Expiry) - pttl; d < -time.Second || d > time.Second {
				t.Errorf("PTTL = %v; want the remaining lifetime %v", pttl, time.Until(tok.Expiry))
			}
			if pttl > tc.want || pttl < tc.want-5*time.Second {
				t.Errorf("PTTL = %v; want about %v", pttl, tc.want)
			}
		})
	}
	// Redis drops the entry when the token expires, and the next replica
	// fetches. A 2 s token keeps the wait short.
	t.Run("dropped at expiry", func(t *testing.T) {
		srv := entityauthtest.Start(t, entityauthtest.Options{Lifetime: 2 * time.Second})
		f := newFleet(t, srv, addr)
		r := f.replica()
		mustToken(t, r)
		waitFor(t, 10*time.Second, "Redis kept the entry past the token's expiry", func() bool {
			n, err := r.client.Exists(t.Context(), f.key()).Result()
			return err == nil && n == 0
		})
		mustToken(t, f.replica())
		if got := srv.TokenRequests(); got != 2 {
			t.Errorf("token requests = %d; want 2 (the entry expired with its token)", got)
		}
	})
}

func TestRedisFleetDeadLockHolder(t *testing.T) {
	addr := testRedisAddr(t)
	srv := entityauthtest.Start(t, entityauthtest.Options{})
	f := newFleet(t, srv, addr)
	f.cfg.RefreshTimeout = 30 * time.Second // replicas give up on the holder after 15 s
	rc := newTestClient(t, addr)

	// A replica took the lock and died before storing a token.
	const lockTTL = 1500 * time.Millisecond
	if ok, err := rc.SetNX(t.Context(), f.key()+":lock", "dead-replica", lockTTL).Result(); err != nil || !ok {
		t.Fatalf("SET NX of the lock = %v, %v; want true, nil", ok, err)
	}
	rs := make([]*replica, 5)
	for i := range rs {
		rs[i] = f.replica()
	}
	start := time.Now()
	sameToken(t, tokens(t, rs))
	el := time.Since(start)
	if got := srv.TokenRequests(); got != 1 {
		t.Errorf("token requests after the holder died = %d; want 1 (one replica refreshes)", got)
	}
	if el < lockTTL-100*time.Millisecond || el > lockTTL+5*time.Second {
		t.Errorf("replicas got a token after %v; want soon after the lock expired (%v)", el, lockTTL)
	}
}

func mustToken(t *testing.T, r *replica) *oauth2.Token {
	t.Helper()
	tok, err := r.ts.Token()
	if err != nil {
		t.Fatalf("Token: %v", err)
	}
	return tok
}

func portOf(t *testing.T, addr string) int {
	t.Helper()
	_, p, err := net.SplitHostPort(addr)
	if err != nil {
		t.Fatal(err)
	}
	n, err := strconv.Atoi(p)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// emptyCache is the memory of a process that holds no token: every Load
// misses, every Lock is granted, and Store keeps nothing.
type emptyCache struct{}

func (emptyCache) Load(context.Context, string) ([]byte, error) { return nil, entityauth.ErrCacheMiss }

func (emptyCache) Store(context.Context, string, []byte, time.Duration) error { return nil }

func (emptyCache) Lock(context.Context, string, time.Duration) (func(context.Context) error, error) {
	return func(context.Context) error { return nil }, nil
}

// A lock key without a TTL, written by someone else (or a holder that is
// stuck), never expires. Redis is never a reason for a caller to fail: each
// replica stops waiting for the holder in time to fetch for itself within a
// RefreshTimeout shorter than a lock's ttl plus a poll.
func TestRedisFleetLockNeverExpires(t *testing.T) {
	addr := testRedisAddr(t)
	srv := entityauthtest.Start(t, entityauthtest.Options{})
	f := newFleet(t, srv, addr)
	const refreshTimeout = 3 * time.Second
	f.cfg.RefreshTimeout = refreshTimeout
	rc := newTestClient(t, addr)
	if err := rc.Set(t.Context(), f.key()+":lock", "stuck-holder", 0).Err(); err != nil {
		t.Fatalf("SET of the lock without a TTL: %v", err)
	}
	rs := []*replica{f.replica(), f.replica(), f.replica()}
	start := time.Now()
	toks := tokens(t, rs)
	if el := time.Since(start); el > refreshTimeout {
		t.Errorf("replicas got a token after %v; want within the %v RefreshTimeout", el, refreshTimeout)
	}
	for i, tok := range toks {
		if tok == nil || tok.AccessToken == "" {
			t.Fatalf("replica %d: no token", i)
		}
	}
	if got := srv.TokenRequests(); got < 1 || got > len(rs) {
		t.Errorf("token requests = %d; want 1 to %d (each replica fetches for itself at worst)", got, len(rs))
	}
	if ttl, err := rc.TTL(t.Context(), f.key()+":lock").Result(); err != nil || ttl != -1 {
		t.Errorf("TTL of the stuck lock = %v, %v; want -1 (still there, untouched)", ttl, err)
	}
}
