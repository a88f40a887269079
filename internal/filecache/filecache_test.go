package filecache

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/entity-studio-go/entityauth"
)

const key = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

func newCache(t *testing.T) *Cache {
	t.Helper()
	c, err := New(filepath.Join(t.TempDir(), "entityauth"))
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return c
}

// entryFiles lists the entry files in the cache directory.
func entryFiles(t *testing.T, c *Cache) []string {
	t.Helper()
	names, err := filepath.Glob(filepath.Join(c.Dir(), "*.entry"))
	if err != nil {
		t.Fatal(err)
	}
	return names
}

func TestStoreLoad(t *testing.T) {
	c := newCache(t)
	ctx := context.Background()
	if _, err := c.Load(ctx, key); !errors.Is(err, entityauth.ErrCacheMiss) {
		t.Fatalf("Load of an empty cache: err = %v; want ErrCacheMiss", err)
	}
	entry := []byte("sealed\x00bytes\n")
	if err := c.Store(ctx, key, entry, time.Hour); err != nil {
		t.Fatalf("Store: %v", err)
	}
	got, err := c.Load(ctx, key)
	if err != nil || !bytes.Equal(got, entry) {
		t.Fatalf("Load = %q, %v; want %q, nil", got, err, entry)
	}
	if _, err := c.Load(ctx, key+"x"); !errors.Is(err, entityauth.ErrCacheMiss) {
		t.Errorf("Load of another key: err = %v; want ErrCacheMiss", err)
	}
	// A second Store replaces the entry.
	if err := c.Store(ctx, key, []byte("newer"), time.Hour); err != nil {
		t.Fatalf("Store: %v", err)
	}
	if got, _ := c.Load(ctx, key); string(got) != "newer" {
		t.Errorf("Load after a second Store = %q; want %q", got, "newer")
	}
	// ttl <= 0 removes it.
	if err := c.Store(ctx, key, entry, 0); err != nil {
		t.Fatalf("Store with ttl 0: %v", err)
	}
	if _, err := c.Load(ctx, key); !errors.Is(err, entityauth.ErrCacheMiss) {
		t.Errorf("Load after Store with ttl 0: err = %v; want ErrCacheMiss", err)
	}
	if n := len(entryFiles(t, c)); n != 0 {
		t.Errorf("entry files after Store with ttl 0 = %d; want 0", n)
	}
}

func TestPermissions(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "entityauth")
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	c, err := New(dir)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	ctx := context.Background()
	if err := c.Store(ctx, key, []byte("x"), time.Hour); err != nil {
		t.Fatal(err)
	}
	unlock, err := c.Lock(ctx, key, time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = unlock(ctx) }()
	fi, err := os.Stat(dir)
	if err != nil {
		t.Fatal(err)
	}
	if got := fi.Mode().Perm(); got != 0o700 {
		t.Errorf("directory mode = %v; want 0700", got)
	}
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(ents) != 2 {
		t.Errorf("files in the directory = %d; want 2 (entry and lock)", len(ents))
	}
	for _, e := range ents {
		fi, err := e.Info()
		if err != nil {
			t.Fatal(err)
		}
		if got := fi.Mode().Perm(); got != 0o600 {
			t.Errorf("mode of %s = %v; want 0600", e.Name(), got)
		}
	}
}

func TestNewRefusesNonDirectory(t *testing.T) {
	tmp := t.TempDir()
	file := filepath.Join(tmp, "file")
	if err := os.WriteFile(file, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := New(file); err == nil {
		t.Error("New(a regular file) succeeded; want an error")
	}
	link := filepath.Join(tmp, "link")
	if err := os.Symlink(t.TempDir(), link); err != nil {
		t.Skip("no symlinks:", err)
	}
	if _, err := New(link); err == nil {
		t.Error("New(a symlink) succeeded; want an error")
	}
	if _, err := New(""); err == nil {
		t.Error(`New("") succeeded; want an error`)
	}
}

func TestDefaultDir(t *testing.T) {
	base := t.TempDir()
	t.Setenv("XDG_CACHE_HOME", base)
	t.Setenv("HOME", base)
	c, err := Default()
	if err != nil {
		t.Fatalf("Default: %v", err)
	}
	want, _ := os.UserCacheDir()
	want = filepath.Join(want, "entityauth")
	if c.Dir() != want {
		t.Errorf("Dir() = %q; want %q", c.Dir(), want)
	}
	if !strings.HasPrefix(c.Dir(), base) {
		t.Errorf("Dir() = %q; want it under %q", c.Dir(), base)
	}
}

func TestExpiry(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c := newCache(t)
		ctx := context.Background()
		if err := c.Store(ctx, key, []byte("entry"), time.Minute); err != nil {
			t.Fatal(err)
		}
		time.Sleep(time.Minute - time.Second)
		if _, err := c.Load(ctx, key); err != nil {
			t.Fatalf("Load 1s before the ttl ends: %v; want a hit", err)
		}
		time.Sleep(time.Second)
		if _, err := c.Load(ctx, key); !errors.Is(err, entityauth.ErrCacheMiss) {
			t.Fatalf("Load when the ttl ends: err = %v; want ErrCacheMiss", err)
		}
	})
}

func TestCorruptAndForeignFiles(t *testing.T) {
	ctx := context.Background()
	valid := func(t *testing.T, c *Cache) []byte {
		if err := c.Store(ctx, key, []byte("entry"), time.Hour); err != nil {
			t.Fatal(err)
		}
		files := entryFiles(t, c)
		if len(files) != 1 {
			t.Fatalf("entry files = %d; want 1", len(files))
		}
		b, err := os.ReadFile(files[0])
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	tests := []struct {
		name   string
		mangle func(b []byte) []byte
	}{
		{"empty", func([]byte) []byte { return nil }},
		{"foreign", func([]byte) []byte { return []byte(`{"access_token":"x"}`) }},
		{"truncated header", func(b []byte) []byte { return b[:headerLen-1] }},
		{"wrong version", func(b []byte) []byte {
			b = bytes.Clone(b)
			b[len(magic)-2] = '9'
			return b
		}},
		{"oversize", func(b []byte) []byte { return append(b, make([]byte, MaxEntrySize)...) }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := newCache(t)
			b := valid(t, c)
			file := entryFiles(t, c)[0]
			if err := os.WriteFile(file, tt.mangle(b), 0o600); err != nil {
				t.Fatal(err)
			}
			if got, err := c.Load(ctx, key); !errors.Is(err, entityauth.ErrCacheMiss) {
				t.Fatalf("Load of a %s file = %q, %v; want ErrCacheMiss", tt.name, got, err)
			}
			// The next Store replaces the file.
			if err := c.Store(ctx, key, []byte("fresh"), time.Hour); err != nil {
				t.Fatalf("Store over a %s file: %v", tt.name, err)
			}
			if got, err := c.Load(ctx, key); err != nil || string(got) != "fresh" {
				t.Errorf("Load after replacing = %q, %v; want %q, nil", got, err, "fresh")
			}
		})
	}

	t.Run("directory in place of the entry", func(t *testing.T) {
		c := newCache(t)
		valid(t, c)
		file := entryFiles(t, c)[0]
		if err := os.Remove(file); err != nil {
			t.Fatal(err)
		}
		if err := os.Mkdir(file, 0o700); err != nil {
			t.Fatal(err)
		}
		if _, err := c.Load(ctx, key); !errors.Is(err, entityauth.ErrCacheMiss) {
			t.Errorf("Load of a directory: err = %v; want ErrCacheMiss", err)
		}
	})
}

func TestKeysStayInsideTheDirectory(t *testing.T) {
	parent := t.TempDir()
	c, err := New(filepath.Join(parent, "cache"))
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	for _, k := range []string{"../escape", "/etc/passwd", "a/b", "", strings.Repeat("k", 5000)} {
		if err := c.Store(ctx, k, []byte(k), time.Hour); err != nil {
			t.Fatalf("Store(%.20q): %v", k, err)
		}
		if got, err := c.Load(ctx, k); err != nil || string(got) != k {
			t.Errorf("Load(%.20q) = %.20q, %v; want the stored entry", k, got, err)
		}
	}
	ents, _ := os.ReadDir(parent)
	if len(ents) != 1 {
		t.Errorf("entries beside the cache directory = %d; want 1 (the directory itself)", len(ents))
	}
}

func TestStoreRefusesOversizeEntry(t *testing.T) {
	c := newCache(t)
	if err := c.Store(context.Background(), key, make([]byte, MaxEntrySize+1), time.Hour); err == nil {
		t.Error("Store of an oversize entry succeeded; want an error")
	}
	if n := len(entryFiles(t, c)); n != 0 {
		t.Errorf("entry files = %d; want 0", n)
	}
}

func TestCancelledContext(t *testing.T) {
	c := newCache(t)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := c.Load(ctx, key); !errors.Is(err, context.Canceled) {
		t.Errorf("Load: err = %v; want context.Canceled", err)
	}
	if err := c.Store(ctx, key, nil, time.Hour); !errors.Is(err, context.Canceled) {
		t.Errorf("Store: err = %v; want context.Canceled", err)
	}
	if _, err := c.Lock(ctx, key, time.Minute); !errors.Is(err, context.Canceled) {
		t.Errorf("Lock: err = %v; want context.Canceled", err)
	}
}

func TestLock(t *testing.T) {
	c := newCache(t)
	ctx := context.Background()
	unlock, err := c.Lock(ctx, key, time.Minute)
	if err != nil {
		t.Fatalf("Lock: %v", err)
	}
	if _, err := c.Lock(ctx, key, time.Minute); !errors.Is(err, entityauth.ErrLocked) {
		t.Fatalf("second Lock: err = %v; want ErrLocked", err)
	}
	other, err := c.Lock(ctx, "another key", time.Minute)
	if err != nil {
		t.Fatalf("Lock of another key: %v", err)
	}
	if err := other(ctx); err != nil {
		t.Fatal(err)
	}
	if err := unlock(ctx); err != nil {
		t.Fatalf("unlock: %v", err)
	}
	unlock, err = c.Lock(ctx, key, time.Minute)
	if err != nil {
		t.Fatalf("Lock after unlock: %v", err)
	}
	if err := unlock(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Lock(ctx, key, 0); err == nil {
		t.Error("Lock with ttl 0 succeeded; want an error")
	}
}

func TestStaleLockIsBroken(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c := newCache(t)
		ctx := context.Background()
		first, err := c.Lock(ctx, key, time.Minute)
		if err != nil {
			t.Fatal(err)
		}
		time.Sleep(time.Minute - time.Second)
		if _, err := c.Lock(ctx, key, time.Minute); !errors.Is(err, entityauth.ErrLocked) {
			t.Fatalf("Lock before the holder's ttl ends: err = %v; want ErrLocked", err)
		}
		time.Sleep(time.Second)
		second, err := c.Lock(ctx, key, time.Minute)
		if err != nil {
			t.Fatalf("Lock after the holder's ttl: %v; want the stale lock broken", err)
		}
		// The first holder's late unlock must not release the second's lock.
		if err := first(ctx); err != nil {
			t.Fatal(err)
		}
		if _, err := c.Lock(ctx, key, time.Minute); !errors.Is(err, entityauth.ErrLocked) {
			t.Fatalf("Lock after a stale holder's unlock: err = %v; want ErrLocked", err)
		}
		if err := second(ctx); err != nil {
			t.Fatal(err)
		}
		if _, err := c.Lock(ctx, key, time.Minute); err != nil {
			t.Fatalf("Lock after release: %v", err)
		}
	})
}

func TestForeignLockFileIsBroken(t *testing.T) {
	ctx := context.Background()
	for _, content := range []string{"", "garbage", "0123456789abcdef0123456789abcdef notanumber\n",
		// A lock claiming to be held for a year: more than any holder asks for.
		"0123456789abcdef0123456789abcdef " + strconv.FormatInt(time.Now().AddDate(1, 0, 0).UnixNano(), 10) + "\n"} {
		c := newCache(t)
		lock := filepath.Join(c.Dir(), fileName(key, ".lock"))
		if err := os.WriteFile(lock, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		if !parses([]byte(content)) {
			// A lock that does not parse may be one being written: it
			// counts as held while it is young.
			if _, err := c.Lock(ctx, key, time.Minute); !errors.Is(err, entityauth.ErrLocked) {
				t.Errorf("Lock over a fresh lock file holding %q: err = %v; want ErrLocked", content, err)
			}
			old := time.Now().Add(-writeGrace)
			if err := os.Chtimes(lock, old, old); err != nil {
				t.Fatal(err)
			}
		}
		unlock, err := c.Lock(ctx, key, time.Minute)
		if err != nil {
			t.Fatalf("Lock over a lock file holding %q: %v; want it broken", content, err)
		}
		_ = unlock(ctx)
	}
}

// sealedLike returns an entry that proves its own integrity: 32 random
// bytes followed by their SHA-256.
func sealedLike() []byte {
	b := make([]byte, 32, 64)
	_, _ = rand.Read(b)
	sum := sha256.Sum256(b)
	return append(b, sum[:]...)
}

func intact(b []byte) bool {
	if len(b) != 64 {
		return false
	}
	sum := sha256.Sum256(b[:32])
	return bytes.Equal(sum[:], b[32:])
}

// hammer stores and loads one key n times, returning an error for any torn
// or foreign entry. It is shared by the goroutine and the process tests.
func hammer(c *Cache, n int) error {
	ctx := context.Background()
	for i := range n {
		if err := c.Store(ctx, key, sealedLike(), time.Hour); err != nil {
			return fmt.Errorf("store %d: %w", i, err)
		}
		got, err := c.Load(ctx, key)
		if err != nil {
			return fmt.Errorf("load %d: %w", i, err)
		}
		if !intact(got) {
			return fmt.Errorf("load %d: torn entry %x", i, got)
		}
	}
	return nil
}

// exclusive takes the lock n times and, while holding it, creates a marker
// file with O_EXCL: if two holders ever overlap, the second create fails.
func exclusive(c *Cache, marker string, n int) (acquired int, err error) {
	ctx := context.Background()
	for acquired < n {
		unlock, err := c.Lock(ctx, key, time.Minute)
		if errors.Is(err, entityauth.ErrLocked) {
			continue
		}
		if err != nil {
			return acquired, err
		}
		f, err := os.OpenFile(marker, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o600)
		if err != nil {
			return acquired, fmt.Errorf("two holders of one lock: %w", err)
		}
		_ = f.Close()
		if err := hammer(c, 1); err != nil {
			return acquired, err
		}
		if err := os.Remove(marker); err != nil {
			return acquired, err
		}
		if err := unlock(ctx); err != nil {
			return acquired, err
		}
		acquired++
	}
	return acquired, nil
}

func TestConcurrentGoroutines(t *testing.T) {
	c := newCache(t)
	marker := filepath.Join(t.TempDir(), "holder")
	var wg sync.WaitGroup
	var total atomic.Int64
	for range 8 {
		wg.Go(func() {
			if err := hammer(c, 50); err != nil {
				t.Error(err)
			}
			n, err := exclusive(c, marker, 10)
			total.Add(int64(n))
			if err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	if got := total.Load(); got != 80 {
		t.Errorf("locks acquired = %d; want 80", got)
	}
	assertNoLitter(t, c)
}

// assertNoLitter checks that only the entry is left: no temporary files,
// no lock, no lock moved aside.
func assertNoLitter(t *testing.T, c *Cache) {
	t.Helper()
	ents, err := os.ReadDir(c.Dir())
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range ents {
		names = append(names, e.Name())
	}
	if len(names) != 1 || !strings.HasSuffix(names[0], ".entry") {
		t.Errorf("files left = %q; want one .entry", names)
	}
}

// TestConcurrentProcesses runs this test binary as 8 processes that share
// one cache directory.
func TestConcurrentProcesses(t *testing.T) {
	if testing.Short() {
		t.Skip("spawns processes")
	}
	c := newCache(t)
	marker := filepath.Join(t.TempDir(), "holder")
	cmds := make([]*exec.Cmd, 8)
	outs := make([]*bytes.Buffer, 8)
	for i := range cmds {
		cmd := exec.CommandContext(t.Context(), os.Args[0], "-test.run=^TestHelperProcess$")
		cmd.Env = append(os.Environ(), "FILECACHE_HELPER_DIR="+c.Dir(), "FILECACHE_HELPER_MARKER="+marker)
		outs[i] = new(bytes.Buffer)
		cmd.Stdout, cmd.Stderr = outs[i], outs[i]
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		cmds[i] = cmd
	}
	for i, cmd := range cmds {
		if err := cmd.Wait(); err != nil {
			t.Errorf("process %d: %v\n%s", i, err, outs[i])
		}
	}
	got, err := c.Load(context.Background(), key)
	if err != nil || !intact(got) {
		t.Errorf("final entry = %x, %v; want an intact entry", got, err)
	}
	assertNoLitter(t, c)
}

// TestHelperProcess is one of the processes of TestConcurrentProcesses.
func TestHelperProcess(t *testing.T) {
	dir := os.Getenv("FILECACHE_HELPER_DIR")
	if dir == "" {
		t.Skip("helper process for TestConcurrentProcesses")
	}
	c, err := New(dir)
	if err != nil {
		t.Fatal(err)
	}
	if err := hammer(c, 50); err != nil {
		t.Fatal(err)
	}
	if _, err := exclusive(c, os.Getenv("FILECACHE_HELPER_MARKER"), 10); err != nil {
		t.Fatal(err)
	}
}
