// Tests of issue 20, defect 1: after the server drops the session, a burst
// of calls costs one refresh and gets no 401 that the refresh fixed, through
// a shared client and through clients built per call from equal Configs,
// although the token service mints byte-identical tokens within one second.

package entityauth

import (
	"fmt"
	"net/http"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/entity-studio-go/entityauth/entityauthtest"
)

// stormCalls is the size of each burst, as in the issue.
const stormCalls = 25

// droppedSessionBurst warms a token, drops the session, and sends a burst of
// stormCalls concurrent GETs, through one client or a client built per call
// from an equal Config. It returns the number of calls not answered 200 and
// the token requests of the round, the warming one included.
func droppedSessionBurst(t *testing.T, srv *entityauthtest.Server, perCall bool) (failed, tokenRequests int) {
	t.Helper()
	shared := configFor(srv).Client(t.Context())
	client := func() *http.Client {
		if perCall {
			return configFor(srv).Client(t.Context()) // an equal Config, built anew
		}
		return shared
	}
	if got := get(t, client(), srv.URL+didPath); got != http.StatusOK {
		t.Fatalf("GET before the drop = %d; want 200", got)
	}
	srv.DropSessions()
	var wg sync.WaitGroup
	var bad atomic.Int32
	for range stormCalls {
		c := client()
		wg.Go(func() {
			if get(t, c, srv.URL+didPath) != http.StatusOK {
				bad.Add(1)
			}
		})
	}
	wg.Wait()
	return int(bad.Load()), srv.TokenRequests()
}

// TestClientDroppedSessionBurst runs many rounds of droppedSessionBurst in
// real time, against a fake on a loopback port, where the refreshed token is
// usually byte for byte the token that the API rejected (both are minted in
// the same second). Every call must succeed, and each round must cost two
// token requests: the first token and one refresh. The fake has no rate
// limit here, so that a storm shows as a count, not as minutes of probes;
// TestClientDroppedSessionBurstSynctest keeps the real limit.
func TestClientDroppedSessionBurst(t *testing.T) {
	rounds := 40
	if testing.Short() {
		rounds = 10
	}
	for _, perCall := range []bool{false, true} {
		t.Run(fmt.Sprintf("client per call %v", perCall), func(t *testing.T) {
			sameText := 0
			for round := range rounds {
				func() {
					srv := entityauthtest.NewServer(entityauthtest.Options{RateLimit: -1})
					defer srv.Close()
					failed, requests := droppedSessionBurst(t, srv, perCall)
					if failed != 0 || requests != 2 {
						t.Errorf("round %d: %d of %d calls failed, %d token requests; want 0 failed, 2 token requests",
							round, failed, stormCalls, requests)
					}
					if toks := issuedTokens(srv); len(toks) > 0 && toks[0] == toks[len(toks)-1] {
						sameText++
					}
				}()
			}
			t.Logf("%d rounds, %d of them with a refreshed token equal to the rejected one", rounds, sameText)
		})
	}
}

// TestClientDroppedSessionBurstSynctest runs droppedSessionBurst under
// testing/synctest, where every token of a round is minted in the same
// virtual second, against the fake's real rate limit, for many rounds so
// that rare interleavings show. The first round that goes wrong ends the
// test (synctest.Test fails it with FailNow).
func TestClientDroppedSessionBurstSynctest(t *testing.T) {
	rounds := 200
	if testing.Short() {
		rounds = 40
	}
	for _, perCall := range []bool{false, true} {
		t.Run(fmt.Sprintf("client per call %v", perCall), func(t *testing.T) {
			for round := range rounds {
				bubble(t, entityauthtest.Options{}, func(t *testing.T, srv *entityauthtest.Server) {
					start := time.Now()
					failed, requests := droppedSessionBurst(t, srv, perCall)
					if failed != 0 || requests != 2 || time.Since(start) != 0 {
						t.Errorf("round %d: %d of %d calls failed, %d token requests, %v (virtual); want 0 failed, 2 token requests, at once",
							round, failed, stormCalls, requests, time.Since(start))
					}
				})
			}
		})
	}
}

// hold401 is a base transport that holds the API's first 401 answer until
// release is closed, and closes held when it has one: its client's 401
// arrives late, after other clients have met the same 401 and refreshed.
type hold401 struct {
	base    http.RoundTripper
	once    sync.Once
	held    chan struct{}
	release chan struct{}
}

func newHold401(base http.RoundTripper) *hold401 {
	return &hold401{base: base, held: make(chan struct{}), release: make(chan struct{})}
}

func (h *hold401) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := h.base.RoundTrip(req)
	if err == nil && resp.StatusCode == http.StatusUnauthorized && req.URL.Path == didPath {
		first := false
		h.once.Do(func() { first = true })
		if first {
			close(h.held)
			<-h.release
		}
	}
	return resp, err
}

// TestClientLate401AfterAnothersRefresh: a client whose 401 to the token of
// a dropped session comes back only after another client met the same 401
// and refreshed retries with the refreshed token, at no further token
// request, whether the other client shares its source or was built from an
// equal Config. The refreshed token is byte for byte the rejected one (one
// virtual second), which must not make the late client's retry look like a
// fresh token rejected at once.
func TestClientLate401AfterAnothersRefresh(t *testing.T) {
	for _, perCall := range []bool{false, true} {
		t.Run(fmt.Sprintf("client per call %v", perCall), func(t *testing.T) {
			bubble(t, entityauthtest.Options{}, func(t *testing.T, srv *entityauthtest.Server) {
				hold := newHold401(srv.Client().Transport)
				late := configFor(srv)
				late.HTTPClient = &http.Client{Transport: hold} // the same CacheKey
				lateClient := late.Client(t.Context())
				other := lateClient
				if perCall {
					other = configFor(srv).Client(t.Context())
				}
				if got := get(t, lateClient, srv.URL+didPath); got != http.StatusOK {
					t.Fatalf("GET before the drop = %d; want 200", got)
				}
				srv.DropSessions()

				done := make(chan int)
				go func() { done <- get(t, lateClient, srv.URL+didPath) }()
				<-hold.held // the late call's 401 is in, and held
				if got := get(t, other, srv.URL+didPath); got != http.StatusOK {
					t.Fatalf("other client's GET after the drop = %d; want 200 after one refresh", got)
				}
				if got := srv.TokenRequests(); got != 2 {
					t.Fatalf("token requests after the other client's refresh = %d; want 2", got)
				}
				close(hold.release)
				if got := <-done; got != http.StatusOK {
					t.Errorf("late client's GET = %d; want 200, retried with the refreshed token", got)
				}
				if got := srv.TokenRequests(); got != 2 {
					t.Errorf("token requests = %d; want 2", got)
				}
			})
		})
	}
}

// TestTokenSourceLateInvalidate: an Invalidate of a token that a refresh has
// already replaced returns false and costs no fetch, although the fresh
// token is byte for byte the one replaced (one virtual second); and in a
// source built from an equal Config that still holds the rejected token, a
// late Invalidate drops that token only, so that it picks up the refreshed
// one, and costs no fetch either.
func TestTokenSourceLateInvalidate(t *testing.T) {
	bubble(t, entityauthtest.Options{}, func(t *testing.T, srv *entityauthtest.Server) {
		a := configFor(srv).TokenSource(t.Context())
		b := configFor(srv).TokenSource(t.Context())
		old := mustToken(t, a)
		oldB := mustToken(t, b)
		if !a.Invalidate(old) {
			t.Fatal("Invalidate(current token) = false; want true")
		}
		fresh := mustToken(t, a)
		if fresh.AccessToken != old.AccessToken {
			t.Fatal("the fake minted another token text within one second; the test needs the same")
		}
		if a.Invalidate(old) {
			t.Errorf("late Invalidate of the replaced token = true; want false")
		}
		if got := mustToken(t, a); got != fresh {
			t.Errorf("Token after a late Invalidate is not the refreshed token")
		}
		if got := srv.TokenRequests(); got != 2 {
			t.Errorf("token requests after a late Invalidate = %d; want 2", got)
		}

		b.Invalidate(oldB) // b still holds the rejected token, and drops it
		if got := mustToken(t, b); got == oldB {
			t.Errorf("b serves the token it invalidated")
		}
		if got := mustToken(t, a); got != fresh {
			t.Errorf("a late Invalidate in another source dropped the refreshed token")
		}
		if got := srv.TokenRequests(); got != 2 {
			t.Errorf("token requests after a late Invalidate in another source = %d; want 2", got)
		}
	})
}

// TestClient401ToOlderGeneration: two long-lived clients of equal Configs
// hold tokens of two generations (one source has refreshed, the other not
// yet), all minted in one second, when the session ends. Both send a
// request; one 401 comes back at once, the other only after the first
// client's refresh. Whichever is first, one refresh fixes both, and neither
// call gets a 401: a late 401 to a token issued before the refresh is
// retried with the refreshed token, and a refresh started by the older
// token's 401 does not take the newer token, as stale, from the cache.
func TestClient401ToOlderGeneration(t *testing.T) {
	for _, olderFirst := range []bool{false, true} {
		t.Run(fmt.Sprintf("older first %v", olderFirst), func(t *testing.T) {
			bubble(t, entityauthtest.Options{}, func(t *testing.T, srv *entityauthtest.Server) {
				older := configFor(srv).TokenSource(t.Context())
				newer := configFor(srv).TokenSource(t.Context())
				first := mustToken(t, older)
				if tok := mustToken(t, newer); tok.AccessToken != first.AccessToken || srv.TokenRequests() != 1 {
					t.Fatal("the second source did not share the first token")
				}
				// newer moves to a second generation; older keeps the first.
				if !newer.Invalidate(mustToken(t, newer)) {
					t.Fatal("Invalidate(current token) = false; want true")
				}
				if tok := mustToken(t, newer); tok.AccessToken != first.AccessToken {
					t.Fatal("the fake minted another token text within one second; the test needs the same")
				}
				time.Sleep(time.Millisecond) // the session ends after both were minted, in the same second
				srv.DropSessions()

				early, late := newer, older
				if olderFirst {
					early, late = older, newer
				}
				hold := newHold401(srv.Client().Transport)
				lateClient := &http.Client{Transport: &Transport{Source: late, Base: hold}}
				earlyClient := &http.Client{Transport: &Transport{Source: early, Base: srv.Client().Transport}}
				done := make(chan int)
				go func() { done <- get(t, lateClient, srv.URL+didPath) }()
				<-hold.held
				if got := get(t, earlyClient, srv.URL+didPath); got != http.StatusOK {
					t.Errorf("first GET after the drop = %d; want 200", got)
				}
				close(hold.release)
				if got := <-done; got != http.StatusOK {
					t.Errorf("late GET after the drop = %d; want 200", got)
				}
				if got := srv.TokenRequests(); got != 3 {
					t.Errorf("token requests = %d; want 3 (two generations and one refresh)", got)
				}
			})
		})
	}
}
