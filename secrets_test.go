package entityauth_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"golang.org/x/oauth2"

	"github.com/entity-studio-go/entityauth"
	"github.com/entity-studio-go/entityauth/entityauthtest"
	"github.com/entity-studio-go/entityauth/internal/filecache"
	"github.com/entity-studio-go/entityauth/internal/testlog"
)

// The canaries (helpers_test.go): secretKey is the API secret key the fake
// accepts, and canaryJWT a token that fault bodies carry. Neither may ever
// show in clear.
var (
	secretKey = entityauth.CanaryKey
	canaryJWT = entityauth.CanaryToken
)

// scan collects every text that a user of the module could see, by label,
// and every token that must not appear in any of them.
type scan struct {
	mu     sync.Mutex
	texts  []labelled
	tokens map[string]bool
}

type labelled struct{ label, text string }

func newScan() *scan { return &scan{tokens: map[string]bool{canaryJWT: true}} }

func (s *scan) add(label, text string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.texts = append(s.texts, labelled{label, text})
}

// addValue adds v printed with every verb a user might use.
func (s *scan) addValue(label string, v any) {
	for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%q"} {
		s.add(label+" "+verb, fmt.Sprintf(verb, v))
	}
	s.add(label+" Sprint", fmt.Sprint(v))
}

// addErr adds err's text in every form, and those of the *Error and the
// *oauth2.RetrieveError it wraps.
func (s *scan) addErr(label string, err error) {
	if err == nil {
		return
	}
	s.addValue(label, err)
	var e *entityauth.Error
	if errors.As(err, &e) {
		s.addValue(label+" *Error", e)
		s.addValue(label+" *Error.Message", e.Message)
	}
	var re *oauth2.RetrieveError
	if errors.As(err, &re) {
		s.addValue(label+" RetrieveError", re)
		s.add(label+" RetrieveError.Body", string(re.Body))
		s.add(label+" RetrieveError fields", re.ErrorCode+" "+re.ErrorDescription+" "+re.ErrorURI)
		if re.Response != nil && re.Response.Request != nil {
			s.addValue(label+" RetrieveError request header", re.Response.Request.Header)
		}
	}
}

// addToken records a token that must not appear.
func (s *scan) addToken(tok string) {
	if tok == "" {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.tokens[tok] = true
}

// addIssued records every bearer token srv has seen.
func (s *scan) addIssued(srv *entityauthtest.Server) {
	for _, r := range srv.Requests() {
		if tok, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer "); ok {
			s.addToken(tok)
		}
	}
}

// check fails the test for every text that holds the key or a token, naming
// the text but never printing it.
func (s *scan) check(t *testing.T) {
	t.Helper()
	s.mu.Lock()
	defer s.mu.Unlock()
	secrets := map[string]string{
		secretKey:                            "the API secret key",
		strings.SplitN(secretKey, ".", 2)[1]: "the secret half of the API secret key",
	}
	for tok := range s.tokens {
		secrets[tok] = fmt.Sprintf("a token (%.8s…)", tok)
		if parts := strings.Split(tok, "."); len(parts) == 3 {
			secrets[parts[1]] = fmt.Sprintf("the payload of a token (%.8s…)", parts[1])
			if len(parts[2]) >= 16 {
				secrets[parts[2]] = fmt.Sprintf("the signature of a token (%.8s…)", parts[2])
			}
		}
	}
	leaks := 0
	for _, lt := range s.texts {
		for secret, what := range secrets {
			if strings.Contains(lt.text, secret) {
				leaks++
				t.Errorf("%s holds %s", lt.label, what)
			}
		}
	}
	if len(s.tokens) < 3 {
		t.Errorf("only %d tokens to look for; want the canary and those the fake issued", len(s.tokens))
	}
	t.Logf("scanned %d texts for the key and %d tokens: %d leaks", len(s.texts), len(s.tokens), leaks)
}

// TestSecretsNeverInClear runs every public path of the root package with a
// canary key against the fake: token fetches, the Client with a refresh after
// a 401, every class of error, debug logs, fmt and slog of every exported
// type, and the file cache's files (rediscache's TestRedisHoldsNoSecretInClear
// scans Redis, so that this package's tests, which every consumer's
// `go mod tidy` loads, need no Redis client). Neither the key nor any token the fake
// issued may appear in clear in any of them.
func TestSecretsNeverInClear(t *testing.T) {
	sc := newScan()
	cacheDir := filepath.Join(t.TempDir(), "cache")
	synctest.Test(t, func(t *testing.T) {
		srv := entityauthtest.NewPipeServer(entityauthtest.Options{APIKey: secretKey})
		t.Cleanup(srv.Close)
		t.Cleanup(synctest.Wait)

		logger, logs := testlog.New()

		fc, err := filecache.New(cacheDir)
		if err != nil {
			t.Fatal(err)
		}
		var events []entityauth.RefreshEvent
		var evMu sync.Mutex
		cfg := &entityauth.Config{
			APISecretKey: secretKey,
			BaseURL:      srv.URL,
			Origin:       "https://app.example.com",
			HTTPClient:   srv.Client(),
			Logger:       logger,
			Cache:        fc,
			Lifetime:     time.Hour,
			OnRefresh: func(ev entityauth.RefreshEvent) {
				evMu.Lock()
				defer evMu.Unlock()
				events = append(events, ev)
			},
		}

		// Token fetch, cached and refreshed.
		ts := cfg.TokenSource(t.Context())
		tok, err := ts.Token()
		if err != nil {
			t.Fatalf("Token: %v", err)
		}
		sc.addToken(tok.AccessToken)
		one, err := cfg.Token(t.Context())
		if err != nil {
			t.Fatalf("Config.Token: %v", err)
		}
		sc.addToken(one.AccessToken)
		time.Sleep(time.Until(tok.Expiry) - 5*time.Minute) // inside the advisory window: a background refresh
		if _, err := ts.Token(); err != nil {
			t.Fatalf("Token in the advisory window: %v", err)
		}
		synctest.Wait()
		ts.Invalidate(tok)
		if _, err := ts.Token(); err != nil {
			t.Fatalf("Token after Invalidate: %v", err)
		}

		// The Client: API calls, a dropped session (401, one refresh), refusals.
		client := cfg.Client(t.Context())
		call := func(client *http.Client, method, url, body string) error {
			req, err := http.NewRequestWithContext(t.Context(), method, url, strings.NewReader(body))
			if err != nil {
				t.Fatal(err)
			}
			resp, err := client.Do(req)
			sc.addErr("Client error", err)
			if err == nil {
				b, _ := io.ReadAll(resp.Body)
				_ = resp.Body.Close()
				sc.add("API response body", string(b))
			}
			return err
		}
		did := srv.URL + "/api/v1/did"
		_ = call(client, http.MethodGet, did, "")
		_ = call(client, http.MethodPost, did+"/create", `{"namespace":"testnet"}`)
		srv.DropSessions()
		_ = call(client, http.MethodGet, did, "")
		// A 401 whose refresh fails: the caller gets the 401, and the log
		// the token endpoint's error, which echoes the key.
		time.Sleep(time.Minute)
		srv.DropSessions()
		srv.Enqueue(entityauthtest.TokenEndpoint, entityauthtest.Fault{Status: 401, JSON: map[string]any{
			"statusCode": 401, "message": []string{"no app for key " + secretKey}, "error": secretKey,
		}})
		_ = call(client, http.MethodGet, did, "")
		if !strings.Contains(logs.String(), "no fresh token came") {
			t.Errorf("the log has no record of the 401 whose refresh failed")
		}
		srv.SetCredits(false)
		_ = call(client, http.MethodGet, did, "")
		srv.SetCredits(true)
		_ = call(client, http.MethodGet, "http://api.example.com/api/v1/did", "")
		hostCfg := *cfg
		hostCfg.APIHosts = []string{"api.entity.hypersign.id"}
		err = call(hostCfg.Client(t.Context()), http.MethodGet, did, "")
		if !errors.Is(err, entityauth.ErrHostNotAllowed) {
			t.Errorf("Client to a host not allowed: error = %v; want ErrHostNotAllowed", err)
		}

		// Every class of error of the token endpoint.
		faults := []entityauthtest.Fault{
			{Status: 400, JSON: map[string]any{"statusCode": 400, "message": []string{"bad ExpiresIn"}, "error": "Bad Request"}},
			{Status: 401, JSON: map[string]any{"statusCode": 401, "message": []string{"unknown key " + secretKey}, "error": secretKey}},
			{Status: 401, JSON: map[string]any{"statusCode": 401, "message": "access_denied"}},
			{Status: 403, JSON: map[string]any{"error": "Insufficient credits or no active plan"}},
			{Status: 404, Body: "<html>Cannot POST " + secretKey + "</html>", ContentType: "text/html"},
			{Status: 429, JSON: "Too many requests. Try again later.", RetryAfter: "1"},
			entityauthtest.InternalServerError(),
			{Status: 503, Body: "<html>down</html>", ContentType: "text/html"},
			{Status: 307, Redirect: "https://elsewhere.example/steal?key=" + secretKey},
			{Body: `{"access_token":"` + canaryJWT, ContentType: "application/json"},
			{Body: `{"access_token":"` + canaryJWT + `","expiresIn":"soon"}`, ContentType: "application/json"},
			{Body: `{"access_token":"` + canaryJWT + `","expiresIn":14400,"tokenType":"mac ` + canaryJWT + `"}`, ContentType: "application/json"},
			{Body: `{"access_token":"` + canaryJWT + `","expiresIn":14400,"tokenType":"x` + canaryJWT[strings.LastIndexByte(canaryJWT, '.')+1:] + `"}`, ContentType: "application/json"},
			{Body: `{"access_token":"` + canaryJWT + `","expiresIn":14400}`, ContentType: "text/html"},
			{Oversize: 2 << 20},
			{Drop: true},
			{TruncateAt: 40},
			{Delay: time.Hour},
		}
		one1 := *cfg
		one1.MaxAttempts, one1.Cache = 1, nil
		for i, f := range faults {
			srv.Enqueue(entityauthtest.TokenEndpoint, f)
			ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
			_, err := one1.Token(ctx)
			cancel()
			if err == nil {
				t.Errorf("fault %d: Token succeeded; want an error", i)
			}
			sc.addErr(fmt.Sprintf("fault %d error", i), err)
		}
		// Config errors.
		for _, bad := range []entityauth.Config{
			{APISecretKey: secretKey, BaseURL: "http://api.example.com"},
			{APISecretKey: secretKey, BaseURL: "https://user:" + secretKey + "@api.example.com"},
			{APISecretKey: secretKey, BaseURL: "https://api.example.com/?key=" + secretKey},
			{APISecretKey: secretKey + " ", BaseURL: srv.URL},
			{APISecretKey: secretKey, BaseURL: srv.URL, Lifetime: time.Minute},
			{APISecretKey: secretKey, BaseURL: srv.URL, Origin: "https://app.example\r\nX-Injected: 1"},
		} {
			_, err := bad.Token(t.Context())
			if err == nil {
				t.Errorf("Config %v: Token succeeded; want an error", bad)
			}
			sc.addErr("Config error", err)
			if !strings.Contains(bad.BaseURL, secretKey) {
				sc.addValue("bad Config", bad)
				continue
			}
			// %#v of these is TestConfigGoStringHidesKeyInBaseURL's.
			for _, verb := range []string{"%v", "%+v", "%s", "%q"} {
				sc.add("bad Config "+verb, fmt.Sprintf(verb, bad))
			}
		}
		// A waiter whose context ends while a refresh fails, and a closed source.
		srv.Enqueue(entityauthtest.TokenEndpoint, entityauthtest.Fault{Status: 500, JSON: map[string]any{"message": "boom " + secretKey}}, entityauthtest.Fault{Delay: time.Hour})
		fresh := *cfg
		fresh.Cache = nil
		waitCtx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
		_, err = fresh.TokenSource(t.Context()).TokenContext(waitCtx)
		cancel()
		if err == nil {
			t.Error("TokenContext with a short deadline during failures succeeded; want an error")
		}
		sc.addErr("waiter error", err)
		closedCtx, closeIt := context.WithCancel(t.Context())
		closedTS := fresh.TokenSource(closedCtx)
		closeIt()
		_, err = closedTS.Token()
		sc.addErr("closed source error", err)
		synctest.Wait()

		// fmt and slog of every exported type.
		// Base is a func, and Logger unset, so that verbs that fmt cannot apply
		// (%s of a pointer field) print no stdlib internals that other
		// goroutines write (a data race in the test, not in the module).
		tr := &entityauth.Transport{Source: ts, Origin: cfg.Origin, Base: roundTripFunc(srv.Transport().RoundTrip)}
		_ = call(&http.Client{Transport: tr}, http.MethodGet, did, "")
		evMu.Lock()
		evs := append([]entityauth.RefreshEvent(nil), events...)
		evMu.Unlock()
		if len(evs) < 3 {
			t.Errorf("refresh events = %d; want at least 3", len(evs))
		}
		values := map[string]any{
			"Config": *cfg, "*Config": cfg, "*TokenSource": ts, "*Transport": tr, "Transport": tr,
			"RefreshEvents": evs, "CacheKey": cfg.CacheKey(),
		}
		for name, v := range values {
			sc.addValue(name, v)
			logger.Debug("value", "name", name, "v", v)
		}
		for i, ev := range evs {
			sc.addValue(fmt.Sprintf("RefreshEvent %d", i), ev)
			sc.addErr(fmt.Sprintf("RefreshEvent %d Err", i), ev.Err)
		}
		logger.Debug("everything", "config", cfg, "source", ts, "transport", tr)

		sc.addIssued(srv)
		sc.add("debug logs", logs.String())
		if !strings.Contains(logs.String(), `"level":"DEBUG"`) || !strings.Contains(logs.String(), "token refresh") {
			t.Errorf("debug logs lack refresh records; the scan would prove nothing:\n%.2000s", logs.String())
		}
	})

	// The file cache: every file, and its permissions.
	files := 0
	err := filepath.WalkDir(cacheDir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		if d.IsDir() {
			if info.Mode().Perm() != 0o700 {
				t.Errorf("cache directory %s mode = %v; want 0700", path, info.Mode().Perm())
			}
			return nil
		}
		if info.Mode().Perm() != 0o600 {
			t.Errorf("cache file %s mode = %v; want 0600", d.Name(), info.Mode().Perm())
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		files++
		sc.add("cache file "+d.Name(), string(data))
		sc.add("cache file name", path)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if files == 0 {
		t.Error("the file cache holds no file; the scan would prove nothing")
	}

	sc.check(t)
}

// TestConfigGoStringHidesKeyInBaseURL prints with %#v a Config whose BaseURL
// holds the key (as credentials or in the query): such a URL is refused, and
// its key must not be printed either.
func TestConfigGoStringHidesKeyInBaseURL(t *testing.T) {
	for _, base := range []string{
		"https://user:" + secretKey + "@api.example.com",
		"https://api.example.com/?key=" + secretKey,
	} {
		c := entityauth.Config{APISecretKey: "k", BaseURL: base}
		if s := fmt.Sprintf("%#v", c); strings.Contains(s, secretKey) {
			t.Errorf("%%#v of a Config with BaseURL %.24s… holds the key", base)
		}
	}
}

// roundTripFunc adapts a function to http.RoundTripper.
type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }
