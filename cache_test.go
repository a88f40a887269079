package entityauth

import (
	"bytes"
	"context"
	"errors"
	"regexp"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/entity-studio-go/entityauth/entityauthtest"
)

// TestCacheSharesTokens checks that a second TokenSource (another process)
// takes the first one's token from the Cache without a request, and that the
// Cache holds it sealed.
func TestCacheSharesTokens(t *testing.T) {
	bubble(t, entityauthtest.Options{}, func(t *testing.T, srv *entityauthtest.Server) {
		c, cache := cachedConfig(srv)
		var events []RefreshEvent
		c.OnRefresh = func(ev RefreshEvent) { events = append(events, ev) }
		first := mustToken(t, c.TokenSource(t.Context()))
		second := mustToken(t, c.TokenSource(t.Context()))
		if second.AccessToken != first.AccessToken || !second.Expiry.Equal(first.Expiry) {
			t.Errorf("second source's token differs from the first's")
		}
		if got := srv.TokenRequests(); got != 1 {
			t.Errorf("token requests = %d; want 1", got)
		}
		if len(events) != 2 || events[0].Attempts != 1 || events[1].Attempts != 0 {
			t.Errorf("events = %+v; want a fetch of 1 attempt, then one from the cache", events)
		}
		entry := cache.entries[c.CacheKey()]
		if bytes.Contains(entry.data, []byte(first.AccessToken)) || bytes.Contains(entry.data, []byte(c.APISecretKey)) {
			t.Errorf("the cache entry holds the token or the key in clear")
		}
		if want := first.Expiry; !entry.expires.Equal(want) {
			t.Errorf("entry expires %v; want the token's expiry %v", entry.expires, want)
		}
		// A source with another key (another app) cannot use the entry.
		other := *c
		other.APISecretKey = c.APISecretKey + "x"
		if other.CacheKey() == c.CacheKey() {
			t.Fatalf("CacheKey ignores the key")
		}
		if _, err := open(newAEAD(other.APISecretKey), c.CacheKey(), entry.data); err == nil {
			t.Errorf("an entry opened under another key")
		}
		if _, err := open(newAEAD(c.APISecretKey), other.CacheKey(), entry.data); err == nil {
			t.Errorf("an entry opened under another cache key (its additional data)")
		}
	})
}

// TestCacheRefreshAhead checks that a refresh-ahead takes a newer token that
// another process stored, and otherwise fetches and stores one.
func TestCacheRefreshAhead(t *testing.T) {
	bubble(t, entityauthtest.Options{}, func(t *testing.T, srv *entityauthtest.Server) {
		c, _ := cachedConfig(srv)
		a, b := c.TokenSource(t.Context()), c.TokenSource(t.Context())
		first := mustToken(t, a)
		mustToken(t, b)
		sleepUntil(first.Expiry.Add(-50 * time.Minute))
		mustToken(t, a) // starts a's background refresh
		synctest.Wait()
		if got := srv.TokenRequests(); got != 2 {
			t.Fatalf("token requests after a's refresh = %d; want 2", got)
		}
		mustToken(t, b) // b's refresh finds a's new token
		synctest.Wait()
		ta, tb := mustToken(t, a), mustToken(t, b)
		if ta == first || ta.AccessToken != tb.AccessToken || srv.TokenRequests() != 2 {
			t.Errorf("a and b share a new token: %v; requests %d; want true, 2", ta.AccessToken == tb.AccessToken, srv.TokenRequests())
		}
	})
}

// TestCacheLockedElsewhere checks the three answers to a lock held by
// another process: keep serving a usable token, poll until the holder
// stores, or fetch once the lock's ttl has passed.
func TestCacheLockedElsewhere(t *testing.T) {
	t.Run("keep serving", func(t *testing.T) {
		bubble(t, entityauthtest.Options{}, func(t *testing.T, srv *entityauthtest.Server) {
			c, cache := cachedConfig(srv)
			ts := c.TokenSource(t.Context())
			first := mustToken(t, ts)
			if _, err := cache.Lock(context.Background(), c.CacheKey(), 10*time.Hour); err != nil {
				t.Fatal(err)
			}
			sleepUntil(first.Expiry.Add(-50 * time.Minute))
			for range 10 {
				if tok := mustToken(t, ts); tok != first {
					t.Fatal("token changed")
				}
				time.Sleep(time.Second)
			}
			if got := srv.TokenRequests(); got != 1 {
				t.Errorf("token requests while locked elsewhere = %d; want 1", got)
			}
		})
	})
	t.Run("poll until stored", func(t *testing.T) {
		bubble(t, entityauthtest.Options{}, func(t *testing.T, srv *entityauthtest.Server) {
			c, cache := cachedConfig(srv)
			unlock, err := cache.Lock(context.Background(), c.CacheKey(), time.Minute)
			if err != nil {
				t.Fatal(err)
			}
			holder := c.TokenSource(t.Context()) // the other process, as if it held the lock
			go func() {
				time.Sleep(3 * time.Second)
				tok, _, err := holder.fetcher.fetch(context.Background(), nil)
				if err != nil {
					t.Error(err)
					return
				}
				data, _ := seal(holder.aead, holder.cacheKey, tok)
				_ = cache.Store(context.Background(), c.CacheKey(), data, time.Hour)
				_ = unlock(context.Background())
			}()
			start := time.Now()
			tok := mustToken(t, c.TokenSource(t.Context()))
			if el := time.Since(start); tok == nil || el < 3*time.Second || el > 3*time.Second+pollCap+pollBase {
				t.Errorf("waited %v for the holder; want 3s plus at most one poll", el)
			}
			if got := srv.TokenRequests(); got != 1 {
				t.Errorf("token requests = %d; want 1 (the holder's)", got)
			}
		})
	})
	// A holder took the lock and died, for a short lock and for the lock a
	// TokenSource takes with the default refresh timeout. Five waiters poll;
	// they outlive the lock, and once it expires one takes it and refreshes
	// for all.
	for _, lock := range []struct {
		name string
		ttl  func(*Config, *testing.T) time.Duration
	}{
		{"holder died", func(*Config, *testing.T) time.Duration { return 5 * time.Second }},
		{"holder died with the default lock", func(c *Config, t *testing.T) time.Duration {
			return c.TokenSource(t.Context()).lockTTL()
		}},
	} {
		t.Run(lock.name, func(t *testing.T) {
			bubble(t, entityauthtest.Options{}, func(t *testing.T, srv *entityauthtest.Server) {
				c, cache := cachedConfig(srv)
				ttl := lock.ttl(c, t)
				if _, err := cache.Lock(context.Background(), c.CacheKey(), ttl); err != nil {
					t.Fatal(err)
				}
				start := time.Now()
				var wg sync.WaitGroup
				for range 5 {
					ts := c.TokenSource(t.Context())
					wg.Go(func() { mustToken(t, ts) })
				}
				wg.Wait()
				if el := time.Since(start); el < ttl || el > ttl+2*(pollCap+pollBase) {
					t.Errorf("waiters got a token after %v; want soon after the dead holder's %v lock expired", el, ttl)
				}
				if got := srv.TokenRequests(); got != 1 {
					t.Errorf("token requests = %d; want 1 (one waiter refreshes for all)", got)
				}
			})
		})
	}
	t.Run("fetch after polling", func(t *testing.T) {
		bubble(t, entityauthtest.Options{}, func(t *testing.T, srv *entityauthtest.Server) {
			c, cache := cachedConfig(srv)
			c.RefreshTimeout = 20 * time.Second
			if _, err := cache.Lock(context.Background(), c.CacheKey(), time.Hour); err != nil {
				t.Fatal(err)
			}
			start := time.Now()
			mustToken(t, c.TokenSource(t.Context()))
			if want := 10*time.Second + pollCap; time.Since(start) < want || time.Since(start) > want+pollCap+pollBase {
				t.Errorf("fetched after %v; want after polling for the lock's ttl (half the 20s refresh timeout) and one poll", time.Since(start))
			}
		})
	})
}

// TestCacheFailureFallsBack checks that a failing Cache costs nothing but
// one log record: tokens are fetched directly.
func TestCacheFailureFallsBack(t *testing.T) {
	bubble(t, entityauthtest.Options{}, func(t *testing.T, srv *entityauthtest.Server) {
		cache := newMemCache()
		cache.setErr(errors.New("connection refused"))
		logger, logs := newLogger()
		c := configFor(srv)
		c.Cache = cache
		c.Logger = logger
		ts := c.TokenSource(t.Context())
		first := mustToken(t, ts)
		sleepUntil(first.Expiry.Add(-50 * time.Minute))
		mustToken(t, ts)
		synctest.Wait()
		if got := srv.TokenRequests(); got != 2 {
			t.Errorf("token requests = %d; want 2", got)
		}
		if loads, _ := cache.counts(); loads != 2 {
			t.Errorf("cache loads = %d; want 2", loads)
		}
		if n := strings.Count(logs.String(), "cache failed"); n != 1 {
			t.Errorf("cache failure logged %d times; want once:\n%s", n, logs)
		}
	})
}

// TestCacheTamperedEntry checks that an entry that does not open is a miss.
func TestCacheTamperedEntry(t *testing.T) {
	bubble(t, entityauthtest.Options{}, func(t *testing.T, srv *entityauthtest.Server) {
		c, cache := cachedConfig(srv)
		first := mustToken(t, c.TokenSource(t.Context()))
		e := cache.entries[c.CacheKey()]
		e.data[len(e.data)-1] ^= 1
		time.Sleep(time.Second)
		second := mustToken(t, c.TokenSource(t.Context()))
		if second.AccessToken == first.AccessToken || srv.TokenRequests() != 2 {
			t.Errorf("a tampered entry was served")
		}
	})
}

// TestCacheInvalidateSkipsRejected checks that after Invalidate the
// TokenSource does not take the rejected token back from the Cache.
func TestCacheInvalidateSkipsRejected(t *testing.T) {
	bubble(t, entityauthtest.Options{}, func(t *testing.T, srv *entityauthtest.Server) {
		c, _ := cachedConfig(srv)
		ts := c.TokenSource(t.Context())
		first := mustToken(t, ts)
		time.Sleep(time.Second)
		if !ts.Invalidate(first) {
			t.Fatal("Invalidate = false")
		}
		second := mustToken(t, ts)
		if second.AccessToken == first.AccessToken || srv.TokenRequests() != 2 {
			t.Errorf("the rejected token came back from the cache")
		}
		if third := mustToken(t, c.TokenSource(t.Context())); third.AccessToken != second.AccessToken {
			t.Errorf("the new token was not stored")
		}
	})
}

func TestCacheKey(t *testing.T) {
	base := Config{APISecretKey: "k.v", Origin: "https://a.example", GrantType: "access_service_ssi", Lifetime: time.Hour}
	key := base.CacheKey()
	if !regexp.MustCompile(`^[0-9a-f]{64}$`).MatchString(key) {
		t.Fatalf("CacheKey = %q; want 64 hex digits", key)
	}
	same := base
	same.BaseURL = DefaultBaseURL + "/"
	same.Logger, _ = newLogger()
	same.MaxAttempts = 7
	if same.CacheKey() != key {
		t.Errorf("CacheKey depends on fields that do not change the token")
	}
	for name, change := range map[string]func(*Config){
		"key":        func(c *Config) { c.APISecretKey = "k.w" },
		"base URL":   func(c *Config) { c.BaseURL = "https://other.example" },
		"origin":     func(c *Config) { c.Origin = "" },
		"grant type": func(c *Config) { c.GrantType = "access_service_kyc" },
		"lifetime":   func(c *Config) { c.Lifetime = 2 * time.Hour },
		"boundaries": func(c *Config) { c.Origin, c.GrantType = "https://a.exampleaccess_service_ssi", "" },
	} {
		c := base
		change(&c)
		if c.CacheKey() == key {
			t.Errorf("CacheKey ignores the %s", name)
		}
	}
}

// TestCacheLockedElsewhereDuringAdvisory checks a lock held elsewhere for the
// whole advisory window: a refresh that obtains nothing fails (ErrLocked) and
// backs off, rather than counting as a success every second, and a caller in
// the mandatory window waits no longer than half of what its token has left
// before the source fetches itself.
func TestCacheLockedElsewhereDuringAdvisory(t *testing.T) {
	bubble(t, entityauthtest.Options{}, func(t *testing.T, srv *entityauthtest.Server) {
		c, cache := cachedConfig(srv)
		var events []RefreshEvent
		c.OnRefresh = func(ev RefreshEvent) { events = append(events, ev) }
		ts := c.TokenSource(t.Context())
		first := mustToken(t, ts)
		if _, err := cache.Lock(context.Background(), c.CacheKey(), 10*time.Hour); err != nil {
			t.Fatal(err)
		}
		sleepUntil(first.Expiry.Add(-50 * time.Minute))
		for time.Until(first.Expiry) > MaxMandatoryWindow+time.Second {
			if tok := mustToken(t, ts); tok != first {
				t.Fatal("token changed while the lock was held elsewhere")
			}
			time.Sleep(time.Second)
		}
		synctest.Wait()
		refreshes := events[1:]
		if len(refreshes) == 0 || len(refreshes) > 20 {
			t.Errorf("background refreshes in 49 min of a lock held elsewhere = %d; want 1 to 20 (backing off)", len(refreshes))
		}
		for i, ev := range refreshes {
			if !errors.Is(ev.Err, ErrLocked) || !ev.Expiry.IsZero() || ev.Attempts != 0 {
				t.Fatalf("refresh %d = %+v; want a failure wrapping ErrLocked, no expiry, 0 attempts", i, ev)
			}
		}

		sleepUntil(first.Expiry.Add(-30 * time.Second))
		start := time.Now()
		tok := mustToken(t, ts)
		if el := time.Since(start); el > 15*time.Second+pollCap || tok == first {
			t.Errorf("mandatory window, 30 s left: new token %v after %v; want one within half the time left", tok != first, el)
		}
		if got := srv.TokenRequests(); got != 2 {
			t.Errorf("token requests = %d; want 2", got)
		}
	})
}

// TestCacheEntryGeneration: a sealed entry carries its token's generation,
// so that every source that loads it tells it from another token of the
// same text; an entry sealed before generations existed gets one from its
// seal, the same at every open, and another than any other entry's.
func TestCacheEntryGeneration(t *testing.T) {
	c := &Config{APISecretKey: "k.v"}
	aead, key := newAEAD(c.APISecretKey), c.CacheKey()
	now := time.Now().Round(0)
	res := &result{accessToken: "same.text", tokenType: "Bearer", issued: now, expiry: now.Add(time.Hour), gen: newGeneration()}
	openGen := func(r *result) (gen uint64, data []byte) {
		t.Helper()
		data, err := seal(aead, key, r)
		if err != nil {
			t.Fatal(err)
		}
		got, err := open(aead, key, data)
		if err != nil {
			t.Fatal(err)
		}
		return got.gen, data
	}
	if got, _ := openGen(res); got != res.gen {
		t.Errorf("generation after seal and open = %d; want %d", got, res.gen)
	}
	old := *res
	old.gen = 0 // as sealed before issue 20
	a, data := openGen(&old)
	b, _ := openGen(&old)
	again, err := open(aead, key, data)
	switch {
	case err != nil:
		t.Fatal(err)
	case a == 0 || b == 0:
		t.Errorf("generations of entries sealed without one = %d, %d; want not 0", a, b)
	case a == b:
		t.Errorf("two entries sealed without a generation got the same one")
	case again.gen != a:
		t.Errorf("an entry sealed without a generation opens as %d, then %d; want the same", a, again.gen)
	}
}
