package entityauth

import (
	"bytes"
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/hkdf"
	"crypto/rand"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"
)

// Cache stores sealed token entries beyond one TokenSource: across CLI
// invocations (a file cache) or a fleet (a Redis cache). When Config.Cache is
// nil, a TokenSource uses a cache in the process's memory, so that the
// sources of equal Configs (the same [Config.CacheKey]) in one process share
// one token; a Cache set in the Config replaces it, and sources of one process
// then share through that Cache.
//
// Entries are opaque bytes: the TokenSource seals them (AES-256-GCM, with a
// key derived by HKDF-SHA256 from the API secret key and the cache key as
// additional data) before Store and opens them after Load, so a Cache never
// sees a token in clear. A Cache must be safe for concurrent use.
//
// A TokenSource with a Cache keeps its in-process cache in front. When it
// needs a token it first Loads one; failing that, it takes the Lock (for half
// of Config.RefreshTimeout), Loads again, fetches, Stores, and unlocks. If
// another holder has the lock ([ErrLocked]) it keeps serving a token still
// before its mandatory window, or else polls Load, and tries the Lock again
// after each miss (so that when a holder dies and its lock expires, one
// waiter refreshes for all), for as long as a lock lasts plus one poll, but
// never for more than 60 % of Config.RefreshTimeout nor more than half of
// what its token has left, and then fetches itself, so that a lock that never
// expires costs a fetch, not a failure. On any other Cache error it fetches
// directly and logs the first such error.
//
// A Cache is user code, and a TokenSource does not trust it: every call is
// bounded by the refresh's deadline even if it ignores ctx, a Lock that
// returns neither an unlock function nor an error fails, and a panic in any
// of its methods or in an unlock function is recovered and becomes that
// call's error.
type Cache interface {
	// Load returns the entry stored under key, or ErrCacheMiss.
	Load(ctx context.Context, key string) ([]byte, error)
	// Store stores entry under key for ttl.
	Store(ctx context.Context, key string, entry []byte, ttl time.Duration) error
	// Lock takes the lock of key for at most ttl, or returns ErrLocked if
	// another holder has it. unlock releases it.
	Lock(ctx context.Context, key string, ttl time.Duration) (unlock func(context.Context) error, err error)
}

// Errors that a Cache returns.
var (
	// ErrCacheMiss is returned by Cache.Load when the key holds no entry.
	ErrCacheMiss = errors.New("entityauth: cache miss")
	// ErrLocked is returned by Cache.Lock when another holder has the lock.
	ErrLocked = errors.New("entityauth: cache locked")
)

// errSealed is the error of an entry that does not open.
var errSealed = errors.New("entityauth: cache entry does not open")

// sealVersion is the first byte of a sealed entry.
const sealVersion = 1

// CacheKey returns the name under which a TokenSource with this Config
// stores its token in Config.Cache: 64 hex digits of a SHA-256 over the
// secret key, base URL, origin, grant type and lifetime, so that Configs that
// would get different tokens never share an entry. It reveals no secret.
func (c *Config) CacheKey() string {
	base, err := checkBaseURL(c.BaseURL)
	if err != nil {
		base = c.BaseURL
	}
	h := sha256.New()
	for _, s := range []string{"entityauth cache key v1", c.APISecretKey, base, c.Origin, c.GrantType} {
		_ = binary.Write(h, binary.BigEndian, uint64(len(s)))
		h.Write([]byte(s))
	}
	_ = binary.Write(h, binary.BigEndian, int64(c.Lifetime))
	return hex.EncodeToString(h.Sum(nil))
}

// newAEAD derives the sealing key of cache entries from the API secret key.
func newAEAD(secret string) cipher.AEAD {
	key, err := hkdf.Key(sha256.New, []byte(secret), nil, "entityauth token cache v1", 32)
	if err != nil {
		return nil
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil
	}
	return aead
}

// sealedToken is the plaintext of a sealed entry.
type sealedToken struct {
	AccessToken string    `json:"access_token"`
	TokenType   string    `json:"token_type"`
	Issued      time.Time `json:"issued"`
	Expiry      time.Time `json:"expiry"`
	Gen         uint64    `json:"gen,omitempty"` // absent in entries sealed before issue 20
}

// seal encrypts a token for the Cache under the cache key.
func seal(aead cipher.AEAD, cacheKey string, r *result) ([]byte, error) {
	st := sealedToken{AccessToken: r.accessToken, TokenType: r.tokenType, Issued: r.issued, Expiry: r.expiry, Gen: r.gen}
	plain, err := json.Marshal(st) //nolint:gosec // the plaintext is sealed before it leaves
	if err != nil {
		return nil, err
	}
	nonce := make([]byte, aead.NonceSize())
	if _, err := rand.Read(nonce); err != nil {
		return nil, err
	}
	out := make([]byte, 0, 1+len(nonce)+len(plain)+aead.Overhead())
	out = append(append(out, sealVersion), nonce...)
	return aead.Seal(out, nonce, plain, []byte(cacheKey)), nil
}

// open decrypts and checks an entry sealed under the cache key.
func open(aead cipher.AEAD, cacheKey string, data []byte) (*result, error) {
	ns := aead.NonceSize()
	if len(data) < 1+ns+aead.Overhead() || data[0] != sealVersion {
		return nil, errSealed
	}
	plain, err := aead.Open(nil, data[1:1+ns], data[1+ns:], []byte(cacheKey))
	if err != nil {
		return nil, errSealed
	}
	var st sealedToken
	if err := json.Unmarshal(plain, &st); err != nil || st.AccessToken == "" || !st.Expiry.After(st.Issued) {
		return nil, errSealed
	}
	tt := st.TokenType
	if tt == "" {
		tt = "Bearer"
	}
	gen := st.Gen
	if gen == 0 {
		// Sealed by an older version: the seal's random nonce tells this
		// entry from every other, as a generation does.
		gen = max(binary.BigEndian.Uint64(data[1:9]), 1)
	}
	return &result{accessToken: st.AccessToken, tokenType: tt, issued: st.Issued, expiry: st.Expiry, gen: gen}, nil
}

// Cache polling while another holder has the lock.
const (
	pollBase = 50 * time.Millisecond
	pollCap  = 2 * time.Second
)

// obtain gets a new token for a refresh: from the Cache when it holds a
// better one, else from the token endpoint. A nil result with a nil error
// means "nothing new yet: keep serving the current token".
//
// It loads; on a miss it takes the Cache's lock, loads again, fetches and
// stores. While another holder has the lock it keeps serving a usable token,
// or else polls Load and tries the Lock after each miss, until waitBudget has
// passed, and then fetches itself.
func (s *TokenSource) obtain(ctx context.Context, progress func(error)) (*result, int, error) {
	if s.aead == nil {
		return s.fetcher.fetch(ctx, progress)
	}
	wctx, cancel := context.WithTimeout(ctx, s.waitBudget())
	defer cancel()
	var changed <-chan struct{}
	for n := 0; ; n++ {
		if n > 0 && !s.pause(wctx, n, changed) {
			break
		}
		changed = s.watch() // before Load: a Store after it ends the pause
		res, err := s.load(wctx)
		if err != nil {
			s.cacheFailed("load", err)
			break
		}
		if res != nil {
			return res, 0, nil
		}
		unlock, err := s.lock(wctx)
		switch {
		case err == nil:
			return s.fetchLocked(ctx, unlock, progress)
		case !errors.Is(err, ErrLocked):
			s.cacheFailed("lock", err)
			return s.fetchAndStore(ctx, progress)
		}
		// Another holder refreshes: a usable token is kept until it stores.
		if e := s.cur.Load(); e != nil && e.usable(s.now()) {
			return nil, 0, nil
		}
	}
	if err := ctx.Err(); err != nil {
		return nil, 0, fmt.Errorf("entityauth: waiting for the cache lock's holder: %w", context.Cause(ctx))
	}
	return s.fetchAndStore(ctx, progress)
}

// lockTTL is how long the Cache's lock is held at most: half of the refresh
// timeout, so that waiters outlive the lock of a holder that died, and the
// other half is left for their own fetch.
func (s *TokenSource) lockTTL() time.Duration { return s.timeout / 2 }

// pollMax is the longest backoff between two polls of a lock's holder: at
// most a tenth of the refresh timeout.
func (s *TokenSource) pollMax() time.Duration { return min(pollCap, s.timeout/10) }

// waitBudget is how long a refresh may spend on the Cache before it fetches
// for itself: a lock's ttl plus the longest pause, so that when a holder dies
// every waiter polls once more after its lock expired, and one of them takes
// the lock and refreshes for all; at least 40 % of the refresh timeout is
// left for the fetch when a lock never expires. A refresh whose cached token
// has not expired spends at most half of what the token has left, so that it
// fetches before the token expires.
func (s *TokenSource) waitBudget() time.Duration {
	d := s.lockTTL() + pollBase + s.pollMax()
	if e := s.cur.Load(); e != nil {
		if left := e.tok.Expiry.Sub(s.now()); left > 0 {
			d = min(d, left/2)
		}
	}
	return d
}

// watch returns a channel that is closed at the next Store or unlock of the
// process's memory cache, or nil when the source uses another Cache.
func (s *TokenSource) watch() <-chan struct{} {
	if m, ok := s.cache.(*memoryCache); ok {
		return m.changed(s.cacheKey)
	}
	return nil
}

// pause waits before poll n (from 1) of a lock's holder: a jittered backoff,
// cut short when changed (from watch, taken before the last Load) is closed.
// It reports false when ctx ends first.
func (s *TokenSource) pause(ctx context.Context, n int, changed <-chan struct{}) bool {
	t := time.NewTimer(pollBase + jitterBelow(expBackoff(pollBase, s.pollMax(), n)))
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
	case <-changed:
	}
	return true
}

// fetchLocked runs under the Cache's lock: it loads once more, since another
// holder may have stored a token just before the lock was taken, else it
// fetches and stores. It then releases the lock, within the refresh's
// deadline even if the source's context has ended.
func (s *TokenSource) fetchLocked(ctx context.Context, unlock func(context.Context) error, progress func(error)) (*result, int, error) {
	defer func() {
		uctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), unlockTimeout)
		defer cancel()
		if dl, ok := ctx.Deadline(); ok {
			uctx, cancel = context.WithDeadline(uctx, dl)
			defer cancel()
		}
		if _, err := cacheCall(uctx, s, "unlock", func(ctx context.Context) (struct{}, error) {
			return struct{}{}, unlock(ctx)
		}, nil); err != nil {
			s.cacheFailed("unlock", err)
		}
	}()
	if res, err := s.load(ctx); err == nil && res != nil {
		return res, 0, nil
	}
	return s.fetchAndStore(ctx, progress)
}

// unlockTimeout bounds the release of the Cache's lock after a refresh whose
// TokenSource was closed meanwhile.
const unlockTimeout = 5 * time.Second

// fetchAndStore fetches a token and stores it sealed in the Cache.
func (s *TokenSource) fetchAndStore(ctx context.Context, progress func(error)) (*result, int, error) {
	res, n, err := s.fetcher.fetch(ctx, progress)
	if err != nil {
		return nil, n, err
	}
	data, err := seal(s.aead, s.cacheKey, res)
	if err == nil {
		ttl := res.expiry.Sub(s.now())
		_, err = cacheCall(ctx, s, "Store", func(ctx context.Context) (struct{}, error) {
			return struct{}{}, s.cache.Store(ctx, s.cacheKey, data, ttl)
		}, nil)
	}
	if err != nil {
		s.cacheFailed("store", err)
	}
	return res, n, nil
}

// lock takes the Cache's lock. A Lock that returns neither an unlock
// function nor an error fails.
func (s *TokenSource) lock(ctx context.Context) (func(context.Context) error, error) {
	unlock, err := cacheCall(ctx, s, "Lock", func(ctx context.Context) (func(context.Context) error, error) {
		return s.cache.Lock(ctx, s.cacheKey, s.lockTTL())
	}, func(unlock func(context.Context) error) {
		// Taken after the refresh gave up: release it at once.
		if unlock != nil {
			uctx, cancel := context.WithTimeout(context.Background(), unlockTimeout)
			defer cancel()
			_, _ = cacheCall(uctx, s, "unlock", func(ctx context.Context) (struct{}, error) {
				return struct{}{}, unlock(ctx)
			}, nil)
		}
	})
	if err == nil && unlock == nil {
		return nil, errors.New("entityauth: Cache.Lock returned neither an unlock function nor an error")
	}
	return unlock, err
}

// load returns the Cache's token if it is better than the cached one: not
// of the generation last invalidated nor issued before the floor (see drop),
// before its mandatory window, and expiring later. It returns nil when there
// is none.
func (s *TokenSource) load(ctx context.Context) (*result, error) {
	data, err := cacheCall(ctx, s, "Load", func(ctx context.Context) ([]byte, error) {
		return s.cache.Load(ctx, s.cacheKey)
	}, nil)
	if errors.Is(err, ErrCacheMiss) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	res, err := open(s.aead, s.cacheKey, data)
	if err != nil {
		s.cacheFailed("open", err)
		return nil, nil
	}
	if !res.usable(s.now()) {
		return nil, nil
	}
	s.mu.Lock()
	rejected, floor := s.rejected, s.floor
	s.mu.Unlock()
	if res.gen == rejected || res.issued.Before(floor) {
		return nil, nil
	}
	if e := s.cur.Load(); e != nil && !res.expiry.After(e.tok.Expiry) {
		return nil, nil
	}
	return res, nil
}

// cacheCall runs op, a call of the Cache named name, and returns its result,
// or ctx's error as soon as ctx ends: a Cache is user code, and one that
// ignores ctx must not hold up a refresh. A panic in op becomes its error.
// When op returns after it was given up, late (if not nil) gets its value.
// The process's own memory cache is called directly.
func cacheCall[T any](ctx context.Context, s *TokenSource, name string, op func(context.Context) (T, error), late func(T)) (T, error) {
	if _, ok := s.cache.(*memoryCache); ok {
		return op(ctx)
	}
	type outcome struct {
		v   T
		err error
	}
	ch := make(chan outcome, 1)
	go func() {
		var o outcome
		defer func() {
			if p := recover(); p != nil {
				o = outcome{err: panicError("Cache."+name, p, s.cfg.APISecretKey)}
			}
			ch <- o
		}()
		o.v, o.err = op(ctx)
	}()
	select {
	case o := <-ch:
		return o.v, o.err
	case <-ctx.Done():
		if late != nil {
			go func() {
				if o := <-ch; o.err == nil {
					late(o.v)
				}
			}()
		}
		var zero T
		return zero, fmt.Errorf("entityauth: Cache.%s did not return in time: %w", name, context.Cause(ctx))
	}
}

// cacheFailed logs the first Cache failure of the TokenSource.
func (s *TokenSource) cacheFailed(op string, err error) {
	if s.cfg.Logger == nil || !s.cacheWarned.CompareAndSwap(false, true) {
		return
	}
	s.cfg.Logger.LogAttrs(s.ctx, slog.LevelWarn, "entityauth: cache failed; fetching directly",
		slog.String("op", op), slog.String("error", err.Error()))
}

// processCache is the Cache of every TokenSource whose Config has none, so
// that the sources of equal Configs in one process share one token.
var processCache = newMemoryCache()

// memoryCache is a Cache in the process's memory. Entries and locks expire
// after their ttl.
type memoryCache struct {
	mu      sync.Mutex
	entries map[string]memoryEntry
	locks   map[string]time.Time     // key -> lock expiry
	waiters map[string]chan struct{} // key -> closed at its next Store or unlock
}

type memoryEntry struct {
	data    []byte
	expires time.Time
}

func newMemoryCache() *memoryCache {
	return &memoryCache{entries: map[string]memoryEntry{}, locks: map[string]time.Time{}, waiters: map[string]chan struct{}{}}
}

// Load implements Cache.
func (m *memoryCache) Load(_ context.Context, key string) ([]byte, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	e, ok := m.entries[key]
	if !ok || !time.Now().Before(e.expires) {
		return nil, ErrCacheMiss
	}
	return e.data, nil
}

// Store implements Cache. It drops the expired entries.
func (m *memoryCache) Store(_ context.Context, key string, entry []byte, ttl time.Duration) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	now := time.Now()
	for k, e := range m.entries {
		if !now.Before(e.expires) {
			delete(m.entries, k)
		}
	}
	m.entries[key] = memoryEntry{data: bytes.Clone(entry), expires: now.Add(ttl)}
	m.notifyLocked(key)
	return nil
}

// Lock implements Cache.
func (m *memoryCache) Lock(_ context.Context, key string, ttl time.Duration) (func(context.Context) error, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if exp, ok := m.locks[key]; ok && time.Now().Before(exp) {
		return nil, ErrLocked
	}
	exp := time.Now().Add(ttl)
	m.locks[key] = exp
	return func(context.Context) error {
		m.mu.Lock()
		defer m.mu.Unlock()
		if m.locks[key].Equal(exp) {
			delete(m.locks, key)
			m.notifyLocked(key)
		}
		return nil
	}, nil
}

// evict removes key's entry if holds reports that it holds a rejected token.
func (m *memoryCache) evict(key string, holds func(entry []byte) bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if e, ok := m.entries[key]; ok && holds(e.data) {
		delete(m.entries, key)
	}
}

// changed returns a channel that is closed at the next Store or unlock of key.
func (m *memoryCache) changed(key string) <-chan struct{} {
	m.mu.Lock()
	defer m.mu.Unlock()
	ch, ok := m.waiters[key]
	if !ok {
		ch = make(chan struct{})
		m.waiters[key] = ch
	}
	return ch
}

func (m *memoryCache) notifyLocked(key string) {
	if ch, ok := m.waiters[key]; ok {
		close(ch)
		delete(m.waiters, key)
	}
}
