package base58

import (
	"bytes"
	"encoding/hex"
	"errors"
	"testing"
	"testing/quick"

	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// Vectors from the base58 draft (draft-msporny-base58) and Bitcoin's tests.
func TestEncodeVectors(t *testing.T) {
	tests := []struct{ hex, want string }{
		{"", ""},
		{"00", "1"},
		{"0000", "11"},
		{"61", "2g"},
		{"626262", "a3gV"},
		{"636363", "aPEr"},
		{"48656c6c6f20576f726c6421", "2NEpo7TZRRrLZSi2U"},
		{"00000000000000000000", "1111111111"},
		{"000111d38e5fc9071ffcd20b4a763cc9ae4f252bb4e48fd66a835e252ada93ff480d6dd43dc62a641155a5", "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"},
	}
	for _, tt := range tests {
		b, _ := hex.DecodeString(tt.hex)
		if got := Encode(b); got != tt.want {
			t.Errorf("Encode(%s) = %q; want %q", tt.hex, got, tt.want)
		}
		got, err := Decode(tt.want)
		if err != nil || !bytes.Equal(got, b) {
			t.Errorf("Decode(%q) = %x, %v; want %s", tt.want, got, err, tt.hex)
		}
	}
}

// TestEd25519Prefix checks the property that DID keys rely on: the multicodec
// prefix 0xed01 before any 32-byte Ed25519 public key encodes as "6Mk…", 47 or 48 characters long.
func TestEd25519Prefix(t *testing.T) {
	f := func(key [32]byte) bool {
		s := Encode(append([]byte{0xed, 0x01}, key[:]...))
		if (len(s) != 47 && len(s) != 48) || s[:3] != "6Mk" {
			t.Logf("%x -> %s (%d)", key, s, len(s))
			return false
		}
		return true
	}
	if err := quick.Check(f, nil); err != nil {
		t.Error(err)
	}
}

func TestRoundTrip(t *testing.T) {
	f := func(b []byte) bool {
		got, err := Decode(Encode(b))
		return err == nil && bytes.Equal(got, b)
	}
	if err := quick.Check(f, nil); err != nil {
		t.Error(err)
	}
}

func TestDecodeInvalid(t *testing.T) {
	for _, s := range []string{"0", "O", "I", "l", "abc+", "z\x00"} {
		if _, err := Decode(s); !errors.Is(err, ErrInvalid) {
			t.Errorf("Decode(%q) error = %v; want ErrInvalid", s, err)
		}
	}
}
