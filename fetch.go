package entityauth

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"mime"
	"net/http"
	"sort"
	"strings"
	"time"

	"golang.org/x/oauth2"

	"github.com/entity-studio-go/entityauth/gen"
	"github.com/entity-studio-go/entityauth/internal/safetext"
)

// MaxResponseBytes caps every answer of the token endpoint that is read: a
// longer one fails with [ErrBodyTooLarge].
const MaxResponseBytes = 1 << 20

// maxErrorBody caps the part of an error answer kept in an
// *oauth2.RetrieveError, and maxMessage the server's message in an [*Error].
const (
	maxErrorBody = 64 << 10
	maxMessage   = 512
)

// secretHeader is the request header that carries the API secret key.
const secretHeader = "X-Api-Secret-Key" //nolint:gosec // a header name, not a credential

// fetcher makes token requests through the generated client.
type fetcher struct {
	client      *gen.Client
	params      *gen.GenerateAccessTokenParams
	key         string // the API secret key, redacted from everything kept
	maxAttempts int
	now         func() time.Time // the wall clock
}

// newFetcher validates the Config and builds the fetcher of its requests.
func (c *Config) newFetcher(ctx context.Context) (*fetcher, error) {
	base, err := c.validate()
	if err != nil {
		return nil, err
	}
	hc := c.HTTPClient
	if hc == nil {
		if v, ok := ctx.Value(oauth2.HTTPClient).(*http.Client); ok && v != nil {
			hc = v
		} else {
			hc = http.DefaultClient
		}
	}
	noRedirect := *hc
	noRedirect.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	client, err := gen.NewClient(base, gen.WithHTTPClient(&noRedirect))
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrInvalidConfig, err)
	}
	params := &gen.GenerateAccessTokenParams{XApiSecretKey: c.APISecretKey}
	if c.Origin != "" {
		origin := c.Origin
		params.Origin = &origin
	}
	if c.GrantType != "" {
		gt := c.GrantType // gen.GrantType is an open string (an alias)
		params.GrantType = &gt
	}
	if c.Lifetime != 0 {
		hours := int(c.Lifetime / time.Hour)
		params.ExpiresIn = &hours
	}
	attempts := c.MaxAttempts
	if attempts == 0 {
		attempts = DefaultMaxAttempts
	}
	return &fetcher{client: client, params: params, key: c.APISecretKey, maxAttempts: attempts, now: time.Now}, nil
}

// result is a token as the endpoint issued it.
type result struct {
	accessToken string
	tokenType   string
	issued      time.Time // when the request was sent
	expiry      time.Time // issued + expiresIn
	gen         uint64    // the generation: see newGeneration
}

// newGeneration returns the generation of a token that a fetch brought: a
// random number, never 0, that identifies the fetch. Tokens are told apart by
// their generation, never by their text: the token service issues byte-identical
// tokens within one second (its JWT's iat and exp count seconds), so a
// refresh right after a token was rejected may bring the same text, and it is
// still a new token. The generation travels with the token in every [Cache]
// entry, so that every TokenSource that loads the token knows it.
func newGeneration() uint64 {
	for {
		if g := rand.Uint64(); g != 0 { //nolint:gosec // an identifier, not a secret
			return g
		}
	}
}

// token returns the result as a new *oauth2.Token.
func (r *result) token() *oauth2.Token {
	return &oauth2.Token{AccessToken: r.accessToken, TokenType: r.tokenType, Expiry: r.expiry}
}

// once makes one request and decodes its answer.
func (f *fetcher) once(ctx context.Context) (*result, error) {
	sent := f.now()
	resp, err := f.client.GenerateAccessToken(ctx, f.params)
	if err != nil {
		return nil, fmt.Errorf("entityauth: token request: %w", err)
	}
	defer func() { _ = resp.Body.Close() }()
	body, err := io.ReadAll(io.LimitReader(resp.Body, MaxResponseBytes+1))
	if err != nil {
		return nil, fmt.Errorf("entityauth: reading token response: %w", err)
	}
	tooLarge := len(body) > MaxResponseBytes
	if tooLarge {
		body = body[:MaxResponseBytes]
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return nil, f.statusError(resp, body)
	}
	if tooLarge {
		return nil, fmt.Errorf("%w: status %d, more than %d bytes", ErrBodyTooLarge, resp.StatusCode, MaxResponseBytes)
	}
	return decodeToken(resp.Header.Get("Content-Type"), body, sent)
}

// fetch makes up to f.maxAttempts requests, not counting the probes after a
// 429 without Retry-After. progress, if not nil, sees the error of every
// failed request. It returns the number of requests made, probes included.
func (f *fetcher) fetch(ctx context.Context, progress func(error)) (*result, int, error) {
	requests, probes := 0, 0
	for attempt := 1; ; {
		res, err := f.once(ctx)
		requests++
		if err == nil {
			return res, requests, nil
		}
		if progress != nil {
			progress(err)
		}
		var delay time.Duration
		if isBare429(err) {
			probes++
			delay = probeDelay(probes)
		} else {
			var ok bool
			if delay, ok = retryDelay(err, attempt); !ok || attempt >= f.maxAttempts {
				return nil, requests, err
			}
			attempt++
		}
		if ctx.Err() != nil {
			return nil, requests, err
		}
		if dl, has := ctx.Deadline(); has && time.Until(dl) < delay {
			// Waiting would only end in the deadline: fail now.
			return nil, requests, err
		}
		if !sleep(ctx, delay) {
			return nil, requests, err
		}
	}
}

// sleep waits for d or until ctx is done; it reports whether d elapsed.
func sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}

// decodeToken decodes a 2xx body. Its errors quote nothing of the body, which
// may hold a token: not a value, not a part of one (field names come from
// the response type, never from the body).
func decodeToken(contentType string, body []byte, sent time.Time) (*result, error) {
	if contentType != "" {
		mt, _, err := mime.ParseMediaType(contentType)
		if err != nil || (mt != "application/json" && !strings.HasSuffix(mt, "+json")) {
			return nil, fmt.Errorf("%w: content type is not JSON", ErrInvalidResponse)
		}
	}
	var tr gen.AccessTokenResponse
	if err := json.Unmarshal(body, &tr); err != nil {
		var syn *json.SyntaxError
		if errors.As(err, &syn) || !json.Valid(body) {
			return nil, fmt.Errorf("%w: body is not valid JSON", ErrInvalidResponse)
		}
		var ute *json.UnmarshalTypeError
		if errors.As(err, &ute) && ute.Field != "" {
			return nil, fmt.Errorf("%w: field %q has the wrong type", ErrInvalidResponse, ute.Field)
		}
		return nil, fmt.Errorf("%w: body is not a JSON object", ErrInvalidResponse)
	}
	if tr.AccessToken == "" {
		return nil, fmt.Errorf("%w: no access_token", ErrInvalidResponse)
	}
	for i := 0; i < len(tr.AccessToken); i++ {
		if c := tr.AccessToken[i]; c <= ' ' || c >= 0x7f {
			return nil, fmt.Errorf("%w: access_token holds a character not allowed in a header", ErrInvalidResponse)
		}
	}
	if tr.TokenType != "" && !strings.EqualFold(tr.TokenType, "bearer") {
		return nil, fmt.Errorf("%w: tokenType is not Bearer", ErrInvalidResponse)
	}
	if math.IsNaN(tr.ExpiresIn) || tr.ExpiresIn < minExpiresIn.Seconds() || tr.ExpiresIn > maxExpiresIn.Seconds() {
		return nil, fmt.Errorf("%w: expiresIn is missing, under %v, or longer than %v", ErrInvalidResponse, minExpiresIn, maxExpiresIn)
	}
	lifetime := time.Duration(tr.ExpiresIn * float64(time.Second))
	sent = sent.Round(0) // validity is a wall-clock fact: see entry
	return &result{accessToken: tr.AccessToken, tokenType: "Bearer", issued: sent, expiry: sent.Add(lifetime), gen: newGeneration()}, nil
}

// statusError builds the *Error of a non-2xx answer.
func (f *fetcher) statusError(resp *http.Response, body []byte) error {
	code, msg := decodeErrorBody(body)
	code = sanitize(redact(code, f.key), 128)
	msg = sanitize(redact(msg, f.key), maxMessage)
	body = redactBytes(body, f.key)
	if len(body) > maxErrorBody {
		body = bytes.Clone(body[:maxErrorBody])
	}
	re := &oauth2.RetrieveError{
		Response:         scrubResponse(resp), //nolint:bodyclose // once closes the body; the copy holds http.NoBody
		Body:             body,
		ErrorCode:        code,
		ErrorDescription: msg,
	}
	e := &Error{StatusCode: resp.StatusCode, Message: msg, kind: statusKind(resp.StatusCode), retrieve: re}
	if d, ok := parseRetryAfter(resp.Header.Get("Retry-After"), time.Now()); ok {
		e.RetryAfter, e.hasRetryAfter = d, true
	}
	return e
}

// scrubResponse returns a copy of resp safe to keep in an error: no body,
// and a request whose secret header is redacted.
func scrubResponse(resp *http.Response) *http.Response {
	r := *resp
	r.Body = http.NoBody
	if resp.Request != nil {
		req := resp.Request.Clone(context.Background())
		if req.Header.Get(secretHeader) != "" {
			req.Header.Set(secretHeader, redacted)
		}
		req.Body, req.GetBody = nil, nil
		r.Request = req
	}
	return &r
}

// decodeErrorBody extracts the `error` code and the `message` text of an
// error body, whatever its shape. It never fails: unknown shapes give "".
func decodeErrorBody(body []byte) (code, msg string) {
	body = bytes.TrimSpace(body)
	if len(body) == 0 || !json.Valid(body) {
		return "", ""
	}
	switch body[0] {
	case '"':
		var s string
		_ = json.Unmarshal(body, &s)
		return "", s
	case '[':
		return "", messageText(body)
	case '{':
	default:
		return "", ""
	}
	var he gen.HTTPError
	if err := json.Unmarshal(body, &he); err == nil {
		if he.Error != nil {
			code = *he.Error
		}
		raw, _ := he.Message.MarshalJSON()
		return code, messageText(raw)
	}
	// Some field has an unexpected type: take what we can.
	var obj map[string]json.RawMessage
	if json.Unmarshal(body, &obj) != nil {
		return "", ""
	}
	_ = json.Unmarshal(obj["error"], &code)
	return code, messageText(obj["message"])
}

// messageText renders a message that is a string, a list of strings, or a
// list of objects (older resource servers, class-validator errors).
func messageText(raw []byte) string {
	if len(raw) == 0 || string(raw) == "null" {
		return ""
	}
	var m gen.ErrorMessage
	if m.UnmarshalJSON(raw) != nil {
		return ""
	}
	if s, err := m.AsErrorText(); err == nil {
		return s
	}
	if l, err := m.AsErrorList(); err == nil {
		return strings.Join(l, "; ")
	}
	var items []json.RawMessage
	if json.Unmarshal(raw, &items) != nil {
		return compactJSON(raw)
	}
	parts := make([]string, 0, len(items))
	for _, it := range items {
		if p := itemText(it); p != "" {
			parts = append(parts, p)
		}
	}
	return strings.Join(parts, "; ")
}

// itemText renders one entry of a message list: a string, or an object
// (spec/openapi.yaml's ErrorDetail) by its text message or error, else by
// its class-validator constraints, else as compact JSON.
func itemText(raw json.RawMessage) string {
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return s
	}
	var obj map[string]json.RawMessage
	if json.Unmarshal(raw, &obj) != nil {
		return compactJSON(raw)
	}
	for _, k := range []string{"message", "error"} {
		if json.Unmarshal(obj[k], &s) == nil && s != "" {
			return s
		}
	}
	var constraints map[string]string
	if json.Unmarshal(obj["constraints"], &constraints) == nil && len(constraints) > 0 {
		vals := make([]string, 0, len(constraints))
		for _, v := range constraints {
			vals = append(vals, v)
		}
		sort.Strings(vals)
		return strings.Join(vals, "; ")
	}
	return compactJSON(raw)
}

func compactJSON(raw []byte) string {
	var b bytes.Buffer
	if json.Compact(&b, raw) != nil {
		return ""
	}
	return b.String()
}

// sanitize makes s printable on one line and cuts it to at most n bytes
// (see [safetext.Line]), as package ssi does with the SSI API's messages.
func sanitize(s string, n int) string { return safetext.Line(s, n) }

// redacted replaces secrets in everything this package prints or keeps.
const redacted = "[REDACTED]"

func redact(s, secret string) string {
	if secret == "" {
		return s
	}
	return strings.ReplaceAll(s, secret, redacted)
}

func redactBytes(b []byte, secret string) []byte {
	if secret == "" || !bytes.Contains(b, []byte(secret)) {
		return b
	}
	return bytes.ReplaceAll(b, []byte(secret), []byte(redacted))
}
