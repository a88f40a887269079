// Package entityauth authenticates Go programs to Hypersign's Entity Studio
// SSI API.
//
// The Entity Studio token service ([DefaultBaseURL]) exchanges an app's API
// secret key for a short-lived JWT at POST /api/v1/app/oauth; the SSI API
// then takes that token as "Authorization: Bearer". A [Config] describes the
// exchange, and [Config.Client] returns an *http.Client that sets the header
// (and Origin) on every request, with a token that it caches and refreshes.
// Build it once at start-up and share it:
//
//	cfg := &entityauth.Config{APISecretKey: os.Getenv("ENTITY_API_SECRET_KEY")}
//	client := cfg.Client(ctx)
//	resp, err := client.Get("https://api.entity.hypersign.id/api/v1/did")
//
// Package [github.com/entity-studio-go/entityauth/ssi] wraps that client in
// typed calls of the SSI API. [Config.TokenSource] returns the token source
// behind the client, an [oauth2.TokenSource], for other transports (gRPC, a
// client stack of your own); [Config.Token] fetches one token without caching.
//
// # Caching and refresh
//
// A [TokenSource] returns its cached token with one atomic load and one
// wall-clock read. Each token has two windows before its expiry, whose
// lengths follow its lifetime ([LongAdvisoryWindow] and the constants beside
// it give them):
//
//   - Before its advisory window, the token is served as it is.
//   - Inside its advisory window, callers still get the token at once, while
//     one background refresh runs.
//   - Inside its mandatory window, or once it has expired, callers wait for a
//     new token. Concurrent callers share one request, and its token or error.
//
// A refresh is bounded by Config.RefreshTimeout and by the context given to
// Config.TokenSource, never by a caller's context: a caller's context ends
// only its own wait, and a caller whose token has not expired waits no
// longer than the token has left. The windows are compared with the wall
// clock, so that a token that expired while the machine slept is never
// served.
//
// Each request for a token retries network errors and transient statuses,
// honours Retry-After, and probes a rate limit without Retry-After until its
// window rolls over ([RetryBackoffBase] states the rules). After a failed
// refresh the TokenSource keeps serving a token that has not expired and
// backs off ([FailureBackoffBase]).
//
// Build one client or TokenSource at start-up and share it. Sources built
// anew from Configs with the same [Config.CacheKey] still share one token and
// one refresh within the process (and beyond it through Config.Cache, see
// [Cache]), so that a client built per incoming request costs no token
// request of its own.
//
// # Refresh after 401
//
// When the API answers 401, for example because the server dropped the
// session before the token's expiry, the client drops that token, fetches a
// fresh one and sends the request once more; a second 401, and every 400 or
// 403, goes back to the caller. When the token that such a refresh brought is
// rejected at once, the token is not the problem, and 401s lead to at most one
// refresh in a while for all the clients of one Config together
// ([FreshTokenAge], [Min401RefreshInterval]), so that a lasting 401 (a wrong
// Origin) does not spend the token service's rate limit.
// [TokenSource.Invalidate] expires the cached token only if it is still the
// rejected one, so a burst of 401s costs one new token, through one client or
// through clients built per call. Tokens are told apart by the fetch that
// brought them, not by their text, which the token service repeats within a
// second: a 401 that comes back after another client's refresh is retried
// with the refreshed token, at no token request. [Transport] is the
// http.RoundTripper behind Config.Client, for building your own stack:
//
//	client := &http.Client{Transport: &entityauth.Transport{Source: cfg.TokenSource(ctx)}}
//
// Do not pass a TokenSource to [oauth2.NewClient] or [oauth2.ReuseTokenSource]:
// they wrap it in a ReuseTokenSource, whose own cache holds the token until
// it has all but expired and defeats the refresh-ahead, and they never refresh
// on 401. Use [Config.Client] or [Transport], or at least [oauth2.Transport].
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
// unless Config.APIHosts lists that host. The token endpoint's answers are
// read up to [MaxResponseBytes]. The API secret key and the tokens never
// appear in errors or log records, and Config and TokenSource print redacted
// under fmt and [log/slog]. A [Cache] only ever sees tokens sealed with
// AES-GCM under a key derived from the API secret key.
//
// To test code that uses this package, point it at the fake server in
// package [github.com/entity-studio-go/entityauth/entityauthtest].
package entityauth
