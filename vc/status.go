package vc

import (
	"context"
	"crypto/ed25519"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"

	"github.com/entity-studio-go/entityauth/internal/ldproof"
	"github.com/entity-studio-go/entityauth/internal/loopback"
)

// Status is a credential's status, or why it was not checked.
type Status string

const (
	// StatusNotChecked means that no [StatusChecker] was configured.
	StatusNotChecked Status = "not-checked"
	// StatusNone means that the credential names no credentialStatus, so it
	// cannot be revoked or suspended.
	StatusNone Status = "none"
	// StatusLive means that the status document says neither revoked nor
	// suspended.
	StatusLive Status = "live"
	// StatusRevoked means that the status document says revoked.
	StatusRevoked Status = "revoked"
	// StatusSuspended means that the status document says suspended.
	StatusSuspended Status = "suspended"
)

// StatusQuery is what a [StatusChecker] is asked about: a credential whose
// signature has verified.
type StatusQuery struct {
	// CredentialID is the credential's id.
	CredentialID string
	// Issuer is the issuer's DID.
	Issuer string
	// StatusID and StatusType are the credential's credentialStatus id and
	// type (such as HypersignCredentialStatus2023).
	StatusID, StatusType string
	// IssuerDocument is the issuer's DID document as the resolver gave it,
	// to verify a signed status document with.
	IssuerDocument json.RawMessage
}

// StatusChecker tells whether a credential is live, revoked or suspended.
// A status that cannot be established is an error; one that does not wrap
// [ErrStatusUnavailable], [ErrRevoked] or [ErrSuspended] is wrapped with
// ErrStatusUnavailable.
type StatusChecker interface {
	CheckStatus(ctx context.Context, q StatusQuery) (Status, error)
}

// hidNodeHosts are the hid-node REST hosts whose status documents
// HIDNodeStatus reads when its baseURL is "": Hypersign's testnet
// (api.prajna.hypersign.id, which the SSI API names today) and the earlier
// testnet that credentials from 2023 name.
var hidNodeHosts = []string{"api.prajna.hypersign.id", "api.jagrat.hypersign.id"}

// MaxStatusBytes bounds the answer of a status host.
const MaxStatusBytes = 256 << 10

// statusPath is hid-node's REST route of a credential's status.
const statusPath = "/hypersign-protocol/hidnode/ssi/credential/"

// HIDNodeStatus returns a StatusChecker that reads a credential's status
// document from hid-node's REST API, GET {base}/hypersign-protocol/hidnode/ssi/credential/{credential id},
// verifies the status document's own proof with the issuer's key (its
// verification method must be in the issuer's assertionMethod), and checks
// that the document names this credential and this issuer.
//
// It never fetches the URL that a credential names. With baseURL "", it uses
// the scheme and host of the credential's status id only when the host is one
// of Hypersign's hid-node REST hosts (api.prajna.hypersign.id, and
// api.jagrat.hypersign.id, which credentials from 2023 name) over https; otherwise the status is
// [ErrStatusUnavailable]. With a baseURL (https, or http to a loopback host),
// it always asks that host. Redirects are not followed. hc nil means
// http.DefaultClient.
//
// It checks the status document's type (HypersignCredentialStatus2023) but
// not its credentialMerkleRootHash, which Hypersign's SDK does not check
// either.
func HIDNodeStatus(baseURL string, hc *http.Client) (StatusChecker, error) {
	h := &hidNode{}
	if baseURL != "" {
		u, err := url.Parse(baseURL)
		if err != nil || u.Host == "" || u.RawQuery != "" || u.Fragment != "" {
			return nil, fmt.Errorf("entityauth: vc: HIDNodeStatus: base URL %q is not an absolute URL", baseURL)
		}
		if !loopback.Secure(u) {
			return nil, fmt.Errorf("entityauth: vc: HIDNodeStatus: base URL %q must be https, or http to a loopback host", baseURL)
		}
		h.base = strings.TrimSuffix(u.String(), "/")
	}
	if hc == nil {
		hc = http.DefaultClient
	}
	c := *hc
	c.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	h.hc = &c
	return h, nil
}

type hidNode struct {
	base string
	hc   *http.Client
}

// hidNodeAnswer is hid-node's answer (proto/hypersign/ssi/v1/query.proto).
type hidNodeAnswer struct {
	CredentialStatus *struct {
		Document *struct {
			Context      []string `json:"context"`
			ID           string   `json:"id"`
			Revoked      bool     `json:"revoked"`
			Suspended    bool     `json:"suspended"`
			Remarks      string   `json:"remarks"`
			Issuer       string   `json:"issuer"`
			IssuanceDate string   `json:"issuanceDate"`
			MerkleRoot   string   `json:"credentialMerkleRootHash"`
		} `json:"credentialStatusDocument"`
		Proof *struct {
			Type               string `json:"type"`
			Created            string `json:"created"`
			VerificationMethod string `json:"verificationMethod"`
			ProofPurpose       string `json:"proofPurpose"`
			ProofValue         string `json:"proofValue"`
		} `json:"credentialStatusProof"`
	} `json:"credentialStatus"`
}

// CheckStatus implements StatusChecker.
func (h *hidNode) CheckStatus(ctx context.Context, q StatusQuery) (Status, error) {
	if q.StatusType != "HypersignCredentialStatus2023" {
		return "", errorf(ErrStatusUnavailable, "credentialStatus type %q is not HypersignCredentialStatus2023", q.StatusType)
	}
	if q.CredentialID == "" {
		return "", errorf(ErrStatusUnavailable, "the credential has no id to ask hid-node about")
	}
	base := h.base
	if base == "" {
		u, err := url.Parse(q.StatusID)
		if err != nil || u.Scheme != "https" || !isHIDNodeHost(u.Host) {
			return "", errorf(ErrStatusUnavailable, "credentialStatus id %q is not on one of Hypersign's hid-node REST hosts (%s); give HIDNodeStatus a base URL", q.StatusID, strings.Join(hidNodeHosts, ", "))
		}
		base = "https://" + u.Host
	}
	target := base + statusPath + url.PathEscape(q.CredentialID)
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, target, nil)
	if err != nil {
		return "", caused(ErrStatusUnavailable, err, "GET %s", target)
	}
	req.Header.Set("Accept", "application/json")
	resp, err := h.hc.Do(req)
	if err != nil {
		return "", caused(ErrStatusUnavailable, err, "GET %s", target)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, MaxStatusBytes+1))
	if err != nil {
		return "", caused(ErrStatusUnavailable, err, "GET %s", target)
	}
	if len(body) > MaxStatusBytes {
		return "", errorf(ErrStatusUnavailable, "GET %s: the answer is over %d bytes", target, MaxStatusBytes)
	}
	if resp.StatusCode != http.StatusOK {
		return "", errorf(ErrStatusUnavailable, "GET %s: %s%s", target, resp.Status, hidNodeMessage(body))
	}
	var a hidNodeAnswer
	if err := json.Unmarshal(body, &a); err != nil || a.CredentialStatus == nil || a.CredentialStatus.Document == nil || a.CredentialStatus.Proof == nil {
		return "", errorf(ErrStatusUnavailable, "GET %s: the answer is not a credential status", target)
	}
	d, p := a.CredentialStatus.Document, a.CredentialStatus.Proof
	if d.ID != q.CredentialID {
		return "", errorf(ErrStatusUnavailable, "the status document is about %q, not this credential", d.ID)
	}
	if d.Issuer != q.Issuer {
		return "", errorf(ErrStatusUnavailable, "the status document names issuer %q, not %s", d.Issuer, q.Issuer)
	}

	// The document as hid-node signs it: revoked and suspended left out
	// when false (omitempty), clientSpecType not part of the proof.
	ctxList := make([]any, len(d.Context))
	for i, c := range d.Context {
		ctxList[i] = c
	}
	doc := map[string]any{"@context": ctxList}
	for k, v := range map[string]string{"id": d.ID, "remarks": d.Remarks, "issuer": d.Issuer, "issuanceDate": d.IssuanceDate, "credentialMerkleRootHash": d.MerkleRoot} {
		if v != "" {
			doc[k] = v
		}
	}
	if d.Revoked {
		doc["revoked"] = true
	}
	if d.Suspended {
		doc["suspended"] = true
	}
	proof := map[string]any{}
	for k, v := range map[string]string{"type": p.Type, "created": p.Created, "verificationMethod": p.VerificationMethod, "proofPurpose": p.ProofPurpose, "proofValue": p.ProofValue} {
		if v != "" {
			proof[k] = v
		}
	}
	if err := verifyStatusProof(doc, proof, q); err != nil {
		return "", err
	}
	switch {
	case d.Revoked:
		return StatusRevoked, nil
	case d.Suspended:
		return StatusSuspended, nil
	}
	return StatusLive, nil
}

// verifyStatusProof verifies a status document's proof with a key of the
// issuer's assertionMethod.
func verifyStatusProof(doc, proof map[string]any, q StatusQuery) error {
	for _, c := range doc["@context"].([]any) {
		if s, _ := c.(string); !ldproof.KnownContext(s) {
			return errorf(ErrStatusUnavailable, "the status document's context %q is not embedded", s)
		}
	}
	if t := str(proof, "type"); t != ldproof.SuiteEd25519Signature2020 {
		return errorf(ErrStatusUnavailable, "the status document's proof is a %q, not an Ed25519Signature2020", t)
	}
	if pp := str(proof, "proofPurpose"); pp != "assertionMethod" {
		return errorf(ErrStatusUnavailable, "the status document's proofPurpose is %q; want assertionMethod", pp)
	}
	vmID := str(proof, "verificationMethod")
	var v map[string]any
	if err := json.Unmarshal(q.IssuerDocument, &v); err != nil {
		return caused(ErrStatusUnavailable, err, "the issuer's DID document")
	}
	issuer := &didDoc{id: q.Issuer, doc: didDocumentOf(v)}
	vm, ok := issuer.method("assertionMethod", vmID)
	if !ok {
		return errorf(ErrStatusUnavailable, "the status document is signed by %s, which is not in %s's assertionMethod", vmID, q.Issuer)
	}
	key, err := publicKey(vm, vmID)
	if err != nil {
		return caused(ErrStatusUnavailable, err, "the status document's key")
	}
	sig, err := ldproof.DecodeProofValue(str(proof, "proofValue"))
	if err != nil {
		return caused(ErrStatusUnavailable, err, "the status document's proofValue")
	}
	data, _, err := processor.SigningInput(doc, proof, ldproof.HypersignCopy, "")
	if err != nil {
		return caused(ErrStatusUnavailable, err, "canonicalizing the status document")
	}
	if !ed25519.Verify(key, data, sig) {
		return errorf(ErrStatusUnavailable, "the status document's proof does not verify with %s", vmID)
	}
	return nil
}

func isHIDNodeHost(host string) bool {
	for _, h := range hidNodeHosts {
		if strings.EqualFold(host, h) {
			return true
		}
	}
	return false
}

// hidNodeMessage returns ": " and the message of a gRPC-gateway error body
// ({"code": 5, "message": "…"}), or "".
func hidNodeMessage(body []byte) string {
	var e struct {
		Message string `json:"message"`
	}
	if json.Unmarshal(body, &e) != nil || e.Message == "" {
		return ""
	}
	if len(e.Message) > 200 {
		e.Message = e.Message[:200] + "…"
	}
	return ": " + e.Message
}
