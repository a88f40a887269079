package rediscache_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/entity-studio-go/entityauth/internal/testredis"
)

// init silences go-redis's own logger: the tests that stop Redis on purpose
// would fill the output with dial errors.
func init() { redis.SetLogger(quietLogger{}) }

// quietLogger drops go-redis's log lines.
type quietLogger struct{}

func (quietLogger) Printf(context.Context, string, ...any) {}

// testRedisAddr returns the address of the test Redis (see
// [testredis.Addr]): a redis-server that .ci/run started, or one that this
// test binary starts from PATH; without either the test is skipped, unless
// CI=true, where it fails. Only tests with "Redis" in their name may call it.
func testRedisAddr(t testing.TB) string {
	t.Helper()
	if !strings.Contains(t.Name(), "Redis") {
		t.Fatalf("test %s uses Redis; its name must contain \"Redis\"", t.Name())
	}
	return testredis.Addr(t)
}

// newTestClient returns a client of the Redis at addr, closed at cleanup,
// as a separate replica of a fleet would have.
func newTestClient(t testing.TB, addr string) *redis.Client {
	t.Helper()
	return newClient(t, &redis.Options{Addr: addr, MaxRetries: -1, DialTimeout: time.Second})
}

// newClient returns a client made from opts, closed at cleanup.
func newClient(t testing.TB, opts *redis.Options) *redis.Client {
	t.Helper()
	c := redis.NewClient(opts)
	t.Cleanup(func() { _ = c.Close() })
	return c
}

// testPrefix returns a key prefix of its own for each test, so tests that
// share one Redis never see each other's keys.
func testPrefix(t testing.TB) string {
	t.Helper()
	var b [6]byte
	_, _ = rand.Read(b[:])
	return "entityauth-test:" + hex.EncodeToString(b[:]) + ":"
}

// startRedisServer starts a redis-server of the test's own on a free loopback
// port, without persistence, and returns its address and a function that
// kills it with SIGKILL (also run at cleanup). Use it for tests that kill Redis.
func startRedisServer(t testing.TB, port int) (addr string, kill func()) {
	t.Helper()
	bin, err := exec.LookPath("redis-server")
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("redis-server not found under CI=true: %v", err)
		}
		t.Skipf("redis-server not found: %v", err)
	}
	if port == 0 {
		port = freePort(t)
	}
	addr = net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
	dir := t.TempDir()
	cmd := exec.CommandContext(context.Background(), bin, "--bind", "127.0.0.1", "--port", strconv.Itoa(port),
		"--save", "", "--appendonly", "no", "--dir", dir,
		"--logfile", filepath.Join(dir, "redis.log"))
	if err := cmd.Start(); err != nil {
		t.Fatalf("starting redis-server: %v", err)
	}
	var once sync.Once
	kill = func() {
		once.Do(func() {
			_ = cmd.Process.Kill()
			_ = cmd.Wait()
		})
	}
	t.Cleanup(kill)
	deadline := time.Now().Add(10 * time.Second)
	c := redis.NewClient(&redis.Options{Addr: addr, MaxRetries: -1})
	defer func() { _ = c.Close() }()
	for {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		err := c.Ping(ctx).Err()
		cancel()
		if err == nil {
			return addr, kill
		}
		if time.Now().After(deadline) {
			log, _ := os.ReadFile(filepath.Join(dir, "redis.log"))
			t.Fatalf("redis-server on %s did not answer PING: %v\n%s", addr, err, log)
		}
		time.Sleep(20 * time.Millisecond) // polling a process start, not test timing
	}
}

// freePort returns a loopback TCP port that was free a moment ago.
func freePort(t testing.TB) int {
	t.Helper()
	l, err := listen(t)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = l.Close() }()
	return l.Addr().(*net.TCPAddr).Port
}

// listen listens on a free loopback TCP port.
func listen(t testing.TB) (net.Listener, error) {
	return (&net.ListenConfig{}).Listen(t.Context(), "tcp", "127.0.0.1:0")
}

// slowProxy forwards TCP connections to a backend and holds every chunk of
// the backend's answers for a settable delay: a Redis that is slow to answer.
type slowProxy struct {
	l       net.Listener
	backend string
	delay   atomic.Int64 // nanoseconds
	wg      sync.WaitGroup

	mu     sync.Mutex
	conns  []net.Conn
	closed bool
	done   chan struct{} // closed by close: cuts delays short
}

func startSlowProxy(t testing.TB, backend string) *slowProxy {
	t.Helper()
	l, err := listen(t)
	if err != nil {
		t.Fatal(err)
	}
	p := &slowProxy{l: l, backend: backend, done: make(chan struct{})}
	p.wg.Add(1)
	go p.serve()
	t.Cleanup(p.close)
	return p
}

// close stops accepting, cuts every forwarded connection and waits.
func (p *slowProxy) close() {
	_ = p.l.Close()
	p.mu.Lock()
	if !p.closed {
		close(p.done)
	}
	p.closed = true
	for _, c := range p.conns {
		_ = c.Close()
	}
	p.mu.Unlock()
	p.wg.Wait()
}

func (p *slowProxy) Addr() string { return p.l.Addr().String() }

func (p *slowProxy) SetDelay(d time.Duration) { p.delay.Store(int64(d)) }

func (p *slowProxy) serve() {
	defer p.wg.Done()
	var conns sync.WaitGroup
	defer conns.Wait()
	for {
		c, err := p.l.Accept()
		if err != nil {
			return
		}
		b, err := (&net.Dialer{}).DialContext(context.Background(), "tcp", p.backend)
		if err != nil {
			_ = c.Close()
			continue
		}
		p.mu.Lock()
		p.conns = append(p.conns, c, b)
		if p.closed {
			_ = c.Close()
			_ = b.Close()
		}
		p.mu.Unlock()
		conns.Add(2)
		go func() { // client -> backend, at once
			defer conns.Done()
			_, _ = io.Copy(b, c)
			_ = b.Close()
		}()
		go func() { // backend -> client, late
			defer conns.Done()
			defer func() { _ = c.Close() }()
			buf := make([]byte, 32<<10)
			for {
				n, err := b.Read(buf)
				if n > 0 {
					select {
					case <-time.After(time.Duration(p.delay.Load())):
					case <-p.done:
						return
					}
					if _, werr := c.Write(buf[:n]); werr != nil {
						return
					}
				}
				if err != nil {
					return
				}
			}
		}()
	}
}

// waitFor polls cond every 5 ms until it holds or timeout passes. It is for
// states that a real Redis reaches in real time (a key that expires or a
// late answer that arrives), which virtual time cannot reach.
func waitFor(t testing.TB, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("after %v: %s", timeout, what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}
