package jwt_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/entity-studio-go/entityauth/internal/jwt"
)

// FuzzVerify checks that Decode and Verify fail only with their typed errors,
// that Verify accepts a token only when Decode does, that a token signed with
// Sign over decoded claims verifies, and that no error quotes the input.
func FuzzVerify(f *testing.F) {
	key := []byte("fuzz key")
	tok, err := jwt.Sign(map[string]any{"appId": "a", "exp": 1893456000, "secret": "s"}, key)
	if err != nil {
		f.Fatal(err)
	}
	f.Add(tok, key)
	f.Add(tok[:len(tok)-2], key)
	f.Add("eyJhbGciOiJub25lIn0.e30.", key)
	f.Add("eyJhbGciOiJIUzI1NiJ9.W10.", []byte{})
	f.Add(strings.Repeat("a", jwt.MaxTokenSize+1), key)
	typed := []error{jwt.ErrMalformed, jwt.ErrTooLarge, jwt.ErrAlgorithm, jwt.ErrSignature}
	isTyped := func(err error) bool {
		for _, e := range typed {
			if errors.Is(err, e) {
				return true
			}
		}
		return false
	}
	f.Fuzz(func(t *testing.T, token string, key []byte) {
		h, claims, decErr := jwt.Decode(token)
		verified, verErr := jwt.Verify(token, key)
		for _, err := range []error{decErr, verErr} {
			if err == nil {
				continue
			}
			if !isTyped(err) || !strings.HasPrefix(err.Error(), "entityauth: ") {
				t.Fatalf("error %q is not one of the typed errors", err)
			}
			if len(token) >= 16 && strings.Contains(err.Error(), token) {
				t.Fatalf("error %q quotes the token", err)
			}
		}
		if decErr != nil {
			if verErr == nil {
				t.Fatalf("Verify accepted a token that Decode refuses (%v)", decErr)
			}
			return
		}
		if h == nil || claims == nil {
			t.Fatal("Decode returned nil maps without an error")
		}
		if verErr == nil && len(verified) != len(claims) {
			t.Fatalf("Verify claims = %d members; Decode's = %d", len(verified), len(claims))
		}
		resigned, err := jwt.Sign(claims, key)
		if err != nil {
			t.Fatalf("Sign(decoded claims): %v", err)
		}
		if _, err := jwt.Verify(resigned, key); err != nil {
			t.Fatalf("Verify(Sign(decoded claims)): %v", err)
		}
	})
}
