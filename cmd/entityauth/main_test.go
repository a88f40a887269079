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
	"slices"
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
		if len(commands) < 8 {
			t.Errorf("%d commands; want token, api, inspect, verify, fake, demo, version and help at least", len(commands))
		}
		if !strings.Contains(r.stdout, "\n  entityauth verify [flags] FILE|-") {
			t.Errorf("entityauth %q: stdout lacks the verify command:\n%s", args, r.stdout)
		}
		for _, cmd := range commands { // every command, each on a line of its own
			if line := "\n  entityauth " + cmd.name + " "; !strings.Contains(r.stdout, line) {
				t.Errorf("entityauth %q: stdout lacks %q:\n%s", args, line, r.stdout)
			}
		}
		if want := "75 temporary failure"; !strings.Contains(r.stdout, want) {
			t.Errorf("entityauth %q: stdout lacks the exit status %q:\n%s", args, want, r.stdout)
		}
	}
	// Each command's help shows its flags as --name, as the README does, and
	// a one-letter alias before its long name: -X, --method.
	flagLine := regexp.MustCompile(`(?m)^  (?:-[A-Za-z], )?(-+)([A-Za-z-]+)`)
	for _, tc := range []struct {
		cmd   string
		flags []string
	}{
		{"token", []string{"secret-file", "base-url", "origin", "grant-type", "lifetime", "no-cache", "format"}},
		{"api", []string{"method", "data", "paginate", "api-url", "secret-file", "base-url", "origin", "grant-type", "lifetime", "no-cache"}},
		{"inspect", []string{"format"}},
		{"verify", []string{"did", "challenge", "domain", "at", "status-url", "no-status", "format", "api-url", "secret-file", "base-url", "origin", "grant-type", "lifetime", "no-cache"}},
		{"fake", []string{"addr", "key", "rate-limit", "chain-delay", "direct", "env"}},
		{"demo", nil},
		{"version", nil},
	} {
		for _, args := range [][]string{{tc.cmd, "-h"}, {tc.cmd, "--help"}, {"help", tc.cmd}} {
			r := e.run("", args...)
			r.want(t, 0, args...)
			if want := "Usage: entityauth " + tc.cmd; !strings.HasPrefix(r.stdout, want) {
				t.Errorf("entityauth %q: stdout = %q; want it to start with %q", args, r.stdout, want)
			}
			if r.stderr != "" {
				t.Errorf("entityauth %q: stderr = %q; want none", args, r.stderr)
			}
			var shown []string
			for _, m := range flagLine.FindAllStringSubmatch(r.stdout, -1) {
				if m[1] != "--" {
					t.Errorf("entityauth %q: flag %q shown with %q; want --%s", args, m[2], m[1], m[2])
				}
				shown = append(shown, m[2])
			}
			slices.Sort(shown)
			want := slices.Sorted(slices.Values(tc.flags))
			if !slices.Equal(shown, want) {
				t.Errorf("entityauth %q: flags shown %q; want %q", args, shown, want)
			}
		}
	}
}

// TestNoArguments: entityauth alone prints the overview on stderr and exits 2.
func TestNoArguments(t *testing.T) {
	r := newEnv(t).run("")
	r.want(t, 2)
	if r.stdout != "" || !strings.Contains(r.stderr, "entityauth token") {
		t.Errorf("stdout %q, stderr %q; want the overview on stderr only", r.stdout, r.stderr)
	}
}

// TestUsageErrors: each usage error is one line that names the problem,
// then one line that points at the command's help, on stderr, with exit 2.
func TestUsageErrors(t *testing.T) {
	e := newEnv(t)
	for _, tc := range []struct {
		args []string
		want string // the first line
	}{
		{[]string{"frobnicate"}, `entityauth: unknown command "frobnicate"`},
		{[]string{"--frobnicate"}, `entityauth: unknown flag --frobnicate`},
		{[]string{"help", "frobnicate"}, `entityauth help: unknown command "frobnicate"`},
		{[]string{"help", "token", "fake"}, `entityauth help: help takes at most one command`},
		{[]string{"version", "extra"}, `entityauth version: version takes no arguments`},
		{[]string{"demo", "extra"}, `entityauth demo: demo takes no arguments`},
		{[]string{"inspect", "--format", "xml", "-"}, `entityauth inspect: --format must be text or json, not "xml"`},
		{[]string{"inspect", "a", "b"}, `entityauth inspect: inspect takes at most one token`},
		{[]string{"fake", "--addr", "nonsense"}, `entityauth fake: --addr "nonsense" is not host:port, such as 127.0.0.1:8080`},
		{[]string{"fake", "--addr"}, `entityauth fake: flag needs an argument: --addr`},
		{[]string{"fake", "--rate-limit", "many"}, `entityauth fake: invalid value "many" for --rate-limit: parse error`},
		{[]string{"fake", "--key", "two words"}, `entityauth fake: --key holds a space, a control character or a non-ASCII byte, which no header can carry`},
		{[]string{"fake", "extra"}, `entityauth fake: fake takes no arguments`},
		{[]string{"token", "--no-such-flag"}, `entityauth token: unknown flag --no-such-flag`},
		{[]string{"token", "--no-cache=maybe"}, `entityauth token: invalid boolean value "maybe" for --no-cache: parse error`},
		{[]string{"token"}, `entityauth token: no API secret key: set $ENTITY_API_SECRET_KEY or use --secret-file PATH`},
		{[]string{"token", "--format", "yaml"}, `entityauth token: --format must be raw, json or header, not "yaml"`},
		{[]string{"token", "--lifetime", "90m"}, `entityauth token: --lifetime "90m" is not a whole number of hours, such as 4h`},
		{[]string{"token", "extra"}, `entityauth token: token takes no arguments (the key comes from $ENTITY_API_SECRET_KEY or --secret-file)`},
		{[]string{"token", "--base-url", "localhost:8080"}, `entityauth token: --base-url "localhost:8080" is not an absolute URL such as https://api.entity.dashboard.hypersign.id`},
		{[]string{"api"}, `entityauth api: a PATH is needed, such as /api/v1/did`},
		{[]string{"api", "/api/v1/did", "/api/v1/credential"}, `entityauth api: api takes one PATH, not 2 (put a query in the PATH: api/v1/did?page=2)`},
		{[]string{"api", "-X", "FETCH", "/api/v1/did"}, `entityauth api: unknown method "FETCH"; use one of GET, POST, PUT, PATCH, DELETE`},
		{[]string{"api", "-X"}, `entityauth api: flag needs an argument: -X`},
		{[]string{"api", "--method"}, `entityauth api: flag needs an argument: --method`},
		{[]string{"api", "-Y", "/x"}, `entityauth api: unknown flag -Y`},
		{[]string{"api", "--paginate=sure", "/x"}, `entityauth api: invalid boolean value "sure" for --paginate: parse error`},
		{[]string{"api", "-d", `{"a":1,}`, "/api/v1/did/create"}, `entityauth api: --data is not valid JSON: invalid character '}' looking for beginning of object key string at byte 8`},
		{[]string{"api", "-d", "{}", "/api/v1/did/create", "--data", "[1"}, `entityauth api: --data is not valid JSON: unexpected end of JSON input at byte 2`},
		{[]string{"api", "-d", "{}", "-X", "GET", "/api/v1/did"}, `entityauth api: --data needs a method with a body, such as POST, not GET`},
		{[]string{"api", "--paginate", "-d", "{}", "/api/v1/did"}, `entityauth api: --paginate follows the pages of GET only, not POST`},
		{[]string{"api", "--paginate", "/api/v1/did?limit=-5"}, `entityauth api: --paginate: the PATH's limit "-5" is not a positive whole number`},
		{[]string{"api", "https://elsewhere.example/api/v1/did"}, `entityauth api: PATH "https://elsewhere.example/api/v1/did" is a URL outside the SSI API at https://api.entity.hypersign.id, which alone receives the token; give a path, or set --api-url`},
		{[]string{"api", "--api-url", "http://api.example.com", "/x"}, `entityauth api: --api-url "http://api.example.com" is neither https nor plain http to a loopback host (localhost, 127.0.0.0/8, ::1)`},
		{[]string{"api", "--api-url", "api.example.com", "/x"}, `entityauth api: --api-url "api.example.com" is not an absolute URL such as https://api.entity.hypersign.id`},
		{[]string{"api", "/x"}, `entityauth api: no API secret key: set $ENTITY_API_SECRET_KEY or use --secret-file PATH`},
	} {
		r := e.run("", tc.args...)
		r.want(t, 2, tc.args...)
		if r.stdout != "" {
			t.Errorf("entityauth %q: stdout = %q; want none", tc.args, r.stdout)
		}
		cmd, _, _ := strings.Cut(tc.want, ":") // "entityauth" or "entityauth token"
		if want := tc.want + "\nRun '" + cmd + " -h' for usage.\n"; r.stderr != want {
			t.Errorf("entityauth %q: stderr = %q; want %q", tc.args, r.stderr, want)
		}
	}
}

func TestVersion(t *testing.T) {
	e := newEnv(t)
	var first string
	for _, args := range [][]string{{"version"}, {"--version"}, {"-version"}} {
		r := e.run("", args...)
		r.want(t, 0, args...)
		if !regexp.MustCompile(`^entityauth \S+.* go1\.\d+`).MatchString(r.stdout) {
			t.Errorf("entityauth %q = %q; want \"entityauth <version> ... go1.N\"", args, r.stdout)
		}
		if first == "" {
			first = r.stdout
		} else if r.stdout != first {
			t.Errorf("entityauth %q = %q; want what version printed, %q", args, r.stdout, first)
		}
	}
}
