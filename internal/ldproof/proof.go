package ldproof

import (
	"crypto/ed25519"
	"crypto/sha256"
	"errors"
	"fmt"

	"github.com/entity-studio-go/entityauth/internal/base58"
)

// SuiteEd25519Signature2020 is the proof type this package computes.
const SuiteEd25519Signature2020 = "Ed25519Signature2020"

// Canonical holds the canonical form of a document.
type Canonical struct {
	// Expanded is the document expanded (see [Processor.Expand]).
	Expanded *Expanded
	// NQuads is the URDNA2015 canonical N-Quads.
	NQuads []byte
}

// Canonicalize expands doc with the given copy of credentials/v1 and returns
// its canonical N-Quads. pointerPrefix is passed to Expand.
func (p *Processor) Canonicalize(doc map[string]any, c Copy, pointerPrefix string) (*Canonical, error) {
	x, err := p.Expand(doc, c, pointerPrefix)
	if err != nil {
		return nil, err
	}
	qs, err := Quads(x.Doc)
	if err != nil {
		return nil, err
	}
	nq, err := Canonicalize(qs)
	if err != nil {
		return nil, err
	}
	return &Canonical{Expanded: x, NQuads: nq}, nil
}

// Unsigned returns the document that a proof signs: doc without its proof.
func Unsigned(doc map[string]any) map[string]any {
	out := make(map[string]any, len(doc))
	for k, v := range doc {
		if k != "proof" {
			out[k] = v
		}
	}
	return out
}

// ProofOptions returns the proof options that jsonld-signatures
// canonicalizes: proof without proofValue, jws and signatureValue, with the
// document's @context.
func ProofOptions(doc, proof map[string]any) map[string]any {
	out := make(map[string]any, len(proof)+1)
	for k, v := range proof {
		switch k {
		case "proofValue", "jws", "signatureValue":
			continue
		}
		out[k] = v
	}
	out["@context"] = doc["@context"]
	return out
}

// VerifyData returns the data an Ed25519Signature2020 signs:
// sha256(proofNQuads) ‖ sha256(docNQuads).
func VerifyData(proofNQuads, docNQuads []byte) []byte {
	p := sha256.Sum256(proofNQuads)
	d := sha256.Sum256(docNQuads)
	return append(p[:], d[:]...)
}

// SigningInput canonicalizes the unsigned document and the proof options
// (see [ProofOptions]) and returns VerifyData of the two, with the expanded
// document. doc may hold a proof; it is left out.
func (p *Processor) SigningInput(doc, proof map[string]any, c Copy, pointerPrefix string) ([]byte, *Canonical, error) {
	d, err := p.Canonicalize(Unsigned(doc), c, pointerPrefix)
	if err != nil {
		return nil, nil, err
	}
	po, err := p.Canonicalize(ProofOptions(doc, proof), c, "")
	if err != nil {
		return nil, nil, fmt.Errorf("proof options: %w", err)
	}
	return VerifyData(po.NQuads, d.NQuads), d, nil
}

// Sign signs data and returns the proofValue: "z" and the base58btc of the
// 64-byte signature.
func Sign(key ed25519.PrivateKey, data []byte) string {
	return "z" + base58.Encode(ed25519.Sign(key, data))
}

// ErrProofValue reports a proofValue that is not a multibase base58btc
// Ed25519 signature.
var ErrProofValue = errors.New("ldproof: proofValue is not z + base58btc of a 64-byte signature")

// DecodeProofValue decodes a proofValue ("z" + base58btc of 64 bytes).
func DecodeProofValue(v string) ([]byte, error) {
	if len(v) < 2 || v[0] != 'z' || len(v) > 100 {
		return nil, ErrProofValue
	}
	sig, err := base58.Decode(v[1:])
	if err != nil || len(sig) != ed25519.SignatureSize {
		return nil, ErrProofValue
	}
	return sig, nil
}

// ErrPublicKey reports a publicKeyMultibase that is not an Ed25519 key.
var ErrPublicKey = errors.New("ldproof: publicKeyMultibase is not z + base58btc of 0xed 0x01 and a 32-byte Ed25519 key")

// DecodePublicKeyMultibase decodes an Ed25519VerificationKey2020's
// publicKeyMultibase: "z" + base58btc(0xed 0x01 ‖ key).
func DecodePublicKeyMultibase(v string) (ed25519.PublicKey, error) {
	if len(v) < 2 || v[0] != 'z' || len(v) > 100 {
		return nil, ErrPublicKey
	}
	b, err := base58.Decode(v[1:])
	if err != nil || len(b) != 2+ed25519.PublicKeySize || b[0] != 0xed || b[1] != 0x01 {
		return nil, ErrPublicKey
	}
	return ed25519.PublicKey(b[2:]), nil
}

// EncodePublicKeyMultibase is the inverse of DecodePublicKeyMultibase.
func EncodePublicKeyMultibase(key ed25519.PublicKey) string {
	return "z" + base58.Encode(append([]byte{0xed, 0x01}, key...))
}
