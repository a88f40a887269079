package main

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// fakeProc is a running `entityauth fake`.
type fakeProc struct {
	cmd    *exec.Cmd
	stdout *bufio.Scanner
	stderr strings.Builder // read it only after stop
	url    string          // from the first line of the banner
}

// startFake starts `entityauth fake --addr 127.0.0.1:0` and reads the first
// line of its banner.
func startFake(t *testing.T) *fakeProc {
	t.Helper()
	f := startFakeWith(t, nil, "--addr", "127.0.0.1:0")
	if !f.stdout.Scan() {
		t.Fatalf("fake printed nothing: %v", f.stdout.Err())
	}
	f.url = strings.TrimPrefix(f.stdout.Text(), "Fake Entity Studio at ")
	if !strings.HasPrefix(f.url, "http://127.0.0.1:") {
		t.Fatalf("fake's first line = %q; want its loopback URL", f.stdout.Text())
	}
	return f
}

// startFakeWith starts `entityauth fake args...` with vars in its environment.
func startFakeWith(t *testing.T, vars []string, args ...string) *fakeProc {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	f := &fakeProc{cmd: exec.CommandContext(ctx, binary, append([]string{"fake"}, args...)...)}
	f.cmd.Env = newEnv(t, vars...).vars
	f.cmd.Stderr = &f.stderr
	stdout, err := f.cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := f.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = f.cmd.Process.Kill() })
	f.stdout = bufio.NewScanner(stdout)
	return f
}

// banner reads the rest of the banner and returns the URL's line and the key.
func (f *fakeProc) banner(t *testing.T) (url, key string) {
	t.Helper()
	var text string
	for f.stdout.Scan() {
		line := f.stdout.Text()
		text += line + "\n"
		if u, ok := strings.CutPrefix(line, "Fake Entity Studio at "); ok {
			url = u
		}
		// The key is on the line after its label.
		if strings.Contains(line, "fake's API key") && f.stdout.Scan() {
			key = strings.TrimSpace(f.stdout.Text())
		}
		if strings.HasPrefix(line, "Stop with") {
			return url, key
		}
	}
	t.Fatalf("banner ended early:\n%s", text)
	return "", ""
}

// stop sends sig, drains stdout and checks that the fake exits 0.
func (f *fakeProc) stop(t *testing.T, sig os.Signal) {
	t.Helper()
	if err := f.cmd.Process.Signal(sig); err != nil {
		t.Fatal(err)
	}
	for f.stdout.Scan() {
	}
	if err := f.cmd.Wait(); err != nil {
		t.Fatalf("fake after %v: %v; want exit 0\nstderr: %s", sig, err, f.stderr.String())
	}
}

// TestFake starts `entityauth fake`, gets a token from it with
// `entityauth token`, calls its SSI API, and stops it with SIGINT.
func TestFake(t *testing.T) {
	f := startFake(t)
	_, key := f.banner(t)
	if len(key) != 127 {
		t.Fatalf("banner's key %q; want a random one of 127 characters", key)
	}

	r := newEnv(t, envSecret+"="+key, envBaseURL+"="+f.url).run("", "token", "--format", "header")
	r.want(t, 0)
	req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, f.url+"/api/v1/did", nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", strings.TrimPrefix(strings.TrimSpace(r.stdout), "Authorization: "))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	_ = resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Errorf("GET /api/v1/did with the fake's token: %s; want 200", resp.Status)
	}

	f.stop(t, os.Interrupt)
	// The log names the requests but never the key or a token.
	log := f.stderr.String()
	if !strings.Contains(log, "/api/v1/app/oauth") || !strings.Contains(log, "/api/v1/did") {
		t.Errorf("fake's log lacks the requests:\n%s", log)
	}
	assertNoSecrets(t, "fake's log", log, key)
}

func TestFakeSIGTERMAndBusyPort(t *testing.T) {
	f := startFake(t)
	// A second fake on the same port fails with exit 1.
	newEnv(t).run("", "fake", "--addr", strings.TrimPrefix(f.url, "http://")).want(t, 1)
	f.stop(t, syscall.SIGTERM)
}

// TestFakeKey: --key fixes the key the fake accepts, and so does
// $ENTITYAUTH_FAKE_KEY; the flag wins.
func TestFakeKey(t *testing.T) {
	for _, tc := range []struct {
		name string
		vars []string
		args []string
		want string
	}{
		{"flag", nil, []string{"--key", "flag-key"}, "flag-key"},
		{"env", []string{envFakeKey + "=env-key"}, nil, "env-key"},
		{"flag over env", []string{envFakeKey + "=env-key"}, []string{"--key", "flag-key"}, "flag-key"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := startFakeWith(t, tc.vars, append([]string{"--addr", "127.0.0.1:0"}, tc.args...)...)
			url, key := f.banner(t)
			if key != tc.want {
				t.Errorf("banner's key = %q; want %q", key, tc.want)
			}
			e := newEnv(t, envSecret+"="+tc.want, envBaseURL+"="+url)
			e.run("", "token", "--no-cache").want(t, 0)
			e = newEnv(t, envSecret+"=another-key", envBaseURL+"="+url)
			e.run("", "token", "--no-cache").want(t, 1)
			f.stop(t, os.Interrupt)
		})
	}
	// A key that no header can carry is a usage error that does not echo it.
	r := newEnv(t, envFakeKey+"=bad\tkey").run("", "fake", "--addr", "127.0.0.1:0")
	r.want(t, 2)
	want := "entityauth fake: $" + envFakeKey + " holds a space, a control character or a non-ASCII byte, which no header can carry\n" +
		"Run 'entityauth fake -h' for usage.\n"
	if r.stderr != want {
		t.Errorf("stderr = %q; want %q", r.stderr, want)
	}
}

// TestFakeEnv: --env prints export lines, quoted for sh, closes standard
// output and serves on; the values work, and the PID stops it.
func TestFakeEnv(t *testing.T) {
	sh := lookShell(t)
	const key = `it's$HOME"\;` + "`x`"
	f := startFakeWith(t, nil, "--addr", "127.0.0.1:0", "--key", key, "--env")
	var lines []string
	for f.stdout.Scan() { // to EOF: the fake closed its standard output
		lines = append(lines, f.stdout.Text())
	}
	names := []string{envBaseURL, envSecret, envSSIURL, envFakePID}
	if len(lines) != len(names) {
		t.Fatalf("--env printed %q; want %d export lines", lines, len(names))
	}
	for i, name := range names {
		if !strings.HasPrefix(lines[i], "export "+name+"=") {
			t.Errorf("line %d = %q; want export %s=…", i+1, lines[i], name)
		}
	}
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	script := `eval "$1"; printf '%s\n' "$` + strings.Join(names, `" "$`) + `"`
	out, err := exec.CommandContext(ctx, sh, "-c", script, "sh", strings.Join(lines, "\n")).Output()
	if err != nil {
		t.Fatalf("sh: %v", err)
	}
	got := strings.Split(strings.TrimSuffix(string(out), "\n"), "\n")
	if len(got) != 4 || !strings.HasPrefix(got[0], "http://127.0.0.1:") || got[1] != key || got[2] != got[0] ||
		got[3] != strconv.Itoa(f.cmd.Process.Pid) {
		t.Fatalf("after eval: %q; want the URL, the key %q, the URL again and the PID %d", got, key, f.cmd.Process.Pid)
	}
	// Both APIs on the one URL, with the key as printed.
	e := newEnv(t, envSecret+"="+got[1], envBaseURL+"="+got[0])
	r := e.run("", "token", "--no-cache", "--format", "header")
	r.want(t, 0)
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, got[2]+"/api/v1/did", nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", strings.TrimPrefix(strings.TrimSpace(r.stdout), "Authorization: "))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	_ = resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Errorf("GET %s/api/v1/did: %s; want 200", got[2], resp.Status)
	}
	f.stop(t, syscall.SIGTERM)
	if log := f.stderr.String(); !strings.Contains(log, "serving at "+got[0]) {
		t.Errorf("stderr = %q; want it to say where the fake serves", log)
	}
}

// TestFakeEnvEval runs the README's recipe in sh: the eval returns while
// the fake serves in the background, and kill stops it.
func TestFakeEnvEval(t *testing.T) {
	sh := lookShell(t)
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	script := `eval "$("$0" fake --addr 127.0.0.1:0 --env 2>/dev/null &)"
"$0" token --no-cache >/dev/null; status=$?
kill "$ENTITYAUTH_FAKE_PID" || exit 9
exit $status`
	cmd := exec.CommandContext(ctx, sh, "-c", script, binary)
	cmd.Env = newEnv(t).vars
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("sh: %v\n%s", err, out)
	}
}

// lookShell returns the path of sh, or skips the test where there is none.
func lookShell(t *testing.T) string {
	t.Helper()
	sh, err := exec.LookPath("sh")
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("no sh on PATH: %v", err)
		}
		t.Skip("no sh on PATH")
	}
	return sh
}

// TestFakeNonLoopbackAddr: an address beyond loopback serves, with a
// warning, and the banner names the loopback URL of an unspecified address.
func TestFakeNonLoopbackAddr(t *testing.T) {
	f := startFakeWith(t, nil, "--addr", "0.0.0.0:0")
	url, key := f.banner(t)
	if !strings.HasPrefix(url, "http://127.0.0.1:") {
		t.Fatalf("URL = %q; want http://127.0.0.1:<port>", url)
	}
	newEnv(t, envSecret+"="+key, envBaseURL+"="+url).run("", "token", "--no-cache").want(t, 0)
	f.stop(t, os.Interrupt)
	want := "entityauth fake: warning: --addr \"0.0.0.0:0\" is not a loopback address: anyone who reaches it can get tokens from the fake\n"
	if log := f.stderr.String(); !strings.HasPrefix(log, want) {
		t.Errorf("stderr = %q; want it to start with %q", log, want)
	}
}

// TestFakeRateLimit: --rate-limit sets the fake's limit, and the token
// command's 429 exits 75 with the hint.
func TestFakeRateLimit(t *testing.T) {
	f := startFakeWith(t, nil, "--addr", "127.0.0.1:0", "--rate-limit", "1")
	url, key := f.banner(t)
	e := newEnv(t, envSecret+"="+key, envBaseURL+"="+url)
	e.run("", "token", "--no-cache").want(t, 0)
	r := e.run("", "token", "--no-cache")
	r.want(t, 75)
	if !strings.Contains(r.stderr, "429") || !strings.Contains(r.stderr, "hint: the token service allows") {
		t.Errorf("stderr = %q; want the 429 and the hint", r.stderr)
	}
	f.stop(t, os.Interrupt)
}

// TestFakeChainFlags: the fake queues registrations by default, lands them
// after --chain-delay, and --direct registers before answering.
func TestFakeChainFlags(t *testing.T) {
	for _, tt := range []struct {
		flag, want string
		onChain    bool // at the next request
	}{
		{"--chain-delay=1h", `"registrationStatus":"UNREGISTRED","transactionHash":""`, false},
		{"--chain-delay=0", `"registrationStatus":"UNREGISTRED","transactionHash":""`, true},
		{"--direct", `"registrationStatus":"COMPLETED","transactionHash":"`, true},
	} {
		t.Run(tt.flag, func(t *testing.T) {
			f := startFakeWith(t, nil, "--addr", "127.0.0.1:0", "--rate-limit", "-1", tt.flag)
			url, key := f.banner(t)
			e := newEnv(t, envSecret+"="+key, envBaseURL+"="+url, envSSIURL+"="+url)
			created := e.run("", "api", "--no-cache", "-d", `{"namespace":"testnet"}`, "/api/v1/did/create")
			created.want(t, 0)
			var c struct {
				MetaData struct {
					DidDocument json.RawMessage `json:"didDocument"`
				} `json:"metaData"`
				Did string `json:"did"`
			}
			if err := json.Unmarshal([]byte(created.stdout), &c); err != nil {
				t.Fatalf("create answered %q: %v", created.stdout, err)
			}
			body := `{"didDocument":` + string(c.MetaData.DidDocument) + `,"verificationMethodId":"` + c.Did + `#key-1"}`
			reg := e.run("", "api", "--no-cache", "-d", body, "/api/v1/did/register")
			reg.want(t, 0)
			if !strings.Contains(reg.stdout, tt.want) {
				t.Errorf("register with %s = %s; want %s", tt.flag, reg.stdout, tt.want)
			}
			res := e.run("", "api", "--no-cache", "/api/v1/did/resolve/"+c.Did)
			res.want(t, 0)
			if got := !strings.Contains(res.stdout, `"didDocumentMetadata":null`); got != tt.onChain {
				t.Errorf("resolve after register with %s = %s; want on chain %v", tt.flag, res.stdout, tt.onChain)
			}
			f.stop(t, os.Interrupt)
		})
	}
}
