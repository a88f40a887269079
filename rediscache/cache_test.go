package rediscache_test

import (
	"bytes"
	"context"
	"errors"
	"net"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/entity-studio-go/entityauth"
	"github.com/entity-studio-go/entityauth/rediscache"
)

const testKey = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

func TestRedisLoadStore(t *testing.T) {
	addr := testRedisAddr(t)
	rc := newTestClient(t, addr)
	prefix := testPrefix(t)
	c := rediscache.New(rc, rediscache.Options{Prefix: prefix})
	ctx := t.Context()

	if _, err := c.Load(ctx, testKey); !errors.Is(err, entityauth.ErrCacheMiss) {
		t.Fatalf("Load of an absent key: err = %v; want ErrCacheMiss", err)
	}
	entry := []byte("sealed\x00bytes\xff")
	const ttl = 90 * time.Minute
	if err := c.Store(ctx, testKey, entry, ttl); err != nil {
		t.Fatalf("Store: %v", err)
	}
	got, err := c.Load(ctx, testKey)
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	if !bytes.Equal(got, entry) {
		t.Errorf("Load = %q; want %q", got, entry)
	}
	// The entry lives under the prefix, with the TTL it was given.
	pttl, err := rc.PTTL(ctx, prefix+testKey).Result()
	if err != nil {
		t.Fatal(err)
	}
	if pttl <= ttl-time.Minute || pttl > ttl {
		t.Errorf("PTTL = %v; want within a minute below %v", pttl, ttl)
	}

	// Store replaces the entry and its TTL.
	if err := c.Store(ctx, testKey, []byte("newer"), time.Minute); err != nil {
		t.Fatalf("Store: %v", err)
	}
	if got, _ := c.Load(ctx, testKey); string(got) != "newer" {
		t.Errorf("Load after a second Store = %q; want %q", got, "newer")
	}
	if pttl, _ := rc.PTTL(ctx, prefix+testKey).Result(); pttl > time.Minute || pttl < 50*time.Second {
		t.Errorf("PTTL after a second Store = %v; want about 1m", pttl)
	}

	// An entry that would be expired already is not stored.
	if err := c.Store(ctx, "other", []byte("x"), 0); err != nil {
		t.Fatalf("Store with ttl 0: %v", err)
	}
	if n, _ := rc.Exists(ctx, prefix+"other").Result(); n != 0 {
		t.Errorf("Store with ttl 0 created the key")
	}
}

func TestRedisDefaultPrefix(t *testing.T) {
	addr := testRedisAddr(t)
	rc := newTestClient(t, addr)
	c := rediscache.New(rc, rediscache.Options{})
	key := testPrefix(t) // unique, so parallel runs do not collide
	if err := c.Store(t.Context(), key, []byte("v"), time.Minute); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { rc.Del(context.Background(), rediscache.DefaultPrefix+key) })
	if got, err := rc.Get(t.Context(), rediscache.DefaultPrefix+key).Result(); err != nil || got != "v" {
		t.Errorf("GET %s = %q, %v; want \"v\", nil", rediscache.DefaultPrefix+key, got, err)
	}
}

func TestRedisLock(t *testing.T) {
	addr := testRedisAddr(t)
	prefix := testPrefix(t)
	// Two replicas, each with its own client.
	a := rediscache.New(newTestClient(t, addr), rediscache.Options{Prefix: prefix})
	b := rediscache.New(newTestClient(t, addr), rediscache.Options{Prefix: prefix})
	rc := newTestClient(t, addr)
	ctx := t.Context()
	lockKey := prefix + testKey + ":lock"

	unlock, err := a.Lock(ctx, testKey, 30*time.Second)
	if err != nil {
		t.Fatalf("a.Lock: %v", err)
	}
	if pttl, _ := rc.PTTL(ctx, lockKey).Result(); pttl <= 25*time.Second || pttl > 30*time.Second {
		t.Errorf("PTTL of the lock = %v; want about 30s", pttl)
	}
	if _, err := b.Lock(ctx, testKey, 30*time.Second); !errors.Is(err, entityauth.ErrLocked) {
		t.Fatalf("b.Lock while a holds it: err = %v; want ErrLocked", err)
	}
	if _, err := a.Lock(ctx, testKey, 30*time.Second); !errors.Is(err, entityauth.ErrLocked) {
		t.Fatalf("a.Lock again while a holds it: err = %v; want ErrLocked", err)
	}
	// Another key has a lock of its own.
	unlockOther, err := b.Lock(ctx, "other", time.Second)
	if err != nil {
		t.Fatalf("b.Lock of another key: %v", err)
	}
	defer func() { _ = unlockOther(ctx) }()

	if err := unlock(ctx); err != nil {
		t.Fatalf("unlock: %v", err)
	}
	if n, _ := rc.Exists(ctx, lockKey).Result(); n != 0 {
		t.Fatalf("lock key still exists after unlock")
	}
	unlockB, err := b.Lock(ctx, testKey, 30*time.Second)
	if err != nil {
		t.Fatalf("b.Lock after a's unlock: %v", err)
	}
	// A second call of a's unlock does nothing: it must not release b's lock.
	if err := unlock(ctx); err != nil {
		t.Errorf("second unlock: %v", err)
	}
	if n, _ := rc.Exists(ctx, lockKey).Result(); n != 1 {
		t.Fatalf("a's second unlock released b's lock")
	}
	// Unlock works with a cancelled context: a holder always gets to release.
	cancelled, cancel := context.WithCancel(ctx)
	cancel()
	if err := unlockB(cancelled); err != nil {
		t.Fatalf("unlock with a cancelled context: %v", err)
	}
	if n, _ := rc.Exists(ctx, lockKey).Result(); n != 0 {
		t.Fatalf("lock key still exists after unlock with a cancelled context")
	}
}

// A holder whose lock expired and was taken by another must not release the
// other's lock.
func TestRedisUnlockAfterExpiryKeepsNewHolder(t *testing.T) {
	addr := testRedisAddr(t)
	prefix := testPrefix(t)
	rc := newTestClient(t, addr)
	c := rediscache.New(newTestClient(t, addr), rediscache.Options{Prefix: prefix})
	ctx := t.Context()
	lockKey := prefix + testKey + ":lock"

	unlock, err := c.Lock(ctx, testKey, 30*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	// The lock expires and another replica takes it: the same as replacing it.
	if err := rc.Set(ctx, lockKey, "someone-else", 30*time.Second).Err(); err != nil {
		t.Fatal(err)
	}
	if err := unlock(ctx); !errors.Is(err, rediscache.ErrLockLost) {
		t.Errorf("unlock of a lost lock: err = %v; want ErrLockLost", err)
	}
	if got, _ := rc.Get(ctx, lockKey).Result(); got != "someone-else" {
		t.Errorf("lock value after a stale unlock = %q; want %q", got, "someone-else")
	}
}

// A lock that is never released expires after its TTL.
func TestRedisLockExpires(t *testing.T) {
	addr := testRedisAddr(t)
	prefix := testPrefix(t)
	a := rediscache.New(newTestClient(t, addr), rediscache.Options{Prefix: prefix})
	b := rediscache.New(newTestClient(t, addr), rediscache.Options{Prefix: prefix})
	if _, err := a.Lock(t.Context(), testKey, 150*time.Millisecond); err != nil {
		t.Fatal(err)
	}
	var unlock func(context.Context) error
	waitFor(t, 5*time.Second, "b could not take the lock that a never released", func() bool {
		var err error
		unlock, err = b.Lock(t.Context(), testKey, time.Second)
		return err == nil
	})
	if err := unlock(t.Context()); err != nil {
		t.Errorf("unlock: %v", err)
	}
}

// A Redis that is down makes every operation fail within OpTimeout, with an
// error that is neither a miss nor ErrLocked, so the TokenSource falls back.
func TestCacheDown(t *testing.T) {
	port := freePort(t) // nothing listens there any more
	rc := newClient(t, &redis.Options{Addr: net.JoinHostPort("127.0.0.1", strconv.Itoa(port)), MaxRetries: -1})
	const opTimeout = 100 * time.Millisecond
	c := rediscache.New(rc, rediscache.Options{OpTimeout: opTimeout})
	ctx := t.Context()

	for _, op := range []struct {
		name string
		do   func() error
	}{
		{"Load", func() error { _, err := c.Load(ctx, testKey); return err }},
		{"Store", func() error { return c.Store(ctx, testKey, []byte("x"), time.Minute) }},
		{"Lock", func() error { _, err := c.Lock(ctx, testKey, time.Minute); return err }},
	} {
		start := time.Now()
		err := op.do()
		elapsed := time.Since(start)
		if err == nil || errors.Is(err, entityauth.ErrCacheMiss) || errors.Is(err, entityauth.ErrLocked) {
			t.Errorf("%s with Redis down: err = %v; want a connection error or a timeout", op.name, err)
			continue
		}
		if !strings.HasPrefix(err.Error(), "rediscache: ") {
			t.Errorf("%s error = %q; want the prefix \"rediscache: \"", op.name, err)
		}
		if elapsed > time.Second {
			t.Errorf("%s with Redis down took %v; want about %v", op.name, elapsed, opTimeout)
		}
	}
}

// A Redis that does not answer costs a caller OpTimeout, not the client's
// ReadTimeout, even though go-redis ignores context deadlines on the socket
// by default.
func TestRedisSlowIsBounded(t *testing.T) {
	addr := testRedisAddr(t)
	proxy := startSlowProxy(t, addr)
	rc := newClient(t, &redis.Options{Addr: proxy.Addr(), MaxRetries: -1, ReadTimeout: 10 * time.Second})
	const opTimeout = 100 * time.Millisecond
	prefix := testPrefix(t)
	c := rediscache.New(rc, rediscache.Options{Prefix: prefix, OpTimeout: opTimeout})
	ctx := t.Context()
	if err := rc.Ping(ctx).Err(); err != nil { // warm the connection while Redis is quick
		t.Fatalf("PING: %v", err)
	}

	proxy.SetDelay(2 * time.Second)
	for _, op := range []struct {
		name string
		do   func() error
	}{
		{"Load", func() error { _, err := c.Load(ctx, testKey); return err }},
		{"Store", func() error { return c.Store(ctx, testKey, []byte("x"), time.Minute) }},
		{"Lock", func() error { _, err := c.Lock(ctx, testKey, time.Minute); return err }},
	} {
		start := time.Now()
		err := op.do()
		elapsed := time.Since(start)
		if !errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("%s with a slow Redis: err = %v; want context.DeadlineExceeded", op.name, err)
		}
		if elapsed > time.Second {
			t.Errorf("%s with a slow Redis took %v; want about %v", op.name, elapsed, opTimeout)
		}
	}
}

// A Lock whose answer arrives after OpTimeout took the lock in Redis although
// the caller was told it failed; the Cache then releases it rather than leave
// the fleet waiting out the lock's TTL.
func TestRedisLateLockIsReleased(t *testing.T) {
	addr := testRedisAddr(t)
	proxy := startSlowProxy(t, addr)
	rc := newClient(t, &redis.Options{Addr: proxy.Addr(), MaxRetries: -1})
	direct := newTestClient(t, addr)
	prefix := testPrefix(t)
	c := rediscache.New(rc, rediscache.Options{Prefix: prefix, OpTimeout: 50 * time.Millisecond})
	ctx := t.Context()
	if err := rc.Ping(ctx).Err(); err != nil { // warm the connection
		t.Fatalf("PING: %v", err)
	}
	lockKey := prefix + testKey + ":lock"

	proxy.SetDelay(300 * time.Millisecond)
	if _, err := c.Lock(ctx, testKey, time.Hour); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Lock through a slow proxy: err = %v; want context.DeadlineExceeded", err)
	}
	// The SET NX reached Redis at once: the lock is held.
	if n, _ := direct.Exists(ctx, lockKey).Result(); n != 1 {
		t.Fatalf("lock key does not exist after a late Lock")
	}
	proxy.SetDelay(0)
	waitFor(t, 10*time.Second, "the lock taken after the timeout was never released", func() bool {
		n, _ := direct.Exists(ctx, lockKey).Result()
		return n == 0
	})
}
