package rediscache_test

import (
	"context"
	"strings"
	"testing"

	"github.com/entity-studio-go/entityauth"
	"github.com/entity-studio-go/entityauth/entityauthtest"
	"github.com/entity-studio-go/entityauth/rediscache"
)

// TestRedisHoldsNoSecretInClear is the Redis part of the module's secret scan
// (the root package's TestSecretsNeverInClear covers every other path): after
// a TokenSource stored its token through rediscache, no key name and no value
// under its prefix holds the API key, its secret half, a token, a token's
// payload or a token's signature.
func TestRedisHoldsNoSecretInClear(t *testing.T) {
	addr := testRedisAddr(t)
	rdb := newTestClient(t, addr)
	prefix := testPrefix(t)
	srv := entityauthtest.Start(t, entityauthtest.Options{})
	cfg := &entityauth.Config{
		APISecretKey: srv.APIKey(), BaseURL: srv.URL, HTTPClient: srv.Client(),
		Cache: rediscache.New(rdb, rediscache.Options{Prefix: prefix}),
	}
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	tok, err := cfg.TokenSource(ctx).Token()
	if err != nil {
		t.Fatalf("Token with rediscache: %v", err)
	}

	key := srv.APIKey()
	_, secretHalf, _ := strings.Cut(key, ".")
	parts := strings.Split(tok.AccessToken, ".")
	if secretHalf == "" || len(parts) != 3 {
		t.Fatalf("key with %d dots, token with %d parts; want an Entity Studio key and a JWT", strings.Count(key, "."), len(parts))
	}
	secrets := map[string]string{
		key: "the API key", secretHalf: "the secret half of the API key",
		tok.AccessToken: "the token", parts[1]: "the token's payload", parts[2]: "the token's signature",
	}

	keys, err := rdb.Keys(ctx, prefix+"*").Result()
	if err != nil || len(keys) == 0 {
		t.Fatalf("Redis keys under %s: %v, %v; want the stored entry", prefix, keys, err)
	}
	for _, k := range keys {
		typ, err := rdb.Type(ctx, k).Result()
		if err != nil {
			t.Fatalf("TYPE %s: %v", k, err)
		}
		if typ != "string" {
			t.Errorf("key %s is a %s; want strings only, which this scan reads", k, typ)
			continue
		}
		v, err := rdb.Get(ctx, k).Result()
		if err != nil {
			t.Fatalf("GET %s: %v", k, err)
		}
		for secret, what := range secrets {
			if strings.Contains(k, secret) {
				t.Errorf("a key name holds %s", what)
			}
			if strings.Contains(v, secret) {
				t.Errorf("the value of a key holds %s", what)
			}
		}
	}
	t.Logf("scanned %d keys and their values for the key and the token", len(keys))
}
