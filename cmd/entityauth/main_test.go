package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"testing"
	"time"

	"go.uber.org/goleak"
)

// binary is the entityauth command, built once by TestMain.
var binary string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "entityauth-cli-test")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	binary = filepath.Join(dir, "entityauth")
	if runtime.GOOS == "windows" {
		binary += ".exe"
	}
	build := exec.CommandContext(context.Background(), "go", "build", "-o", binary, ".")
	build.Stdout, build.Stderr = os.Stderr, os.Stderr
	if err := build.Run(); err != nil {
		fmt.Fprintln(os.Stderr, "building entityauth:", err)
		_ = os.RemoveAll(dir)
		os.Exit(1)
	}
	code := m.Run()
	_ = os.RemoveAll(dir)
	if code == 0 {
		if err := goleak.Find(); err != nil {
			fmt.Fprintln(os.Stderr, "goleak: goroutines outlived the tests:", err)
			code = 1
		}
	}
	os.Exit(code)
}

// env is the environment of one test's runs: a private HOME and cache
// directory, so the real user cache is never touched, and nothing inherited
// from the caller's ENTITY_API_* variables.
type env struct {
	t        *testing.T
	home     string
	cacheDir string // XDG_CACHE_HOME; entries live in cacheDir/entityauth
	vars     []string
}

func newEnv(t *testing.T, vars ...string) *env {
	t.Helper()
	home := t.TempDir()
	e := &env{t: t, home: home, cacheDir: filepath.Join(home, "cache")}
	e.vars = append([]string{
		"PATH=" + os.Getenv("PATH"),
		"HOME=" + home,
		"XDG_CACHE_HOME=" + e.cacheDir,
		"LOCALAPPDATA=" + e.cacheDir,
	}, vars...)
	return e
}

// result is the outcome of one run.
type result struct {
	code           int
	stdout, stderr string
}

// run runs the binary with args and stdin, bounded by 30 seconds.
func (e *env) run(stdin string, args ...string) result {
	e.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, binary, args...)
	cmd.Env = e.vars
	cmd.Stdin = strings.NewReader(stdin)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	r := result{stdout: stdout.String(), stderr: stderr.String()}
	var exit *exec.ExitError
	switch {
	case err == nil:
	case errors.As(err, &exit):
		r.code = exit.ExitCode()
	default:
		e.t.Fatalf("running entityauth %q: %v", args, err)
	}
	if ctx.Err() != nil {
		e.t.Fatalf("entityauth %q did not finish within 30 s", args)
	}
	return r
}

// want checks the exit status of r.
func (r result) want(t *testing.T, code int, args ...string) {
	t.Helper()
	if r.code != code {
		t.Fatalf("entityauth %q: exit %d; want %d\nstdout: %s\nstderr: %s", args, r.code, code, r.stdout, r.stderr)
	}
}

// jwtPattern matches a compact JWT anywhere in a text.
var jwtPattern = regexp.MustCompile(`eyJ[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*`)

// assertNoSecrets fails if text holds any of secrets or anything shaped like a JWT.
func assertNoSecrets(t *testing.T, what, text string, secrets ...string) {
	t.Helper()
	for _, s := range secrets {
		if s != "" && strings.Contains(text, s) {
			t.Errorf("%s holds a secret (%.8s…)", what, s)
		}
	}
	if m := jwtPattern.FindString(text); m != "" {
		t.Errorf("%s holds a token (%.12s…)", what, m)
	}
}

func TestHelp(t *testing.T) {
	e := newEnv(t)
	for _, args := range [][]string{{"help"}, {"-h"}, {"--help"}} {
		r := e.run("", args...)
		r.want(t, 0, args...)
		for _, cmd := range []string{"token", "inspect", "fake", "demo", "version", "help"} {
			if !strings.Contains(r.stdout, "entityauth "+cmd) {
				t.Errorf("entityauth %q: stdout lacks %q:\n%s", args, "entityauth "+cmd, r.stdout)
			}
		}
	}
	for _, cmd := range []string{"token", "inspect", "fake", "demo", "version"} {
		for _, args := range [][]string{{cmd, "-h"}, {cmd, "--help"}, {"help", cmd}} {
			r := e.run("", args...)
			r.want(t, 0, args...)
			if want := "Usage: entityauth " + cmd; !strings.HasPrefix(r.stdout, want) {
				t.Errorf("entityauth %q: stdout = %q; want it to start with %q", args, r.stdout, want)
			}
			if r.stderr != "" {
				t.Errorf("entityauth %q: stderr = %q; want none", args, r.stderr)
			}
		}
	}
}

func TestUsageErrors(t *testing.T) {
	e := newEnv(t)
	for _, args := range [][]string{
		{},
		{"frobnicate"},
		{"help", "frobnicate"},
		{"version", "extra"},
		{"demo", "extra"},
		{"inspect", "--format", "xml", "-"},
		{"inspect", "a", "b"},
		{"fake", "--addr", "0.0.0.0:0"},
		{"fake", "--addr", ":0"},
		{"fake", "--addr", "192.0.2.1:8080"},
		{"fake", "--addr", "nonsense"},
		{"token", "--no-such-flag"},
	} {
		r := e.run("", args...)
		r.want(t, 2, args...)
		if r.stderr == "" || r.stdout != "" {
			t.Errorf("entityauth %q: stdout %q, stderr %q; want only stderr", args, r.stdout, r.stderr)
		}
	}
}

func TestVersion(t *testing.T) {
	r := newEnv(t).run("", "version")
	r.want(t, 0, "version")
	if !regexp.MustCompile(`^entityauth \S+.* go1\.\d+`).MatchString(r.stdout) {
		t.Errorf("version = %q; want \"entityauth <version> ... go1.N\"", r.stdout)
	}
}
