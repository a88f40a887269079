package contracttest

import (
	"crypto/ed25519"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/entity-studio-go/entityauth/entityauthtest"
	"github.com/entity-studio-go/entityauth/gen/ssiapi"
	"github.com/entity-studio-go/entityauth/internal/base58"
)

// send makes one SSI request with tok (none when "") and a JSON body (none when "").
func send(t *testing.T, s *entityauthtest.Server, tok, method, path, body string) answer {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), method, s.URL+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if tok != "" {
		req.Header.Set("Authorization", "Bearer "+tok)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	return do(t, s, req)
}

// wantAnswer fails unless a has status and a body holding part.
func wantAnswer(t *testing.T, what string, a answer, status int, part string) {
	t.Helper()
	if a.status != status || !strings.Contains(a.body, part) {
		t.Errorf("%s = %d %s; want %d with %s", what, a.status, a.body, status, part)
	}
}

func mustJSON(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// TestSSIRegisterDIDV2 registers a created DID with register/v2, queued
// as in production and at once in direct mode, then sends the mistakes that
// the real service refuses, with its texts.
func TestSSIRegisterDIDV2(t *testing.T) {
	path := "/api/v1/did/register/v2"
	body := func(doc, vm string) string {
		return `{"didDocument":` + doc + `,"signInfos":[{"verification_method_id":"` + vm + `"}]}`
	}
	t.Run("queued", func(t *testing.T) {
		s := entityauthtest.Start(t, entityauthtest.Options{ChainDelay: time.Hour})
		c := ssiClient(t, s)
		tok := token(t, s, tokenRequest{})
		d := createDID(t, c, "v2")
		vm := d.Did + "#key-1"
		doc := mustJSON(t, d.MetaData.DidDocument)

		before := s.CreditsUsed()
		r, err := c.RegisterDIDV2WithResponse(t.Context(), ssiapi.RegisterDIDV2Request{DidDocument: d.MetaData.DidDocument, SignInfos: []ssiapi.RegisterV2SignInfo{{VerificationMethodId: vm}}})
		if err != nil || r.JSON201 == nil {
			t.Fatalf("registerDIDV2: %v %d %s", err, r.StatusCode(), r.Body)
		}
		if !strings.HasPrefix(string(r.Body), `{"name":"v2","did":"`+d.Did+`","registrationStatus":"UNREGISTRED","transactionHash":"",`) {
			t.Errorf("queued registerDIDV2 = %s; want the name, the DID, UNREGISTRED and an empty hash, in the real order", r.Body)
		}
		if used := s.CreditsUsed() - before; used != 10 {
			t.Errorf("registerDIDV2 cost %d credits; want 10 (POST 5, attestation 5)", used)
		}
		if n := s.QueuedTransactions(); n != 1 {
			t.Errorf("QueuedTransactions = %d; want 1", n)
		}
		if res, _ := c.ResolveDIDWithResponse(t.Context(), d.Did); res.JSON200 == nil || res.JSON200.DidDocumentMetadata != nil {
			t.Errorf("resolve before the chain caught up = %s; want no metadata", res.Body)
		}
		// The database row stays UNREGISTRED: registering again is queued again.
		wantAnswer(t, "again, queued", send(t, s, tok, "POST", path, body(doc, vm)), 201, `"registrationStatus":"UNREGISTRED"`)
		s.FlushChain()
		res, _ := c.ResolveDIDWithResponse(t.Context(), d.Did)
		if res.JSON200 == nil || res.JSON200.DidDocumentMetadata == nil || !hashPattern.MatchString(*res.JSON200.DidDocumentMetadata.VersionId) {
			t.Errorf("resolve after FlushChain = %s; want metadata with a versionId", res.Body)
		}

		// A key that is not the DID's: queued all the same, refused by the chain, unseen.
		other := createDID(t, c, "")
		forged := strings.Replace(mustJSON(t, other.MetaData.DidDocument), `"publicKeyMultibase":"z`, `"publicKeyMultibase":"zX`, 1)
		wantAnswer(t, "a key that is not the DID's", send(t, s, tok, "POST", path, body(forged, other.Did+"#key-1")), 201, `{"name":"","did":"`+other.Did+`","registrationStatus":"UNREGISTRED","transactionHash":""`)
		s.FlushChain()
		if res, _ := c.ResolveDIDWithResponse(t.Context(), other.Did); res.JSON200 == nil || res.JSON200.DidDocumentMetadata != nil {
			t.Errorf("resolve after the chain refused the registration = %s; want no metadata", res.Body)
		}
		foreign := strings.ReplaceAll(doc, d.Did, "did:hid:testnet:z6MkNotTheAppsNotTheAppsNotTheApps")
		wantAnswer(t, "another app's DID", send(t, s, tok, "POST", path, body(foreign, "did:hid:testnet:z6MkNotTheAppsNotTheAppsNotTheApps#key-1")), 404,
			`"message":["did:hid:testnet:z6MkNotTheAppsNotTheAppsNotTheApps not found"]`)
		x25519 := strings.ReplaceAll(foreign, `"Ed25519VerificationKey2020"`, `"X25519KeyAgreementKey2020"`)
		wantAnswer(t, "another app's DID without an Ed25519 key", send(t, s, tok, "POST", path, body(x25519, "did:hid:testnet:z6MkNotTheAppsNotTheAppsNotTheApps#key-1")), 500,
			`"Cannot read properties of null (reading 'kmsId')"`)
	})
	t.Run("direct", func(t *testing.T) {
		s := entityauthtest.Start(t, entityauthtest.Options{DirectMode: true})
		c := ssiClient(t, s)
		tok := token(t, s, tokenRequest{})
		d := createDID(t, c, "v2")
		vm := d.Did + "#key-1"
		doc := mustJSON(t, d.MetaData.DidDocument)

		wantAnswer(t, "no token", send(t, s, "", "POST", path, `{}`), 401, `"Please pass access token"`)
		wantAnswer(t, "empty body", send(t, s, tok, "POST", path, `{}`), 400,
			`["didDocument must be a non-empty object","each value in nested property didDocument must be either object or array","signInfos should not be empty","signInfos must be an array"]`)
		wantAnswer(t, "empty signInfos", send(t, s, tok, "POST", path, `{"didDocument":`+doc+`,"signInfos":[]}`), 400, `"message":["signInfos should not be empty"]`)
		wantAnswer(t, "bad sign info", send(t, s, tok, "POST", path, `{"didDocument":`+doc+`,"signInfos":[{"verification_method_id":"x","clientSpec":{"type":"x"}}, 7]}`), 400,
			`["signInfos.0.verification_method_id contains an invalid verification method id","signInfos.0.signature must be a string","signInfos.0.signature should not be empty","signInfos.0.clientSpec.type must be one of the following values: eth-personalSign, cosmos-ADR036","signInfos.nested property signInfos must be either object or array"]`)
		wantAnswer(t, "no sign info for key-1", send(t, s, tok, "POST", path, body(doc, d.Did+"#key-2")), 400,
			`"message":["Missing sign info for verification method: `+vm+`"]`)
		ecdsa := strings.Replace(doc, `"Ed25519VerificationKey2020"`, `"EcdsaSecp256k1VerificationKey2019"`, 1)
		wantAnswer(t, "ECDSA without signature", send(t, s, tok, "POST", path, body(ecdsa, vm)), 400,
			`"message":["signature must be passed for keyType:EcdsaSecp256k1VerificationKey2019"]`)
		forged := strings.Replace(doc, `"publicKeyMultibase":"z`, `"publicKeyMultibase":"zX`, 1)
		wantAnswer(t, "a key that is not the DID's", send(t, s, tok, "POST", path, body(forged, vm)), 500, `invalid signature detected: `+vm+`"`)
		noMethods := strings.Replace(doc, `"verificationMethod":`, `"verificationMethods":`, 1)
		wantAnswer(t, "no verificationMethod", send(t, s, tok, "POST", path, body(noMethods, vm)), 500, `"Cannot read properties of undefined (reading 'some')"`)

		r, err := c.RegisterDIDV2WithResponse(t.Context(), ssiapi.RegisterDIDV2Request{DidDocument: d.MetaData.DidDocument, SignInfos: []ssiapi.RegisterV2SignInfo{{VerificationMethodId: vm}}})
		if err != nil || r.JSON201 == nil {
			t.Fatalf("registerDIDV2: %v %d %s", err, r.StatusCode(), r.Body)
		}
		got := r.JSON201
		if got.Name != "v2" || got.Did != d.Did || got.RegistrationStatus != ssiapi.RegistrationStatusCompleted || !hashPattern.MatchString(got.TransactionHash) {
			t.Errorf("registerDIDV2 = %s; want name v2, the DID, COMPLETED and a hash", r.Body)
		}
		res, _ := c.ResolveDIDWithResponse(t.Context(), d.Did)
		if res.JSON200 == nil || res.JSON200.DidDocumentMetadata == nil || *res.JSON200.DidDocumentMetadata.VersionId != got.TransactionHash {
			t.Errorf("resolve after registerDIDV2 = %s; want metadata with versionId %s", res.Body, got.TransactionHash)
		}
		wantAnswer(t, "again", send(t, s, tok, "POST", path, body(doc, vm)), 400, `"message":["`+d.Did+` already registered"]`)

		unnamed := createDID(t, c, "")
		r, _ = c.RegisterDIDV2WithResponse(t.Context(), ssiapi.RegisterDIDV2Request{DidDocument: unnamed.MetaData.DidDocument, SignInfos: []ssiapi.RegisterV2SignInfo{{VerificationMethodId: unnamed.Did + "#key-1"}}})
		if r.JSON201 == nil || !strings.HasPrefix(string(r.Body), `{"name":"","did":`) {
			t.Errorf("registerDIDV2 of a DID without a name = %d %s; want name \"\"", r.StatusCode(), r.Body)
		}
		s.SetCredits(false)
		wantAnswer(t, "no credits", send(t, s, tok, "POST", path, `{}`), 400, `"No credits found or credit exhausted. Please contact the admin"`)
	})
}

// decodeJWT splits a compact JWS and decodes its header and payload.
func decodeJWT(t *testing.T, tok string) (header, payload string, input, sig []byte) {
	t.Helper()
	parts := strings.Split(tok, ".")
	if len(parts) != 3 {
		t.Fatalf("JWT %q has %d parts; want 3", tok, len(parts))
	}
	dec := func(s string) []byte {
		b, err := base64.RawURLEncoding.DecodeString(s)
		if err != nil {
			t.Fatalf("JWT part %q: %v", s, err)
		}
		return b
	}
	return string(dec(parts[0])), string(dec(parts[1])), []byte(parts[0] + "." + parts[1]), dec(parts[2])
}

// publicKey decodes a multibase Ed25519 key (z and base58 of 0xed 0x01 and the key).
func publicKey(t *testing.T, multibase string) ed25519.PublicKey {
	t.Helper()
	b, err := base58.Decode(strings.TrimPrefix(multibase, "z"))
	if err != nil || len(b) != 34 || b[0] != 0xed || b[1] != 0x01 {
		t.Fatalf("publicKeyMultibase %q: %v", multibase, err)
	}
	return b[2:]
}

// TestSSIIssueDIDJWT issues a JWT with a DID that is not registered: it
// verifies against the DID's Ed25519 key, carries the claims without the
// reserved ones, and lives ttlSeconds.
func TestSSIIssueDIDJWT(t *testing.T) {
	s := entityauthtest.Start(t, entityauthtest.Options{})
	c := ssiClient(t, s)
	tok := token(t, s, tokenRequest{})
	d := createDID(t, c, "signer")
	vm := d.Did + "#key-1"
	path := "/api/v1/did/auth/issue-jwt"

	before := s.CreditsUsed()
	start := time.Now().Unix()
	r, err := c.IssueDIDJWTWithResponse(t.Context(), ssiapi.IssueDIDJWTRequest{
		Issuer: ssiapi.JWTIssuer{Did: d.Did, VerificationMethodId: vm}, Audience: "api.example", TtlSeconds: 600,
		Claims: map[string]any{"email": "a@example.com", "iss": "forged", "sub": "x", "exp": 1, "n": 7},
	})
	if err != nil || r.JSON201 == nil {
		t.Fatalf("issueDIDJWT: %v %d %s", err, r.StatusCode(), r.Body)
	}
	if r.JSON201.ExpiresIn != 600 {
		t.Errorf("expiresIn = %d; want 600", r.JSON201.ExpiresIn)
	}
	if used := s.CreditsUsed() - before; used != 5 {
		t.Errorf("issueDIDJWT cost %d credits; want 5", used)
	}
	header, payload, input, sig := decodeJWT(t, r.JSON201.AccessToken)
	if header != `{"typ":"JWT","alg":"EdDSA"}` {
		t.Errorf("header = %s; want did-jwt's {\"typ\":\"JWT\",\"alg\":\"EdDSA\"}", header)
	}
	if !ed25519.Verify(publicKey(t, *d.MetaData.DidDocument.VerificationMethod[0].PublicKeyMultibase), input, sig) {
		t.Error("the JWT's signature does not verify against the DID's key")
	}
	var p map[string]any
	if err := json.Unmarshal([]byte(payload), &p); err != nil {
		t.Fatal(err)
	}
	iat, _ := p["iat"].(float64)
	if int64(iat) < start || int64(iat) > time.Now().Unix() || p["exp"] != iat+600 {
		t.Errorf("iat, exp = %v, %v; want now and now+600", p["iat"], p["exp"])
	}
	want := map[string]any{"email": "a@example.com", "n": 7.0, "aud": "api.example", "iss": d.Did, "iat": iat, "exp": iat + 600}
	if mustJSON(t, p) != mustJSON(t, want) {
		t.Errorf("payload = %s; want %s (sub and the forged iss and exp dropped)", payload, mustJSON(t, want))
	}
	if !strings.HasPrefix(payload, `{"iat":`) || !strings.HasSuffix(payload, `"aud":"api.example","iss":"`+d.Did+`"}`) {
		t.Errorf("payload = %s; want did-jwt's order: iat, exp, the claims, aud, iss", payload)
	}

	body := func(issuer, claims, ttl string) string {
		return `{"issuer":` + issuer + `,"audience":"a","claims":` + claims + `,"ttlSeconds":` + ttl + `}`
	}
	good := `{"did":"` + d.Did + `","verificationMethodId":"` + vm + `"}`
	wantAnswer(t, "no token", send(t, s, "", "POST", path, `{}`), 401, `"Please pass access token"`)
	wantAnswer(t, "empty body", send(t, s, tok, "POST", path, `{}`), 400,
		`["issuer must be a non-empty object","audience should not be empty","audience must be a string","claims must be a non-empty object","claims must be an object","ttlSeconds must not be greater than 86400","ttlSeconds must not be less than 60","ttlSeconds must be an integer number"]`)
	wantAnswer(t, "empty issuer", send(t, s, tok, "POST", path, body(`{}`, `{"a":1}`, "60")), 400,
		`["issuer.verificationMethodId contains an invalid verification method id","issuer.verificationMethodId should not be empty","issuer.verificationMethodId must be a string","issuer.did should not be empty","issuer.did must be a string"]`)
	wantAnswer(t, "ttl 59", send(t, s, tok, "POST", path, body(good, `{"a":1}`, "59")), 400, `"message":["ttlSeconds must not be less than 60"]`)
	wantAnswer(t, "ttl 86401", send(t, s, tok, "POST", path, body(good, `{"a":1}`, "86401")), 400, `"message":["ttlSeconds must not be greater than 86400"]`)
	wantAnswer(t, "ttl 60.5", send(t, s, tok, "POST", path, body(good, `{"a":1}`, "60.5")), 400, `"message":["ttlSeconds must be an integer number"]`)
	wantAnswer(t, "empty claims", send(t, s, tok, "POST", path, body(good, `{}`, "60")), 400, `"message":["claims must be a non-empty object"]`)
	wantAnswer(t, "bad DID", send(t, s, tok, "POST", path, body(`{"did":"xyz","verificationMethodId":"`+vm+`"}`, `{"a":1}`, "60")), 400, `"message":["Invalid did format: xyz"]`)
	wantAnswer(t, "another app's DID", send(t, s, tok, "POST", path, body(`{"did":"did:hid:testnet:z6MkNotTheApps","verificationMethodId":"`+vm+`"}`, `{"a":1}`, "60")), 400,
		`"message":["DID did:hid:testnet:z6MkNotTheApps is not registered or does not belong to this app"]`)
	big := `{"a":"` + strings.Repeat("x", 3993) + `"}` // 4001 characters as JSON
	wantAnswer(t, "claims over 4000 characters", send(t, s, tok, "POST", path, body(good, big, "60")), 400, `"message":["Bad Request Exception"]`)
	ok := `{"a":"` + strings.Repeat("x", 3992) + `","iss":"dropped"}` // 4000 without iss
	wantAnswer(t, "claims of 4000 characters", send(t, s, tok, "POST", path, body(good, ok, "60")), 201, `"expiresIn":60`)
	s.SetCredits(false)
	wantAnswer(t, "no credits", send(t, s, tok, "POST", path, `{}`), 400, `"No credits found or credit exhausted. Please contact the admin"`)
}

// TestSSICreatePresentation has a registered holder present a credential:
// the presentation has vc-js's shape, and the fake's verifyPresentation
// accepts it. A holder that is the app's but not on chain gets the real
// 404 of the rebuilt document's method.
func TestSSICreatePresentation(t *testing.T) {
	s := entityauthtest.Start(t, entityauthtest.Options{})
	c := ssiClient(t, s)
	tok := token(t, s, tokenRequest{})
	holder := createDID(t, c, "holder")
	if r := registerDID(t, c, holder); r.JSON201 == nil {
		t.Fatalf("register: %s", r.Body)
	}
	s.FlushChain() // the issuer and the holder must be on chain
	vm := holder.Did + "#key-1"
	iss, err := c.IssueCredentialWithResponse(t.Context(), ssiapi.IssueCredentialRequest{
		SubjectDid: holder.Did, IssuerDid: holder.Did, VerificationMethodId: vm, SchemaContext: []string{"https://schema.org"},
		Type: []string{"T"}, ExpirationDate: time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC), Fields: map[string]any{"a": 1}, Persist: false,
	})
	if err != nil || iss.JSON201 == nil {
		t.Fatalf("issue: %v %s", err, iss.Body)
	}
	vc := iss.JSON201.CredentialDocument
	s.FlushChain() // its status is on chain: verifyPresentation checks it

	before := s.CreditsUsed()
	r, err := c.CreatePresentationWithResponse(t.Context(), ssiapi.NewPresentation{
		CredentialDocuments: []ssiapi.VerifiableCredential{vc}, HolderDid: holder.Did, Challenge: "c1", Domain: "https://verifier.example",
	})
	if err != nil || r.JSON200 == nil {
		t.Fatalf("createPresentation: %v %d %s", err, r.StatusCode(), r.Body)
	}
	vp := r.JSON200.Presentation
	if !strings.HasPrefix(string(r.Body), `{"presentation":{"@context":["https://www.w3.org/2018/credentials/v1","https://w3id.org/security/suites/ed25519-2020/v1"],"type":["VerifiablePresentation"],"verifiableCredential":[`) {
		t.Errorf("createPresentation body = %s; want vc-js's keys and contexts", r.Body)
	}
	if !strings.HasPrefix(vp.Id, "vp:hid:testnet:z6Mk") || vp.Holder != holder.Did || len(vp.VerifiableCredential) != 1 || vp.VerifiableCredential[0].Id != vc.Id {
		t.Errorf("presentation id, holder, credentials = %s, %s, %d; want vp:hid:testnet:z6Mk…, the holder, the credential", vp.Id, vp.Holder, len(vp.VerifiableCredential))
	}
	p := vp.Proof
	if p.Type == nil || *p.Type != "Ed25519Signature2020" || *p.ProofPurpose != "authentication" || *p.VerificationMethod != vm ||
		*p.Challenge != "c1" || *p.Domain != "https://verifier.example" || !strings.HasPrefix(*p.ProofValue, "z") {
		t.Errorf("proof = %s; want an authentication proof by %s with the challenge and domain", mustJSON(t, p), vm)
	}
	if _, err := time.Parse(time.RFC3339, *p.Created); err != nil || strings.Contains(*p.Created, ".") {
		t.Errorf("proof created = %q; want whole seconds", *p.Created)
	}
	if used := s.CreditsUsed() - before; used != 0 {
		t.Errorf("createPresentation cost %d credits; want 0", used)
	}
	v, err := c.VerifyPresentationWithResponse(t.Context(), ssiapi.VerifyPresentationRequest{Presentation: vp})
	if err != nil || v.JSON201 == nil || !v.JSON201.Verified {
		t.Errorf("verifyPresentation of the created presentation = %d %s; want verified", v.StatusCode(), v.Body)
	}
	again, _ := c.CreatePresentationWithResponse(t.Context(), ssiapi.NewPresentation{CredentialDocuments: []ssiapi.VerifiableCredential{vc}, HolderDid: holder.Did, Challenge: "c1", Domain: "https://verifier.example"})
	if again.JSON200 == nil || again.JSON200.Presentation.Id == vp.Id {
		t.Errorf("a second presentation's id = %s; want a fresh one", again.Body)
	}

	path := "/api/v1/presentation"
	cred := mustJSON(t, vc)
	body := func(holderDID, domain, extra string) string {
		return `{"credentialDocuments":[` + cred + `],"holderDid":"` + holderDID + `","challenge":"c","domain":"` + domain + `"` + extra + `}`
	}
	wantAnswer(t, "no token", send(t, s, "", "POST", path, `{}`), 401, `"Please pass access token"`)
	wantAnswer(t, "empty body", send(t, s, tok, "POST", path, `{}`), 400,
		`["credentialDocuments should not be empty","holderDid should not be empty","holderDid must be a string","challenge should not be empty","challenge must be a string","domain must be a URL address","domain should not be empty"]`)
	wantAnswer(t, "domain without protocol", send(t, s, tok, "POST", path, body(holder.Did, "verifier.example", "")), 400, `"message":["domain must be a URL address"]`)
	wantAnswer(t, "localhost domain", send(t, s, tok, "POST", path, body(holder.Did, "http://localhost:8080", "")), 200, `"domain":"http://localhost:8080"`)
	wantAnswer(t, "bad holder", send(t, s, tok, "POST", path, body("xyz", "https://v.example", "")), 400, `"message":["Invalid holderDid format: xyz"]`)
	wantAnswer(t, "not a credential", send(t, s, tok, "POST", path, `{"credentialDocuments":[{"a":1}],"holderDid":"`+holder.Did+`","challenge":"c","domain":"https://v.example"}`), 500,
		`needs to be first in the list of contexts.","Internal server error"]`)
	wantAnswer(t, "unknown holder", send(t, s, tok, "POST", path, body("did:hid:testnet:z6MkNotTheApps", "https://v.example", "")), 500, `"Cannot read properties of undefined (reading '0')"`)
	wantAnswer(t, "another app's method", send(t, s, tok, "POST", path, body(holder.Did, "https://v.example", `,"verificationMethodId":"did:hid:testnet:z6MkNotTheApps#key-1"`)), 404,
		`"message":["did:hid:testnet:z6MkNotTheApps#key-1 not found","did:hid:testnet:z6MkNotTheApps#key-1 is not owned by the appId `)

	// The app's own DID, not on chain: the real service rebuilds its
	// document as did:hid:<id>:<id>, whose method is no DID of the app.
	unreg := createDID(t, c, "not on chain")
	msid := strings.TrimPrefix(unreg.Did, "did:hid:testnet:")
	rebuilt := "did:hid:" + msid + ":" + msid + "#key-1"
	wantAnswer(t, "unregistered holder", send(t, s, tok, "POST", path, body(unreg.Did, "https://v.example", "")), 404, `"message":["`+rebuilt+` not found",`)
	wantAnswer(t, "unregistered holder with its method", send(t, s, tok, "POST", path, body(unreg.Did, "https://v.example", `,"verificationMethodId":"`+unreg.Did+`#key-1"`)), 500,
		`The \"publicKeyMultibase\" property is required.`)
}

// TestSSIUsage counts the requests that the real service logs: DID and
// credential routes, errors included, by path and method, with the paths
// normalised and the presentation routes left out.
func TestSSIUsage(t *testing.T) {
	s := entityauthtest.Start(t, entityauthtest.Options{})
	c := ssiClient(t, s)
	tok := token(t, s, tokenRequest{})
	d := createDID(t, c, "counted")                                     // POST /api/v1/did/create
	send(t, s, tok, "GET", "/api/v1/did/resolve/"+d.Did, "")            // /api/v1/did/resolve
	send(t, s, tok, "GET", "/api/v1/did/resolve/did:hid:testnet:x", "") // /api/v1/did/resolve
	send(t, s, tok, "GET", "/api/v1/did?page=1&limit=5", "")            // kept whole
	send(t, s, tok, "GET", "/api/v1/did?limit=500", "")                 // a 400, counted
	send(t, s, tok, "GET", "/api/v1/credential/vc:hid:testnet:x", "")   // a 404, /api/v1/credential/resolve
	send(t, s, tok, "POST", "/api/v1/credential/issue", `{"persist":false}`)
	send(t, s, tok, "POST", "/api/v1/presentation/template", `{}`) // left out
	send(t, s, "", "GET", "/api/v1/did", "")                       // refused by the middleware: not logged
	send(t, s, tok, "GET", "/api/v1/usage", "")                    // not logged

	u, err := c.GetUsageWithResponse(t.Context(), nil)
	if err != nil || u.JSON200 == nil {
		t.Fatalf("getUsage: %v %d %s", err, u.StatusCode(), u.Body)
	}
	if u.JSON200.ServiceId != nil || strings.Contains(string(u.Body), "serviceId") {
		t.Errorf("getUsage without serviceId = %s; want no serviceId", u.Body)
	}
	now := time.Now()
	first := time.Date(now.UTC().Year(), now.UTC().Month(), 1, 0, 0, 0, 0, time.UTC)
	if u.JSON200.StartDate == nil || !u.JSON200.StartDate.Equal(first) || u.JSON200.EndDate == nil || now.Sub(*u.JSON200.EndDate) > time.Minute {
		t.Errorf("dates = %v, %v; want %v and now", u.JSON200.StartDate, u.JSON200.EndDate, first)
	}
	type row struct {
		path, method        string
		n, off, on          int
		offAmount, onAmount float64
	}
	var got []row
	for _, r := range u.JSON200.ServiceDetails {
		got = append(got, row{r.ApiPath, r.Method, r.Quantity, r.OffchainUnitCost, r.OnchainUnitCost, r.OffchainAmount, r.OnchainAmount})
	}
	want := []row{
		{"/api/v1/did/create", "POST", 1, 7, 0, 7, 0},
		{"/api/v1/did/resolve", "GET", 2, 1, 0, 2, 0},
		{"/api/v1/did?page=1&limit=5", "GET", 1, 1, 0, 1, 0},
		{"/api/v1/did?limit=500", "GET", 1, 1, 0, 1, 0},
		{"/api/v1/credential/resolve", "GET", 1, 1, 0, 1, 0},
		{"/api/v1/credential/issue?persist=false&registerCredentialStatus=true", "POST", 1, 10, 50, 10, 50},
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("serviceDetails =\n%v\nwant\n%v", got, want)
	}

	withID, _ := c.GetUsageWithResponse(t.Context(), &ssiapi.GetUsageParams{ServiceId: ptr("some-app")})
	if withID.JSON200 == nil || withID.JSON200.ServiceId == nil || *withID.JSON200.ServiceId != "some-app" || len(withID.JSON200.ServiceDetails) != len(want) {
		t.Errorf("getUsage with serviceId = %s; want it echoed and the same counts (the log is not filtered by app)", withID.Body)
	}
	later, _ := c.GetUsageWithResponse(t.Context(), &ssiapi.GetUsageParams{StartDate: ptr(now.Add(time.Hour).UTC().Format(time.RFC3339))})
	if later.JSON200 == nil || len(later.JSON200.ServiceDetails) != 0 {
		t.Errorf("getUsage from an hour ahead = %s; want no entries", later.Body)
	}
	bad, _ := c.GetUsageWithResponse(t.Context(), &ssiapi.GetUsageParams{StartDate: ptr("yesterday")})
	if bad.JSON200 == nil || bad.JSON200.StartDate != nil || !strings.Contains(string(bad.Body), `"startDate":null`) || len(bad.JSON200.ServiceDetails) != len(want) {
		t.Errorf("getUsage from an invalid date = %s; want startDate null and everything counted (from 1970)", bad.Body)
	}
	badEnd, _ := c.GetUsageWithResponse(t.Context(), &ssiapi.GetUsageParams{EndDate: ptr("tomorrow")})
	if badEnd.JSON200 == nil || badEnd.JSON200.EndDate != nil || len(badEnd.JSON200.ServiceDetails) != 0 {
		t.Errorf("getUsage to an invalid date = %s; want endDate null and nothing counted", badEnd.Body)
	}

	det, err := c.GetUsageDetailWithResponse(t.Context(), nil)
	if err != nil || det.JSON200 == nil {
		t.Fatalf("getUsageDetail: %v %d %s", err, det.StatusCode(), det.Body)
	}
	today := time.Now().UTC().Format(time.DateOnly)
	var paths []string
	for _, r := range det.JSON200.ServiceDetails {
		paths = append(paths, fmt.Sprintf("%s %d %v", r.ApiPath, r.Quantity, r.Data))
	}
	wantPaths := []string{
		"/api/v1/did/create 1 map[" + today + ":1]",
		"/api/v1/did/resolve 2 map[" + today + ":2]",
		"/api/v1/did?page=1&limit=5 1 map[" + today + ":1]",
		"/api/v1/did?limit=500 1 map[" + today + ":1]",
		"/api/v1/credential/resolve 1 map[" + today + ":1]",
		"/api/v1/credential/issue?persist=false&registerCredentialStatus=true 1 map[" + today + ":1]",
	}
	if !slices.Equal(paths, wantPaths) {
		t.Errorf("usage detail =\n%v\nwant\n%v", paths, wantPaths)
	}
	wantAnswer(t, "usage without a token", send(t, s, "", "GET", "/api/v1/usage", ""), 401, `"Please pass access token"`)
	wantAnswer(t, "detail without a token", send(t, s, "", "GET", "/api/v1/usage/detail", ""), 401, `"Please pass access token"`)
	kyc := token(t, s, tokenRequest{grant: "grant_type=access_service_kyc"})
	wantAnswer(t, "usage with another grant", send(t, s, kyc, "GET", "/api/v1/usage", ""), 400, `"Invalid grant type"`)
	wantAnswer(t, "detail with another grant", send(t, s, kyc, "GET", "/api/v1/usage/detail", ""), 400, `"Invalid grant type"`)
	s.SetCredits(false)
	wantAnswer(t, "usage without credits", send(t, s, tok, "GET", "/api/v1/usage", ""), 200, `"serviceDetails":[`)
}
