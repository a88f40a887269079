package vc

import (
	"errors"
	"fmt"
	"strings"

	"github.com/entity-studio-go/entityauth/internal/ldproof"
)

// Sentinel errors. A failed verification matches, with [errors.Is], the
// sentinel of its first cause, and its message names what failed (which
// credential of a presentation, which field). [ErrDIDUnavailable] and
// [ErrStatusUnavailable] say that the answer is not known yet: retrying may
// help. Every other sentinel is a verdict.
var (
	// ErrMalformed means that the input is not a credential or presentation
	// of the expected shape: not a JSON object, over the size or nesting
	// limit, a required field missing or of the wrong type, a date that is
	// not RFC 3339.
	ErrMalformed = errors.New("entityauth: vc: malformed")
	// ErrUnsupportedProof means that the proof is not a single
	// Ed25519Signature2020 (such as BJJSignature2021 or
	// EthereumEip712Signature2021), or that the key is not an
	// Ed25519VerificationKey2020.
	ErrUnsupportedProof = errors.New("entityauth: vc: unsupported proof")
	// ErrUnknownContext means that an @context URL is not one of the embedded
	// contexts. Contexts are never fetched from the network.
	ErrUnknownContext = errors.New("entityauth: vc: unknown JSON-LD context")
	// ErrUndefinedTerm means that a property is not defined by the contexts
	// (JSON-LD safe mode), or that a claim is not bound to the signature: its
	// key does not map to the IRI of its own name (see docs/verify.md).
	ErrUndefinedTerm = errors.New("entityauth: vc: undefined term")
	// ErrDIDNotFound means that the issuer's or holder's DID (or the DID of
	// the verification method) does not resolve to a DID document, or is
	// deactivated.
	ErrDIDNotFound = errors.New("entityauth: vc: DID not found")
	// ErrDIDUnavailable means that the resolver failed for another reason
	// than an unknown DID (network, server, credentials); retrying may help.
	ErrDIDUnavailable = errors.New("entityauth: vc: DID resolver unavailable")
	// ErrKeyNotAuthorized means that the proof's verification method is not
	// one the issuer's DID document lists under assertionMethod (or, for a
	// presentation's own proof, the holder's under authentication), directly
	// or through a controller.
	ErrKeyNotAuthorized = errors.New("entityauth: vc: verification method not authorized")
	// ErrSignature means that the proof's signature does not verify: the
	// credential was changed after it was signed, or signed with another key.
	ErrSignature = errors.New("entityauth: vc: invalid signature")
	// ErrExpired means that the expirationDate is before Options.Now.
	ErrExpired = errors.New("entityauth: vc: expired")
	// ErrNotYetValid means that the issuanceDate is after Options.Now.
	ErrNotYetValid = errors.New("entityauth: vc: not yet valid")
	// ErrRevoked means that the status document says revoked.
	ErrRevoked = errors.New("entityauth: vc: revoked")
	// ErrSuspended means that the status document says suspended.
	ErrSuspended = errors.New("entityauth: vc: suspended")
	// ErrStatusUnavailable means that the status could not be established:
	// the status host could not be reached or answered badly, or its status
	// document is not signed by the issuer or names another credential.
	// Retrying may help.
	ErrStatusUnavailable = errors.New("entityauth: vc: status unavailable")
	// ErrChallenge means that a presentation's proof does not carry the
	// verifier's challenge, or that the verifier gave an empty one.
	ErrChallenge = errors.New("entityauth: vc: challenge mismatch")
	// ErrDomain means that a presentation's proof does not carry the domain
	// that the verifier requires.
	ErrDomain = errors.New("entityauth: vc: domain mismatch")
)

// failure is the error of a failed verification: a sentinel, where it
// happened (outermost first), what failed, and possibly the error that caused it.
type failure struct {
	sentinel error
	where    []string
	detail   string
	cause    error
}

const prefix = "entityauth: vc: "

// Error returns "entityauth: vc: <where>: <sentinel>: <detail>".
func (f *failure) Error() string {
	var b strings.Builder
	b.WriteString(prefix)
	for _, w := range f.where {
		b.WriteString(w)
		b.WriteString(": ")
	}
	b.WriteString(strings.TrimPrefix(f.sentinel.Error(), prefix))
	if f.detail != "" {
		b.WriteString(": ")
		b.WriteString(f.detail)
	}
	if f.cause != nil {
		b.WriteString(": ")
		b.WriteString(strings.TrimPrefix(f.cause.Error(), prefix))
	}
	return b.String()
}

// Unwrap returns the sentinel and the cause.
func (f *failure) Unwrap() []error {
	if f.cause != nil {
		return []error{f.sentinel, f.cause}
	}
	return []error{f.sentinel}
}

// errorf returns a failure of sentinel, with a detail formatted as by fmt.
func errorf(sentinel error, format string, args ...any) *failure {
	return &failure{sentinel: sentinel, detail: fmt.Sprintf(format, args...)}
}

// caused returns a failure of sentinel caused by err.
func caused(sentinel, err error, format string, args ...any) *failure {
	f := errorf(sentinel, format, args...)
	f.cause = err
	return f
}

// wrap adds where to err's location. An error that is not a failure (such as
// the context's) is wrapped as it is.
func wrap(where string, err error) error {
	if err == nil {
		return nil
	}
	var f *failure
	if errors.As(err, &f) {
		g := *f
		g.where = append([]string{where}, f.where...)
		return &g
	}
	return fmt.Errorf("%s%s: %w", prefix, where, err)
}

// ldError maps an error of package ldproof to a sentinel of this package.
func ldError(err error) error {
	switch {
	case errors.Is(err, ldproof.ErrUnknownContext):
		return errorf(ErrUnknownContext, "%s", strings.TrimPrefix(err.Error(), "ldproof: unknown JSON-LD context: "))
	case errors.Is(err, ldproof.ErrUndefinedTerm):
		return errorf(ErrUndefinedTerm, "%s", strings.TrimPrefix(err.Error(), "ldproof: undefined term: "))
	default:
		return errorf(ErrMalformed, "%s", strings.TrimPrefix(err.Error(), "ldproof: "))
	}
}
