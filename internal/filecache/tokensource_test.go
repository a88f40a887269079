package filecache_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"testing/synctest"
	"time"

	"github.com/entity-studio-go/entityauth"
	"github.com/entity-studio-go/entityauth/entityauthtest"
	"github.com/entity-studio-go/entityauth/internal/filecache"
)

// TestTokenSourceServesOnlyBeforeMandatoryWindow drives TokenSources, each
// standing for one CLI run, over one file cache in virtual time: a 4-hour
// token is served from the file until 60 s (the mandatory window) before
// its expiry, and not after.
func TestTokenSourceServesOnlyBeforeMandatoryWindow(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "entityauth")
	synctest.Test(t, func(t *testing.T) {
		srv := entityauthtest.NewPipeServer(entityauthtest.Options{RateLimit: -1})
		defer srv.Close()
		cache, err := filecache.New(dir)
		if err != nil {
			t.Fatal(err)
		}
		run := func() string {
			cfg := entityauth.Config{APISecretKey: srv.APIKey(), BaseURL: srv.URL, HTTPClient: srv.Client(), Cache: cache}
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			tok, err := cfg.TokenSource(ctx).TokenContext(ctx)
			if err != nil {
				t.Fatalf("TokenContext: %v", err)
			}
			return tok.AccessToken
		}
		first := run()
		if got := srv.TokenRequests(); got != 1 {
			t.Fatalf("token requests = %d; want 1", got)
		}
		// Inside the advisory window (the last hour), runs keep being served
		// from the file: a run never refreshes ahead of time.
		time.Sleep(4*time.Hour - 30*time.Minute)
		for range 3 {
			if run() != first || srv.TokenRequests() != 1 {
				t.Fatalf("30 min before expiry: token requests = %d; want the cached token and 1 request", srv.TokenRequests())
			}
		}
		time.Sleep(30*time.Minute - 61*time.Second)
		if run() != first || srv.TokenRequests() != 1 {
			t.Fatalf("61 s before expiry: token requests = %d; want the cached token and 1 request", srv.TokenRequests())
		}
		time.Sleep(2 * time.Second)
		if run() == first || srv.TokenRequests() != 2 {
			t.Fatalf("59 s before expiry: token requests = %d; want a new token and 2 requests", srv.TokenRequests())
		}
	})
}

// TestTokenSourceTreatsForeignEntryAsMiss: an entry that does not open
// (written under another key, or corrupted) is a miss, and the fetched
// token replaces it.
func TestTokenSourceTreatsForeignEntryAsMiss(t *testing.T) {
	srv := entityauthtest.Start(t, entityauthtest.Options{})
	cache, err := filecache.New(filepath.Join(t.TempDir(), "entityauth"))
	if err != nil {
		t.Fatal(err)
	}
	cfg := entityauth.Config{APISecretKey: srv.APIKey(), BaseURL: srv.URL, Cache: cache}
	ctx := context.Background()
	if err := cache.Store(ctx, cfg.CacheKey(), []byte("\x01sealed by someone else, under another key"), time.Hour); err != nil {
		t.Fatal(err)
	}
	if _, err := cfg.TokenSource(ctx).TokenContext(ctx); err != nil {
		t.Fatalf("TokenContext over a foreign entry: %v", err)
	}
	if _, err := cfg.TokenSource(ctx).TokenContext(ctx); err != nil {
		t.Fatal(err)
	}
	if got := srv.TokenRequests(); got != 1 {
		t.Errorf("token requests = %d; want 1 (the fetched token replaced the foreign entry)", got)
	}
	ents, _ := os.ReadDir(cache.Dir())
	if len(ents) != 1 {
		t.Errorf("files in the cache = %d; want 1", len(ents))
	}
}
