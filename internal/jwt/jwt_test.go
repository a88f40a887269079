package jwt_test

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/entity-studio-go/entityauth/internal/jwt"
)

type testClaims struct {
	AppID string `json:"appId"`
	Iat   int64  `json:"iat"`
	Exp   int64  `json:"exp"`
}

func TestSignVerifyDecode(t *testing.T) {
	key := []byte("secret")
	tok, err := jwt.Sign(testClaims{AppID: "app", Iat: 100, Exp: 14500}, key)
	if err != nil {
		t.Fatal(err)
	}
	parts := strings.Split(tok, ".")
	if len(parts) != 3 {
		t.Fatalf("token has %d parts; want 3", len(parts))
	}
	payload, _ := base64.RawURLEncoding.DecodeString(parts[1])
	if got, want := string(payload), `{"appId":"app","iat":100,"exp":14500}`; got != want {
		t.Errorf("payload = %s; want %s", got, want)
	}
	header, claims, err := jwt.Decode(tok)
	if err != nil {
		t.Fatal(err)
	}
	if got := string(header["alg"]); got != `"HS256"` {
		t.Errorf("alg = %s; want \"HS256\"", got)
	}
	if got := string(claims["exp"]); got != "14500" {
		t.Errorf("exp = %s; want 14500", got)
	}
	if _, err := jwt.Verify(tok, key); err != nil {
		t.Errorf("Verify with the signing key: %v", err)
	}
	if _, err := jwt.Verify(tok, []byte("other")); !errors.Is(err, jwt.ErrSignature) {
		t.Errorf("Verify with another key: err = %v; want ErrSignature", err)
	}
}

// TestKnownVector checks Sign against the HS256 example token of jwt.io.
func TestKnownVector(t *testing.T) {
	const want = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkpvaG4gRG9lIiwiaWF0IjoxNTE2MjM5MDIyfQ.SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c"
	claims := struct {
		Sub  string `json:"sub"`
		Name string `json:"name"`
		Iat  int64  `json:"iat"`
	}{"1234567890", "John Doe", 1516239022}
	got, err := jwt.Sign(claims, []byte("your-256-bit-secret"))
	if err != nil {
		t.Fatal(err)
	}
	if got != want {
		t.Errorf("Sign = %s; want %s", got, want)
	}
}

func TestMalformed(t *testing.T) {
	b64 := func(s string) string { return base64.RawURLEncoding.EncodeToString([]byte(s)) }
	hdr := b64(`{"alg":"HS256","typ":"JWT"}`)
	tests := []struct {
		name, tok string
		want      error
	}{
		{"empty", "", jwt.ErrMalformed},
		{"one part", "abc", jwt.ErrMalformed},
		{"four parts", "a.b.c.d", jwt.ErrMalformed},
		{"header not base64", "!!." + b64(`{}`) + ".", jwt.ErrMalformed},
		{"header not json", b64("nope") + "." + b64(`{}`) + ".", jwt.ErrMalformed},
		{"header an array", b64("[1]") + "." + b64(`{}`) + ".", jwt.ErrMalformed},
		{"payload null", hdr + "." + b64("null") + ".", jwt.ErrMalformed},
		{"payload a string", hdr + "." + b64(`"x"`) + ".", jwt.ErrMalformed},
		{"signature not base64", hdr + "." + b64(`{}`) + ".***", jwt.ErrMalformed},
		{"too large", hdr + "." + strings.Repeat("A", jwt.MaxTokenSize) + ".", jwt.ErrTooLarge},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, _, err := jwt.Decode(tt.tok); !errors.Is(err, tt.want) {
				t.Errorf("Decode: err = %v; want %v", err, tt.want)
			}
			if _, err := jwt.Verify(tt.tok, []byte("k")); !errors.Is(err, tt.want) {
				t.Errorf("Verify: err = %v; want %v", err, tt.want)
			}
		})
	}
}

func TestVerifyRejectsOtherAlgorithms(t *testing.T) {
	b64 := func(s string) string { return base64.RawURLEncoding.EncodeToString([]byte(s)) }
	for _, alg := range []string{`{"alg":"none"}`, `{"alg":"HS512"}`, `{}`} {
		tok := b64(alg) + "." + b64(`{"exp":1}`) + "."
		if _, err := jwt.Verify(tok, []byte("k")); !errors.Is(err, jwt.ErrAlgorithm) {
			t.Errorf("Verify(%s): err = %v; want ErrAlgorithm", alg, err)
		}
	}
}

func TestSignRejectsNonObjects(t *testing.T) {
	for _, c := range []any{"string", 3, []int{1}, nil, make(chan int)} {
		if _, err := jwt.Sign(c, []byte("k")); err == nil {
			t.Errorf("Sign(%T) succeeded; want an error", c)
		}
	}
}

func TestErrorsHoldNoTokenText(t *testing.T) {
	secret := "eyJzZWNyZXQiOiJ0b3Atc2VjcmV0In0"
	_, _, err := jwt.Decode("!!." + secret + ".x")
	if err == nil || strings.Contains(err.Error(), secret) || strings.Contains(err.Error(), "!!") {
		t.Errorf("err = %v; want an error that quotes no part of the token", err)
	}
	if !strings.HasPrefix(err.Error(), "entityauth: ") {
		t.Errorf("err = %q; want the entityauth: prefix", err)
	}
}

func FuzzDecode(f *testing.F) {
	tok, _ := jwt.Sign(map[string]any{"a": 1}, []byte("k"))
	f.Add(tok)
	f.Add("a.b.c")
	f.Add("")
	f.Fuzz(func(t *testing.T, s string) {
		h, c, err := jwt.Decode(s)
		if err == nil && (h == nil || c == nil) {
			t.Errorf("Decode(%q) returned nil maps without an error", s)
		}
		if err == nil {
			if _, err := json.Marshal(c); err != nil {
				t.Errorf("claims do not re-encode: %v", err)
			}
		}
	})
}
