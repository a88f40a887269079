package entityauth

import (
	"sync"
	"testing"
	"time"

	"github.com/entity-studio-go/entityauth/entityauthtest"
)

// TestOutageSurvival takes the token server down while a valid token is
// cached, from before the advisory window to just before the mandatory one:
// many callers keep getting the cached token and see no error, and the
// failed background refreshes do not hammer the dead host. When the server
// comes back, the token is refreshed.
func TestOutageSurvival(t *testing.T) {
	bubble(t, entityauthtest.Options{APIKey: canaryKey}, func(t *testing.T, srv *entityauthtest.Server) {
		c := configFor(srv)
		var (
			mu                sync.Mutex
			failed, refreshed int
		)
		c.OnRefresh = func(ev RefreshEvent) {
			mu.Lock()
			defer mu.Unlock()
			if ev.Err != nil {
				failed++
			} else {
				refreshed++
			}
		}
		ts := c.TokenSource(t.Context())
		first := mustToken(t, ts) // 4 h lifetime: advisory window from 3h00m-3h06m, mandatory from 3h59m
		start := time.Now()
		downAt, upAt := start.Add(time.Hour), first.Expiry.Add(-2*time.Minute)

		const callers = 50
		var (
			wg     sync.WaitGroup
			errs   int
			stale  int // calls after upAt+mandatory that still got the first token
			tokens = map[string]bool{}
		)
		end := first.Expiry.Add(-10 * time.Second) // past the mandatory window
		for i := range callers {
			wg.Go(func() {
				time.Sleep(time.Duration(i) * time.Second)
				for time.Now().Before(end) {
					tok, err := ts.Token()
					mu.Lock()
					switch {
					case err != nil:
						errs++
						if errs == 1 {
							t.Errorf("Token at %v: %v; want no error", time.Since(start), err)
						}
					case tok.AccessToken != first.AccessToken:
						tokens[tok.AccessToken] = true
					case time.Now().After(first.Expiry.Add(-MaxMandatoryWindow)):
						stale++
					}
					mu.Unlock()
					time.Sleep(20 * time.Second)
				}
			})
		}

		time.Sleep(time.Until(downAt))
		srv.SetDown(true)
		before := srv.TokenRequests()
		time.Sleep(time.Until(upAt))
		downRequests := srv.TokenRequests() - before
		mu.Lock()
		downFailures := failed
		mu.Unlock()
		srv.SetDown(false)
		wg.Wait()

		if errs != 0 {
			t.Errorf("callers saw %d errors during and after the outage; want 0", errs)
		}
		if downFailures == 0 || downRequests == 0 {
			t.Errorf("failed refreshes, requests while down = %d, %d; want background refreshes that tried", downFailures, downRequests)
		}
		// Background refreshes back off from 10 s to 5 min, 3 attempts each:
		// under an hour of advisory window that is a few dozen requests.
		if downRequests > 60 {
			t.Errorf("requests while down = %d; want at most 60 (backoff)", downRequests)
		}
		if len(tokens) != 1 {
			t.Errorf("callers saw %d new tokens after the outage; want 1", len(tokens))
		}
		if stale != 0 {
			t.Errorf("%d calls inside the mandatory window still got the old token; want 0", stale)
		}
		mu.Lock()
		defer mu.Unlock()
		if refreshed != 2 {
			t.Errorf("successful refreshes = %d; want 2 (the first token and one after the outage)", refreshed)
		}
		if got := srv.TokenRequests() - before - downRequests; got != 1 {
			t.Errorf("token requests after the outage = %d; want 1", got)
		}
		t.Logf("outage of %v: %d failed background refreshes, %d requests to the dead host, %d caller errors, one refresh after recovery",
			upAt.Sub(downAt), downFailures, downRequests, errs)
	})
}
