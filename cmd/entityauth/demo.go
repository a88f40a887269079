package main

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/entity-studio-go/entityauth"
	"github.com/entity-studio-go/entityauth/entityauthtest"
	"github.com/entity-studio-go/entityauth/gen/ssiapi"
	"github.com/entity-studio-go/entityauth/ssi"
)

// demo is the demo command: the library against an in-process fake.
func (c *cli) demo(args []string) int {
	fs := flags("demo", "",
		"Start a fake Entity Studio in this process, on loopback, and walk through the\n"+
			"library: fetch a token, inspect it, then through package ssi create a DID,\n"+
			"register it and wait until it is on chain, issue a credential and revoke\n"+
			"it, waiting each time for the chain, as production queues these\n"+
			"transactions, all with the one token, and recover from a 401 with one refresh. It reaches no network beyond loopback,\n"+
			"writes no files, and never prints a token or a key in clear.")
	if code, ok := c.parse(fs, args); !ok {
		return code
	}
	if fs.NArg() > 0 {
		return c.usageError(fs.Name(), "demo takes no arguments")
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
	// Queued as in production, with a chain quicker than the real one.
	srv := entityauthtest.NewServer(entityauthtest.Options{ChainDelay: demoChainDelay})
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
	w.printf("    client := cfg.Client(ctx)  // an *http.Client for the SSI API: build it once\n")
	w.printf("    ts := cfg.TokenSource(ctx) // an oauth2.TokenSource; it shares the client's token\n")
	w.printf("    tok, err := ts.Token()\n")
	client := cfg.Client(ctx)
	ts := cfg.TokenSource(ctx)
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

	step(w, 3, "Create a DID through package ssi")
	w.printf("    c, err := ssi.NewClient(%q, client)  // ssi.DefaultBaseURL in production\n", srv.URL)
	w.printf("    created, err := c.CreateDID(ctx, ssiapi.CreateDIDRequest{Namespace: ssiapi.DIDNamespaceTestnet})\n")
	sc, err := ssi.NewClient(srv.URL, client)
	if err != nil {
		return err
	}
	created, err := sc.CreateDID(ctx, ssiapi.CreateDIDRequest{Namespace: ssiapi.DIDNamespaceTestnet})
	if err != nil {
		return err
	}
	w.printf("    -> %s, %s\n", shortID(created.Did), created.RegistrationStatus)

	step(w, 4, "Register it on chain")
	w.printf("    vm := ssi.VerificationMethodID(created.MetaData.DidDocument)  // <did>#key-1\n")
	w.printf("    reg, err := c.RegisterDID(ctx, ssiapi.RegisterDIDRequest{DidDocument: created.MetaData.DidDocument, VerificationMethodId: vm})\n")
	vm := ssi.VerificationMethodID(created.MetaData.DidDocument)
	reg, err := sc.RegisterDID(ctx, ssiapi.RegisterDIDRequest{DidDocument: created.MetaData.DidDocument, VerificationMethodId: vm})
	if err != nil {
		return err
	}
	w.printf("    -> %s, transaction hash %q: queued, as in production (an app with credits has a fee grant)\n", reg.RegistrationStatus, reg.TransactionHash)

	step(w, 5, "Wait until it is on chain")
	w.printf("    Issuing with a DID that is not on chain yet fails. The fake's chain takes %v here;\n", demoChainDelay)
	w.printf("    the real one takes several seconds, possibly tens.\n")
	w.printf("    resolved, err := c.WaitRegistered(ctx, created.Did)  // polls GET /did/resolve with backoff\n")
	w.printf("    waiting…\n")
	t0 := time.Now()
	resolved, err := sc.WaitRegistered(ctx, created.Did)
	if err != nil {
		return err
	}
	w.printf("    -> on chain after %v, versionId %s\n", time.Since(t0).Round(100*time.Millisecond), shortID(deref(resolved.DidDocumentMetadata.VersionId)))

	step(w, 6, "Issue a credential, and wait until its status is live on chain")
	w.printf("    issued, err := c.IssueCredential(ctx, ssiapi.IssueCredentialRequest{IssuerDid: did, SubjectDid: did, …})\n")
	issued, err := sc.IssueCredential(ctx, ssiapi.IssueCredentialRequest{
		IssuerDid: created.Did, VerificationMethodId: vm, SubjectDid: created.Did,
		SchemaContext: []string{"https://schema.org"}, Type: []string{"DemoCredential"},
		ExpirationDate: time.Now().AddDate(1, 0, 0), Fields: map[string]any{"name": "Ada"},
	})
	if err != nil {
		return err
	}
	id := issued.Metadata.CredentialId
	w.printf("    -> %s, %s\n", shortID(id), deref(issued.CredentialStatus.Remarks))
	w.printf("    Its status's registration is queued too; changing the status before it lands fails.\n")
	w.printf("    _, err = c.WaitCredentialStatus(ctx, id, ssiapi.CredentialStatusChangeLive)  // polls GET /credential/{id}\n")
	w.printf("    waiting…\n")
	t0 = time.Now()
	if _, err := sc.WaitCredentialStatus(ctx, id, ssiapi.CredentialStatusChangeLive); err != nil {
		return err
	}
	w.printf("    -> LIVE on chain after %v\n", time.Since(t0).Round(100*time.Millisecond))

	step(w, 7, "Revoke it, and wait until the chain has it")
	w.printf("    st, err := c.UpdateCredentialStatus(ctx, id, ssiapi.UpdateCredentialStatusRequest{Status: ssiapi.CredentialStatusChangeRevoke, …})\n")
	st, err := sc.UpdateCredentialStatus(ctx, id, ssiapi.UpdateCredentialStatusRequest{Status: ssiapi.CredentialStatusChangeRevoke, IssuerDid: created.Did, VerificationMethodId: vm})
	if err != nil {
		return err
	}
	w.printf("    -> revoked %v: queued, the answer is the status from before the change\n", deref(st.Revoked))
	w.printf("    got, err := c.WaitCredentialStatus(ctx, id, ssiapi.CredentialStatusChangeRevoke)\n")
	w.printf("    waiting…\n")
	got, err := sc.WaitCredentialStatus(ctx, id, ssiapi.CredentialStatusChangeRevoke)
	if err != nil {
		return err
	}
	w.printf("    -> revoked %v on chain, %s\n", deref(got.CredentialStatus.Revoked), deref(got.CredentialStatus.Remarks))

	step(w, 8, "Every call above used one token")
	w.printf("    token requests: %d\n", srv.TokenRequests())
	if n := srv.TokenRequests(); n != 1 {
		return fmt.Errorf("the calls made %d token requests; want 1", n)
	}

	step(w, 9, "Recover from a forced 401 with one refresh")
	srv.DropSessions()
	w.printf("    The fake ends the app's session, as its week does on the real server, before the token's exp.\n")
	w.printf("    The next call gets 401; the client drops the token, fetches one and retries once.\n")
	w.printf("    for did, err := range c.DIDs(ctx) { … }\n")
	before, apiBefore := srv.TokenRequests(), srv.APIRequests()
	dids := 0
	for _, err := range sc.DIDs(ctx) {
		if err != nil {
			return err
		}
		dids++
	}
	refreshes, calls := srv.TokenRequests()-before, srv.APIRequests()-apiBefore
	w.printf("    -> %d DID; token requests for the recovery: %d; API requests: %d\n", dids, refreshes, calls)
	if dids != 1 || refreshes != 1 || calls != 2 {
		return fmt.Errorf("recovery listed %d DIDs after %d token and %d API requests; want 1 after 1 and 2", dids, refreshes, calls)
	}
	w.printf("\nIn all: %d token requests, %d SSI API requests.\n", srv.TokenRequests(), srv.APIRequests())
	return nil
}

// demoChainDelay is how long the demo's queued transactions take to reach
// the fake chain: short, so that each wait is about a second.
const demoChainDelay = 500 * time.Millisecond

// shortID shows the start of a DID, credential id or hash: enough to tell
// it apart in the demo, short enough for a line.
func shortID(id string) string {
	const keep = 24
	if len(id) <= keep {
		return id
	}
	return id[:keep] + "…"
}

func deref[T any](p *T) T {
	var zero T
	if p == nil {
		return zero
	}
	return *p
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
