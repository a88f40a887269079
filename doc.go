// Package entityauth authenticates Go programs to Hypersign's Entity Studio
// SSI API.
//
// The Entity Studio token service exchanges an app's API secret key for a
// short-lived JWT at POST /api/v1/app/oauth; the SSI API then takes that token
// as "Authorization: Bearer". A [Config] describes the exchange, and
// [Config.TokenSource] turns it into an [oauth2.TokenSource] that always holds
// a valid token:
//
//	cfg := &entityauth.Config{APISecretKey: os.Getenv("ENTITY_API_SECRET_KEY")}
//	ts := cfg.TokenSource(ctx)
//	tok, err := ts.Token()
//	if err != nil { /* errors.Is(err, entityauth.ErrUnauthorized), ... */ }
//	req.Header.Set("Authorization", "Bearer "+tok.AccessToken)
//
// # Caching and refresh
//
// A [TokenSource] returns its cached token with one atomic load and one clock
// read, refreshes it in the background well before it expires (callers keep
// the cached token meanwhile), and makes callers wait only for a token that
// has expired or is about to. Concurrent callers share one request. Each
// caller's context bounds only its own wait. [Config.TokenSource] documents
// the windows, the retries and the backoff; note that a 429 from the real
// server (10 token requests per 60 s per address) is probed again after
// growing waits until its window rolls over, the refresh times out, or the
// context's deadline is near.
//
// Build one TokenSource or client at start-up and share it. Sources built
// anew from equal Configs (the same [Config.CacheKey]) still share one token
// and one refresh within the process, so a client built per incoming request
// costs no token request of its own.
//
// [Config.Token] fetches one token without caching.
//
// # Calling the SSI API
//
// Most users call [Config.Client], which returns an *http.Client that sets
// "Authorization: Bearer" (and Origin) on every request:
//
//	client := cfg.Client(ctx)
//	resp, err := client.Get("https://api.entity.hypersign.id/api/v1/did")
//
// When the API answers 401, for example because the server dropped the
// session before the token's expiry, the client drops that token, fetches a
// fresh one and sends the request once more; a second 401, and every 400 or
// 403, goes back to the caller. When the token that such a refresh brought is
// rejected at once, the token is not the problem, and 401s lead to at most one
// refresh a minute for all the clients of one Config together, so that a
// lasting 401 (a wrong Origin) does not spend the token endpoint's rate limit. [Transport] is the http.RoundTripper behind it, for
// building your own stack.
//
// Do not pass a TokenSource to [oauth2.NewClient] or [oauth2.ReuseTokenSource]:
// they wrap it in a ReuseTokenSource, whose own cache holds the token until
// it has all but expired and defeats the refresh-ahead, and they never refresh
// on 401. If you build the transport yourself, use [Transport], or at least
// [oauth2.Transport]:
//
//	client := &http.Client{Transport: &entityauth.Transport{Source: ts}}
//
// [TokenSource.Invalidate] expires the cached token only if it is still the
// rejected one, so a burst of 401s costs one new token.
//
// # Errors
//
// Every answer of the token endpoint that is not 2xx is an [*Error] whose
// message carries the server's message; it unwraps to an
// [*oauth2.RetrieveError] and to a sentinel such as [ErrUnauthorized],
// [ErrBadRequest], [ErrRateLimited] or [ErrServer]. A 200 that is not a usable
// token is [ErrInvalidResponse].
//
// # Security
//
// The base URL must be https, or plain http to a loopback host; anything else
// fails with [ErrInsecureURL] before any connection, and [Transport] refuses
// to send a token over plain http off loopback. Token requests never follow
// redirects; API requests redirected to another host go without the token
// unless Config.APIHosts lists that host. Response bodies are read through a 1 MiB cap. The API secret key
// and the tokens never appear in errors or log records, and Config and
// TokenSource print redacted under fmt and [log/slog]. A [Cache] only ever
// sees tokens sealed with AES-GCM under a key derived from the API secret key.
//
// To test code that uses this package, point it at the fake server in
// package [github.com/entity-studio-go/entityauth/entityauthtest].
package entityauth
