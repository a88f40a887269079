package entityauth

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"

	"golang.org/x/oauth2"

	"github.com/entity-studio-go/entityauth/internal/loopback"
)

// DefaultBaseURL is the production token service of Entity Studio.
const DefaultBaseURL = "https://api.entity.dashboard.hypersign.id"

// Defaults of the tuning fields of [Config].
const (
	// DefaultMaxAttempts is the number of requests one fetch may make when
	// Config.MaxAttempts is 0.
	DefaultMaxAttempts = 3
	// DefaultRefreshTimeout bounds one refresh, retries and waits included,
	// when Config.RefreshTimeout is 0. It outlasts the real server's rate
	// window ([ErrRateLimited]), so that a refresh that meets a full window
	// probes until the window rolls over. A call through [Config.Client]
	// whose context has no deadline waits as long for its token: give every
	// call a deadline.
	DefaultRefreshTimeout = 2 * time.Minute
)

// MaxLifetime is the longest Config.Lifetime, and the longest lifetime that a
// token response may claim: a longer one fails with [ErrInvalidResponse].
const MaxLifetime = 744 * time.Hour

// maxExpiresIn and minExpiresIn bound the lifetime that a token response may
// claim: anything longer is refused as absurd, and anything shorter as dead
// on arrival.
const (
	maxExpiresIn = MaxLifetime
	minExpiresIn = time.Second
)

// Config describes how to obtain access tokens from the Entity Studio token
// service. Its zero value is not usable: APISecretKey is required.
//
// A Config prints redacted under fmt's %v, %+v and %#v and under [log/slog]:
// the API secret key never appears.
type Config struct {
	// APISecretKey is the app's API secret key, sent as X-Api-Secret-Key.
	// It is required.
	APISecretKey string

	// BaseURL is the token service's base URL; "" means [DefaultBaseURL].
	// It must be https, or plain http to a loopback host (localhost,
	// 127.0.0.0/8, ::1), otherwise every fetch fails with [ErrInsecureURL]
	// before any connection is made.
	BaseURL string

	// Origin is optional. It is sent on token requests, and by Config.Client
	// on API requests; the SSI API refuses origins that the app does not allow.
	// It must not hold a line break or another control character.
	Origin string

	// APIHosts, if not empty, lists the SSI API hosts that Config.Client may
	// send the token to, such as "api.entity.hypersign.id". It becomes the
	// [Transport.APIHosts] of the client's Transport.
	APIHosts []string

	// GrantType is the optional ?grant_type= of token requests. SSI apps
	// leave it empty or set "access_service_ssi".
	GrantType string

	// Lifetime is the requested token lifetime, sent as the ExpiresIn header
	// in whole hours. It must be 0 (the server's default, 4 hours) or a whole
	// number of hours up to [MaxLifetime].
	Lifetime time.Duration

	// HTTPClient is used for token requests. If nil, the *http.Client in the
	// context's [oauth2.HTTPClient] value is used, else [http.DefaultClient].
	// Redirects are never followed, whatever its CheckRedirect says.
	HTTPClient *http.Client

	// Logger, if not nil, receives one record per refresh (Debug on success,
	// Warn on failure) and one Warn record for the first failure of Cache.
	// Records never hold the key or a token. nil means silent.
	Logger *slog.Logger

	// OnRefresh, if not nil, is called after every refresh of a TokenSource,
	// successful or not, from the refreshing goroutine and before callers
	// waiting for that refresh are released. It must return quickly. If it
	// panics, the panic is recovered and the callers waiting for that
	// refresh get it as an error.
	OnRefresh func(RefreshEvent)

	// RefreshTimeout bounds one refresh of a TokenSource, including its
	// retries and their waits; 0 means [DefaultRefreshTimeout]. No caller's
	// context can cancel a refresh: callers only stop waiting for it.
	RefreshTimeout time.Duration

	// MaxAttempts bounds the requests of one fetch; 0 means
	// [DefaultMaxAttempts], and 1 disables retries. The probes after a 429
	// without Retry-After do not count: RefreshTimeout bounds them (see
	// [RetryBackoffBase] for the retry rules).
	MaxAttempts int

	// Cache, if not nil, shares sealed tokens beyond one TokenSource (see
	// [Cache]). nil means in-process caching only.
	Cache Cache
}

// Token fetches a new access token from the token service, with retries (see
// [RetryBackoffBase] for the rules). It does not cache: most users want
// [Config.Client] or [Config.TokenSource], which do.
func (c *Config) Token(ctx context.Context) (*oauth2.Token, error) {
	f, err := c.newFetcher(ctx)
	if err != nil {
		return nil, err
	}
	res, _, err := f.fetch(ctx, nil)
	if err != nil {
		return nil, err
	}
	return res.token(), nil
}

// Validate reports whether c can be used, without any network: it returns the
// error that [Config.Token], and every call of a [TokenSource] built from c,
// would return at once, such as [ErrMissingKey], [ErrInsecureURL] or
// [ErrInvalidConfig], or nil. Call it at start-up to fail fast.
func (c *Config) Validate() error {
	_, err := c.newFetcher(context.Background())
	return err
}

// validate checks the Config and returns the normalised base URL.
func (c *Config) validate() (string, error) {
	if c.APISecretKey == "" {
		return "", ErrMissingKey
	}
	for _, r := range c.APISecretKey {
		if r <= ' ' || r >= 0x7f {
			return "", fmt.Errorf("%w: APISecretKey holds whitespace or a control character", ErrInvalidConfig)
		}
	}
	base, err := checkBaseURL(c.BaseURL)
	if err != nil {
		return "", err
	}
	if strings.ContainsFunc(c.Origin, isControl) {
		return "", fmt.Errorf("%w: Origin holds a line break or another control character", ErrInvalidConfig)
	}
	if c.Lifetime != 0 && (c.Lifetime < time.Hour || c.Lifetime > MaxLifetime || c.Lifetime%time.Hour != 0) {
		return "", fmt.Errorf("%w: Lifetime %v is not a whole number of hours between 1 and %d", ErrInvalidConfig, c.Lifetime, int(MaxLifetime/time.Hour))
	}
	if c.RefreshTimeout < 0 {
		return "", fmt.Errorf("%w: RefreshTimeout %v is negative", ErrInvalidConfig, c.RefreshTimeout)
	}
	if c.MaxAttempts < 0 {
		return "", fmt.Errorf("%w: MaxAttempts %d is negative", ErrInvalidConfig, c.MaxAttempts)
	}
	return base, nil
}

// isControl reports whether r is an ASCII control character, which no header
// value may hold (CR and LF would end the header).
func isControl(r rune) bool { return r < ' ' || r == 0x7f }

// checkBaseURL returns the base URL without a trailing slash, or an error if
// it is not https or plain http to loopback.
func checkBaseURL(raw string) (string, error) {
	if raw == "" {
		return DefaultBaseURL, nil
	}
	u, err := url.Parse(raw)
	if err != nil {
		// url.Error quotes the URL, which may hold credentials: do not wrap it.
		return "", fmt.Errorf("%w: BaseURL does not parse", ErrInvalidConfig)
	}
	switch {
	case u.User != nil:
		return "", fmt.Errorf("%w: BaseURL must not hold credentials", ErrInvalidConfig)
	case u.RawQuery != "" || u.Fragment != "" || u.Opaque != "":
		return "", fmt.Errorf("%w: BaseURL must not hold a query or a fragment", ErrInvalidConfig)
	case u.Host == "":
		return "", fmt.Errorf("%w: BaseURL %q has no host", ErrInvalidConfig, u.Redacted())
	}
	if err := checkScheme(u); err != nil {
		return "", err
	}
	return strings.TrimRight(u.String(), "/"), nil
}

// checkScheme returns an error wrapping [ErrInsecureURL] unless u is https,
// or plain http to a loopback host. It is the one scheme check of both the
// token service's URL (Config.BaseURL) and the URLs that a [Transport] sends
// a token to. Its error names only the scheme and the host of u.
func checkScheme(u *url.URL) error {
	switch {
	case loopback.Secure(u):
		return nil
	case strings.EqualFold(u.Scheme, "http"):
		return fmt.Errorf("%w: %q: plain http is allowed only to localhost, 127.0.0.0/8 and ::1", ErrInsecureURL, "http://"+u.Host)
	default:
		return fmt.Errorf("%w: %q: the scheme must be https", ErrInsecureURL, u.Scheme+"://"+u.Host)
	}
}
