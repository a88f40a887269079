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

// TestFake starts `entityauth fake` on a free loopback port, gets a token
// from it with `entityauth token`, and stops it with SIGINT.
func TestFake(t *testing.T) {
	e := newEnv(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, binary, "fake", "--addr", "127.0.0.1:0")
	cmd.Env = e.vars
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr strings.Builder
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { _ = cmd.Process.Kill() }()

	// Read the banner: the URL, then the key on the line after its label.
	var url, key, banner string
	sc := bufio.NewScanner(stdout)
	for sc.Scan() {
		line := sc.Text()
		banner += line + "\n"
		if u, ok := strings.CutPrefix(line, "Fake Entity Studio at "); ok {
			url = u
		}
		if strings.Contains(line, "fake's API key") && sc.Scan() {
			key = strings.TrimSpace(sc.Text())
		}
		if strings.HasPrefix(line, "Stop with") {
			break
		}
	}
	if !strings.HasPrefix(url, "http://127.0.0.1:") || len(key) != 127 {
		t.Fatalf("banner without a loopback URL and a 127-character key:\n%s", banner)
	}
	go func() { _, _ = io.Copy(io.Discard, stdout) }()

	r := newEnv(t, envSecret+"="+key, envBaseURL+"="+url).run("", "token", "--format", "header")
	r.want(t, 0)
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, url+"/api/v1/did", nil)
	req.Header.Set("Authorization", strings.TrimPrefix(strings.TrimSpace(r.stdout), "Authorization: "))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	_ = resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Errorf("GET /api/v1/did with the fake's token: %s; want 200", resp.Status)
	}

	if err := cmd.Process.Signal(os.Interrupt); err != nil {
		t.Fatal(err)
	}
	if err := cmd.Wait(); err != nil {
		t.Fatalf("fake after SIGINT: %v; want exit 0\nstderr: %s", err, stderr.String())
	}
	// The log names the requests but never the key or a token.
	if !strings.Contains(stderr.String(), "/api/v1/app/oauth") {
		t.Errorf("fake's log lacks the token request:\n%s", stderr.String())
	}
	assertNoSecrets(t, "fake's log", stderr.String(), key)
}

func TestFakeSIGTERMAndBusyPort(t *testing.T) {
	e := newEnv(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, binary, "fake", "--addr", "127.0.0.1:0")
	cmd.Env = e.vars
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { _ = cmd.Process.Kill() }()
	line, err := bufio.NewReader(stdout).ReadString('\n')
	if err != nil {
		t.Fatal(err)
	}
	addr := strings.TrimPrefix(strings.TrimSpace(line), "Fake Entity Studio at http://")

	// A second fake on the same port fails with exit 1.
	r := e.run("", "fake", "--addr", addr)
	r.want(t, 1)

	go func() { _, _ = io.Copy(io.Discard, stdout) }()
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	if err := cmd.Wait(); err != nil {
		t.Fatalf("fake after SIGTERM: %v; want exit 0", err)
	}
}
