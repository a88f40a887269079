package entityauth

import (
	"bytes"
	"context"
	"crypto/cipher"
	"crypto/rand"
	"encoding/json"
	"errors"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"golang.org/x/oauth2"
)

// fuzzSent is the time a fuzzed token request was sent.
var fuzzSent = time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)

// decodeTokenMessage matches every text that an error of decodeToken may
// have: fixed messages, and field names of the response type, so that no
// error quotes anything of a 200 body.
var decodeTokenMessage = regexp.MustCompile(`^entityauth: invalid token response: (` + strings.Join([]string{
	`content type is not JSON`,
	`body is not valid JSON`,
	`body is not a JSON object`,
	`field "(access_token|tokenType|expiresIn)" has the wrong type`,
	`no access_token`,
	`access_token holds a character not allowed in a header`,
	`tokenType is not Bearer`,
	`expiresIn is missing, under ` + regexp.QuoteMeta(minExpiresIn.String()) + `, or longer than ` + regexp.QuoteMeta(maxExpiresIn.String()),
}, "|") + `)$`)

// FuzzDecodeToken feeds decodeToken arbitrary 200 answers. A success is a
// Bearer token fit for a header, expiring after it was issued and at most
// maxExpiresIn later; a failure is ErrInvalidResponse whose text is one of
// decodeToken's fixed messages, which quote nothing of the body.
func FuzzDecodeToken(f *testing.F) {
	for _, s := range []struct{ ct, body string }{
		{"application/json; charset=utf-8", `{"access_token":"eyJhbGciOiJIUzI1NiJ9.e30.c2ln","expiresIn":14400,"tokenType":"Bearer"}`},
		{"", `{"access_token":"t","expiresIn":3600.5}`},
		{"application/problem+json", `{"access_token":"t","expiresIn":1,"tokenType":"bearer"}`},
		{"text/html", `<html></html>`},
		{"application/json", `{"access_token":"eyJhbGciOiJIUzI1NiJ9.e30.c2ln","expiresIn":"14400"}`},
		{"application/json", `{"access_token":"","expiresIn":14400}`},
		{"application/json", `{"access_token":"eyJhbGciOiJIUzI1NiJ9.e30.c2ln","expiresIn":1e300}`},
		{"application/json", `{"access_token":"eyJhbGciOiJIUzI1NiJ9.e30.c2ln","expiresIn":-1,"tokenType":"mac"}`},
		{"application/json", `{"access_token":"eyJhbGciOiJIUzI1NiJ9.e30.c2ln","expiresIn":60,"tokenType":"eyJhbGciOiJIUzI1NiJ9.e30.c2ln"}`},
		{"application/json", `{"access_token":"a b","expiresIn":60}`},
		{"application/json", `{"access_token":"eyJhbGciOiJIUzI1NiJ9.e30.c2ln`},
		{"application/json", `"Too many requests. Try again later."`},
		{"application/json", `[1,2]`},
		{"application/json;;", `null`},
	} {
		f.Add(s.ct, []byte(s.body))
	}
	f.Fuzz(func(t *testing.T, contentType string, body []byte) {
		res, err := decodeToken(contentType, body, fuzzSent)
		if err != nil {
			if res != nil {
				t.Fatalf("decodeToken returned a result with error %v", err)
			}
			if !errors.Is(err, ErrInvalidResponse) || !strings.HasPrefix(err.Error(), "entityauth: ") {
				t.Fatalf("error = %v; want ErrInvalidResponse with the entityauth: prefix", err)
			}
			var tr struct {
				AccessToken string `json:"access_token"`
			}
			if json.Unmarshal(body, &tr) == nil && len(tr.AccessToken) >= 8 && strings.Contains(err.Error(), tr.AccessToken) {
				t.Fatalf("error %q quotes the access_token", err)
			}
			if !decodeTokenMessage.MatchString(err.Error()) {
				t.Fatalf("error %q is not one of decodeToken's fixed messages; an error must quote nothing of a 200 body", err)
			}
			return
		}
		if res.accessToken == "" || res.tokenType != "Bearer" {
			t.Fatalf("result token, type = %q, %q; want a Bearer token", res.accessToken, res.tokenType)
		}
		for i := 0; i < len(res.accessToken); i++ {
			if c := res.accessToken[i]; c <= ' ' || c >= 0x7f {
				t.Fatalf("access token holds byte %#x, unfit for a header", c)
			}
		}
		if !res.issued.Equal(fuzzSent) || !res.expiry.After(res.issued) || res.expiry.Sub(res.issued) > maxExpiresIn {
			t.Fatalf("issued, expiry = %v, %v; want expiry in (issued, issued+%v]", res.issued, res.expiry, maxExpiresIn)
		}
	})
}

// FuzzDecodeErrorBody feeds arbitrary error bodies to decodeErrorBody,
// messageText and the *Error built from them. Nothing panics, decoding is
// deterministic and bounded by the body's size (at most 3 bytes a byte), and the *Error's text is one
// line with the entityauth: prefix that never holds the API key, even when
// the body echoes it.
func FuzzDecodeErrorBody(f *testing.F) {
	for _, s := range []string{
		`{"statusCode":401,"message":["Access denied."],"error":"Unauthorized"}`,
		`{"statusCode":401,"message":"access_denied","error":"Unauthorized"}`,
		`{"statusCode":500,"timestamp":"2026-01-01T00:00:00.000Z","path":"/api/v1/app/oauth","message":["MongoServerError","x","Internal server error"]}`,
		`"Too many requests. Try again later."`,
		`{"error":"Insufficient credits or no active plan"}`,
		`{"message":[{"property":"x","constraints":{"b":"two","a":"one"}},{"msg":"m"},[1],null,3]}`,
		`{"message":{"nested":true},"error":5}`,
		`["Invalid or expired token"]`,
		`<html><body>502 Bad Gateway</body></html>`,
		`{"message":"key ` + canaryKey + `","error":"` + canaryKey + `"}`,
		`{"message":["\u0000\n\t\ud800"]}`,
		``,
		`null`,
	} {
		f.Add(uint16(401), []byte(s))
	}
	f.Fuzz(func(t *testing.T, status uint16, body []byte) {
		code, msg := decodeErrorBody(body)
		if c2, m2 := decodeErrorBody(body); c2 != code || m2 != msg {
			t.Fatalf("decodeErrorBody is not deterministic: %q %q then %q %q", code, msg, c2, m2)
		}
		// Each byte of invalid UTF-8 becomes U+FFFD, 3 bytes: nothing grows more.
		if n := len(code) + len(msg); n > 3*len(body)+16 {
			t.Fatalf("decodeErrorBody made %d bytes from a %d-byte body", n, len(body))
		}
		if m := messageText(body); len(m) > 3*len(body)+16 {
			t.Fatalf("messageText made %d bytes from a %d-byte body", len(m), len(body))
		}

		st := int(status)%500 + 100 // 100..599
		req, _ := http.NewRequestWithContext(context.Background(), http.MethodPost, "https://token.example/api/v1/app/oauth", nil)
		req.Header.Set(secretHeader, canaryKey)
		resp := &http.Response{StatusCode: st, Header: http.Header{"Retry-After": {string(body)}}, Request: req, Body: http.NoBody}
		fe := &fetcher{key: canaryKey}
		err := fe.statusError(resp, body)

		var e *Error
		var re *oauth2.RetrieveError
		if !errors.As(err, &e) || !errors.As(err, &re) || e.StatusCode != st || !errors.Is(err, statusKind(st)) {
			t.Fatalf("statusError = %#v; want an *Error of status %d unwrapping to a RetrieveError and %v", err, st, statusKind(st))
		}
		text := err.Error()
		if !strings.HasPrefix(text, "entityauth: ") || strings.ContainsAny(text, "\n\r") {
			t.Fatalf("Error() = %q; want one line with the entityauth: prefix", text)
		}
		if len(e.Message) > maxMessage+len("…") {
			t.Fatalf("Message is %d bytes; want at most %d", len(e.Message), maxMessage)
		}
		for _, s := range []string{text, e.Message, re.ErrorCode, re.ErrorDescription, re.Error(), string(re.Body)} {
			if strings.Contains(s, canaryKey) {
				t.Fatalf("error text %q holds the API key", s)
			}
		}
		if got := re.Response.Request.Header.Get(secretHeader); got != redacted {
			t.Fatalf("RetrieveError request key = %q; want %q", got, redacted)
		}
		if len(re.Body) > maxErrorBody || e.RetryAfter < 0 {
			t.Fatalf("RetrieveError.Body %d bytes, RetryAfter %v; want at most %d bytes and no negative wait", len(re.Body), e.RetryAfter, maxErrorBody)
		}
	})
}

// FuzzParseRetryAfter checks that any Retry-After value gives a delay that is
// never negative, 0 when it does not parse, and exactly n seconds (capped at
// 2^30) for plain digits.
func FuzzParseRetryAfter(f *testing.F) {
	now := time.Date(2026, 11, 27, 12, 0, 0, 0, time.UTC)
	for _, s := range []string{
		"0", "7", " 120 ", "99999999999999999999999", "-1", "1.5", "3s", "",
		now.Add(20 * time.Second).Format(http.TimeFormat),
		now.Add(-time.Hour).Format(http.TimeFormat),
		"Sunday, 06-Nov-94 08:49:37 GMT",
		"Sun Nov  6 08:49:37 1994",
		"Fri, 31 Dec 9999 23:59:59 GMT",
		"Mon, 01 Jan 0001 00:00:00 GMT",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, v string) {
		d, ok := parseRetryAfter(v, now)
		if d < 0 || (!ok && d != 0) {
			t.Fatalf("parseRetryAfter(%q) = %v, %v; want a delay >= 0, and 0 when not ok", v, d, ok)
		}
		s := strings.TrimSpace(v)
		if s == "" && ok {
			t.Fatalf("parseRetryAfter(%q) = %v, true; want not ok", v, d)
		}
		if s != "" && strings.Trim(s, "0123456789") == "" {
			n, err := strconv.ParseUint(s, 10, 64)
			if err != nil || n > 1<<30 {
				n = 1 << 30
			}
			if !ok || d != time.Duration(n)*time.Second {
				t.Fatalf("parseRetryAfter(%q) = %v, %v; want %d s", v, d, ok, n)
			}
		}
	})
}

// FuzzOpenCacheEntry opens arbitrary bytes as a cache entry, and arbitrary
// plaintexts sealed under the right key. Only an authentic entry opens; one
// that opens holds a token that expires after it was issued, and seals
// and opens again to the same result. Every failure is errSealed.
func FuzzOpenCacheEntry(f *testing.F) {
	aead := newAEAD(canaryKey)
	cacheKey := (&Config{APISecretKey: canaryKey}).CacheKey()
	// The one authentic entry, sealed with a fixed nonce so that every fuzz
	// worker process computes the same bytes.
	plain := `{"access_token":"t","token_type":"Bearer","issued":"2026-01-02T03:04:05Z","expiry":"2026-01-02T07:04:05Z"}`
	nonce := make([]byte, aead.NonceSize())
	valid := aead.Seal(append([]byte{sealVersion}, nonce...), nonce, []byte(plain), []byte(cacheKey))
	if _, err := open(aead, cacheKey, valid); err != nil {
		f.Fatalf("open(seal) = %v", err)
	}
	f.Add(valid, []byte(plain))
	f.Add(valid[:len(valid)-1], []byte(`{"access_token":"t","issued":"2026-01-02T03:04:05Z","expiry":"2026-01-02T03:04:05Z"}`))
	f.Add([]byte{sealVersion}, []byte(`{"access_token":"","expiry":"2027-01-01T00:00:00Z"}`))
	f.Add([]byte{}, []byte(`null`))
	f.Add(append([]byte{2}, valid[1:]...), []byte(`{"access_token":"t","expiry":"not a time"}`))

	f.Fuzz(func(t *testing.T, data, plaintext []byte) {
		if res, err := open(aead, cacheKey, data); err == nil {
			if !bytes.Equal(data, valid) {
				t.Fatalf("open accepted %d bytes that were never sealed", len(data))
			}
			checkOpened(t, aead, cacheKey, res)
		} else if !errors.Is(err, errSealed) {
			t.Fatalf("open error = %v; want errSealed", err)
		}

		// The same plaintext, sealed under the right key: only JSON checks remain.
		nonce := make([]byte, aead.NonceSize())
		_, _ = rand.Read(nonce)
		entry := aead.Seal(append([]byte{sealVersion}, nonce...), nonce, plaintext, []byte(cacheKey))
		res, err := open(aead, cacheKey, entry)
		if err != nil {
			if !errors.Is(err, errSealed) {
				t.Fatalf("open error = %v; want errSealed", err)
			}
			return
		}
		checkOpened(t, aead, cacheKey, res)
		if _, err := open(aead, "another key", entry); err == nil {
			t.Fatal("an entry opened under another cache key")
		}
		if _, err := open(newAEAD("another secret"), cacheKey, entry); err == nil {
			t.Fatal("an entry opened under another API secret key")
		}
	})
}

// checkOpened checks an opened entry, and that it seals and opens again to
// the same result.
func checkOpened(t *testing.T, aead cipher.AEAD, cacheKey string, res *result) {
	t.Helper()
	if res.accessToken == "" || res.tokenType == "" || !res.expiry.After(res.issued) {
		t.Fatalf("opened token %q type %q, issued %v, expiry %v; want a token that expires after it was issued",
			res.accessToken, res.tokenType, res.issued, res.expiry)
	}
	again, err := seal(aead, cacheKey, res)
	if err != nil {
		t.Fatalf("seal: %v", err)
	}
	back, err := open(aead, cacheKey, again)
	if err != nil || back.accessToken != res.accessToken || back.tokenType != res.tokenType ||
		!back.issued.Equal(res.issued) || !back.expiry.Equal(res.expiry) {
		t.Fatalf("seal then open = %+v, %v; want %+v", back, err, res)
	}
}
