package entityauth

import (
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
	"time"
)

// Cache stores sealed token entries beyond one TokenSource: across CLI
// invocations (a file cache) or a fleet (a Redis cache).
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
// waiter refreshes for all), for as long as a lock lasts plus one poll, and
// then fetches itself. On any other Cache error it fetches directly and logs
// the first such error.
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
}

// seal encrypts a token for the Cache under the cache key.
func seal(aead cipher.AEAD, cacheKey string, r *result) ([]byte, error) {
	st := sealedToken{AccessToken: r.accessToken, TokenType: r.tokenType, Issued: r.issued, Expiry: r.expiry}
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
	return &result{accessToken: st.AccessToken, tokenType: tt, issued: st.Issued, expiry: st.Expiry}, nil
}

// Cache polling while another holder has the lock.
const (
	pollBase = 50 * time.Millisecond
	pollCap  = 2 * time.Second
)

// obtain gets a new token for a refresh: from Config.Cache when it holds a
// better one, else from the token endpoint. A nil result with a nil error
// means "nothing new yet: keep serving the current token".
func (s *TokenSource) obtain(ctx context.Context, progress func(error)) (*result, int, error) {
	if s.cfg.Cache == nil || s.aead == nil {
		return s.fetcher.fetch(ctx, progress)
	}
	res, err := s.load(ctx)
	if err != nil {
		s.cacheFailed("load", err)
		return s.fetchAndStore(ctx, progress)
	}
	if res != nil {
		return res, 0, nil
	}
	unlock, err := s.cfg.Cache.Lock(ctx, s.cacheKey, s.lockTTL())
	switch {
	case err == nil:
		return s.fetchLocked(ctx, unlock, progress)
	case errors.Is(err, ErrLocked):
		return s.awaitHolder(ctx, progress)
	default:
		s.cacheFailed("lock", err)
		return s.fetchAndStore(ctx, progress)
	}
}

// lockTTL is how long the Cache's lock is held at most: half of the refresh
// timeout, so that waiters outlive the lock of a holder that died, and the
// other half is left for their own fetch.
func (s *TokenSource) lockTTL() time.Duration { return s.timeout / 2 }

// awaitHolder handles a lock held elsewhere: keep serving a token before
// its mandatory window, else poll Load, and the Lock after each miss, for as
// long as a lock can be held plus one poll, and then fetch.
func (s *TokenSource) awaitHolder(ctx context.Context, progress func(error)) (*result, int, error) {
	if e := s.cur.Load(); e != nil && time.Now().Before(e.mandatory) {
		return nil, 0, nil
	}
	deadline := time.Now().Add(s.lockTTL() + pollCap)
	for n := 1; time.Now().Before(deadline); n++ {
		if !sleep(ctx, pollBase+jitterBelow(expBackoff(pollBase, pollCap, n))) {
			return nil, 0, fmt.Errorf("entityauth: waiting for the cache lock's holder: %w", context.Cause(ctx))
		}
		res, err := s.load(ctx)
		if err != nil {
			s.cacheFailed("load", err)
			break
		}
		if res != nil {
			return res, 0, nil
		}
		// A holder that died leaves its lock to expire: whoever takes it
		// next refreshes for everyone, rather than every waiter fetching.
		unlock, err := s.cfg.Cache.Lock(ctx, s.cacheKey, s.lockTTL())
		switch {
		case err == nil:
			return s.fetchLocked(ctx, unlock, progress)
		case !errors.Is(err, ErrLocked):
			s.cacheFailed("lock", err)
			return s.fetchAndStore(ctx, progress)
		}
	}
	return s.fetchAndStore(ctx, progress)
}

// fetchLocked runs under the Cache's lock: it loads once more, since another
// holder may have stored a token just before the lock was taken, else it
// fetches and stores. It then releases the lock.
func (s *TokenSource) fetchLocked(ctx context.Context, unlock func(context.Context) error, progress func(error)) (*result, int, error) {
	defer func() {
		uctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
		defer cancel()
		if err := unlock(uctx); err != nil {
			s.cacheFailed("unlock", err)
		}
	}()
	if res, err := s.load(ctx); err == nil && res != nil {
		return res, 0, nil
	}
	return s.fetchAndStore(ctx, progress)
}

// fetchAndStore fetches a token and stores it sealed in the Cache.
func (s *TokenSource) fetchAndStore(ctx context.Context, progress func(error)) (*result, int, error) {
	res, n, err := s.fetcher.fetch(ctx, progress)
	if err != nil {
		return nil, n, err
	}
	data, err := seal(s.aead, s.cacheKey, res)
	if err == nil {
		err = s.cfg.Cache.Store(ctx, s.cacheKey, data, time.Until(res.expiry))
	}
	if err != nil {
		s.cacheFailed("store", err)
	}
	return res, n, nil
}

// load returns the Cache's token if it is better than the cached one: not
// rejected, before its mandatory window, and expiring later. It returns nil
// when there is none.
func (s *TokenSource) load(ctx context.Context) (*result, error) {
	data, err := s.cfg.Cache.Load(ctx, s.cacheKey)
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
	adv := advisoryWindow(res.expiry.Sub(res.issued))
	if !time.Now().Before(res.expiry.Add(-min(maxMandatory, adv/2))) {
		return nil, nil
	}
	s.mu.Lock()
	rejected := s.rejected
	s.mu.Unlock()
	if res.accessToken == rejected {
		return nil, nil
	}
	if e := s.cur.Load(); e != nil && !res.expiry.After(e.tok.Expiry) {
		return nil, nil
	}
	return res, nil
}

// cacheFailed logs the first Cache failure of the TokenSource.
func (s *TokenSource) cacheFailed(op string, err error) {
	if s.cfg.Logger == nil || !s.cacheWarned.CompareAndSwap(false, true) {
		return
	}
	s.cfg.Logger.LogAttrs(s.ctx, slog.LevelWarn, "entityauth: cache failed; fetching directly",
		slog.String("op", op), slog.String("error", err.Error()))
}
