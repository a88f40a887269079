package main

import (
	"bufio"
	"context"
	"io"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"
)

// fakeProc is a running `entityauth fake --addr 127.0.0.1:0`.
type fakeProc struct {
	cmd    *exec.Cmd
	stdout *bufio.Scanner
	stderr strings.Builder
	url    string // from the first line of the banner
}

func startFake(t *testing.T) *fakeProc {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	f := &fakeProc{cmd: exec.CommandContext(ctx, binary, "fake", "--addr", "127.0.0.1:0")}
	f.cmd.Env = newEnv(t).vars
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
	if !f.stdout.Scan() {
		t.Fatalf("fake printed nothing: %v", f.stdout.Err())
	}
	f.url = strings.TrimPrefix(f.stdout.Text(), "Fake Entity Studio at ")
	if !strings.HasPrefix(f.url, "http://127.0.0.1:") {
		t.Fatalf("fake's first line = %q; want its loopback URL", f.stdout.Text())
	}
	return f
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
	// The key is on the line after its label.
	var key, banner string
	for f.stdout.Scan() {
		line := f.stdout.Text()
		banner += line + "\n"
		if strings.Contains(line, "fake's API key") && f.stdout.Scan() {
			key = strings.TrimSpace(f.stdout.Text())
		}
		if strings.HasPrefix(line, "Stop with") {
			break
		}
	}
	if len(key) != 127 {
		t.Fatalf("banner without a 127-character key:\n%s", banner)
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
