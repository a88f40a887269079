// Package base58 encodes and decodes the Bitcoin base58 alphabet, the
// "base58btc" of multibase (prefix 'z'), as DID keys and ids use it. It uses
// only the standard library.
package base58

import (
	"errors"
	"math/big"
)

// alphabet is the Bitcoin base58 alphabet: no 0, O, I or l.
const alphabet = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"

// ErrInvalid reports a string with a character outside the alphabet.
var ErrInvalid = errors.New("entityauth: invalid base58 character")

var radix = big.NewInt(58)

// decodeMap maps a byte to its digit, or -1.
var decodeMap = func() (m [256]int8) {
	for i := range m {
		m[i] = -1
	}
	for i, c := range []byte(alphabet) {
		m[c] = int8(i)
	}
	return m
}()

// Encode returns b in base58. Each leading zero byte becomes a leading '1'.
func Encode(b []byte) string {
	zeros := 0
	for zeros < len(b) && b[zeros] == 0 {
		zeros++
	}
	n := new(big.Int).SetBytes(b)
	var out []byte
	mod := new(big.Int)
	for n.Sign() > 0 {
		n.DivMod(n, radix, mod)
		out = append(out, alphabet[mod.Int64()])
	}
	for range zeros {
		out = append(out, '1')
	}
	for i, j := 0, len(out)-1; i < j; i, j = i+1, j-1 {
		out[i], out[j] = out[j], out[i]
	}
	return string(out)
}

// Decode returns the bytes that s encodes. Each leading '1' becomes a leading
// zero byte.
func Decode(s string) ([]byte, error) {
	zeros := 0
	for zeros < len(s) && s[zeros] == '1' {
		zeros++
	}
	n := new(big.Int)
	for i := zeros; i < len(s); i++ {
		d := decodeMap[s[i]]
		if d < 0 {
			return nil, ErrInvalid
		}
		n.Mul(n, radix)
		n.Add(n, big.NewInt(int64(d)))
	}
	return append(make([]byte, zeros), n.Bytes()...), nil
}
