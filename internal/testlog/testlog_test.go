package testlog

import (
	"log/slog"
	"strings"
	"sync"
	"testing"

	"go.uber.org/goleak"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

// TestLoggerTeesAtLevel checks that a Logger writes each record at its level
// or above, once, to every buffer, and nothing below it.
func TestLoggerTeesAtLevel(t *testing.T) {
	var a, b Buffer
	l := Logger(slog.LevelWarn, &a, &b)
	l.Info("below")
	l.Warn("at", "n", 1)
	for name, buf := range map[string]*Buffer{"a": &a, "b": &b} {
		got := buf.String()
		if strings.Contains(got, "below") {
			t.Errorf("buffer %s = %q; want no Info record", name, got)
		}
		if n := strings.Count(got, `"msg":"at"`); n != 1 {
			t.Errorf("buffer %s holds the Warn record %d times; want 1: %q", name, n, got)
		}
	}
}

// TestBufferConcurrent checks that concurrent writers lose no line (run with
// -race, it also checks that Buffer needs no lock of the caller's).
func TestBufferConcurrent(t *testing.T) {
	l, buf := New()
	const n = 50
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			if i%2 == 0 {
				l.Debug("record")
			} else {
				buf.Logf("line %d", i)
			}
		})
	}
	wg.Wait()
	if got := strings.Count(buf.String(), "\n"); got != n {
		t.Errorf("lines = %d; want %d", got, n)
	}
}
