package vc

import (
	"context"
	"crypto/ed25519"
	"errors"
	"time"

	"github.com/entity-studio-go/entityauth/internal/ldproof"
)

// Options configures a [Verifier].
type Options struct {
	// Resolver turns issuer and holder DIDs into DID documents. Required.
	Resolver DIDResolver
	// Status checks whether a credential is revoked or suspended. When nil,
	// status is not checked, and each [CredentialResult] says
	// [StatusNotChecked].
	Status StatusChecker
	// Now returns the time against which issuanceDate and expirationDate are
	// checked. When nil, time.Now.
	Now func() time.Time
	// MaxBytes is the largest input accepted. When 0, [DefaultMaxBytes].
	MaxBytes int
	// MaxDepth is the deepest nesting of JSON objects and arrays accepted.
	// When 0, [DefaultMaxDepth].
	MaxDepth int
}

// Verifier verifies Hypersign's Verifiable Credentials and Presentations
// offline: the JSON-LD contexts are embedded, and only DID resolution and
// the status check (both configurable) leave the process. A Verifier is safe
// for concurrent use; it parses each distinct @context once and keeps it.
type Verifier struct {
	resolver DIDResolver
	status   StatusChecker
	now      func() time.Time
	maxBytes int
	maxDepth int
	proc     *ldproof.Processor
}

// NewVerifier returns a Verifier. It fails when o.Resolver is nil or a limit
// is negative.
func NewVerifier(o Options) (*Verifier, error) {
	if o.Resolver == nil {
		return nil, errors.New("entityauth: vc: Options.Resolver is nil")
	}
	if o.MaxBytes < 0 || o.MaxDepth < 0 {
		return nil, errors.New("entityauth: vc: Options.MaxBytes and MaxDepth must not be negative")
	}
	v := &Verifier{
		resolver: o.Resolver,
		status:   o.Status,
		now:      o.Now,
		maxBytes: o.MaxBytes,
		maxDepth: o.MaxDepth,
		proc:     processor,
	}
	if v.now == nil {
		v.now = time.Now
	}
	if v.maxBytes == 0 {
		v.maxBytes = DefaultMaxBytes
	}
	if v.maxDepth == 0 {
		v.maxDepth = DefaultMaxDepth
	}
	return v, nil
}

// processor is shared by every Verifier and by HIDNodeStatus: the contexts
// it parses do not depend on a Verifier's options.
var processor = ldproof.NewProcessor()

// session holds what one verification resolves, so that a presentation
// resolves each DID once.
type session struct {
	v    *Verifier
	dids map[string]*didDoc
}

func (v *Verifier) session() *session {
	return &session{v: v, dids: make(map[string]*didDoc)}
}

func (s *session) resolve(ctx context.Context, did, role string) (*didDoc, error) {
	if d, ok := s.dids[did]; ok {
		return d, nil
	}
	d, err := resolve(ctx, s.v.resolver, did, role)
	if err != nil {
		return nil, err
	}
	s.dids[did] = d
	return d, nil
}

// signed is a document and its proof, canonicalized with Hypersign's copy of
// credentials/v1.
type signed struct {
	doc, proof map[string]any
	vmID       string
	sig        []byte
	data       []byte // the signed data, with HypersignCopy
	canonical  *ldproof.Canonical
}

// prepare checks the proof's shape and canonicalizes doc and the proof
// options. purpose is the proofPurpose the proof must have.
func (v *Verifier) prepare(doc map[string]any, purpose, pointerPrefix string) (*signed, error) {
	proof, err := singleProof(doc["proof"])
	if err != nil {
		return nil, err
	}
	if p := str(proof, "proofPurpose"); p != purpose {
		return nil, errorf(ErrKeyNotAuthorized, "proof.proofPurpose is %q; want %q", p, purpose)
	}
	vmID := str(proof, "verificationMethod")
	if vmID == "" {
		return nil, errorf(ErrMalformed, "proof.verificationMethod is missing")
	}
	sig, err := ldproof.DecodeProofValue(str(proof, "proofValue"))
	if err != nil {
		return nil, errorf(ErrMalformed, "proof.proofValue: %v", err)
	}
	data, c, err := v.proc.SigningInput(doc, proof, ldproof.HypersignCopy, pointerPrefix)
	if err != nil {
		return nil, ldError(err)
	}
	return &signed{doc: doc, proof: proof, vmID: vmID, sig: sig, data: data, canonical: c}, nil
}

// singleProof returns the one Ed25519Signature2020 proof of a document.
func singleProof(v any) (map[string]any, error) {
	if list, ok := v.([]any); ok {
		if len(list) != 1 {
			return nil, errorf(ErrUnsupportedProof, "%d proofs; exactly one is supported", len(list))
		}
		v = list[0]
	}
	proof := obj(v)
	if proof == nil {
		return nil, errorf(ErrMalformed, "no proof")
	}
	if t := str(proof, "type"); t != ldproof.SuiteEd25519Signature2020 {
		return nil, errorf(ErrUnsupportedProof, "proof.type is %q; only %s is supported", t, ldproof.SuiteEd25519Signature2020)
	}
	return proof, nil
}

// verify checks that the proof's verification method is one that signer
// lists under relationship (directly, or in the document of one of its
// controllers), then checks the signature, with Hypersign's copy of
// credentials/v1 and then W3C's.
func (s *session) verify(ctx context.Context, sd *signed, signer *didDoc, relationship string) error {
	owner := signer
	if did := didOf(sd.vmID); did != signer.id {
		authorized := false
		for _, c := range signer.controllers() {
			if c == did {
				authorized = true
			}
		}
		if !authorized {
			return errorf(ErrKeyNotAuthorized, "proof.verificationMethod %s belongs to %s, which %s's DID document does not name as a controller", sd.vmID, did, signer.id)
		}
		var err error
		if owner, err = s.resolve(ctx, did, "controller"); err != nil {
			return err
		}
	}
	vm, ok := owner.method(relationship, sd.vmID)
	if !ok {
		return errorf(ErrKeyNotAuthorized, "proof.verificationMethod %s is not in %s's %s", sd.vmID, owner.id, relationship)
	}
	key, err := publicKey(vm, sd.vmID)
	if err != nil {
		return err
	}
	if ed25519.Verify(key, sd.data, sd.sig) {
		return nil
	}
	// Again without expansion templates (they are checked to agree with
	// json-gold; this makes sure that a disagreement never refuses a valid
	// credential), then with W3C's copy of credentials/v1.
	plain := s.v.proc.Plain()
	if data, _, err := plain.SigningInput(sd.doc, sd.proof, ldproof.HypersignCopy, ""); err == nil && ed25519.Verify(key, data, sd.sig) {
		return nil
	}
	if usesCredentialsV1(sd.doc["@context"]) {
		data, _, err := plain.SigningInput(sd.doc, sd.proof, ldproof.W3CCopy, "")
		if err == nil && ed25519.Verify(key, data, sd.sig) {
			return nil
		}
	}
	return errorf(ErrSignature, "the proof of %s does not verify (with either copy of credentials/v1): the document was changed after it was signed, or signed with another key", sd.vmID)
}

func usesCredentialsV1(ctx any) bool {
	list, _ := ctx.([]any)
	for _, e := range list {
		if e == ldproof.CredentialsV1 {
			return true
		}
	}
	return ctx == ldproof.CredentialsV1
}

// checkContexts checks that @context starts with credentials/v1 and that
// every URL in it is embedded.
func checkContexts(doc map[string]any) error {
	var list []any
	switch t := doc["@context"].(type) {
	case string:
		list = []any{t}
	case []any:
		list = t
	default:
		return errorf(ErrMalformed, "@context is missing or not a list")
	}
	if len(list) == 0 || list[0] != ldproof.CredentialsV1 {
		return errorf(ErrMalformed, "@context does not start with %s", ldproof.CredentialsV1)
	}
	for i, e := range list {
		switch t := e.(type) {
		case string:
			if !ldproof.KnownContext(t) {
				return errorf(ErrUnknownContext, "@context[%d] %q is not one of the embedded contexts (contexts are never fetched)", i, t)
			}
		case map[string]any:
		default:
			return errorf(ErrMalformed, "@context[%d] is a %T, not a URL or an object", i, e)
		}
	}
	return nil
}

func hasType(doc map[string]any, want string) bool {
	types, _ := stringList(doc["type"])
	for _, t := range types {
		if t == want {
			return true
		}
	}
	return false
}
