package entityauthtest

import (
	"crypto/ed25519"
	"fmt"
	"net/http"
	"slices"
	"strings"

	"github.com/entity-studio-go/entityauth/internal/ldproof"
)

// VerifyPresentation answers POST /api/v1/presentation/verify as the real
// service does with hs-ssi-sdk and vc-js, checking the proofs against the
// fake chain (its DIDs and credential statuses) with internal/ldproof, the
// signing input that package vc verifies. (entityauthtest cannot import
// package vc: vc imports ssi, which imports entityauth, whose tests use the
// fake.) Like vc-js, and unlike package vc, it does not bind claims to the
// signature, nor check dates.
//
//   - The body's validation: presentation must be a non-empty object whose
//     proof's members are strings; a missing challenge is 400
//     ["presentation.proof.challenge must be a string"].
//   - What makes the SDK throw, before vc-js runs, is a 500 with its text:
//     a challenge of "" (the service passes the proof's own challenge), an
//     issuer or holder not on chain, a holder or issuer document without the
//     verification method named by holderVerificationMethodId or
//     issuerVerificationMethodId (default <did>#key-1).
//   - Everything vc-js checks answers 201: verified true, or verified false
//     (a signature that does not verify, a revoked or suspended credential
//     or one whose status is not on chain, a key the DID does not list for
//     the proof's purpose, an undefined term). The cause is logged
//     (Options.Logf); the real answer's error does not carry it (vc-js's
//     VerificationError serializes without its message).
//
// The challenge and domain are the proof's own, as the real service passes
// them, so any challenge verifies here: the relying party must compare it
// (package vc does, with PresentationOptions.Challenge).
func (h *ssiHandler) VerifyPresentation(w http.ResponseWriter, r *http.Request) {
	h.serve(w, r, opPresentation, func(_ caller, body jsObject) jsonAnswer {
		p, isObj := body.get("presentation").(map[string]any)
		if !isNonEmptyObject(p) {
			var v violations
			v.add("presentation must be a non-empty object")
			if !isObj {
				v.add("presentation must be an object")
			}
			return *v.answer()
		}
		if bad := validateVPProof(p); bad != nil {
			return *bad
		}
		proof, _ := p["proof"].(map[string]any)
		if challenge, _ := proof["challenge"].(string); challenge == "" {
			return sdkError(r, "HID-SSI-SDK:: Error: params.challenge is required to verify a presentation")
		}
		holder, _ := p["holder"].(string)
		creds, _ := p["verifiableCredential"].([]any)
		holderVM, _ := body.get("holderVerificationMethodId").(string)
		issuerVM, _ := body.get("issuerVerificationMethodId").(string)

		chain, thrown := h.s.verifySnapshot(holder, holderVM, issuerVM, creds)
		if thrown != "" {
			return jsonAnswer{status: http.StatusInternalServerError, body: newInternalBody(r.RequestURI, "Error", thrown)}
		}
		res := chain.verify(p, creds)
		if !res.Verified {
			h.s.logf("POST %s: verified false: %s", r.URL.Path, res.cause)
		}
		return ok(http.StatusCreated, res)
	})
}

// validateVPProof checks the members of presentation.proof that the DTO
// requires to be strings (PresentationProof in
// create-presentation-request.dto.ts), in the DTO's order.
func validateVPProof(p map[string]any) *jsonAnswer {
	proof, isObj := p["proof"].(map[string]any)
	if !isObj {
		proof = map[string]any{}
	}
	var v violations
	for _, k := range []string{"type", "created", "proofPurpose", "challenge", "proofValue"} {
		if !isString(proof[k]) {
			v.add("presentation.proof.%s must be a string", k)
		}
	}
	return v.answer()
}

// chainView is what one verification reads from the fake chain, copied so
// that the verification runs without the server's lock.
type chainView struct {
	docs     map[string]map[string]any // DID documents on chain, deactivated ones left out
	statuses map[string]*credStatus    // credential id → status on chain
}

// verifySnapshot copies the chain's DIDs and statuses, and returns the
// SDK's text when it would throw before vc-js runs: a holder or issuer not
// on chain, or a document without the verification method it is told to use.
func (s *Server) verifySnapshot(holder, holderVM, issuerVM string, creds []any) (*chainView, string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	v := &chainView{docs: map[string]map[string]any{}, statuses: map[string]*credStatus{}}
	for did, rec := range s.ssi.dids {
		if rec.registered && !rec.deactivated {
			v.docs[did] = rawMap(rec.onChain)
		}
	}
	for id, rec := range s.ssi.creds {
		if rec.status != nil && s.statusVisibleLocked(rec) {
			st := *rec.status
			v.statuses[id] = &st
		}
	}
	onChain := func(did string) map[string]any {
		if rec := s.ssi.dids[did]; rec != nil && rec.registered {
			return rawMap(rec.onChain)
		}
		return nil
	}
	// hs-ssi-sdk vp.ts verify: the holder, then each credential's issuer,
	// resolved from the chain, and their keys built from the methods named.
	hdoc := onChain(holder)
	if hdoc == nil {
		return nil, "Cannot read properties of undefined (reading 'find')"
	}
	if holderVM == "" {
		holderVM = holder + "#key-1"
	}
	if docKey(hdoc, holderVM) == "" {
		return nil, "Cannot read properties of undefined (reading 'publicKeyMultibase')"
	}
	for _, c := range creds {
		cred, _ := c.(map[string]any)
		issuer := idOf(cred["issuer"])
		idoc := onChain(issuer)
		if idoc == nil {
			return nil, "HID-SSI-SDK:: Error: Issuer DID [object Object] is invalid or not registered on the blockchain"
		}
		vm := issuerVM
		if vm == "" {
			vm = issuer + "#key-1"
		}
		if docKey(idoc, vm) == "" {
			return nil, "Cannot read properties of undefined (reading 'publicKeyMultibase')"
		}
	}
	return v, ""
}

// idOf returns v when it is a string, or v's id when it is an object.
func idOf(v any) string {
	switch t := v.(type) {
	case string:
		return t
	case map[string]any:
		s, _ := t["id"].(string)
		return s
	}
	return ""
}

// checkProof checks doc's one Ed25519Signature2020 proof as
// jsonld-signatures does: the purpose, a verification method that signer's
// document (or a controller's) lists under that purpose, and the signature,
// with Hypersign's copy of credentials/v1 and then W3C's. It returns why the
// proof fails, or "".
func (v *chainView) checkProof(doc map[string]any, signer, purpose string) string {
	proof, _ := doc["proof"].(map[string]any)
	if proof == nil || proof["type"] != ed25519ProofType {
		return "no Ed25519Signature2020 proof"
	}
	if proof["proofPurpose"] != purpose {
		return fmt.Sprintf("proofPurpose %v; want %s", proof["proofPurpose"], purpose)
	}
	vm, _ := proof["verificationMethod"].(string)
	owner := strings.SplitN(vm, "#", 2)[0]
	sdoc := v.docs[signer]
	if sdoc == nil {
		return signer + " is not on chain, or deactivated"
	}
	if owner != signer && !slices.Contains(stringsOf(sdoc["controller"]), owner) {
		return vm + " does not belong to " + signer + " or a controller of it"
	}
	odoc := v.docs[owner]
	if odoc == nil || !slices.Contains(stringsOf(odoc[purpose]), vm) {
		return vm + " is not in " + owner + "'s " + purpose
	}
	pub, err := ldproof.DecodePublicKeyMultibase(docKey(odoc, vm))
	if err != nil {
		return vm + ": " + err.Error()
	}
	sig, err := ldproof.DecodeProofValue(str(proof["proofValue"]))
	if err != nil {
		return err.Error()
	}
	for _, c := range []ldproof.Copy{ldproof.HypersignCopy, ldproof.W3CCopy} {
		data, _, err := ldProcessor.SigningInput(doc, proof, c, "")
		if err != nil {
			return err.Error()
		}
		if ed25519.Verify(pub, data, sig) {
			return ""
		}
	}
	return "the proof of " + vm + " does not verify"
}

// stringsOf returns the strings of a JSON list (or the one string).
func stringsOf(v any) []string {
	switch t := v.(type) {
	case string:
		return []string{t}
	case []any:
		out := make([]string, 0, len(t))
		for _, e := range t {
			if s, ok := e.(string); ok {
				out = append(out, s)
			}
		}
		return out
	}
	return nil
}

// checkCredential checks a credential's proof and, when it names one, its
// status on chain, as vc-js with the SDK's checkStatus does.
func (v *chainView) checkCredential(cred map[string]any) (proofOK bool, why string) {
	if why := v.checkProof(cred, idOf(cred["issuer"]), "assertionMethod"); why != "" {
		return false, why
	}
	if _, named := cred["credentialStatus"]; !named {
		return true, ""
	}
	id, _ := cred["id"].(string)
	st := v.statuses[id]
	switch {
	case st == nil:
		return true, msgNoStatus
	case st.revoked:
		return true, "the credential is revoked"
	case st.suspended:
		return true, "the credential is suspended"
	}
	return true, ""
}

// verification is the answer of verifyPresentation: vc-js's result.
type verification struct {
	PresentationResult proofResult   `json:"presentationResult"`
	Verified           bool          `json:"verified"`
	CredentialResults  []proofResult `json:"credentialResults"`
	Error              *vcjsError    `json:"error,omitempty"`
	cause              string
}

type proofResult struct {
	Verified     bool          `json:"verified"`
	Results      []proofStatus `json:"results"`
	CredentialID string        `json:"credentialId,omitempty"`
}

type proofStatus struct {
	Proof    any  `json:"proof"`
	Verified bool `json:"verified"`
}

// vcjsError is vc-js's VerificationError as JSON.stringify writes it: its
// name and errors, whose messages are not enumerable.
type vcjsError struct {
	Name   string `json:"name"`
	Errors []any  `json:"errors"`
}

// verify checks the presentation's proof (the holder's authentication) and
// each credential.
func (v *chainView) verify(p map[string]any, creds []any) *verification {
	holder, _ := p["holder"].(string)
	why := v.checkProof(p, holder, "authentication")
	out := &verification{
		PresentationResult: proofResult{Verified: why == "", Results: []proofStatus{{Proof: p["proof"], Verified: why == ""}}},
		CredentialResults:  []proofResult{},
	}
	var causes []string
	if why != "" {
		causes = append(causes, "presentation: "+why)
	}
	for i, c := range creds {
		cred, _ := c.(map[string]any)
		proofOK, cwhy := v.checkCredential(cred)
		id, _ := cred["id"].(string)
		out.CredentialResults = append(out.CredentialResults, proofResult{Verified: cwhy == "", CredentialID: id, Results: []proofStatus{{Proof: cred["proof"], Verified: proofOK}}})
		if cwhy != "" {
			causes = append(causes, fmt.Sprintf("verifiableCredential[%d] %s: %s", i, id, cwhy))
		}
	}
	out.Verified = len(causes) == 0
	if !out.Verified {
		out.cause = strings.Join(causes, "; ")
		out.Error = &vcjsError{Name: "VerificationError", Errors: []any{map[string]any{}}}
	}
	return out
}
