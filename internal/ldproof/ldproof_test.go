package ldproof

import (
	"bytes"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// vectors is the directory of the test vectors, kept beside package vc.
const vectors = "../../vc/testdata/vectors"

func readJSON(t testing.TB, path string) map[string]any {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(vectors, path))
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	return m
}

func readFile(t testing.TB, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(vectors, path))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestNQuadsMatchJSReference checks that the canonical N-Quads of vc/01's
// document and proof options are byte-identical to jsonld.js's, and so are
// the hashes and the signed data.
func TestNQuadsMatchJSReference(t *testing.T) {
	p := NewProcessor()
	doc := readJSON(t, "vc/01-valid.vc.json")
	proof := doc["proof"].(map[string]any)
	d, err := p.Canonicalize(Unsigned(doc), HypersignCopy, "")
	if err != nil {
		t.Fatal(err)
	}
	if want := readFile(t, "vc/01-valid.vc.doc.nq"); !bytes.Equal(d.NQuads, want) {
		t.Errorf("document N-Quads:\ngot\n%s\nwant\n%s", d.NQuads, want)
	}
	po, err := p.Canonicalize(ProofOptions(doc, proof), HypersignCopy, "")
	if err != nil {
		t.Fatal(err)
	}
	if want := readFile(t, "vc/01-valid.vc.proof.nq"); !bytes.Equal(po.NQuads, want) {
		t.Errorf("proof N-Quads:\ngot\n%s\nwant\n%s", po.NQuads, want)
	}
	var hashes struct{ DocHash, ProofHash, VerifyData string }
	if err := json.Unmarshal(readFile(t, "vc/01-valid.vc.hashes.json"), &hashes); err != nil {
		t.Fatal(err)
	}
	dh, ph := sha256.Sum256(d.NQuads), sha256.Sum256(po.NQuads)
	if got := hex.EncodeToString(dh[:]); got != hashes.DocHash {
		t.Errorf("docHash = %s; want %s", got, hashes.DocHash)
	}
	if got := hex.EncodeToString(ph[:]); got != hashes.ProofHash {
		t.Errorf("proofHash = %s; want %s", got, hashes.ProofHash)
	}
	data, _, err := p.SigningInput(doc, proof, HypersignCopy, "")
	if err != nil {
		t.Fatal(err)
	}
	if got := hex.EncodeToString(data); got != hashes.VerifyData {
		t.Errorf("verifyData = %s; want %s", got, hashes.VerifyData)
	}
}

// TestVectorSignatures verifies each signed vector with its key, with the
// copy of credentials/v1 that it needs.
func TestVectorSignatures(t *testing.T) {
	p := NewProcessor()
	issuer := readJSON(t, "dids/issuer.did.json")
	vm := issuer["didDocument"].(map[string]any)["verificationMethod"].([]any)[0].(map[string]any)
	key, err := DecodePublicKeyMultibase(vm["publicKeyMultibase"].(string))
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		file  string
		valid bool
	}{
		{"vc/01-valid.vc.json", true},
		{"vc/02-tampered-subject.vc.json", false},
		{"vc/08-expired.vc.json", true},
		{"vc/09-schemaorg-context.vc.json", true},
	} {
		doc := readJSON(t, tc.file)
		proof := doc["proof"].(map[string]any)
		sig, err := DecodeProofValue(proof["proofValue"].(string))
		if err != nil {
			t.Fatal(err)
		}
		var ok bool
		for _, c := range []Copy{HypersignCopy, W3CCopy} {
			data, _, err := p.SigningInput(doc, proof, c, "")
			if err != nil {
				t.Fatalf("%s: %v", tc.file, err)
			}
			if ed25519.Verify(key, data, sig) {
				ok = true
				break
			}
		}
		if ok != tc.valid {
			t.Errorf("%s: signature verifies = %v; want %v", tc.file, ok, tc.valid)
		}
	}
}

func TestUndefinedTermNamed(t *testing.T) {
	p := NewProcessor()
	doc := readJSON(t, "vc/05-undefined-term-added.vc.json")
	_, err := p.Canonicalize(Unsigned(doc), HypersignCopy, "")
	if !errors.Is(err, ErrUndefinedTerm) {
		t.Fatalf("err = %v; want ErrUndefinedTerm", err)
	}
	if want := `"extra"`; !bytes.Contains([]byte(err.Error()), []byte(want)) {
		t.Errorf("err = %v; want it to name %s", err, want)
	}
}

func BenchmarkSigningInput(b *testing.B) {
	p := NewProcessor()
	doc := readJSON(b, "vc/01-valid.vc.json")
	proof := doc["proof"].(map[string]any)
	b.ReportAllocs()
	for b.Loop() {
		if _, _, err := p.SigningInput(doc, proof, HypersignCopy, ""); err != nil {
			b.Fatal(err)
		}
	}
}
