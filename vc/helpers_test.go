package vc

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/entity-studio-go/entityauth/internal/ldproof"
)

// vectors is the directory of the test vectors (testdata/vectors/README.md).
const vectors = "testdata/vectors"

// vectorNow is a time at which the vectors are valid: after their
// issuanceDate (2025-01-16), before their expirationDate (2030-12-10).
var vectorNow = time.Date(2026, 6, 1, 12, 0, 0, 0, time.UTC)

// The DIDs of the vectors.
const (
	issuerDID   = "did:hid:testnet:z6Mkw9vAVNfn8d5TAmTgmfeRvXdBBG9PLMeA1TTxCa2nE5NE"
	holderDID   = "did:hid:testnet:z6MkoMwmHtE6byc777ppi3PgU92o1m8Mo2SyFHdgdEHsmik8"
	strangerDID = "did:hid:testnet:z6Mkqci6t4hXZyD1jbre6zZMRyv3MmmMUkFE57GA51YrLQpD"
	vc01ID      = "vc:hid:testnet:z6MkunNPokS5BWaL2QSbLoXNRkPWzwvzpFECJJd8AuYwyvUC"
	vpChallenge = "c0ffee-1234"
	vpDomain    = "https://verifier.example"
)

func read(t testing.TB, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(vectors, path))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// vectorResolver resolves the issuer, holder and stranger of the vectors,
// plus extra documents.
func vectorResolver(t testing.TB, extra ...[]byte) DIDResolver {
	t.Helper()
	docs := [][]byte{read(t, "dids/issuer.did.json"), read(t, "dids/holder.did.json"), read(t, "dids/stranger.did.json")}
	r, err := DIDDocuments(append(docs, extra...)...)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func newTestVerifier(t testing.TB, o Options) *Verifier {
	t.Helper()
	if o.Resolver == nil {
		o.Resolver = vectorResolver(t)
	}
	if o.Now == nil {
		o.Now = func() time.Time { return vectorNow }
	}
	v, err := NewVerifier(o)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// wantErr fails unless err matches sentinel and its message holds each of
// the fragments.
func wantErr(t *testing.T, err, sentinel error, fragments ...string) {
	t.Helper()
	if !errors.Is(err, sentinel) {
		t.Fatalf("err = %v; want %v", err, sentinel)
	}
	for _, f := range fragments {
		if !strings.Contains(err.Error(), f) {
			t.Errorf("err = %q; want it to contain %q", err, f)
		}
	}
}

// testKey is a test signer: an Ed25519 key from a fixed seed and the
// did:hid DID that Hypersign's SDK makes of it.
type testKey struct {
	priv ed25519.PrivateKey
	did  string
	vm   string
}

func newTestKey(seed string) testKey {
	s := sha256.Sum256([]byte(seed))
	priv := ed25519.NewKeyFromSeed(s[:])
	mb := ldproof.EncodePublicKeyMultibase(priv.Public().(ed25519.PublicKey))
	did := "did:hid:testnet:" + mb
	return testKey{priv: priv, did: did, vm: did + "#key-1"}
}

// didDocument returns k's DID document in the SSI API's resolve shape.
func (k testKey) didDocument(t testing.TB) []byte {
	t.Helper()
	mb := strings.TrimPrefix(k.did, "did:hid:testnet:")
	doc := map[string]any{
		"didDocument": map[string]any{
			"@context":           []any{"https://www.w3.org/ns/did/v1", "https://w3id.org/security/suites/ed25519-2020/v1"},
			"id":                 k.did,
			"controller":         []any{k.did},
			"verificationMethod": []any{map[string]any{"id": k.vm, "type": "Ed25519VerificationKey2020", "controller": k.did, "publicKeyMultibase": mb}},
			"authentication":     []any{k.vm},
			"assertionMethod":    []any{k.vm},
		},
		"didDocumentMetadata": map[string]any{"deactivated": false},
	}
	b, err := json.Marshal(doc)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// sign adds an Ed25519Signature2020 proof to doc, computed as the JS stack
// computes it (the same code path that package vc verifies with).
func (k testKey) sign(t testing.TB, doc map[string]any, purpose string, extra map[string]any) []byte {
	t.Helper()
	proof := map[string]any{
		"type":               "Ed25519Signature2020",
		"created":            "2025-01-16T07:44:29Z",
		"verificationMethod": k.vm,
		"proofPurpose":       purpose,
	}
	for key, v := range extra {
		proof[key] = v
	}
	delete(doc, "proof")
	// Sign what a verifier decodes (numbers as float64), as the JS stack does.
	unsigned, err := json.Marshal(doc)
	if err != nil {
		t.Fatal(err)
	}
	var decoded map[string]any
	if err := json.Unmarshal(unsigned, &decoded); err != nil {
		t.Fatal(err)
	}
	data, _, err := processor.SigningInput(decoded, proof, ldproof.HypersignCopy, "")
	if err != nil {
		t.Fatal(err)
	}
	proof["proofValue"] = ldproof.Sign(k.priv, data)
	doc["proof"] = proof
	b, err := json.Marshal(doc)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func decodeJSON(t testing.TB, b []byte) map[string]any {
	t.Helper()
	var m map[string]any
	d := json.NewDecoder(bytes.NewReader(b))
	if err := d.Decode(&m); err != nil {
		t.Fatal(err)
	}
	return m
}

var bg = context.Background()
