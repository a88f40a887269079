package vc

import (
	"context"
	"strconv"
)

// PresentationOptions are what a presentation's proof must carry.
type PresentationOptions struct {
	// Challenge is the verifier's challenge, which the proof must carry
	// exactly. Required: a presentation verified without one can be replayed.
	Challenge string
	// Domain, when not empty, is the domain the proof must carry exactly.
	Domain string
}

// PresentationResult is what a valid presentation says.
type PresentationResult struct {
	// ID is the presentation's id, such as vp:hid:testnet:z6Mk…; it may be empty.
	ID string `json:"id,omitempty"`
	// Holder is the holder's DID, whose authentication key signed.
	Holder string `json:"holder"`
	// VerificationMethod is the key that signed, such as did:hid:…#key-1.
	VerificationMethod string `json:"verificationMethod"`
	// Challenge and Domain are those the proof carries.
	Challenge string `json:"challenge"`
	Domain    string `json:"domain,omitempty"`
	// Credentials holds one result per credential, in order. Package vc does
	// not require the holder to be each credential's subject; compare Holder
	// with each Subject if your policy does.
	Credentials []*CredentialResult `json:"credentials"`
}

// VerifyPresentation verifies a presentation (JSON) and every credential in
// it. The error is nil exactly when the presentation and each credential are
// valid. The presentation's own proof must have the authentication purpose,
// be signed with a key in the holder's authentication, and carry
// o.Challenge (an empty o.Challenge is refused with [ErrChallenge]) and,
// when o.Domain is set, o.Domain. Each credential is then checked as
// [Verifier.VerifyCredential] checks it; a failure names it by index and id
// (verifiableCredential[1] vc:hid:…).
func (v *Verifier) VerifyPresentation(ctx context.Context, raw []byte, o PresentationOptions) (*PresentationResult, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if o.Challenge == "" {
		return nil, errorf(ErrChallenge, "PresentationOptions.Challenge is empty: a presentation verified without a challenge can be replayed")
	}
	doc, err := decode(raw, v.maxBytes, v.maxDepth, "presentation")
	if err != nil {
		return nil, err
	}
	s := v.session()
	res, err := s.presentation(ctx, doc, o)
	if err != nil {
		return nil, wrap(credentialName("presentation", doc), err)
	}
	creds, err := presentationCredentials(doc["verifiableCredential"])
	if err != nil {
		return nil, wrap(credentialName("presentation", doc), err)
	}
	for i, c := range creds {
		where := credentialName("verifiableCredential["+strconv.Itoa(i)+"]", c)
		cr, err := s.credential(ctx, c)
		if err != nil {
			return nil, wrap(credentialName("presentation", doc), wrap(where, err))
		}
		res.Credentials = append(res.Credentials, cr)
	}
	return res, nil
}

// presentation checks the presentation's shape and its own proof.
func (s *session) presentation(ctx context.Context, doc map[string]any, o PresentationOptions) (*PresentationResult, error) {
	if err := checkContexts(doc); err != nil {
		return nil, err
	}
	if !hasType(doc, "VerifiablePresentation") {
		return nil, errorf(ErrMalformed, "type does not include VerifiablePresentation")
	}
	holder := idOf(doc["holder"])
	if holder == "" {
		return nil, errorf(ErrMalformed, "holder is missing")
	}
	proof, err := singleProof(doc["proof"])
	if err != nil {
		return nil, err
	}
	if c := str(proof, "challenge"); c != o.Challenge {
		return nil, errorf(ErrChallenge, "proof.challenge is %q; want %q", c, o.Challenge)
	}
	if d := str(proof, "domain"); o.Domain != "" && d != o.Domain {
		return nil, errorf(ErrDomain, "proof.domain is %q; want %q", d, o.Domain)
	}
	sd, err := s.v.prepare(doc, "authentication", "")
	if err != nil {
		return nil, err
	}
	holderDoc, err := s.resolve(ctx, holder, "holder")
	if err != nil {
		return nil, err
	}
	if err := s.verify(ctx, sd, holderDoc, "authentication"); err != nil {
		return nil, err
	}
	return &PresentationResult{
		ID:                 str(doc, "id"),
		Holder:             holder,
		VerificationMethod: sd.vmID,
		Challenge:          str(proof, "challenge"),
		Domain:             str(proof, "domain"),
		Credentials:        []*CredentialResult{},
	}, nil
}

// presentationCredentials returns the credentials of a presentation: one
// object or a list of them.
func presentationCredentials(v any) ([]map[string]any, error) {
	switch t := v.(type) {
	case nil:
		return nil, nil
	case map[string]any:
		return []map[string]any{t}, nil
	case []any:
		out := make([]map[string]any, len(t))
		for i, e := range t {
			m := obj(e)
			if m == nil {
				return nil, errorf(ErrMalformed, "verifiableCredential[%d] is not an object", i)
			}
			out[i] = m
		}
		return out, nil
	}
	return nil, errorf(ErrMalformed, "verifiableCredential is not an object or a list")
}
