package main

import (
	"context"
	"encoding/json"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/entity-studio-go/entityauth"
	"github.com/entity-studio-go/entityauth/entityauthtest"
	"github.com/entity-studio-go/entityauth/gen/ssiapi"
	"github.com/entity-studio-go/entityauth/ssi"
)

// verifyWorld is a fake with an issuer, a holder, a credential issued to
// the holder and a presentation of it, written to files.
type verifyWorld struct {
	srv                      *entityauthtest.Server
	c                        *ssi.Client
	e                        *env
	dir                      string
	issuer, issuerVM         string
	credential, presentation string // file names
	credentialID             string
	issuerDoc, holderDoc     string // the resolve answers, as files
	tampered                 string
}

func newVerifyWorld(t *testing.T) *verifyWorld {
	t.Helper()
	srv := entityauthtest.Start(t, entityauthtest.Options{DirectMode: true})
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	cfg := &entityauth.Config{APISecretKey: srv.APIKey(), BaseURL: srv.URL}
	c, err := ssi.NewClient(srv.URL, cfg.Client(ctx))
	if err != nil {
		t.Fatal(err)
	}
	w := &verifyWorld{srv: srv, c: c, dir: t.TempDir()}
	w.e = newEnv(t, envSecret+"="+srv.APIKey(), envBaseURL+"="+srv.URL, envSSIURL+"="+srv.URL)
	register := func() (did, vm string) {
		created, err := c.CreateDID(ctx, ssiapi.CreateDIDRequest{Namespace: ssiapi.DIDNamespaceTestnet})
		if err != nil {
			t.Fatal(err)
		}
		vm = ssi.VerificationMethodID(created.MetaData.DidDocument)
		if _, err := c.RegisterDID(ctx, ssiapi.RegisterDIDRequest{DidDocument: created.MetaData.DidDocument, VerificationMethodId: vm}); err != nil {
			t.Fatal(err)
		}
		return created.Did, vm
	}
	var holder, holderVM string
	w.issuer, w.issuerVM = register()
	holder, holderVM = register()
	issued, err := c.IssueCredential(ctx, ssiapi.IssueCredentialRequest{
		IssuerDid: w.issuer, VerificationMethodId: w.issuerVM, SubjectDid: holder,
		SchemaContext: []string{"https://schema.org"}, Type: []string{"Person"},
		Fields: map[string]any{"name": "Ada Lovelace"}, ExpirationDate: time.Date(2040, 1, 1, 0, 0, 0, 0, time.UTC),
	})
	if err != nil {
		t.Fatal(err)
	}
	w.credentialID = issued.Metadata.CredentialId
	w.credential = w.write(t, "credential.json", issued.CredentialDocument)
	raw, _ := os.ReadFile(w.credential)
	w.tampered = w.writeRaw(t, "tampered.json", strings.Replace(string(raw), "Ada Lovelace", "Ada Byron", 1))

	vpID := "vp:hid:testnet:" + strings.TrimPrefix(holder, "did:hid:testnet:")
	signed, err := c.SignDIDAuth(ctx, ssiapi.SignDIDRequest{Did: holder, VerificationMethodId: holderVM,
		DidDocument: &ssiapi.DIDDocument{Id: &vpID, AdditionalProperties: map[string]any{
			"@context": []string{"https://www.w3.org/2018/credentials/v1"}, "type": []string{"VerifiablePresentation"},
			"holder": holder, "verifiableCredential": []any{issued.CredentialDocument},
		}},
		Options: &ssiapi.SignDIDOptions{Purpose: ssiapi.SignDIDOptionsPurposeAuthentication, Challenge: "nonce-1", Domain: "https://verifier.example"},
	})
	if err != nil {
		t.Fatal(err)
	}
	w.presentation = w.write(t, "presentation.json", signed)
	for _, d := range []struct {
		did  string
		file *string
	}{{w.issuer, &w.issuerDoc}, {holder, &w.holderDoc}} {
		res, err := c.ResolveDID(ctx, d.did)
		if err != nil {
			t.Fatal(err)
		}
		*d.file = w.write(t, strings.TrimPrefix(d.did, "did:hid:testnet:")+".json", res)
	}
	return w
}

func (w *verifyWorld) write(t *testing.T, name string, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return w.writeRaw(t, name, string(b))
}

func (w *verifyWorld) writeRaw(t *testing.T, name, text string) string {
	t.Helper()
	p := filepath.Join(w.dir, name)
	if err := os.WriteFile(p, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// oneLineOn fails unless stderr is exactly one line holding each fragment.
func oneLineOn(t *testing.T, stderr string, fragments ...string) {
	t.Helper()
	if strings.Count(stderr, "\n") != 1 || !strings.HasSuffix(stderr, "\n") {
		t.Errorf("stderr = %q; want one line", stderr)
	}
	for _, f := range fragments {
		if !strings.Contains(stderr, f) {
			t.Errorf("stderr = %q; want it to hold %q", stderr, f)
		}
	}
}

// TestVerifyValid: exit 0 with the summary, through the SSI API and the
// fake's hid-node route, then from --did files without a key; --format json
// prints the result.
func TestVerifyValid(t *testing.T) {
	w := newVerifyWorld(t)
	args := []string{"verify", "--status-url", w.srv.URL, w.credential}
	r := w.e.run("", args...)
	r.want(t, exitOK, args...)
	for _, want := range []string{"valid credential " + w.credentialID, "issuer:  " + w.issuer, "claim:   name = Ada Lovelace", "expires: 2040-01-01T00:00:00Z", "status:  live"} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("stdout = %q; want it to hold %q", r.stdout, want)
		}
	}
	assertNoSecrets(t, "stdout", r.stdout+r.stderr, w.srv.APIKey())

	offline := newEnv(t) // no key: --did needs none
	args = []string{"verify", "--did", w.issuerDoc, "--no-status", "--format", "json", "-"}
	raw, _ := os.ReadFile(w.credential)
	r = offline.run(string(raw), args...)
	r.want(t, exitOK, args...)
	var res struct {
		Issuer, Status string
		Claims         map[string]any
	}
	if err := json.Unmarshal([]byte(r.stdout), &res); err != nil {
		t.Fatalf("--format json printed %q: %v", r.stdout, err)
	}
	if res.Issuer != w.issuer || res.Status != "not-checked" || res.Claims["name"] != "Ada Lovelace" {
		t.Errorf("json result = %+v; want issuer %s, status not-checked, name Ada Lovelace", res, w.issuer)
	}

	args = []string{"verify", "--did", w.issuerDoc, "--did", w.holderDoc, "--status-url", w.srv.URL, "--challenge", "nonce-1", "--domain", "https://verifier.example", w.presentation}
	r = offline.run("", args...)
	r.want(t, exitOK, args...)
	if !strings.Contains(r.stdout, "valid presentation vp:hid:testnet:") || !strings.Contains(r.stdout, "  status:  live") {
		t.Errorf("presentation stdout = %q; want its summary and its credential's", r.stdout)
	}
}

// TestVerifyInvalid: exit 1 and one line on stderr naming the cause.
func TestVerifyInvalid(t *testing.T) {
	w := newVerifyWorld(t)
	for _, tc := range []struct {
		name string
		args []string
		want string
	}{
		{"forged claim", []string{"verify", "--status-url", w.srv.URL, w.tampered}, "invalid signature"},
		{"another challenge", []string{"verify", "--status-url", w.srv.URL, "--challenge", "nonce-2", w.presentation}, "challenge mismatch"},
		{"another domain", []string{"verify", "--status-url", w.srv.URL, "--challenge", "nonce-1", "--domain", "https://elsewhere.example", w.presentation}, "domain mismatch"},
		{"expired then", []string{"verify", "--no-status", "--at", "2041-01-01T00:00:00Z", w.credential}, "expired"},
		{"issuer unknown to --did", []string{"verify", "--did", w.holderDoc, "--no-status", w.credential}, "DID not found"},
		{"not JSON", []string{"verify", "--no-status", w.writeRaw(t, "junk.json", "junk")}, "not a JSON object"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := w.e.run("", tc.args...)
			r.want(t, exitFail, tc.args...)
			oneLineOn(t, r.stderr, "entityauth verify: invalid: ", tc.want)
			if r.stdout != "" {
				t.Errorf("stdout = %q; want nothing", r.stdout)
			}
		})
	}

	if _, err := w.c.UpdateCredentialStatus(t.Context(), w.credentialID, ssiapi.UpdateCredentialStatusRequest{Status: ssiapi.CredentialStatusChangeRevoke, IssuerDid: w.issuer, VerificationMethodId: w.issuerVM}); err != nil {
		t.Fatal(err)
	}
	args := []string{"verify", "--status-url", w.srv.URL, w.credential}
	r := w.e.run("", args...)
	r.want(t, exitFail, args...)
	oneLineOn(t, r.stderr, "revoked")
}

// TestVerifyUsage: exit 2 for what the command line gets wrong.
func TestVerifyUsage(t *testing.T) {
	w := newVerifyWorld(t)
	for _, args := range [][]string{
		{"verify"},
		{"verify", w.credential, w.credential},
		{"verify", "--format", "yaml", w.credential},
		{"verify", "--no-status", "--status-url", w.srv.URL, w.credential},
		{"verify", "--at", "tomorrow", w.credential},
		{"verify", "--no-status", w.presentation}, // a presentation needs --challenge
		{"verify", "--did", filepath.Join(w.dir, "missing.json"), w.credential},
		{"verify", "--status-url", "http://example.com", w.credential}, // plain http to another host
		{"verify", "--secret-file", "-", "-"},
	} {
		r := w.e.run("", args...)
		r.want(t, exitUsage, args...)
		if !strings.Contains(r.stderr, "entityauth verify -h") {
			t.Errorf("entityauth %q: stderr = %q; want the usage hint", args, r.stderr)
		}
	}
}

// TestVerifyUnreachable: exit 75 when the status host or the resolver cannot
// be reached; the key never shows.
func TestVerifyUnreachable(t *testing.T) {
	w := newVerifyWorld(t)
	closed := httptest.NewServer(nil)
	closed.Close()

	args := []string{"verify", "--status-url", closed.URL, w.credential}
	r := w.e.run("", args...)
	r.want(t, exitTempFail, args...)
	oneLineOn(t, r.stderr, "status unavailable")

	args = []string{"verify", "--api-url", closed.URL, "--no-status", w.credential}
	r = w.e.run("", args...)
	r.want(t, exitTempFail, args...)
	oneLineOn(t, r.stderr, "DID resolver unavailable")
	assertNoSecrets(t, "output", r.stdout+r.stderr, w.srv.APIKey())

	// A refused key is not temporary: the SSI layer's status and hint.
	bad := newEnv(t, envSecret+"=0123456789abcdef0123456789a.wrong", envBaseURL+"="+w.srv.URL, envSSIURL+"="+w.srv.URL)
	args = []string{"verify", "--no-status", "--no-cache", w.credential}
	r = bad.run("", args...)
	r.want(t, exitFail, args...)
	assertNoSecrets(t, "output", r.stdout+r.stderr, "0123456789abcdef0123456789a.wrong")
}
