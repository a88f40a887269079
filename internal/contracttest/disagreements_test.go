package contracttest

import (
	"encoding/json"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/entity-studio-go/entityauth/entityauthtest"
	"github.com/entity-studio-go/entityauth/gen/ssiapi"
	"github.com/entity-studio-go/entityauth/internal/jwt"
)

// The tests of this file pin the ten points where the fake used to disagree
// with the real service (issue 19, ../shared/reference/ssi-api-production.md
// §3), one test each; points 1 and 2 (the status's proof, presentation
// verification) come with the fake's real signatures.

// sendJSON sends body (none when "") with the token and returns the answer.
func sendJSON(t *testing.T, s *entityauthtest.Server, method, path, tok, body string) answer {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), method, s.URL+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+tok)
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	return do(t, s, req)
}

// appIDOf returns the appId claim of a token.
func appIDOf(t *testing.T, tok string) string {
	t.Helper()
	_, raw, err := jwt.Decode(tok)
	if err != nil {
		t.Fatalf("decoding the token: %v", err)
	}
	var id string
	if err := json.Unmarshal(raw["appId"], &id); err != nil {
		t.Fatalf("appId: %v", err)
	}
	return id
}

// jsonOf decodes an answer's body into a generic value.
func jsonOf(t *testing.T, a answer) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal([]byte(a.body), &m); err != nil {
		t.Fatalf("answer %d %q: %v", a.status, a.body, err)
	}
	return m
}

// TestDisagreement3ResolveUnregisteredOwnDID: the app's own DID that is not
// on chain resolves to the document that the real service rebuilds, for
// did:hid:testnet:<id> that of did:hid:<id>:<id>; a mainnet DID rebuilds
// right; once on chain, the chain's document with metadata.
func TestDisagreement3ResolveUnregisteredOwnDID(t *testing.T) {
	s := entityauthtest.Start(t, entityauthtest.Options{})
	c := ssiClient(t, s)
	created := createDID(t, c, "own")
	id := strings.TrimPrefix(created.Did, "did:hid:testnet:")
	res, err := c.ResolveDIDWithResponse(t.Context(), created.Did)
	if err != nil || res.JSON200 == nil {
		t.Fatalf("resolve: %v %s", err, res.Body)
	}
	rebuilt := "did:hid:" + id + ":" + id
	doc := res.JSON200.DidDocument
	if doc.Id == nil || *doc.Id != rebuilt || len(doc.Controller) != 1 || doc.Controller[0] != rebuilt ||
		len(doc.VerificationMethod) != 1 || doc.VerificationMethod[0].Id != rebuilt+"#key-1" || *doc.VerificationMethod[0].PublicKeyMultibase != id ||
		len(doc.AssertionMethod) != 1 || doc.AssertionMethod[0] != rebuilt+"#key-1" {
		t.Errorf("resolve of the own unregistered DID = %s; want the document of %s, with the key %s", res.Body, rebuilt, id)
	}
	if res.JSON200.DidDocumentMetadata != nil || res.JSON200.Name == nil || *res.JSON200.Name != "own" {
		t.Errorf("resolve = %s; want didDocumentMetadata null and name own", res.Body)
	}

	mainnet, err := c.CreateDIDWithResponse(t.Context(), ssiapi.CreateDIDRequest{Namespace: ssiapi.DIDNamespaceMainnet})
	if err != nil || mainnet.JSON201 == nil {
		t.Fatalf("create mainnet: %v %s", err, mainnet.Body)
	}
	m, _ := c.ResolveDIDWithResponse(t.Context(), mainnet.JSON201.Did)
	if m.JSON200 == nil || m.JSON200.DidDocument.Id == nil || *m.JSON200.DidDocument.Id != mainnet.JSON201.Did {
		t.Errorf("resolve of an unregistered mainnet DID = %s; want its own document", m.Body)
	}

	registerDID(t, c, created)
	s.FlushChain()
	res, _ = c.ResolveDIDWithResponse(t.Context(), created.Did)
	if res.JSON200 == nil || res.JSON200.DidDocument.Id == nil || *res.JSON200.DidDocument.Id != created.Did || res.JSON200.DidDocumentMetadata == nil {
		t.Errorf("resolve once on chain = %s; want the DID's own document with metadata", res.Body)
	}
}

// TestDisagreement4TemplateNameRecased: create re-cases the name with the
// real @ToSnakeCase; PATCH stores it as sent.
func TestDisagreement4TemplateNameRecased(t *testing.T) {
	s := entityauthtest.Start(t, entityauthtest.Options{})
	tok := token(t, s, tokenRequest{})
	names := map[string]string{
		"Alumni Credential Request":  "AlumniCredentialRequest",
		"KYC check":                  "_kyccheck",
		"Proof of Age 18":            "ProofofAge_18",
		"EU ID card":                 "_eu_idcard",
		"employee  badge":            "employee_badge",
		"a-b C":                      "a-b_c",
		"student_credential_request": "student_credential_request",
	}
	var lastID string
	for sent, want := range names {
		body, _ := json.Marshal(map[string]any{"domain": "https://verifier.example", "name": sent, "query": []any{map[string]any{"type": "QueryByExample"}}})
		a := sendJSON(t, s, http.MethodPost, "/api/v1/presentation/template", tok, string(body))
		if got := jsonOf(t, a)["name"]; a.status != 201 || got != want {
			t.Errorf("create with name %q = %d %s; want 201 with name %q", sent, a.status, a.body, want)
		}
		lastID, _ = jsonOf(t, a)["_id"].(string)
	}
	// Uniqueness is checked on the re-cased name.
	dup := sendJSON(t, s, http.MethodPost, "/api/v1/presentation/template", tok, `{"domain":"https://verifier.example","name":"AlumniCredentialRequest","query":[]}`)
	if dup.status != 400 || !strings.Contains(dup.body, `"Template name must be unique","AlumniCredentialRequest already exists"`) {
		t.Errorf("create of a name equal to an earlier one once re-cased = %d %s; want 400 unique", dup.status, dup.body)
	}
	patched := sendJSON(t, s, http.MethodPatch, "/api/v1/presentation/template/"+lastID, tok, `{"name":"Renamed Template"}`)
	if got := jsonOf(t, patched)["name"]; patched.status != 200 || got != "Renamed Template" {
		t.Errorf("PATCH name = %d %s; want 200 with the name as sent", patched.status, patched.body)
	}
	for _, tt := range []struct {
		body    string
		status  int
		message string
	}{
		{`{"domain":"https://verifier.example","name":"   ","query":[]}`, 400, `"message":["name cannot be empty"]`},
		{`{"domain":"https://verifier.example","name":5,"query":[]}`, 500, `"message":["TypeError","val.trim is not a function","Internal server error"]`},
	} {
		a := sendJSON(t, s, http.MethodPost, "/api/v1/presentation/template", tok, tt.body)
		if a.status != tt.status || !strings.Contains(a.body, tt.message) {
			t.Errorf("create %s = %d %s; want %d with %s", tt.body, a.status, a.body, tt.status, tt.message)
		}
	}
}

// TestDisagreement5PartialTemplateUpdate: PATCH takes any subset of the
// fields, {} included, and changes only those sent.
func TestDisagreement5PartialTemplateUpdate(t *testing.T) {
	s := entityauthtest.Start(t, entityauthtest.Options{})
	tok := token(t, s, tokenRequest{})
	created := jsonOf(t, sendJSON(t, s, http.MethodPost, "/api/v1/presentation/template", tok, `{"domain":"https://verifier.example","name":"age","query":[{"type":"QueryByExample"}]}`))
	path := "/api/v1/presentation/template/" + created["_id"].(string)
	empty := sendJSON(t, s, http.MethodPatch, path, tok, `{}`)
	if got := jsonOf(t, empty); empty.status != 200 || got["domain"] != "https://verifier.example" || got["name"] != "age" {
		t.Errorf("PATCH {} = %d %s; want 200 and the template unchanged", empty.status, empty.body)
	}
	domain := sendJSON(t, s, http.MethodPatch, path, tok, `{"domain":"https://other.example"}`)
	if got := jsonOf(t, domain); domain.status != 200 || got["domain"] != "https://other.example" || got["name"] != "age" || got["query"] == nil {
		t.Errorf("PATCH domain = %d %s; want the new domain, name and query kept", domain.status, domain.body)
	}
	bad := sendJSON(t, s, http.MethodPatch, path, tok, `{"domain":"xyz"}`)
	if bad.status != 400 || !strings.Contains(bad.body, `"message":["domain must be a URL address"]`) {
		t.Errorf("PATCH a bad domain = %d %s; want 400 domain must be a URL address", bad.status, bad.body)
	}
}

// TestDisagreement6RegisterBySignInfosOfCreatedDID: registering a DID that
// createDID made with signInfos puts it on chain, never queued, then
// answers 500: the database row exists already.
func TestDisagreement6RegisterBySignInfosOfCreatedDID(t *testing.T) {
	s := entityauthtest.Start(t, entityauthtest.Options{ChainDelay: time.Hour})
	tok := token(t, s, tokenRequest{})
	c := ssiClient(t, s)
	created := createDID(t, c, "client-signed")
	vm := created.Did + "#key-1"
	docJSON, _ := json.Marshal(created.MetaData.DidDocument)
	signed := sendJSON(t, s, http.MethodPost, "/api/v1/did/auth/sign", tok, `{"didDocument":`+string(docJSON)+`,"verificationMethodId":"`+vm+`"}`)
	proof, _ := jsonOf(t, signed)["proof"].(map[string]any)
	if signed.status != 201 || proof == nil {
		t.Fatalf("sign = %d %s", signed.status, signed.body)
	}
	body := `{"didDocument":` + string(docJSON) + `,"signInfos":[{"verification_method_id":"` + vm + `","signature":"` + proof["proofValue"].(string) + `","created":"` + proof["created"].(string) + `"}]}`
	a := sendJSON(t, s, http.MethodPost, "/api/v1/did/register", tok, body)
	if a.status != 500 || !strings.Contains(a.body, "E11000 duplicate key error") {
		t.Errorf("register with signInfos = %d %s; want 500 duplicate key", a.status, a.body)
	}
	res, _ := c.ResolveDIDWithResponse(t.Context(), created.Did)
	if res.JSON200 == nil || res.JSON200.DidDocumentMetadata == nil {
		t.Errorf("resolve after the 500 = %s; want the DID on chain at once (never queued)", res.Body)
	}
}

// TestDisagreement7IssuedDocument: the credential's @context, its dates as
// hs-ssi-sdk writes them, and a status proof without "updated".
func TestDisagreement7IssuedDocument(t *testing.T) {
	s := entityauthtest.Start(t, entityauthtest.Options{DirectMode: true})
	tok := token(t, s, tokenRequest{})
	c := ssiClient(t, s)
	d := createDID(t, c, "issuer")
	registerDID(t, c, d)
	issue := func(expiration string) answer {
		return sendJSON(t, s, http.MethodPost, "/api/v1/credential/issue", tok, `{"subjectDid":"`+d.Did+`","issuerDid":"`+d.Did+`","verificationMethodId":"`+d.Did+`#key-1",`+
			`"schemaContext":["https://schema.org"],"type":["StudentCredential"],"expirationDate":"`+expiration+`","fields":{"name":"Ada"},"persist":true}`)
	}
	before := time.Now()
	a := issue("2030-01-01T05:30:00.250+05:30")
	if a.status != 201 {
		t.Fatalf("issue = %d %s", a.status, a.body)
	}
	doc := jsonOf(t, a)["credentialDocument"].(map[string]any)
	ctx, _ := json.Marshal(doc["@context"])
	if want := `["https://www.w3.org/2018/credentials/v1","https://schema.org","https://w3id.org/security/suites/ed25519-2020/v1"]`; string(ctx) != want {
		t.Errorf("@context = %s; want %s", ctx, want)
	}
	if got := doc["expirationDate"]; got != "2030-01-01T00:00:00Z" {
		t.Errorf("expirationDate = %v; want 2030-01-01T00:00:00Z (UTC, whole seconds)", got)
	}
	issuance, err := time.Parse(time.RFC3339, doc["issuanceDate"].(string))
	if lead := before.Sub(issuance); err != nil || lead < 99*time.Second || lead > 102*time.Second {
		t.Errorf("issuanceDate = %v (%v before the issue); want about 100 s before it", doc["issuanceDate"], lead)
	}
	if bad := issue("next tuesday"); bad.status != 400 || !strings.Contains(bad.body, "HID-SSI-SDK:: Error: Could not create credential, error = RangeError: Invalid time value") {
		t.Errorf("issue with an unparsable date = %d %s; want 400 RangeError", bad.status, bad.body)
	}
	got := getAPI(t, s, "/api/v1/credential/"+doc["id"].(string), tok)
	if got.status != 200 || !strings.Contains(got.body, `"proofPurpose":"assertionMethod"`) || strings.Contains(got.body, `"updated"`) {
		t.Errorf("GET credential = %d %s; want a status proof without updated", got.status, got.body)
	}
}

// TestDisagreement8KeyTypes: every key type of hid-node passes; X25519 and
// Bls12381G2 give an ordinary Ed25519 DID, without blockchainAccountId.
func TestDisagreement8KeyTypes(t *testing.T) {
	s := entityauthtest.Start(t, entityauthtest.Options{})
	tok := token(t, s, tokenRequest{})
	for _, kt := range []string{"Bls12381G2Key2020", "X25519KeyAgreementKey2020", "X25519KeyAgreementKeyEIP5630", "Ed25519VerificationKey2020"} {
		a := sendJSON(t, s, http.MethodPost, "/api/v1/did/create", tok, `{"namespace":"testnet","options":{"keyType":"`+kt+`"}}`)
		if a.status != 201 || strings.Contains(a.body, "blockchainAccountId") {
			t.Errorf("create with keyType %s = %d %s; want 201 without blockchainAccountId", kt, a.status, a.body)
			continue
		}
		var created ssiapi.CreatedDID
		if err := json.Unmarshal([]byte(a.body), &created); err != nil {
			t.Fatal(err)
		}
		if vms := created.MetaData.DidDocument.VerificationMethod; len(vms) != 1 || vms[0].Type != "Ed25519VerificationKey2020" || !didPattern.MatchString(created.Did) {
			t.Errorf("create with keyType %s = %s; want an ordinary Ed25519 DID", kt, a.body)
		}
	}
	bad := sendJSON(t, s, http.MethodPost, "/api/v1/did/create", tok, `{"options":{"keyType":"RsaVerificationKey2018"}}`)
	if bad.status != 400 || !strings.Contains(bad.body, `The provided key types [\"RsaVerificationKey2018\"] are invalid.`) {
		t.Errorf("create with an unknown key type = %d %s; want 400", bad.status, bad.body)
	}
	add := sendJSON(t, s, http.MethodPost, "/api/v1/did/addVerificationMethod", tok, `{"did":"did:hid:testnet:x","type":"nope"}`)
	if want := "type must be one of the following values: Ed25519VerificationKey2020, EcdsaSecp256k1VerificationKey2019, EcdsaSecp256k1RecoveryMethod2020, X25519KeyAgreementKey2020, X25519KeyAgreementKeyEIP5630, Bls12381G2Key2020, BabyJubJubKey2021"; add.status != 400 || !strings.Contains(add.body, want) {
		t.Errorf("addVerificationMethod with an unknown type = %d %s; want 400 %q", add.status, add.body, want)
	}
}

// TestDisagreement9UpdateDIDKeyAgreementAndNotFound: PATCH /did empties
// keyAgreement without an X25519 method and echoes it; an unknown
// verification method is a 404 naming it; queued, no transactionHash.
func TestDisagreement9UpdateDIDKeyAgreementAndNotFound(t *testing.T) {
	for _, direct := range []bool{true, false} {
		s := entityauthtest.Start(t, entityauthtest.Options{DirectMode: direct, ChainDelay: time.Hour})
		tok := token(t, s, tokenRequest{})
		c := ssiClient(t, s)
		d := createDID(t, c, "holder")
		registerDID(t, c, d)
		s.FlushChain()
		vm := d.Did + "#key-1"
		doc := map[string]any{}
		raw, _ := json.Marshal(d.MetaData.DidDocument)
		_ = json.Unmarshal(raw, &doc)
		doc["keyAgreement"] = []string{vm}
		doc["service"] = []any{map[string]any{"id": d.Did + "#web", "type": "LinkedDomains", "serviceEndpoint": "https://holder.example"}}
		body, _ := json.Marshal(map[string]any{"didDocument": doc, "verificationMethodId": vm, "deactivate": false})
		a := sendJSON(t, s, http.MethodPatch, "/api/v1/did", tok, string(body))
		answered := jsonOf(t, a)
		ka, _ := json.Marshal(answered["didDocument"].(map[string]any)["keyAgreement"])
		_, hasHash := answered["transactionHash"]
		if a.status != 200 || string(ka) != "[]" || hasHash != direct {
			t.Errorf("direct %v: PATCH /did = %d %s; want 200, keyAgreement [], a transactionHash only in direct mode", direct, a.status, a.body)
		}
		s.FlushChain()
		res, _ := c.ResolveDIDWithResponse(t.Context(), d.Did)
		if res.JSON200 == nil || len(res.JSON200.DidDocument.Service) != 1 {
			t.Errorf("direct %v: resolve after the update = %s; want the new service on chain", direct, res.Body)
		}

		unknown := "did:hid:testnet:z6MkUnknownUnknownUnknownUnknownUnknownUnknownUnk#key-1"
		body, _ = json.Marshal(map[string]any{"didDocument": doc, "verificationMethodId": unknown, "deactivate": false})
		nf := sendJSON(t, s, http.MethodPatch, "/api/v1/did", tok, string(body))
		appID := appIDOf(t, tok)
		if want := `"message":["` + unknown + ` not found","` + unknown + ` is not owned by the appId ` + appID + `","Resource not found"]`; nf.status != 404 || !strings.Contains(nf.body, want) {
			t.Errorf("direct %v: PATCH with an unknown method = %d %s; want 404 %s", direct, nf.status, nf.body, want)
		}
	}
}

// TestDisagreement10TokenServerErrors: the token server's texts for an app
// whose owner is gone (before the key is compared) and for an app of an
// unknown service.
func TestDisagreement10TokenServerErrors(t *testing.T) {
	s := entityauthtest.Start(t, entityauthtest.Options{})
	issued := token(t, s, tokenRequest{})
	s.DeleteOwner()
	const noAdmin = `{"statusCode":401,"message":["Admin user not found. He/She might have delete the account or never created one"],"error":"Unauthorized"}`
	if a := fetchToken(t, s, tokenRequest{}); a.status != 401 || a.body != noAdmin {
		t.Errorf("token after DeleteOwner = %d %s; want 401 %s", a.status, a.body, noAdmin)
	}
	prefix, _, _ := strings.Cut(s.APIKey(), ".")
	if a := fetchToken(t, s, tokenRequest{key: strp(prefix + ".wrong")}); a.status != 401 || a.body != noAdmin {
		t.Errorf("token with the app's prefix and a wrong secret = %d %s; want the owner's 401 first", a.status, a.body)
	}
	if a := fetchToken(t, s, tokenRequest{key: strp("other.key")}); a.status != 401 || !strings.Contains(a.body, "Access denied.") {
		t.Errorf("token with another app's key = %d %s; want 401 Access denied.", a.status, a.body)
	}
	if a := getAPI(t, s, "/api/v1/did", issued); a.status != 200 {
		t.Errorf("SSI API with a token issued before DeleteOwner = %d %s; want 200", a.status, a.body)
	}

	u := entityauthtest.Start(t, entityauthtest.Options{UnknownService: true})
	a := fetchToken(t, u, tokenRequest{})
	if a.status != 400 || !regexp.MustCompile(`^\{"statusCode":400,"message":\["Invalid service ID: [0-9a-f]{32}"\],"error":"Bad Request"\}$`).MatchString(a.body) {
		t.Errorf("token of an app of an unknown service = %d %s; want 400 Invalid service ID: <appId>", a.status, a.body)
	}
	if a := fetchToken(t, u, tokenRequest{key: strp("wrong")}); a.status != 401 {
		t.Errorf("wrong key to an app of an unknown service = %d %s; want the key's 401 first", a.status, a.body)
	}
}
