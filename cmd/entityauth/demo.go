package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/entity-studio-go/entityauth"
	"github.com/entity-studio-go/entityauth/entityauthtest"
)

// demo is the demo command: the library against an in-process fake.
func (c *cli) demo(args []string) int {
	fs := flags("demo", "",
		"Start a fake Entity Studio in this process, on loopback, and walk through the\n"+
			"library: fetch a token, inspect it, call the SSI API, show that a cached call\n"+
			"makes no request, and recover from a 401 with one refresh. It reaches no network\n"+
			"beyond loopback, writes no files, and never prints a token in clear.")
	if code, ok := c.parse(fs, args); !ok {
		return code
	}
	if fs.NArg() > 0 {
		return c.usageError(fs, "demo takes no arguments")
	}
	start := time.Now()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := c.runDemo(ctx); err != nil {
		return c.fail("demo", err)
	}
	c.stdout.printf("\nDone in %v.\n", time.Since(start).Round(time.Millisecond))
	return exitOK
}

func (c *cli) runDemo(ctx context.Context) error {
	w := c.stdout
	srv := entityauthtest.NewServer(entityauthtest.Options{})
	defer srv.Close()
	w.printf("A fake Entity Studio is serving at %s (in this process, loopback only).\n", srv.URL)
	w.printf("Its API key is random and lives only in this process. Lines starting with\n")
	w.printf("\"wire:\" are the requests that reach the fake.\n")

	// No Config.Cache: the demo keeps tokens in memory and leaves no files.
	cfg := entityauth.Config{
		APISecretKey: srv.APIKey(),
		BaseURL:      srv.URL,
		HTTPClient:   &http.Client{Transport: wireLog{w: w, base: srv.Client().Transport}},
	}

	step(w, 1, "Fetch a token through the library")
	w.printf("    cfg := entityauth.Config{APISecretKey: key, BaseURL: %q}\n", srv.URL)
	w.printf("    client := cfg.Client(ctx)  // an *http.Client for the SSI API\n")
	w.printf("    ts := client.Transport.(*entityauth.Transport).Source  // its TokenSource\n")
	w.printf("    tok, err := ts.Token()\n")
	client := cfg.Client(ctx)
	ts := client.Transport.(*entityauth.Transport).Source
	tok, err := ts.Token()
	if err != nil {
		return err
	}
	w.printf("    -> %s token %s, expires %s (in %v)\n", tok.Type(), redactToken(tok.AccessToken),
		tok.Expiry.UTC().Format(time.RFC3339), time.Until(tok.Expiry).Round(time.Second))

	step(w, 2, "Inspect it (what `entityauth inspect` shows)")
	d, err := decodeToken(tok.AccessToken)
	if err != nil {
		return err
	}
	var sb strings.Builder
	d.writeText(&sb, time.Now())
	w.printf("%s", indent(sb.String(), "    "))

	step(w, 3, "Call the SSI API through Config.Client")
	w.printf("    resp, err := client.Get(%q)\n", srv.URL+"/api/v1/did")
	status, body, err := get(ctx, client, srv.URL+"/api/v1/did")
	if err != nil {
		return err
	}
	w.printf("    -> %s %s\n", status, body)

	step(w, 4, "A cached call makes no token request")
	before := srv.TokenRequests()
	if status, _, err = get(ctx, client, srv.URL+"/api/v1/did"); err != nil {
		return err
	}
	w.printf("    -> %s; token requests: %d before, %d after (the token came from memory)\n",
		status, before, srv.TokenRequests())
	if after := srv.TokenRequests(); after != before {
		return fmt.Errorf("the cached call made %d token requests", after-before)
	}

	step(w, 5, "Recover from a forced 401 with one refresh")
	srv.DropSessions()
	w.printf("    The fake ends the app's session, as its week does on the real server, before the token's exp.\n")
	w.printf("    The same call: the client gets 401, drops the token, fetches one, retries once.\n")
	before, apiBefore := srv.TokenRequests(), srv.APIRequests()
	if status, body, err = get(ctx, client, srv.URL+"/api/v1/did"); err != nil {
		return err
	}
	refreshes, calls := srv.TokenRequests()-before, srv.APIRequests()-apiBefore
	w.printf("    -> %s %s\n", status, body)
	w.printf("    token requests for the recovery: %d; API requests: %d\n", refreshes, calls)
	if !strings.HasPrefix(status, "200") || refreshes != 1 || calls != 2 {
		return fmt.Errorf("recovery ended with %s after %d token and %d API requests; want 200 after 1 and 2", status, refreshes, calls)
	}
	w.printf("\nIn all: %d token requests, %d SSI API requests.\n", srv.TokenRequests(), srv.APIRequests())
	return nil
}

// wireLog is a RoundTripper that prints each request's method, path and
// status, and never a header.
type wireLog struct {
	w    *output
	base http.RoundTripper
}

func (l wireLog) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := l.base.RoundTrip(req)
	if err != nil {
		l.w.printf("    wire: %s %s -> %v\n", req.Method, req.URL.Path, err)
		return nil, err
	}
	l.w.printf("    wire: %s %s -> %s\n", req.Method, req.URL.Path, resp.Status)
	return resp, nil
}

func step(w *output, n int, title string) {
	w.printf("\n%d. %s\n", n, title)
}

// redactToken shows the start of a token, which is the encoded JWT header
// and no secret, and hides the rest.
func redactToken(tok string) string {
	return tok[:min(len(tok), 10)] + "…(redacted)"
}

func indent(s, prefix string) string {
	lines := strings.SplitAfter(s, "\n")
	var b strings.Builder
	for _, l := range lines {
		if strings.TrimSpace(l) != "" {
			b.WriteString(prefix)
		}
		b.WriteString(l)
	}
	return b.String()
}

// get makes a GET request and returns the status and a short body.
func get(ctx context.Context, client *http.Client, url string) (status, body string, err error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return "", "", err
	}
	resp, err := client.Do(req)
	if err != nil {
		return "", "", err
	}
	defer resp.Body.Close() //nolint:errcheck // the body is read in full
	b, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return "", "", err
	}
	s := strings.TrimSpace(string(b))
	if len(s) > 120 {
		s = s[:120] + "…"
	}
	return resp.Status, s, nil
}
