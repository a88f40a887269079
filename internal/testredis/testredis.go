// Package testredis gives tests a redis-server on loopback: the one that
// ENTITYAUTH_TEST_REDIS_ADDR names (.ci/run starts one and sets it), else one
// that it starts itself from the redis-server on PATH, once per test binary.
// Without either, a test that needs Redis is skipped, or fails under CI=true,
// where nothing may pass by skipping.
package testredis

import (
	"bufio"
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"sync"
	"testing"
	"time"
)

// Env names the variable that points the tests at a running redis-server.
const Env = "ENTITYAUTH_TEST_REDIS_ADDR"

var (
	mu      sync.Mutex
	addr    string    // of the server that Addr started
	cmd     *exec.Cmd // that server
	tempDir string    // its working directory
)

// Addr returns the address of the test Redis, starting one on first use when
// Env is unset and redis-server is on PATH. Call [Stop] from TestMain after
// the tests have run.
func Addr(tb testing.TB) string {
	tb.Helper()
	if a := os.Getenv(Env); a != "" {
		host, _, err := net.SplitHostPort(a)
		if ip := net.ParseIP(host); err != nil || (host != "localhost" && (ip == nil || !ip.IsLoopback())) {
			tb.Fatalf("%s = %q; want a loopback host:port", Env, a)
		}
		return a
	}
	mu.Lock()
	defer mu.Unlock()
	if addr != "" {
		return addr
	}
	bin, err := exec.LookPath("redis-server")
	if err != nil {
		if os.Getenv("CI") == "true" {
			tb.Fatalf("no Redis under CI=true: %s is unset and redis-server is not on PATH", Env)
		}
		tb.Skipf("no Redis: %s is unset and redis-server is not on PATH", Env)
	}
	if err := start(bin); err != nil {
		tb.Fatalf("starting redis-server: %v", err)
	}
	return addr
}

// start runs bin on a free loopback port, without persistence, and waits
// until it answers PING.
func start(bin string) error {
	var lc net.ListenConfig
	l, err := lc.Listen(context.Background(), "tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	port := l.Addr().(*net.TCPAddr).Port
	_ = l.Close()
	dir, err := os.MkdirTemp("", "entityauth-redis-")
	if err != nil {
		return err
	}
	//nolint:gosec // bin is redis-server as found on PATH; the arguments are ours
	c := exec.CommandContext(context.Background(), bin, "--bind", "127.0.0.1", "--port", strconv.Itoa(port),
		"--save", "", "--appendonly", "no", "--dir", dir, "--logfile", filepath.Join(dir, "redis.log"))
	if err := c.Start(); err != nil {
		_ = os.RemoveAll(dir)
		return err
	}
	a := net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		if ping(a) == nil {
			break
		}
		if time.Now().After(deadline) {
			_ = c.Process.Kill()
			_ = c.Wait()
			_ = os.RemoveAll(dir)
			return fmt.Errorf("redis-server on %s did not answer PING within 10s", a)
		}
	}
	addr, cmd, tempDir = a, c, dir
	return nil
}

// ping sends PING to the Redis at a and expects +PONG.
func ping(a string) error {
	d := net.Dialer{Timeout: time.Second}
	conn, err := d.DialContext(context.Background(), "tcp", a)
	if err != nil {
		return err
	}
	defer func() { _ = conn.Close() }()
	_ = conn.SetDeadline(time.Now().Add(time.Second))
	if _, err := conn.Write([]byte("PING\r\n")); err != nil {
		return err
	}
	line, err := bufio.NewReader(conn).ReadString('\n')
	if err != nil {
		return err
	}
	if line != "+PONG\r\n" {
		return fmt.Errorf("PING answered %q", line)
	}
	return nil
}

// Stop kills the redis-server that Addr started, if any.
func Stop() {
	mu.Lock()
	defer mu.Unlock()
	if cmd == nil {
		return
	}
	_ = cmd.Process.Kill()
	_ = cmd.Wait()
	_ = os.RemoveAll(tempDir)
	addr, cmd, tempDir = "", nil, ""
}
