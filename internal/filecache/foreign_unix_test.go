//go:build unix

package filecache

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/entity-studio-go/entityauth"
)

// foreignThings are things other than regular files that may sit at an
// entry's or a lock's path: each make function creates one at path.
var foreignThings = []struct {
	name string
	make func(t *testing.T, path string)
}{
	{"FIFO", func(t *testing.T, path string) {
		if err := syscall.Mkfifo(path, 0o600); err != nil {
			t.Fatal(err)
		}
	}},
	{"directory with a file inside", func(t *testing.T, path string) {
		if err := os.Mkdir(path, 0o700); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(path, "inside"), []byte("x"), 0o600); err != nil {
			t.Fatal(err)
		}
	}},
	{"symbolic link to a file outside", func(t *testing.T, path string) {
		outside := filepath.Join(t.TempDir(), "outside")
		if err := os.WriteFile(outside, []byte(magic+"12345678entry"), 0o600); err != nil {
			t.Fatal(err)
		}
		if err := os.Symlink(outside, path); err != nil {
			t.Fatal(err)
		}
	}},
	{"dangling symbolic link", func(t *testing.T, path string) {
		if err := os.Symlink(filepath.Join(t.TempDir(), "missing"), path); err != nil {
			t.Fatal(err)
		}
	}},
}

// unblockFIFOs opens every FIFO in dir for writing, without blocking, and
// closes it, which releases a reader blocked in opening it.
func unblockFIFOs(dir string) {
	ents, _ := os.ReadDir(dir)
	for _, e := range ents {
		if e.Type()&os.ModeNamedPipe == 0 {
			continue
		}
		if f, err := os.OpenFile(filepath.Join(dir, e.Name()), os.O_WRONLY|syscall.O_NONBLOCK, 0); err == nil {
			_ = f.Close()
		}
	}
}

// withinDeadline runs f and fails the test if it does not return within
// 10 s; it then releases readers blocked on the FIFOs in dir, so that a
// hang ends in a failure rather than in the test binary's timeout.
func withinDeadline(t *testing.T, dir, what string, f func()) {
	t.Helper()
	done := make(chan struct{})
	go func() {
		defer close(done)
		f()
	}()
	timer := time.NewTimer(10 * time.Second)
	defer timer.Stop()
	select {
	case <-done:
	case <-timer.C:
		t.Errorf("%s did not return within 10 s: it waits on what is at the path", what)
		for {
			unblockFIFOs(dir)
			select {
			case <-done:
				return
			case <-time.After(10 * time.Millisecond):
			}
		}
	}
}

// TestForeignThingAtEntryPath (issue 12, cases 16 and 17): whatever sits at
// an entry's path, Load returns a miss at once without reading it, and Store
// replaces it, so that the next Load is served.
func TestForeignThingAtEntryPath(t *testing.T) {
	for _, thing := range foreignThings {
		t.Run(thing.name, func(t *testing.T) {
			c := newCache(t)
			ctx := context.Background()
			path := filepath.Join(c.Dir(), fileName(key, ".entry"))
			thing.make(t, path)
			var err error
			withinDeadline(t, c.Dir(), "Load", func() { _, err = c.Load(ctx, key) })
			if !errors.Is(err, entityauth.ErrCacheMiss) {
				t.Fatalf("Load over a %s: err = %v; want ErrCacheMiss", thing.name, err)
			}
			entry := []byte("sealed entry")
			withinDeadline(t, c.Dir(), "Store", func() { err = c.Store(ctx, key, entry, time.Hour) })
			if err != nil {
				t.Fatalf("Store over a %s: %v; want it replaced", thing.name, err)
			}
			got, err := c.Load(ctx, key)
			if err != nil || !bytes.Equal(got, entry) {
				t.Fatalf("Load after Store = %q, %v; want %q", got, err, entry)
			}
			assertNoLitter(t, c)
		})
	}
}

// TestForeignThingAtLockPath (issue 12, case 16): whatever sits at a lock's
// path, Lock returns at once; it is not a lock, so Lock breaks it and takes
// the lock, and unlock releases it.
func TestForeignThingAtLockPath(t *testing.T) {
	for _, thing := range foreignThings {
		t.Run(thing.name, func(t *testing.T) {
			c := newCache(t)
			ctx := context.Background()
			path := filepath.Join(c.Dir(), fileName(key, ".lock"))
			thing.make(t, path)
			var (
				unlock func(context.Context) error
				err    error
			)
			withinDeadline(t, c.Dir(), "Lock", func() { unlock, err = c.Lock(ctx, key, time.Minute) })
			if err != nil {
				t.Fatalf("Lock over a %s: %v; want the lock", thing.name, err)
			}
			if _, err := c.Lock(ctx, key, time.Minute); !errors.Is(err, entityauth.ErrLocked) {
				t.Errorf("second Lock: err = %v; want ErrLocked", err)
			}
			if err := unlock(ctx); err != nil {
				t.Fatalf("unlock: %v", err)
			}
			if err := c.Store(ctx, key, []byte("e"), time.Hour); err != nil {
				t.Fatal(err)
			}
			assertNoLitter(t, c)
		})
	}
}

// TestCacheStepsHonourContext: a cancelled context stops every method
// before it touches the directory.
func TestCacheStepsHonourContext(t *testing.T) {
	c := newCache(t)
	ctx, cancel := context.WithCancel(context.Background())
	unlock, err := c.Lock(context.Background(), key, time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	cancel()
	if err := unlock(ctx); !errors.Is(err, context.Canceled) {
		t.Errorf("unlock with a cancelled context: err = %v; want context.Canceled", err)
	}
	if _, err := c.Lock(context.Background(), key, time.Minute); !errors.Is(err, entityauth.ErrLocked) {
		t.Errorf("Lock after a cancelled unlock: err = %v; want ErrLocked (the lock is still held)", err)
	}
}
