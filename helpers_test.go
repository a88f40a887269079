package entityauth

import (
	"bytes"
	"log/slog"
	"sync"
	"testing"
	"testing/synctest"

	"github.com/entity-studio-go/entityauth/entityauthtest"
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

// logBuffer is a concurrency-safe buffer for a slog handler.
type logBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *logBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *logBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// newLogger returns a JSON logger at Debug level writing to a new buffer.
func newLogger() (*slog.Logger, *logBuffer) {
	buf := &logBuffer{}
	return slog.New(slog.NewJSONHandler(buf, &slog.HandlerOptions{Level: slog.LevelDebug})), buf
}
