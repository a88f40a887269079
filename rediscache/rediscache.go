// Package rediscache shares entityauth tokens across a fleet through Redis.
//
// A fleet of N replicas that each fetch their own token makes N token requests
// on every deploy and every refresh cycle, and the token endpoint limits the
// requests of each client address ([entityauth.ErrRateLimited] gives the
// limit). With a [Cache] in [entityauth.Config.Cache], the
// replicas share one token: the first to need one takes a lock, fetches, and
// stores the token; the others read it from Redis. docs/fleet.md gives the
// arithmetic of when a fleet needs this.
//
// The Cache only ever sees sealed bytes. The TokenSource encrypts each entry
// with AES-GCM under a key derived from the API secret before it calls
// [Cache.Store], and the Redis key is a hash ([entityauth.Config.CacheKey]), so
// anyone who can read Redis but lacks the secret learns nothing usable.
//
// Every operation is bounded by [Options.OpTimeout]: a slow or unreachable
// Redis makes the Cache return an error quickly, and the TokenSource then
// fetches directly. Redis is never a reason for a caller to fail.
//
// Keys, for a cache key K and the default prefix:
//
//	entityauth:K        the sealed entry; its TTL is the token's remaining lifetime (SET PX)
//	entityauth:K:lock   the refresh lock; a random token, SET NX PX, released by a
//	                    script that deletes it only while it still holds that token
package rediscache

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"sync/atomic"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/entity-studio-go/entityauth"
)

// DefaultOpTimeout bounds each Redis operation when [Options.OpTimeout] is zero.
const DefaultOpTimeout = 250 * time.Millisecond

// DefaultPrefix is put before every key when [Options.Prefix] is empty.
const DefaultPrefix = "entityauth:"

// ErrLockLost is returned by an unlock function when the lock had already
// expired (and may have been taken by another replica) before it was released.
// Nothing was deleted.
var ErrLockLost = errors.New("rediscache: lock expired before release")

// Options configures a [Cache]. The zero value is ready to use.
type Options struct {
	// Prefix is put before every Redis key. Empty means DefaultPrefix.
	// Give each environment that shares a Redis its own prefix if you want
	// them kept apart; entries of different secrets never collide anyway.
	Prefix string

	// OpTimeout bounds every Redis operation, whatever the caller's context
	// and the client's own timeouts. Zero means DefaultOpTimeout. Keep it
	// small: a token fetch is the fallback, so waiting longer for Redis than
	// for the token endpoint gains nothing.
	OpTimeout time.Duration

	// Logger receives events that no caller sees: an operation abandoned at
	// OpTimeout that later took a lock (which is then released), and a lock
	// that expired before release. Nil means no logging. Nothing logged
	// contains a secret: keys are hashes and entries are sealed.
	Logger *slog.Logger
}

// Cache is an [entityauth.Cache] backed by Redis. It is safe for concurrent
// use. Create one with [New].
type Cache struct {
	client  redis.UniversalClient
	prefix  string
	timeout time.Duration
	log     *slog.Logger
}

var _ entityauth.Cache = (*Cache)(nil)

// New returns a Cache that stores entries through client, which may be a
// *redis.Client, *redis.ClusterClient or any other [redis.UniversalClient].
// The caller keeps ownership of client and closes it.
//
// Setting ContextTimeoutEnabled in the client's options lets the operation
// deadline reach the socket too; without it, each operation still returns
// after OpTimeout, and the abandoned command ends at the client's ReadTimeout.
func New(client redis.UniversalClient, opts Options) *Cache {
	c := &Cache{client: client, prefix: opts.Prefix, timeout: opts.OpTimeout, log: opts.Logger}
	if c.prefix == "" {
		c.prefix = DefaultPrefix
	}
	if c.timeout <= 0 {
		c.timeout = DefaultOpTimeout
	}
	if c.log == nil {
		c.log = slog.New(slog.DiscardHandler)
	}
	return c
}

// Load returns the entry stored under key, or [entityauth.ErrCacheMiss] when
// there is none (or it has expired).
func (c *Cache) Load(ctx context.Context, key string) ([]byte, error) {
	b, err := bounded(ctx, c.timeout, func(ctx context.Context) ([]byte, error) {
		return c.client.Get(ctx, c.prefix+key).Bytes()
	}, nil)
	if errors.Is(err, redis.Nil) {
		return nil, entityauth.ErrCacheMiss
	}
	if err != nil {
		return nil, fmt.Errorf("rediscache: load: %w", err)
	}
	return b, nil
}

// Store sets the entry under key with a time to live of ttl (SET PX), so
// Redis drops it when the token it seals expires. A ttl below one
// millisecond stores nothing: such an entry would be expired already.
func (c *Cache) Store(ctx context.Context, key string, entry []byte, ttl time.Duration) error {
	if ttl < time.Millisecond {
		return nil
	}
	_, err := bounded(ctx, c.timeout, func(ctx context.Context) (string, error) {
		return c.client.Set(ctx, c.prefix+key, entry, ttl).Result()
	}, nil)
	if err != nil {
		return fmt.Errorf("rediscache: store: %w", err)
	}
	return nil
}

// unlockScript deletes the lock only while it still holds our token, so a
// holder whose lock expired never releases a lock that another replica took.
var unlockScript = redis.NewScript(`if redis.call("GET", KEYS[1]) == ARGV[1] then return redis.call("DEL", KEYS[1]) end return 0`)

// Lock takes the refresh lock for key (SET key:lock <random token> NX PX ttl)
// and returns a function that releases it. When another holder has it, Lock
// returns [entityauth.ErrLocked]. The lock expires after ttl even if it is
// never released, so a holder that dies blocks the others for at most ttl.
//
// The unlock function deletes the lock only if it still holds this holder's
// token; otherwise it returns [ErrLockLost]. It is bounded by OpTimeout,
// works even after ctx is cancelled, and calling it again does nothing.
func (c *Cache) Lock(ctx context.Context, key string, ttl time.Duration) (unlock func(context.Context) error, err error) {
	ttl = max(ttl, time.Millisecond)
	lockKey := c.prefix + key + ":lock"
	token := newLockToken()
	release := func(ctx context.Context) error {
		n, err := bounded(context.WithoutCancel(ctx), c.timeout, func(ctx context.Context) (int64, error) {
			return unlockScript.Run(ctx, c.client, []string{lockKey}, token).Int64()
		}, nil)
		if err != nil {
			return fmt.Errorf("rediscache: unlock: %w", err)
		}
		if n == 0 {
			c.log.Warn("rediscache: refresh lock expired before release; raise the lock TTL if refreshes take this long",
				"key", lockKey)
			return ErrLockLost
		}
		return nil
	}
	ok, err := bounded(ctx, c.timeout, func(ctx context.Context) (bool, error) {
		return c.client.SetNX(ctx, lockKey, token, ttl).Result()
	}, func(ok bool) {
		// The caller gave up before Redis answered, but the lock was taken:
		// release it now rather than make every replica wait out its TTL.
		if ok {
			c.log.Info("rediscache: releasing a lock taken after the operation timed out", "key", lockKey)
			_ = release(context.Background())
		}
	})
	if err != nil {
		return nil, fmt.Errorf("rediscache: lock: %w", err)
	}
	if !ok {
		return nil, entityauth.ErrLocked
	}
	var released atomic.Bool
	return func(ctx context.Context) error {
		if !released.CompareAndSwap(false, true) {
			return nil
		}
		return release(ctx)
	}, nil
}

// newLockToken returns 16 random bytes in hex; it identifies one holder.
func newLockToken() string {
	var b [16]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails (Go 1.24+)
	return hex.EncodeToString(b[:])
}

// result carries the outcome of an operation run by bounded.
type result[T any] struct {
	v   T
	err error
}

// bounded runs op with a context that expires after timeout and returns its
// result, or ctx's error as soon as that context is done, whether or not op
// has returned. go-redis ignores context deadlines on the socket unless the
// client enables them, so op runs in its own goroutine; when the caller gives
// up first, abandoned (if not nil) receives op's late result.
func bounded[T any](ctx context.Context, timeout time.Duration, op func(context.Context) (T, error), abandoned func(T)) (T, error) {
	ctx, cancel := context.WithTimeoutCause(ctx, timeout,
		fmt.Errorf("no answer within %v: %w", timeout, context.DeadlineExceeded))
	defer cancel()
	ch := make(chan result[T], 1)
	go func() {
		v, err := op(ctx)
		ch <- result[T]{v, err}
	}()
	select {
	case r := <-ch:
		return r.v, r.err
	case <-ctx.Done():
		select {
		case r := <-ch: // op finished as the deadline passed: keep its answer
			return r.v, r.err
		default:
		}
		if abandoned != nil {
			go func() {
				if r := <-ch; r.err == nil {
					abandoned(r.v)
				}
			}()
		}
		var zero T
		return zero, context.Cause(ctx)
	}
}
