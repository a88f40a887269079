package vc

import (
	"context"
	"errors"
	"time"
)

// CredentialResult is what a valid credential says.
type CredentialResult struct {
	// ID is the credential's id, such as vc:hid:testnet:z6Mk…; it may be empty.
	ID string `json:"id,omitempty"`
	// Types are the credential's types, such as VerifiableCredential and the
	// schema's name. Hypersign maps every schema name to the same IRI, so the
	// schema name is not signed (see docs/verify.md).
	Types []string `json:"type"`
	// Issuer is the issuer's DID.
	Issuer string `json:"issuer"`
	// Subject is the credentialSubject's id (the holder's DID); it may be empty.
	Subject string `json:"subject,omitempty"`
	// Claims is the credentialSubject without its id, as signed: numbers are
	// float64, as jsonld.js signs them (an integer above 2^53 is its nearest
	// double).
	Claims map[string]any `json:"claims"`
	// Schema is the id of the credentialSchema, such as sch:hid:…:1.0; it may
	// be empty.
	Schema string `json:"schema,omitempty"`
	// VerificationMethod is the key that signed, such as did:hid:…#key-1.
	VerificationMethod string `json:"verificationMethod"`
	// IssuanceDate is when the credential becomes valid.
	IssuanceDate time.Time `json:"issuanceDate"`
	// ExpirationDate is when it expires; the zero Time when it does not.
	ExpirationDate time.Time `json:"expirationDate,omitzero"`
	// Status is the credential's status, or why it was not checked.
	Status Status `json:"status"`
	// StatusID is the credentialStatus id, such as
	// https://api.prajna.hypersign.id/hypersign-protocol/hidnode/ssi/credential/vc:…;
	// empty when the credential names none.
	StatusID string `json:"statusId,omitempty"`
}

// VerifyCredential verifies a credential (JSON). The error is nil exactly
// when the credential is valid; then the result says what it claims. A
// failure matches the sentinel of its first cause with [errors.Is]. The checks,
// in order: size and shape; every @context URL is embedded; JSON-LD expansion
// in safe mode; every claim bound to the signed graph; the issuer's DID
// document lists the verification method under assertionMethod; the
// Ed25519Signature2020 over URDNA2015 (with Hypersign's copy of
// credentials/v1, then W3C's); issuanceDate and expirationDate against
// Options.Now; the status, when Options.Status is set.
func (v *Verifier) VerifyCredential(ctx context.Context, raw []byte) (*CredentialResult, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	doc, err := decode(raw, v.maxBytes, v.maxDepth, "credential")
	if err != nil {
		return nil, err
	}
	res, err := v.session().credential(ctx, doc)
	if err != nil {
		return nil, wrap(credentialName("credential", doc), err)
	}
	return res, nil
}

// credentialName names a credential in messages: what, and its id if it has one.
func credentialName(what string, doc map[string]any) string {
	if id := str(doc, "id"); id != "" && len(id) < 200 {
		return what + " " + id
	}
	return what
}

// credential verifies a decoded credential.
func (s *session) credential(ctx context.Context, doc map[string]any) (*CredentialResult, error) {
	v := s.v
	// Shape.
	if err := checkContexts(doc); err != nil {
		return nil, err
	}
	if !hasType(doc, "VerifiableCredential") {
		return nil, errorf(ErrMalformed, "type does not include VerifiableCredential")
	}
	types, ok := stringList(doc["type"])
	if !ok {
		return nil, errorf(ErrMalformed, "type is not a string or a list of strings")
	}
	issuer := idOf(doc["issuer"])
	if issuer == "" {
		return nil, errorf(ErrMalformed, "issuer is missing")
	}
	issued, err := parseDate("issuanceDate", str(doc, "issuanceDate"))
	if err != nil {
		return nil, err
	}
	var expires time.Time
	if e, present := doc["expirationDate"]; present {
		s, _ := e.(string)
		if expires, err = parseDate("expirationDate", s); err != nil {
			return nil, err
		}
	}
	subject, subjectPointer, err := credentialSubject(doc["credentialSubject"])
	if err != nil {
		return nil, err
	}
	var statusID, statusType string
	if st, present := doc["credentialStatus"]; present {
		m := obj(st)
		statusID, statusType = str(m, "id"), str(m, "type")
		if statusID == "" || statusType == "" {
			return nil, errorf(ErrMalformed, "credentialStatus needs an id and a type")
		}
	}
	if _, present := doc["id"]; present && str(doc, "id") == "" {
		return nil, errorf(ErrMalformed, "id is not a string")
	}

	// Expansion, canonicalization, and the claims against the signed graph.
	sd, err := v.prepare(doc, "assertionMethod", "/credentialSubject")
	if err != nil {
		return nil, err
	}
	if err := bindClaims(subject, subjectPointer, sd.canonical.Expanded.Nodes); err != nil {
		return nil, err
	}

	// The issuer's key and the signature.
	issuerDoc, err := s.resolve(ctx, issuer, "issuer")
	if err != nil {
		return nil, err
	}
	if err := s.verify(ctx, sd, issuerDoc, "assertionMethod"); err != nil {
		return nil, err
	}

	// Dates.
	now := v.now()
	if now.Before(issued) {
		return nil, errorf(ErrNotYetValid, "issuanceDate %s is after %s", issued.Format(time.RFC3339), now.UTC().Format(time.RFC3339))
	}
	if !expires.IsZero() && !now.Before(expires) {
		return nil, errorf(ErrExpired, "expirationDate %s is not after %s", expires.Format(time.RFC3339), now.UTC().Format(time.RFC3339))
	}

	res := &CredentialResult{
		ID:                 str(doc, "id"),
		Types:              types,
		Issuer:             issuer,
		Subject:            str(subject, "id"),
		Claims:             claims(subject),
		Schema:             idOf(firstOf(doc["credentialSchema"])),
		VerificationMethod: sd.vmID,
		IssuanceDate:       issued,
		ExpirationDate:     expires,
		Status:             StatusNotChecked,
		StatusID:           statusID,
	}

	// Status.
	switch {
	case statusID == "":
		res.Status = StatusNone
	case v.status != nil:
		st, err := v.status.CheckStatus(ctx, StatusQuery{
			CredentialID:   res.ID,
			Issuer:         issuer,
			StatusID:       statusID,
			StatusType:     statusType,
			IssuerDocument: issuerDoc.raw,
		})
		if err != nil {
			if errors.Is(err, ErrStatusUnavailable) || errors.Is(err, ErrRevoked) || errors.Is(err, ErrSuspended) {
				return nil, err
			}
			return nil, caused(ErrStatusUnavailable, err, "credentialStatus %s", statusID)
		}
		switch st {
		case StatusLive:
		case StatusRevoked:
			return nil, errorf(ErrRevoked, "credentialStatus %s says revoked", statusID)
		case StatusSuspended:
			return nil, errorf(ErrSuspended, "credentialStatus %s says suspended", statusID)
		default:
			return nil, errorf(ErrStatusUnavailable, "the status checker answered %q", st)
		}
		res.Status = st
	}
	return res, nil
}

// credentialSubject returns the one subject of a credential and its JSON
// pointer.
func credentialSubject(v any) (map[string]any, string, error) {
	if list, ok := v.([]any); ok {
		if len(list) != 1 {
			return nil, "", errorf(ErrMalformed, "credentialSubject has %d entries; exactly one is supported", len(list))
		}
		m := obj(list[0])
		if m == nil {
			return nil, "", errorf(ErrMalformed, "credentialSubject is not an object")
		}
		return m, "/credentialSubject/0", nil
	}
	m := obj(v)
	if m == nil {
		return nil, "", errorf(ErrMalformed, "credentialSubject is missing or not an object")
	}
	return m, "/credentialSubject", nil
}

func firstOf(v any) any {
	if list, ok := v.([]any); ok && len(list) > 0 {
		return list[0]
	}
	return v
}

// claims returns the subject without its id.
func claims(subject map[string]any) map[string]any {
	out := make(map[string]any, len(subject))
	for k, v := range subject {
		if k != "id" {
			out[k] = v
		}
	}
	return out
}
