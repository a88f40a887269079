package entityauthtest

import (
	"bytes"
	"crypto/ed25519"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"slices"
	"time"
	"unicode/utf16"
)

// opIssueJWT is POST /did/auth/issue-jwt: credits, and ISSUE_DID_JWT, which
// API-key tokens carry.
var opIssueJWT = operation{credits: true, access: permIssueDIDJWT}

// Limits of the real service's DID JWTs (src/did/constants/jwt.constant.ts).
const (
	jwtMinTTL      = 60
	jwtMaxTTL      = 60 * 60 * 24
	jwtMaxClaims   = 4000
	jwtWrappedText = "Bad Request Exception" // a BadRequestException re-thrown with its .message
)

// reservedClaims are dropped from the claims (src/utils/utils.ts RESERVED_CLAIM).
var reservedClaims = []string{"iss", "sub", "aud", "iat", "exp", "nbf", "jti"}

// IssueDIDJWT answers POST /api/v1/did/auth/issue-jwt (did.service.ts
// issueDidJwt): an EdDSA JWT signed with the Ed25519 key of one of the app's
// DIDs, registered or not. Its header is {"typ":"JWT","alg":"EdDSA"}, as
// did-jwt 8 writes it (the service passes its kid where did-jwt ignores
// it), and its payload {iat, exp, ...claims, aud, iss}, in did-jwt's order
// of keys but with the claims' keys sorted (the real one keeps JavaScript's
// order of the request's keys).
func (h *ssiHandler) IssueDIDJWT(w http.ResponseWriter, r *http.Request) {
	h.serve(w, r, opIssueJWT, func(_ caller, body jsObject) jsonAnswer {
		issuer, _ := body.get("issuer").(map[string]any)
		if _, has := issuer["did"]; has {
			// class-transformer sets Issuer.did, and its IsDid setter throws.
			if bad := didSetters(jsObject{keys: []string{"did"}, vals: issuer}, "did"); bad != nil {
				return *bad
			}
		}
		// (uncertain) The real IsDid keeps the value in one closure per
		// class: a request without issuer.did may validate, and sign, with
		// the DID of an earlier request. The fake validates each request alone.
		if bad := validateIssueJWT(body); bad != nil {
			return *bad
		}
		// Without transform, the pipe hands the service the body as sent:
		// the DID untrimmed.
		did, _ := issuer["did"].(string)
		ttl := int64(body.get("ttlSeconds").(float64)) // validated: an integer
		audience, _ := body.get("audience").(string)
		claims := body.get("claims").(map[string]any) // validated

		h.s.mu.Lock()
		rec := h.s.ssi.dids[did]
		h.s.mu.Unlock()
		if rec == nil {
			return badRequest("DID " + did + " is not registered or does not belong to this app")
		}
		safe := map[string]any{}
		for k, v := range claims {
			if !slices.Contains(reservedClaims, k) {
				safe[k] = v
			}
		}
		if b, _ := marshal(safe); len(utf16.Encode([]rune(string(b)))) > jwtMaxClaims {
			return badRequest(jwtWrappedText)
		}
		now := time.Now().Unix()
		tok, err := signDIDJWT(rec.key, did, audience, safe, now, now+ttl)
		if err != nil {
			return badRequest(err.Error())
		}
		return ok(http.StatusCreated, struct {
			AccessToken string `json:"accessToken"`
			ExpiresIn   any    `json:"expiresIn"`
		}{tok, body.get("ttlSeconds")})
	})
}

// signDIDJWT returns the compact JWS of did-jwt's createJWT with an EdDSA
// signer: header {"typ":"JWT","alg":"EdDSA"}, payload {iat, exp, ...claims,
// aud, iss}.
func signDIDJWT(key ed25519.PrivateKey, iss, aud string, claims map[string]any, iat, exp int64) (string, error) {
	var p bytes.Buffer
	p.WriteString(`{"iat":`)
	p.WriteString(jsonNumber(iat))
	p.WriteString(`,"exp":`)
	p.WriteString(jsonNumber(exp))
	for _, k := range sortedKeys(claims) {
		kb, err := marshal(k)
		if err != nil {
			return "", err
		}
		vb, err := marshal(claims[k])
		if err != nil {
			return "", err
		}
		p.WriteByte(',')
		p.Write(kb)
		p.WriteByte(':')
		p.Write(vb)
	}
	ab, _ := marshal(aud)
	ib, _ := marshal(iss)
	p.WriteString(`,"aud":`)
	p.Write(ab)
	p.WriteString(`,"iss":`)
	p.Write(ib)
	p.WriteByte('}')
	enc := base64.RawURLEncoding
	input := enc.EncodeToString([]byte(`{"typ":"JWT","alg":"EdDSA"}`)) + "." + enc.EncodeToString(p.Bytes())
	return input + "." + enc.EncodeToString(ed25519.Sign(key, []byte(input))), nil
}

func jsonNumber(n int64) string { b, _ := json.Marshal(n); return string(b) }

func sortedKeys(m map[string]any) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// validateIssueJWT checks an IssueDidJwtDto (issue-did-jwt.dto.ts) as
// NestJS's ValidationPipe reports it: a nested issuer's own errors replace
// the issuer's.
func validateIssueJWT(body jsObject) *jsonAnswer {
	var v violations
	switch x := body.get("issuer"); iss := x.(type) {
	case map[string]any:
		var child violations
		vm := iss["verificationMethodId"]
		if !isVMID(vm) {
			child.add("issuer.verificationMethodId contains an invalid verification method id")
		}
		if !notEmpty(vm) {
			child.add("issuer.verificationMethodId should not be empty")
		}
		if !isString(vm) {
			child.add("issuer.verificationMethodId must be a string")
		}
		if did := iss["did"]; !isString(did) || !notEmpty(did) {
			if !notEmpty(did) {
				child.add("issuer.did should not be empty")
			}
			if !isString(did) {
				child.add("issuer.did must be a string")
			}
		}
		switch {
		case len(child) > 0:
			v = append(v, child...)
		case len(iss) == 0:
			v.add("issuer must be a non-empty object")
		}
	case nil:
		v.add("issuer must be a non-empty object")
		if body.has("issuer") {
			v.add("each value in nested property issuer must be either object or array")
		}
	default:
		v.add("issuer must be a non-empty object")
		if !isArray(x) {
			v.add("each value in nested property issuer must be either object or array")
		}
	}
	if a := body.get("audience"); !isString(a) || !notEmpty(a) {
		if !notEmpty(a) {
			v.add("audience should not be empty")
		}
		if !isString(a) {
			v.add("audience must be a string")
		}
	}
	if c := body.get("claims"); !isNonEmptyObject(c) {
		v.add("claims must be a non-empty object")
		if !isObject(c) {
			v.add("claims must be an object")
		}
	}
	ttl, isNum := body.get("ttlSeconds").(float64)
	if !isNum || ttl > jwtMaxTTL {
		v.add("ttlSeconds must not be greater than %d", jwtMaxTTL)
	}
	if !isNum || ttl < jwtMinTTL {
		v.add("ttlSeconds must not be less than %d", jwtMinTTL)
	}
	if !isNum || ttl != float64(int64(ttl)) {
		v.add("ttlSeconds must be an integer number")
	}
	return v.answer()
}
