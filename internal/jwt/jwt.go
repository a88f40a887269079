// Package jwt signs and decodes the HS256 JSON Web Tokens that Entity Studio
// issues. It uses only the standard library.
//
// [Sign] and [Verify] serve the fake server in package entityauthtest;
// [Decode] reads a token's header and claims without checking the signature,
// for tools that only display them. Input is bounded by [MaxTokenSize].
package jwt

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
)

// MaxTokenSize is the largest token, in bytes, that [Decode] and [Verify] accept.
const MaxTokenSize = 16 << 10

// Errors returned by [Decode] and [Verify]. They are wrapped with details,
// so compare them with [errors.Is].
var (
	// ErrMalformed reports a token that is not three base64url segments
	// holding a JSON object header and a JSON object payload.
	ErrMalformed = errors.New("entityauth: malformed token")
	// ErrTooLarge reports a token longer than MaxTokenSize.
	ErrTooLarge = errors.New("entityauth: token too large")
	// ErrAlgorithm reports a token whose header names an algorithm other than HS256.
	ErrAlgorithm = errors.New("entityauth: unsupported token algorithm")
	// ErrSignature reports a token whose signature does not match the key.
	ErrSignature = errors.New("entityauth: invalid token signature")
)

var enc = base64.RawURLEncoding

// hs256Header is the encoded header {"alg":"HS256","typ":"JWT"}, as jsonwebtoken writes it.
var hs256Header = enc.EncodeToString([]byte(`{"alg":"HS256","typ":"JWT"}`))

// Sign returns claims signed with HMAC-SHA256 under key, as a compact JWT.
// Claims is marshalled with encoding/json, so a struct keeps its field order.
func Sign(claims any, key []byte) (string, error) {
	payload, err := json.Marshal(claims)
	if err != nil {
		return "", fmt.Errorf("entityauth: encoding token claims: %w", err)
	}
	if len(payload) == 0 || payload[0] != '{' {
		return "", fmt.Errorf("%w: claims must encode as a JSON object", ErrMalformed)
	}
	signingInput := hs256Header + "." + enc.EncodeToString(payload)
	return signingInput + "." + enc.EncodeToString(mac(signingInput, key)), nil
}

// Decode splits token into its header and claims without verifying the
// signature. Never trust claims obtained this way for authorization.
func Decode(token string) (header, claims map[string]json.RawMessage, err error) {
	header, claims, _, err = parse(token)
	return header, claims, err
}

// Verify checks that token is an HS256 JWT signed with key and returns its
// claims. It does not check exp or any other claim; that is the caller's policy.
func Verify(token string, key []byte) (claims map[string]json.RawMessage, err error) {
	header, claims, sig, err := parse(token)
	if err != nil {
		return nil, err
	}
	var alg string
	if err := json.Unmarshal(header["alg"], &alg); err != nil || alg != "HS256" {
		return nil, ErrAlgorithm
	}
	signingInput := token[:strings.LastIndexByte(token, '.')]
	if !hmac.Equal(sig, mac(signingInput, key)) {
		return nil, ErrSignature
	}
	return claims, nil
}

func mac(signingInput string, key []byte) []byte {
	h := hmac.New(sha256.New, key)
	h.Write([]byte(signingInput))
	return h.Sum(nil)
}

func parse(token string) (header, claims map[string]json.RawMessage, sig []byte, err error) {
	if len(token) > MaxTokenSize {
		return nil, nil, nil, fmt.Errorf("%w: %d bytes, limit %d", ErrTooLarge, len(token), MaxTokenSize)
	}
	parts := strings.Split(token, ".")
	if len(parts) != 3 {
		return nil, nil, nil, fmt.Errorf("%w: %d segments, want 3", ErrMalformed, len(parts))
	}
	header, err = segment(parts[0], "header")
	if err != nil {
		return nil, nil, nil, err
	}
	claims, err = segment(parts[1], "payload")
	if err != nil {
		return nil, nil, nil, err
	}
	sig, err = enc.DecodeString(parts[2])
	if err != nil {
		return nil, nil, nil, fmt.Errorf("%w: signature is not base64url", ErrMalformed)
	}
	return header, claims, sig, nil
}

func segment(s, name string) (map[string]json.RawMessage, error) {
	raw, err := enc.DecodeString(s)
	if err != nil {
		return nil, fmt.Errorf("%w: %s is not base64url", ErrMalformed, name)
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal(raw, &m); err != nil || m == nil || !bytes.HasPrefix(bytes.TrimSpace(raw), []byte("{")) {
		return nil, fmt.Errorf("%w: %s is not a JSON object", ErrMalformed, name)
	}
	return m, nil
}
