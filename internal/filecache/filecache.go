// Package filecache keeps sealed token entries in files, so that separate
// runs of a program (the entityauth CLI in a shell loop) share one token.
//
// A [Cache] implements entityauth.Cache as a plain byte store. It never sees
// a token in clear: the TokenSource seals each entry before Store and opens
// it after Load. The cache directory is 0700 and every file 0600. Writes go
// to a temporary file in the same directory and are renamed into place, so a
// reader sees either the old entry or the new one, never a torn file. Files
// that are not entries of this package (corrupt, truncated, foreign) read as
// a miss and are replaced by the next Store. Only regular files are ever
// opened: anything else at an entry's or a lock's path (a FIFO, a directory,
// a symbolic link, a device) is never read, never waited on, and is moved
// away and removed by the next Store or Lock.
package filecache

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/entity-studio-go/entityauth"
)

// MaxEntrySize is the largest entry, in bytes, that Store writes and Load reads.
const MaxEntrySize = 1 << 20

// maxLockTTL bounds how far in the future a lock file may claim to expire.
// A lock that claims more (a clock jump, a foreign file) counts as stale.
const maxLockTTL = time.Hour

// magic starts every entry file: a name and a format version.
const magic = "entityauth-cache/1\n"

// headerLen is the length of magic and a big-endian expiry in Unix nanoseconds.
const headerLen = len(magic) + 8

// maxLockSize bounds what is read of a lock file; a lock is about 52 bytes.
const maxLockSize = 4 << 10

// errNotRegular is the error of a path that holds something other than a
// regular file.
var errNotRegular = errors.New("not a regular file")

var _ entityauth.Cache = (*Cache)(nil)

// Cache is an entityauth.Cache backed by files in one directory.
// Its methods are safe for concurrent use by goroutines and by processes
// that share the directory.
type Cache struct {
	dir string
}

// New returns a Cache that keeps its files in dir, creating dir with mode
// 0700 if needed. If dir exists with a wider mode, New narrows it to 0700.
// It is an error for dir to be a symbolic link or not a directory.
func New(dir string) (*Cache, error) {
	if dir == "" {
		return nil, errors.New("entityauth: cache directory is empty")
	}
	if err := os.MkdirAll(dir, 0o700); err != nil { //nolint:gosec // G703: the caller chooses the directory
		return nil, fmt.Errorf("entityauth: creating cache directory: %w", err)
	}
	fi, err := os.Lstat(dir) //nolint:gosec // G703: as above
	if err != nil {
		return nil, fmt.Errorf("entityauth: cache directory: %w", err)
	}
	if !fi.IsDir() {
		return nil, fmt.Errorf("entityauth: cache directory %s is not a directory", dir)
	}
	if fi.Mode().Perm() != 0o700 {
		if err := os.Chmod(dir, 0o700); err != nil { //nolint:gosec // G302: a directory needs x
			return nil, fmt.Errorf("entityauth: restricting cache directory: %w", err)
		}
	}
	return &Cache{dir: dir}, nil
}

// DefaultDir returns the directory that [Default] uses:
// entityauth inside [os.UserCacheDir].
func DefaultDir() (string, error) {
	base, err := os.UserCacheDir()
	if err != nil {
		return "", fmt.Errorf("entityauth: locating the user cache directory: %w", err)
	}
	return filepath.Join(base, "entityauth"), nil
}

// Default returns a Cache in [DefaultDir].
func Default() (*Cache, error) {
	dir, err := DefaultDir()
	if err != nil {
		return nil, err
	}
	return New(dir)
}

// Dir returns the directory that holds the cache's files.
func (c *Cache) Dir() string { return c.dir }

// fileName maps a cache key to a file name. Hashing the key keeps any
// key, whatever its characters, inside the directory.
func fileName(key, suffix string) string {
	sum := sha256.Sum256([]byte(key))
	return hex.EncodeToString(sum[:16]) + suffix
}

func (c *Cache) root() (*os.Root, error) {
	r, err := os.OpenRoot(c.dir)
	if err != nil {
		return nil, fmt.Errorf("entityauth: opening cache directory: %w", err)
	}
	return r, nil
}

// Load returns the entry stored under key. It returns an error that wraps
// entityauth.ErrCacheMiss when there is no entry, when the entry's ttl has
// passed, and when the file is not an entry of this package or not a regular
// file at all.
func (c *Cache) Load(ctx context.Context, key string) ([]byte, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	r, err := c.root()
	if err != nil {
		return nil, err
	}
	defer r.Close() //nolint:errcheck // closing a directory handle
	data, err := readRegular(r, fileName(key, ".entry"), headerLen+MaxEntrySize)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return nil, entityauth.ErrCacheMiss
	case errors.Is(err, errNotRegular):
		return nil, fmt.Errorf("%w: %w", entityauth.ErrCacheMiss, errNotRegular)
	case err != nil:
		return nil, fmt.Errorf("entityauth: reading cache entry: %w", err)
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if len(data) < headerLen || len(data) > headerLen+MaxEntrySize || !bytes.HasPrefix(data, []byte(magic)) {
		return nil, fmt.Errorf("%w: unrecognised file", entityauth.ErrCacheMiss)
	}
	exp := int64(binary.BigEndian.Uint64(data[len(magic):headerLen])) //nolint:gosec // a wrapped value is simply a past expiry
	if !time.Now().Before(time.Unix(0, exp)) {
		return nil, fmt.Errorf("%w: expired", entityauth.ErrCacheMiss)
	}
	return data[headerLen:], nil
}

// openRegular opens name for reading if it is a regular file, and fails with
// errNotRegular if it is anything else. It never waits on a FIFO or a device:
// it looks with Lstat first (so a symbolic link is refused), opens without
// blocking, and checks with fstat that what it opened is a regular file (a
// FIFO may have taken the file's place in between).
func openRegular(r *os.Root, name string) (*os.File, error) {
	fi, err := r.Lstat(name)
	if err != nil {
		return nil, err
	}
	if !fi.Mode().IsRegular() {
		return nil, errNotRegular
	}
	f, err := r.OpenFile(name, os.O_RDONLY|oNonblock, 0)
	if err != nil {
		return nil, err
	}
	if got, err := f.Stat(); err != nil || !got.Mode().IsRegular() {
		_ = f.Close()
		return nil, errNotRegular
	}
	return f, nil
}

// readRegular reads up to limit+1 bytes of name if it is a regular file.
func readRegular(r *os.Root, name string, limit int) ([]byte, error) {
	f, err := openRegular(r, name)
	if err != nil {
		return nil, err
	}
	defer f.Close() //nolint:errcheck // read-only
	return io.ReadAll(io.LimitReader(f, int64(limit)+1))
}

// removeForeign moves whatever is at name, which is not a file of this
// package (a directory, a FIFO, a symbolic link), out of the way and removes
// it. Moving it first is atomic, so name is free at once even when the
// removal fails. A regular file at name is left alone, and one that another
// process put there in the meantime is put back.
func removeForeign(r *os.Root, name string) error {
	fi, err := r.Lstat(name)
	if errors.Is(err, fs.ErrNotExist) || (err == nil && fi.Mode().IsRegular()) {
		return nil // gone, or a file of this package again: look once more
	}
	if err != nil {
		return err
	}
	aside := "." + name + "." + randomHex(8) + ".foreign"
	if err := r.Rename(name, aside); err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil
		}
		return err
	}
	if fi, err := r.Lstat(aside); err == nil && fi.Mode().IsRegular() {
		_ = r.Link(aside, name)
		_ = r.Remove(aside)
		return nil
	}
	return r.RemoveAll(aside)
}

// Store writes entry under key, to be served by Load for ttl. A ttl of
// zero or less removes the entry. The write is atomic: a concurrent Load
// sees the old entry or the new one.
func (c *Cache) Store(ctx context.Context, key string, entry []byte, ttl time.Duration) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if len(entry) > MaxEntrySize {
		return fmt.Errorf("entityauth: cache entry of %d bytes exceeds %d", len(entry), MaxEntrySize)
	}
	r, err := c.root()
	if err != nil {
		return err
	}
	defer r.Close() //nolint:errcheck // closing a directory handle
	name := fileName(key, ".entry")
	if ttl <= 0 {
		if err := r.Remove(name); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("entityauth: removing cache entry: %w", err)
		}
		return nil
	}
	buf := make([]byte, headerLen, headerLen+len(entry))
	copy(buf, magic)
	binary.BigEndian.PutUint64(buf[len(magic):], uint64(time.Now().Add(ttl).UnixNano())) //nolint:gosec // times after 1970
	buf = append(buf, entry...)
	return writeAtomic(ctx, r, name, buf)
}

// writeAtomic writes data to a new temporary file beside name and renames it
// over name. A rename replaces anything but a directory; a directory at name
// is moved away and removed first.
func writeAtomic(ctx context.Context, r *os.Root, name string, data []byte) error {
	tmp, err := writeTemp(r, name, data)
	if err != nil {
		return fmt.Errorf("entityauth: writing cache entry: %w", err)
	}
	err = ctx.Err()
	if err == nil {
		err = r.Rename(tmp, name)
	}
	if err != nil && ctx.Err() == nil {
		if fi, lerr := r.Lstat(name); lerr == nil && fi.IsDir() {
			if err = removeForeign(r, name); err == nil {
				err = r.Rename(tmp, name)
			}
		}
	}
	if err != nil {
		_ = r.Remove(tmp)
		return fmt.Errorf("entityauth: writing cache entry: %w", err)
	}
	return nil
}

// writeTemp writes data to a new file with a random name beside name, with
// mode 0600, and returns the new file's name.
func writeTemp(r *os.Root, name string, data []byte) (string, error) {
	tmp := "." + name + "." + randomHex(8) + ".tmp"
	f, err := r.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return "", err
	}
	_, err = f.Write(data)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		_ = r.Remove(tmp)
		return "", err
	}
	return tmp, nil
}

// createExclusive creates name holding data, or fails with an error that
// wraps fs.ErrExist if name exists. It writes a temporary file and
// hard-links it to name, so that no reader ever sees a partly written file.
// Where hard links are not supported it creates name with O_EXCL instead.
func createExclusive(r *os.Root, name string, data []byte) error {
	tmp, err := writeTemp(r, name, data)
	if err != nil {
		return err
	}
	defer r.Remove(tmp) //nolint:errcheck // best effort: a leftover is only litter
	err = r.Link(tmp, name)
	if err == nil || errors.Is(err, fs.ErrExist) {
		return err
	}
	f, err := r.OpenFile(name, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return err
	}
	_, err = f.Write(data)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		_ = r.Remove(name)
	}
	return err
}

// Lock takes the lock for key, held for at most ttl, so that one process
// fetches a token while the others wait for its entry. It returns
// entityauth.ErrLocked when another holder's lock has not expired. A lock
// whose ttl has passed, or whose file cannot be read as a lock, is stale and
// is broken. The returned unlock releases the lock only if it is still the
// caller's.
func (c *Cache) Lock(ctx context.Context, key string, ttl time.Duration) (unlock func(context.Context) error, err error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if ttl <= 0 {
		return nil, fmt.Errorf("entityauth: lock ttl %v is not positive", ttl)
	}
	ttl = min(ttl, maxLockTTL)
	r, err := c.root()
	if err != nil {
		return nil, err
	}
	defer r.Close() //nolint:errcheck // closing a directory handle
	name := fileName(key, ".lock")
	token := randomHex(16)
	// Two attempts: the second follows breaking a stale or foreign lock.
	for range 2 {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		content := []byte(token + " " + strconv.FormatInt(time.Now().Add(ttl).UnixNano(), 10) + "\n")
		err := createExclusive(r, name, content)
		if err == nil {
			return c.unlocker(name, content), nil
		}
		if !errors.Is(err, fs.ErrExist) {
			return nil, fmt.Errorf("entityauth: taking cache lock: %w", err)
		}
		held, err := readRegular(r, name, maxLockSize)
		switch {
		case errors.Is(err, fs.ErrNotExist):
			continue // released between our attempt and our read
		case errors.Is(err, errNotRegular):
			// A directory, a FIFO or a link is never a lock of ours.
			if err := removeForeign(r, name); err != nil {
				return nil, fmt.Errorf("entityauth: removing a foreign cache lock: %w", err)
			}
			continue
		case err != nil:
			return nil, fmt.Errorf("entityauth: reading cache lock: %w", err)
		}
		if !stale(held, time.Now()) {
			return nil, entityauth.ErrLocked
		}
		if !parses(held) {
			// Without hard links, a lock is visible empty for a moment
			// before its content is written: break it only once it is old.
			if fi, err := r.Lstat(name); err == nil && time.Since(fi.ModTime()) < writeGrace {
				return nil, entityauth.ErrLocked
			}
		}
		removeIf(r, name, held)
	}
	return nil, entityauth.ErrLocked
}

func (c *Cache) unlocker(name string, content []byte) func(context.Context) error {
	return func(ctx context.Context) error {
		if err := ctx.Err(); err != nil {
			return err
		}
		r, err := c.root()
		if err != nil {
			return err
		}
		defer r.Close() //nolint:errcheck // closing a directory handle
		removeIf(r, name, content)
		return nil
	}
}

// writeGrace is how long a lock file that does not parse counts as held.
const writeGrace = 5 * time.Second

// parseLock returns the expiry of the lock file content held.
func parseLock(held []byte) (expiry time.Time, ok bool) {
	tok, exp, ok := strings.Cut(strings.TrimSuffix(string(held), "\n"), " ")
	if !ok || len(tok) != 32 {
		return time.Time{}, false
	}
	ns, err := strconv.ParseInt(exp, 10, 64)
	if err != nil {
		return time.Time{}, false
	}
	return time.Unix(0, ns), true
}

func parses(held []byte) bool {
	_, ok := parseLock(held)
	return ok
}

// stale reports whether the lock file content held has expired at now,
// claims an expiry further away than any holder may ask for, or is not a
// lock at all.
func stale(held []byte, now time.Time) bool {
	expiry, ok := parseLock(held)
	return !ok || !now.Before(expiry) || expiry.After(now.Add(maxLockTTL))
}

// removeIf removes the file name if it still holds want. It moves the file
// aside first, which is atomic, and puts it back if another process replaced
// it in the meantime, so that it never removes a lock that it did not see.
func removeIf(r *os.Root, name string, want []byte) {
	aside := "." + name + "." + randomHex(8) + ".old"
	if err := r.Rename(name, aside); err != nil {
		return
	}
	got, err := readRegular(r, aside, maxLockSize)
	if err == nil && !bytes.Equal(got, want) {
		// Someone else's lock: restore it unless a newer one took its place.
		_ = r.Link(aside, name)
	}
	_ = r.RemoveAll(aside)
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b) // crypto/rand.Read never fails
	return hex.EncodeToString(b)
}
