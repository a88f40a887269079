// Package testlog gives tests a log buffer that many goroutines can write at
// once, for checking what a [log/slog] logger (or a Logf function) recorded,
// and that it recorded no secret. Every test that captures logs uses it.
package testlog

import (
	"bytes"
	"fmt"
	"log/slog"
	"sync"
)

// Buffer is an in-memory log sink that is safe for concurrent use.
type Buffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

// Write appends p to the buffer.
func (l *Buffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

// String returns everything written so far.
func (l *Buffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// Logf writes one line formatted as by [fmt.Sprintf]. It has the signature
// of the Logf options of packages that log through a function.
func (l *Buffer) Logf(format string, args ...any) {
	_, _ = fmt.Fprintf(l, format+"\n", args...)
}

// New returns a JSON logger at Debug level that writes to a new Buffer.
func New() (*slog.Logger, *Buffer) {
	buf := &Buffer{}
	return Logger(slog.LevelDebug, buf), buf
}

// Logger returns a JSON logger that writes every record at level or above to
// each of bufs.
func Logger(level slog.Level, bufs ...*Buffer) *slog.Logger {
	return slog.New(slog.NewJSONHandler(tee(bufs), &slog.HandlerOptions{Level: level}))
}

// tee writes to each buffer; it needs no lock of its own because each buffer
// has one.
type tee []*Buffer

func (t tee) Write(p []byte) (int, error) {
	for _, b := range t {
		_, _ = b.Write(p)
	}
	return len(p), nil
}
