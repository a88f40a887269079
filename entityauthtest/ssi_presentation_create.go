package entityauthtest

import (
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// presentationNamespace is the namespace of the presentation ids that the
// fake writes, vp:hid:testnet:z6Mk…: the server's HID_NETWORK_NAMESPACE.
const presentationNamespace = "testnet"

// presentation is a verifiable presentation as vc-js's createPresentation
// and signPresentation write it, keys in their order.
type presentation struct {
	Context              []string           `json:"@context"`
	Type                 []string           `json:"type"`
	VerifiableCredential []any              `json:"verifiableCredential"`
	ID                   string             `json:"id"`
	Holder               string             `json:"holder"`
	Proof                *presentationProof `json:"proof,omitempty"`
}

type presentationProof struct {
	Type               string `json:"type"`
	Created            string `json:"created"`
	VerificationMethod string `json:"verificationMethod"`
	ProofPurpose       string `json:"proofPurpose"`
	Challenge          string `json:"challenge"`
	Domain             string `json:"domain"`
	ProofValue         string `json:"proofValue"`
}

// CreatePresentation answers POST /api/v1/presentation
// (presentation.service.ts createPresentation): the credentials wrapped in a
// presentation that the holder's method signs for authentication, with the
// challenge and the domain. The holder's document comes from the fake chain;
// for an app's DID not on chain it is the document that the real service
// rebuilds (see resolveDID), whose method ids are not the DID's, so that
// the default method is not found (404), as on the real service.
//
// The proof is a real Ed25519Signature2020 (see ldSign): package vc, and
// verifyPresentation, accept it with its challenge and domain.
func (h *ssiHandler) CreatePresentation(w http.ResponseWriter, r *http.Request) {
	h.serve(w, r, opPresentation, func(c caller, body jsObject) jsonAnswer {
		if bad := didSetters(body, "holderDid"); bad != nil {
			return *bad
		}
		if bad := validateNewPresentation(body); bad != nil {
			return *bad
		}
		creds := body.get("credentialDocuments").([]any) // validated
		for _, x := range creds {
			if text := checkCredential(x); text != "" {
				return sdkError(r, text)
			}
		}
		holder, _ := body.get("holderDid").(string) // the pipe passes the body as sent
		challenge, _ := body.get("challenge").(string)
		domain, _ := body.get("domain").(string)
		vmid, _ := body.get("verificationMethodId").(string)

		s := h.s
		s.mu.Lock()
		defer s.mu.Unlock()
		doc := map[string]any{}
		switch rec := s.ssi.dids[holder]; {
		case rec != nil && rec.registered:
			doc = rawMap(rec.onChain)
		case rec != nil:
			doc = rawMap(must(marshal(rebuiltDIDDoc(holder, pubOf(rec.key)))))
		}
		if vmid == "" {
			am, isList := doc["assertionMethod"].([]any)
			switch {
			case !isList:
				return jsonAnswer{status: http.StatusInternalServerError, body: newInternalBody(r.RequestURI, "TypeError", "Cannot read properties of undefined (reading '0')")}
			case len(am) == 0 || !isString(am[0]):
				return jsonAnswer{status: http.StatusInternalServerError, body: newInternalBody(r.RequestURI, "TypeError", "Cannot read properties of undefined (reading 'split')")}
			}
			vmid = am[0].(string)
		}
		signer := s.ssi.dids[strings.SplitN(vmid, "#", 2)[0]]
		if signer == nil {
			return notFoundError(vmid+" not found", vmid+" is not owned by the appId "+c.appID, "Resource not found")
		}
		if _, isList := doc["verificationMethod"].([]any); !isList {
			return jsonAnswer{status: http.StatusInternalServerError, body: newInternalBody(r.RequestURI, "TypeError", "Cannot read properties of undefined (reading 'find')")}
		}
		if docKey(doc, vmid) == "" {
			// Ed25519VerificationKey2020.from without the method's public key. (uncertain: text)
			return jsonAnswer{status: http.StatusInternalServerError, body: newInternalBody(r.RequestURI, "TypeError", `The "publicKeyMultibase" property is required.`)}
		}
		vp := presentation{
			Context:              []string{credentialsContext, ed25519Context},
			Type:                 []string{"VerifiablePresentation"},
			VerifiableCredential: creds,
			ID:                   "vp:hid:" + presentationNamespace + ":" + multibaseKey(pubOf(newKey())),
			Holder:               holder,
		}
		proof := presentationProof{
			Type: ed25519ProofType, Created: time.Now().UTC().Format(isoSeconds), VerificationMethod: vmid,
			ProofPurpose: "authentication", Challenge: challenge, Domain: domain,
		}
		// The server signs with the stored key of the method's DID, whatever
		// key the holder's document names, as jsonld-signatures does with the
		// authentication purpose (challenge, then domain).
		signed, err := ldSign(signer.key, vp, object{{"type", proof.Type}, {"created", proof.Created}, {"verificationMethod", vmid},
			{"proofPurpose", proof.ProofPurpose}, {"challenge", challenge}, {"domain", domain}})
		if err != nil {
			return sdkError(r, signingError(err))
		}
		proof.ProofValue, _ = signed.get("proofValue").(string)
		vp.Proof = &proof
		return ok(http.StatusOK, struct {
			Presentation presentation `json:"presentation"`
		}{vp})
	})
}

func must(b []byte, err error) []byte {
	if err != nil {
		panic("entityauthtest: " + err.Error())
	}
	return b
}

// checkCredential runs the checks of vc-js's createPresentation on one
// credential and returns the error's text, or "". (uncertain: Hypersign's
// vc-js fork is not mirrored; these are the checks and texts of vc-js
// before 1.0.)
func checkCredential(x any) string {
	vc, _ := x.(map[string]any)
	ctx, _ := vc["@context"].([]any)
	switch {
	case len(ctx) == 0 || ctx[0] != credentialsContext:
		return `"` + credentialsContext + `" needs to be first in the list of contexts.`
	case !jsTruthy(vc["type"]):
		return `"type" property is required.`
	case !hasValue(vc["type"], "VerifiableCredential"):
		return `"type" must include ` + "`VerifiableCredential`."
	case !jsTruthy(vc["credentialSubject"]):
		return `"credentialSubject" property is required.`
	case !jsTruthy(vc["issuer"]):
		return `"issuer" property is required.`
	case !jsTruthy(vc["issuanceDate"]):
		return `"issuanceDate" property is required.`
	}
	return ""
}

// hasValue is jsonld.getValues(x).includes(v): x is v or a list holding it.
func hasValue(x any, v string) bool {
	if list, ok := x.([]any); ok {
		for _, e := range list {
			if e == v {
				return true
			}
		}
		return false
	}
	return x == v
}

// validateNewPresentation checks a CreatePresentationDto
// (create-presentation-request.dto.ts) as NestJS's ValidationPipe reports it.
// The credentials' own fields are not validated: the DTO's @Type is Array.
func validateNewPresentation(body jsObject) *jsonAnswer {
	var v violations
	cd := body.get("credentialDocuments")
	if list, isList := cd.([]any); !isList || len(list) == 0 {
		v.add("credentialDocuments should not be empty")
	}
	if cd != nil && !isArray(cd) && !isObject(cd) {
		v.add("each value in nested property credentialDocuments must be either object or array")
	}
	if list, isList := cd.([]any); isList {
		for _, x := range list {
			if !isObject(x) && !isArray(x) {
				v.add("credentialDocuments.each value in nested property credentialDocuments must be either object or array")
			}
		}
	}
	for _, k := range []string{"holderDid", "challenge"} {
		if x := body.get(k); !isString(x) || !notEmpty(x) {
			if !notEmpty(x) {
				v.add("%s should not be empty", k)
			}
			if !isString(x) {
				v.add("%s must be a string", k)
			}
		}
	}
	domain := body.get("domain")
	if s, _ := domain.(string); !isProtocolURL(s) {
		v.add("domain must be a URL address")
	}
	if !notEmpty(domain) {
		v.add("domain should not be empty")
	}
	if x := body.get("verificationMethodId"); x != nil && !isVMID(x) {
		v.add("verificationMethodId contains an invalid verification method id")
	}
	return v.answer()
}

// isProtocolURL approximates validator.js isURL with require_protocol and
// without require_tld: http, https or ftp, then a host name (localhost and
// IP addresses included).
func isProtocolURL(s string) bool {
	if s == "" || strings.ContainsAny(s, " <>") || !strings.Contains(s, "://") {
		return false
	}
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https" && u.Scheme != "ftp") {
		return false
	}
	host := u.Hostname()
	if host == "" || strings.HasPrefix(host, ".") || strings.HasSuffix(host, ".") || strings.Contains(host, "_") {
		return false
	}
	if net.ParseIP(host) != nil {
		return true
	}
	for _, label := range strings.Split(host, ".") {
		if label == "" || strings.HasPrefix(label, "-") || strings.HasSuffix(label, "-") {
			return false
		}
	}
	return true
}
