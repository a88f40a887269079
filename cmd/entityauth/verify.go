package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"sort"
	"strings"
	"time"

	"golang.org/x/oauth2"

	"github.com/entity-studio-go/entityauth/internal/safetext"
	"github.com/entity-studio-go/entityauth/ssi"
	"github.com/entity-studio-go/entityauth/vc"
)

// verifyTimeout bounds a verification: DID resolution and the status read.
const verifyTimeout = time.Minute

// fileList is a repeatable flag of file names.
type fileList []string

func (f *fileList) String() string { return strings.Join(*f, ",") }

func (f *fileList) Set(v string) error {
	*f = append(*f, v)
	return nil
}

// verify is the verify command.
func (c *cli) verify(args []string) int {
	fs := flags("verify", "[flags] FILE|-",
		"Verify a Verifiable Credential or Presentation (JSON, from FILE or standard\n"+
			"input) offline with package vc: its Ed25519Signature2020 proof over the JSON-LD\n"+
			"contexts embedded in this program (none is ever fetched), the issuer's key and\n"+
			"its assertionMethod, the claims bound to the signature, issuanceDate and\n"+
			"expirationDate, and the status from hid-node. A presentation also needs the\n"+
			"holder's proof with --challenge (and --domain when given); each of its\n"+
			"credentials is checked as one alone.\n\n"+
			"DIDs resolve from the DID documents given with --did (each a document or the\n"+
			"SSI API's resolve answer, as 'entityauth api /api/v1/did/resolve/DID' prints\n"+
			"it), or else through the SSI API with a token, as 'entityauth api' gets one\n"+
			"(the key from $"+envSecret+" or --secret-file).\n"+
			"The status is read from the hid-node REST host that the credential names,\n"+
			"only if it is one of Hypersign's; --status-url asks another (such as\n"+
			"'entityauth fake'), and --no-status skips the check.\n\n"+
			fmt.Sprintf("Exit %d when valid, %d when not (one line on standard error: the cause),\n", exitOK, exitFail)+
			fmt.Sprintf("%d on a usage error, %d when the resolver or the status host could not be\n", exitUsage, exitTempFail)+
			"reached (try again later). The output is a short summary (issuer, subject,\n"+
			"claims, expiry, status), or the result as JSON with --format json.\n\n"+
			"  entityauth verify credential.json\n"+
			"  entityauth verify --did issuer.json --no-status credential.json\n"+
			"  entityauth verify --challenge \"$NONCE\" --format json - < presentation.json")
	var dids fileList
	fs.Var(&dids, "did", "a DID document `FILE` to resolve DIDs from (repeatable); without it, the SSI API")
	challenge := fs.String("challenge", "", "the `CHALLENGE` a presentation's proof must carry (required for a presentation)")
	domain := fs.String("domain", "", "the `DOMAIN` a presentation's proof must carry")
	at := fs.String("at", "", "check the dates as of `TIME` (RFC 3339) instead of now")
	statusURL := fs.String("status-url", "", "hid-node REST base `URL` to read statuses from (default: the credential's, if Hypersign's)")
	noStatus := fs.Bool("no-status", false, "do not check the status (the result says not-checked)")
	format := fs.String("format", "text", "output `FORMAT`: text or json")
	apiURL := fs.String("api-url", c.getenv(envSSIURL), "SSI API base `URL` for DIDs (env "+envSSIURL+"; default "+ssi.DefaultBaseURL+")")
	tf := c.addTokenFlags(fs)
	files, code, ok := c.parseInterspersed(fs, args)
	if !ok {
		return code
	}
	switch {
	case len(files) != 1:
		return c.usageError("verify", fmt.Sprintf("verify takes one FILE (or - for standard input), not %d", len(files)))
	case *format != "text" && *format != "json":
		return c.usageError("verify", "--format "+c.quote(*format)+" is not text or json")
	case *noStatus && isSet(fs, "status-url"):
		return c.usageError("verify", "--status-url and --no-status cannot both be given")
	case files[0] == "-" && *tf.secretFile == "-" && len(dids) == 0:
		return c.usageError("verify", "FILE - and --secret-file - cannot both read standard input")
	}
	opts := vc.Options{}
	if *at != "" {
		t, err := time.Parse(time.RFC3339, *at)
		if err != nil {
			return c.usageError("verify", "--at "+c.quote(*at)+" is not an RFC 3339 time, such as 2030-01-02T15:04:05Z")
		}
		opts.Now = func() time.Time { return t }
	}
	raw, err := c.readInput(files[0])
	if err != nil {
		return c.fail("verify", err)
	}
	presentation, err := isPresentation(raw)
	if err != nil {
		c.stderr.printf("entityauth verify: invalid: %s\n", c.line(err.Error()))
		return exitFail
	}
	if presentation && *challenge == "" {
		return c.usageError("verify", "a presentation needs --challenge: verified without one, it could be replayed")
	}

	ctx, stop := c.signalContext()
	defer stop()
	ctx, cancel := context.WithTimeout(ctx, verifyTimeout)
	defer cancel()
	hc := &http.Client{Timeout: verifyTimeout}
	if len(dids) > 0 {
		docs := make([][]byte, len(dids))
		for i, f := range dids {
			if docs[i], err = os.ReadFile(f); err != nil { //nolint:gosec // G304: the user names the file on purpose
				return c.usageError("verify", "--did "+c.quote(f)+": "+c.redact(err.Error()))
			}
		}
		if opts.Resolver, err = vc.DIDDocuments(docs...); err != nil {
			return c.usageError("verify", "--did: "+c.line(strings.TrimPrefix(err.Error(), "entityauth: vc: ")))
		}
	} else {
		base, code, ok := c.apiBase(fs, *apiURL)
		if !ok {
			return code
		}
		cfg, code, ok := c.tokenConfig(fs, tf)
		if !ok {
			return code
		}
		cfg.APIHosts = []string{base.Host}
		cfg.HTTPClient = &http.Client{Transport: &recordTokens{base: http.DefaultTransport, sent: &c.sent}, Timeout: verifyTimeout}
		sc, err := ssi.NewClient(base.String(), cfg.Client(ctx))
		if err != nil {
			return c.fail("verify", err)
		}
		opts.Resolver = vc.SSIResolver(sc)
	}
	if !*noStatus {
		if opts.Status, err = vc.HIDNodeStatus(*statusURL, hc); err != nil {
			return c.usageError("verify", "--status-url "+c.displayURL(*statusURL)+": "+strings.TrimPrefix(err.Error(), "entityauth: vc: HIDNodeStatus: "))
		}
	}
	v, err := vc.NewVerifier(opts)
	if err != nil {
		return c.fail("verify", err)
	}

	var res any
	if presentation {
		res, err = v.VerifyPresentation(ctx, raw, vc.PresentationOptions{Challenge: *challenge, Domain: *domain})
	} else {
		res, err = v.VerifyCredential(ctx, raw)
	}
	if err != nil {
		return c.verifyFailure(err)
	}
	if *format == "json" {
		b, err := json.MarshalIndent(res, "", "  ")
		if err != nil {
			return c.fail("verify", err)
		}
		c.stdout.printf("%s\n", c.redact(string(b)))
		return exitOK
	}
	switch r := res.(type) {
	case *vc.PresentationResult:
		c.stdout.printf("valid presentation %s\n", c.line(r.ID))
		c.stdout.printf("holder:  %s\n", c.line(r.Holder))
		for i, cr := range r.Credentials {
			c.stdout.printf("credential %d:\n", i)
			c.printCredential(cr, "  ")
		}
	case *vc.CredentialResult:
		c.stdout.printf("valid credential %s\n", c.line(r.ID))
		c.printCredential(r, "")
	}
	return exitOK
}

// verifyFailure reports a failed verification: exit 1 for a verdict, 75 when
// the resolver or the status host could not give an answer (unless the
// cause is one that retrying does not mend, such as a refused key), 130 or
// 143 when interrupted.
func (c *cli) verifyFailure(err error) int {
	var se *ssi.Error
	var re *oauth2.RetrieveError
	switch {
	case errors.Is(err, context.Canceled):
		return c.fail("verify", err)
	case errors.As(err, &se) || errors.As(err, &re):
		return c.fail("verify", err) // the token layer's and the SSI API's own statuses and hints
	case errors.Is(err, vc.ErrDIDUnavailable) || errors.Is(err, vc.ErrStatusUnavailable):
		c.stderr.printf("entityauth verify: %s\n", c.line(strings.TrimPrefix(err.Error(), "entityauth: vc: ")))
		return exitTempFail
	}
	c.stderr.printf("entityauth verify: invalid: %s\n", c.line(strings.TrimPrefix(err.Error(), "entityauth: vc: ")))
	return exitFail
}

// printCredential prints a credential's summary, each line after indent.
func (c *cli) printCredential(r *vc.CredentialResult, indent string) {
	c.stdout.printf("%sissuer:  %s\n", indent, c.line(r.Issuer))
	if r.Subject != "" {
		c.stdout.printf("%ssubject: %s\n", indent, c.line(r.Subject))
	}
	keys := make([]string, 0, len(r.Claims))
	for k := range r.Claims {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		v, _ := json.Marshal(r.Claims[k])
		if s, ok := r.Claims[k].(string); ok {
			v = []byte(s)
		}
		c.stdout.printf("%sclaim:   %s = %s\n", indent, c.line(k), c.line(string(v)))
	}
	expires := "never"
	if !r.ExpirationDate.IsZero() {
		expires = r.ExpirationDate.UTC().Format(time.RFC3339)
	}
	c.stdout.printf("%sexpires: %s\n", indent, expires)
	c.stdout.printf("%sstatus:  %s\n", indent, r.Status)
}

// line makes text from the input or a server fit to print: one line, no
// terminal escapes, bounded, secrets redacted.
func (c *cli) line(s string) string { return safetext.Line(c.redact(s), 500) }

// readInput reads the credential or presentation: a file, or standard input
// for "-", at most vc.DefaultMaxBytes (and one byte more, for vc to refuse).
func (c *cli) readInput(name string) ([]byte, error) {
	var r io.Reader
	if name == "-" {
		r = c.stdin
	} else {
		f, err := os.Open(name) //nolint:gosec // G304: the user names the file on purpose
		if err != nil {
			return nil, err
		}
		defer func() { _ = f.Close() }() // read only
		r = f
	}
	return io.ReadAll(io.LimitReader(r, vc.DefaultMaxBytes+1))
}

// isPresentation tells a presentation (type VerifiablePresentation) from a
// credential.
func isPresentation(raw []byte) (bool, error) {
	var doc struct {
		Type any `json:"type"`
	}
	if err := json.Unmarshal(raw, &doc); err != nil {
		return false, fmt.Errorf("the input is not a JSON object: %w", err)
	}
	switch t := doc.Type.(type) {
	case string:
		return t == "VerifiablePresentation", nil
	case []any:
		for _, x := range t {
			if x == "VerifiablePresentation" {
				return true, nil
			}
		}
	}
	return false, nil
}
