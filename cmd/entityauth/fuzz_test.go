package main

import (
	"encoding/base64"
	"encoding/json"
	"strings"
	"testing"
	"time"
)

// FuzzInspect feeds arbitrary input to the decoder of entityauth inspect and
// renders what decodes in both formats. Nothing panics; errors never quote
// the input; the output never holds the token, and every member whose name
// holds "secret" is redacted at any depth.
func FuzzInspect(f *testing.F) {
	seg := func(s string) string { return base64.RawURLEncoding.EncodeToString([]byte(s)) }
	head := seg(`{"alg":"HS256","typ":"JWT"}`)
	for _, claims := range []string{
		`{"appId":"a","appName":"n","grantType":"access_service_ssi","subdomain":"ent-1234567","sessionId":"s","iat":1700000000,"exp":1700014400}`,
		`{"appSecret":"in clear","nested":{"x_SECRET_y":[1,2]},"list":[{"secret":"s"}],"exp":1e300}`,
		`{"exp":"tomorrow","iat":-1,"nbf":1.5}`,
		`{"exp":99999999999999999999999999}`,
		`{}`,
	} {
		f.Add(head + "." + seg(claims) + ".c2ln")
	}
	f.Add("Bearer " + head + "." + seg(`{"a":1}`) + ".")
	f.Add("not a token")
	f.Add("")
	f.Add("a.b.c")
	now := time.Date(2026, 11, 27, 12, 0, 0, 0, time.UTC)
	f.Fuzz(func(t *testing.T, in string) {
		token := strings.TrimSpace(in)
		d, err := decodeToken(in)
		if err != nil {
			if len(token) >= 16 && strings.Contains(err.Error(), token) {
				t.Fatalf("error %q quotes the input", err)
			}
			return
		}
		checkRedacted(t, d.header)
		checkRedacted(t, d.claims)
		var text, js strings.Builder
		d.writeText(&text, now)
		if err := d.writeJSON(&js, now); err != nil {
			t.Fatalf("writeJSON: %v", err)
		}
		if !json.Valid([]byte(js.String())) {
			t.Fatalf("JSON output does not parse: %s", js.String())
		}
		if t2, ok := strings.CutPrefix(token, "Bearer "); ok {
			token = strings.TrimSpace(t2)
		}
		for _, out := range []string{text.String(), js.String()} {
			if strings.Contains(out, token) {
				t.Fatalf("output holds the token:\n%s", out)
			}
		}
	})
}

// checkRedacted fails if a member whose name holds "secret" keeps its value.
func checkRedacted(t *testing.T, v any) {
	t.Helper()
	switch v := v.(type) {
	case map[string]any:
		for k, e := range v {
			if strings.Contains(strings.ToLower(k), "secret") && e != redactedValue {
				t.Fatalf("member %q = %v; want %q", k, e, redactedValue)
			}
			checkRedacted(t, e)
		}
	case []any:
		for _, e := range v {
			checkRedacted(t, e)
		}
	}
}
