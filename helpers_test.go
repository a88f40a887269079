package entityauth

import (
	"log/slog"
	"net/http"
	"testing"
	"testing/synctest"

	"github.com/entity-studio-go/entityauth/entityauthtest"
	"github.com/entity-studio-go/entityauth/internal/testlog"
)

// bubble runs f inside a synctest bubble with a pipe server made from opts.
// TokenSources in f live on t.Context(): when f returns it is cancelled,
// their refreshes end, and then the server closes.
func bubble(t *testing.T, opts entityauthtest.Options, f func(t *testing.T, srv *entityauthtest.Server)) {
	t.Helper()
	synctest.Test(t, func(t *testing.T) {
		srv := entityauthtest.NewPipeServer(opts)
		t.Cleanup(srv.Close)
		t.Cleanup(synctest.Wait)
		f(t, srv)
	})
}

// configFor returns a Config that reaches srv with its key.
func configFor(srv *entityauthtest.Server) *Config {
	return &Config{APISecretKey: srv.APIKey(), BaseURL: srv.URL, HTTPClient: srv.Client()}
}

// newLogger returns a JSON logger at Debug level writing to a new buffer.
func newLogger() (*slog.Logger, *testlog.Buffer) { return testlog.New() }

// roundTripFunc is an http.RoundTripper made of a function.
type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }
