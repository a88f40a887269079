package main

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/entity-studio-go/entityauth"
	"github.com/entity-studio-go/entityauth/internal/filecache"
)

// maxSecretFile bounds what --secret-file reads.
const maxSecretFile = 64 << 10

// refreshTimeout bounds one fetch, retries included. It is also the ttl of
// the cache's lock, so it bounds how long other runs wait for a run that was
// killed while fetching. A 429 without Retry-After is probed again until it
// ends (see entityauth.Config.TokenSource), so a run that meets a full rate
// window still gets a token if the window rolls over in time.
const refreshTimeout = 15 * time.Second

// token is the token command.
func (c *cli) token(args []string) int {
	fs := flags("token", "[flags]",
		"Print an Entity Studio access token. The API secret key comes from $"+envSecret+"\n"+
			"or from --secret-file, never from a flag. Tokens are cached, encrypted under a key\n"+
			"derived from the secret, in the user cache directory (entityauth/), and served\n"+
			"from there while more than a minute of their life is left, so that a script may\n"+
			fmt.Sprintf("call this in a loop without reaching the server's limit of %d requests a minute.\n", tokenRateLimit)+
			fmt.Sprintf("A fetch, retries included, gives up after %v. Exit status %d means try again\n", refreshTimeout, exitTempFail)+
			"later (rate limited, server error or network error).\n\n"+
			"  curl -H \"$(entityauth token --format header)\" https://api.entity.hypersign.id/api/v1/did")
	tf := c.addTokenFlags(fs)
	format := fs.String("format", "raw", "output `format`: raw (the token), json, or header (Authorization: Bearer …)")
	if code, ok := c.parse(fs, args); !ok {
		return code
	}
	if fs.NArg() > 0 {
		return c.usageError("token", "token takes no arguments (the key comes from $"+envSecret+" or --secret-file)")
	}
	switch *format {
	case "raw", "json", "header":
	default:
		return c.usageError("token", "--format must be raw, json or header, not "+c.quote(*format))
	}
	cfg, code, ok := c.tokenConfig(fs, tf)
	if !ok {
		return code
	}

	ctx, stop := c.signalContext()
	defer stop()
	tok, err := cfg.TokenSource(ctx).TokenContext(ctx)
	if err != nil {
		return c.tokenFailure(fs, err)
	}
	switch *format {
	case "raw":
		c.stdout.printf("%s\n", tok.AccessToken)
	case "header":
		c.stdout.printf("Authorization: %s %s\n", tok.Type(), tok.AccessToken)
	case "json":
		enc := json.NewEncoder(c.stdout)
		enc.SetEscapeHTML(false)
		// Printing the token is the purpose of the token command.
		_ = enc.Encode(struct { //nolint:gosec // G117: the token is the output
			AccessToken string `json:"access_token"`
			TokenType   string `json:"token_type"`
			Expiry      string `json:"expiry"`
		}{tok.AccessToken, tok.Type(), tok.Expiry.UTC().Format(time.RFC3339)})
	}
	return exitOK
}

// tokenFlags are the flags that choose the token. The token and api
// commands share them, so that both read and fill the same cache entry.
type tokenFlags struct {
	secretFile, baseURL, origin, grantType, lifetime *string
	noCache                                          *bool
}

// addTokenFlags defines the token flags on fs.
func (c *cli) addTokenFlags(fs *flag.FlagSet) *tokenFlags {
	return &tokenFlags{
		secretFile: fs.String("secret-file", "", "read the API secret key from `PATH` (- for standard input)"),
		baseURL:    fs.String("base-url", c.getenv(envBaseURL), "token service base `URL` (env "+envBaseURL+"; default "+entityauth.DefaultBaseURL+")"),
		origin:     fs.String("origin", c.getenv(envOrigin), "`Origin` sent with the request (env "+envOrigin+")"),
		grantType:  fs.String("grant-type", "", "`grant_type` query of the request, e.g. access_service_ssi"),
		lifetime:   fs.String("lifetime", "", "requested token lifetime, a Go `duration` of whole hours (e.g. 4h); default the server's"),
		noCache:    fs.Bool("no-cache", false, "neither read nor write the token cache"),
	}
}

// tokenConfig returns the Config that the parsed token flags describe, with
// the key and the file cache (unless --no-cache). It returns ok false with
// the exit status after a usage error or a failure to read the key.
func (c *cli) tokenConfig(fs *flag.FlagSet, tf *tokenFlags) (cfg entityauth.Config, code int, ok bool) {
	name := fs.Name()
	cfg = entityauth.Config{BaseURL: *tf.baseURL, Origin: *tf.origin, GrantType: *tf.grantType, RefreshTimeout: refreshTimeout}
	if *tf.lifetime != "" {
		d, err := time.ParseDuration(*tf.lifetime)
		if err != nil || d < time.Hour || d%time.Hour != 0 {
			return cfg, c.usageError(name, "--lifetime "+c.quote(*tf.lifetime)+" is not a whole number of hours, such as 4h"), false
		}
		cfg.Lifetime = d
	}
	secret, err := c.readSecret(*tf.secretFile)
	if err != nil {
		return cfg, c.fail(name, err), false
	}
	if problem := urlProblem(*tf.baseURL, entityauth.DefaultBaseURL); problem != "" {
		return cfg, c.usageError(name, baseURLName(fs)+" "+c.displayURL(*tf.baseURL)+" "+problem), false
	}
	if secret == "" {
		return cfg, c.usageError(name, "no API secret key: "+c.secretSource(*tf.secretFile)), false
	}
	cfg.APISecretKey = secret
	if !*tf.noCache {
		cache, err := filecache.Default()
		if err != nil {
			c.stderr.printf("entityauth %s: warning: not caching: %s\n", name, strings.TrimPrefix(err.Error(), "entityauth: "))
		} else {
			cfg.Cache = cache
		}
	}
	return cfg, 0, true
}

// tokenFailure reports a failure to get a token: a usage error when the
// library refused the token flags before any request, else through fail.
func (c *cli) tokenFailure(fs *flag.FlagSet, err error) int {
	switch {
	case errors.Is(err, entityauth.ErrInsecureURL):
		return c.usageError(fs.Name(), baseURLName(fs)+" "+c.displayURL(fs.Lookup("base-url").Value.String())+" "+insecureURL)
	case errors.Is(err, entityauth.ErrInvalidConfig):
		return c.usageError(fs.Name(), c.redact(strings.TrimPrefix(err.Error(), "entityauth: ")))
	}
	return c.fail(fs.Name(), err)
}

// baseURLName names where the token service's base URL came from.
func baseURLName(fs *flag.FlagSet) string {
	if isSet(fs, "base-url") {
		return "--base-url"
	}
	return "$" + envBaseURL
}

// secretSource says why no key was found, for the usage error.
func (c *cli) secretSource(secretFile string) string {
	switch {
	case secretFile == "-":
		return "standard input (--secret-file -) holds none"
	case secretFile != "":
		return "the file " + c.quote(secretFile) + " holds none"
	case c.getenv(envSecret) != "":
		return "$" + envSecret + " is blank"
	}
	return "set $" + envSecret + " or use --secret-file PATH"
}

// isSet reports whether the flag called name was given on the command line.
func isSet(fs *flag.FlagSet, name string) bool {
	set := false
	fs.Visit(func(f *flag.Flag) { set = set || f.Name == name })
	return set
}

// readSecret returns the API secret key, trimmed of surrounding white space:
// from the file at path (standard input for "-") when path is set, else
// from the environment. Its errors never hold the key.
func (c *cli) readSecret(path string) (string, error) {
	if path == "" {
		return strings.TrimSpace(c.getenv(envSecret)), nil
	}
	r := c.stdin
	if path != "-" {
		f, err := os.Open(path) //nolint:gosec // the user names the file on purpose
		if err != nil {
			return "", fmt.Errorf("reading the secret file: %w", err)
		}
		defer f.Close() //nolint:errcheck // read-only
		r = f
	}
	b, err := io.ReadAll(io.LimitReader(r, maxSecretFile+1))
	if err != nil {
		return "", errors.New("reading the secret file failed")
	}
	if len(b) > maxSecretFile {
		return "", fmt.Errorf("the secret file is larger than %d bytes", maxSecretFile)
	}
	c.secret = strings.TrimSpace(string(b))
	return c.secret, nil
}
