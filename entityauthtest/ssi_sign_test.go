package entityauthtest_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/entity-studio-go/entityauth/entityauthtest"
)

// keysOf returns the member names of the JSON object raw, in order.
func keysOf(t *testing.T, raw []byte) []string {
	t.Helper()
	d := json.NewDecoder(bytes.NewReader(raw))
	if tok, err := d.Token(); err != nil || tok != json.Delim('{') {
		t.Fatalf("not an object: %.200s", raw)
	}
	var keys []string
	for d.More() {
		k, err := d.Token()
		if err != nil {
			t.Fatal(err)
		}
		keys = append(keys, k.(string))
		var skip json.RawMessage
		if err := d.Decode(&skip); err != nil {
			t.Fatal(err)
		}
	}
	return keys
}

// issued is the raw answer of POST /credential/issue.
type issued struct {
	CredentialDocument json.RawMessage `json:"credentialDocument"`
	CredentialStatus   json.RawMessage `json:"credentialStatus"`
}

func issue(t *testing.T, s *entityauthtest.Server, tok, body string) issued {
	t.Helper()
	a := sendJSON(t, s, tok, http.MethodPost, "/api/v1/credential/issue", body)
	if a.status != http.StatusCreated {
		t.Fatalf("issue = %d %s; want 201", a.status, a.body)
	}
	var out issued
	decodeAnswer(t, a, &out)
	return out
}

// TestIssuedDocumentShape: the credential and the status of the issue
// answer have the SDK's members in its order (schemaContext path: no status
// context, the suite's context appended, the claims as sent then the
// subject's id), the status carries its own proof, and the credential's
// status names the fake's hid-node route (disagreements 1 and 7).
func TestIssuedDocumentShape(t *testing.T) {
	s := entityauthtest.Start(t, entityauthtest.Options{})
	tok := token(t, s, tokenRequest{})
	did, vm := issuer(t, s, tok)
	body := fmt.Sprintf(`{"issuerDid":%q,"subjectDid":%q,"verificationMethodId":%q,"schemaContext":["https://schema.org"],"type":["Person"],"expirationDate":"2030-01-01T00:00:00Z","fields":{"name":"Ada","givenName":"A","familyName":"L"},"persist":true}`, did, did, vm)
	out := issue(t, s, tok, body)
	s.FlushChain() // the status registration inside the issue is queued

	if got, want := keysOf(t, out.CredentialDocument), []string{"@context", "id", "type", "issuer", "issuanceDate", "expirationDate", "credentialSubject", "credentialStatus", "proof"}; !slices.Equal(got, want) {
		t.Errorf("credential members = %v; want %v", got, want)
	}
	var doc struct {
		Context           []any           `json:"@context"`
		ID                string          `json:"id"`
		CredentialSubject json.RawMessage `json:"credentialSubject"`
		CredentialStatus  struct{ ID, Type string }
		Proof             map[string]string
	}
	decodeAnswer(t, answer{body: string(out.CredentialDocument)}, &doc)
	if want := []any{"https://www.w3.org/2018/credentials/v1", "https://schema.org", "https://w3id.org/security/suites/ed25519-2020/v1"}; !slices.Equal(doc.Context, want) {
		t.Errorf("@context = %v; want %v", doc.Context, want)
	}
	if got, want := keysOf(t, doc.CredentialSubject), []string{"name", "givenName", "familyName", "id"}; !slices.Equal(got, want) {
		t.Errorf("credentialSubject members = %v; want %v", got, want)
	}
	if want := s.URL + entityauthtest.HIDNodeStatusPath + doc.ID; doc.CredentialStatus.ID != want || doc.CredentialStatus.Type != "HypersignCredentialStatus2023" {
		t.Errorf("credentialStatus = %+v; want id %s, type HypersignCredentialStatus2023", doc.CredentialStatus, want)
	}
	if p := doc.Proof; p["type"] != "Ed25519Signature2020" || p["verificationMethod"] != vm || p["proofPurpose"] != "assertionMethod" || !strings.HasPrefix(p["proofValue"], "z") {
		t.Errorf("proof = %v; want an Ed25519Signature2020 by %s for assertionMethod", p, vm)
	}

	if got, want := keysOf(t, out.CredentialStatus), []string{"@context", "id", "issuer", "issuanceDate", "remarks", "credentialMerkleRootHash", "proof"}; !slices.Equal(got, want) {
		t.Errorf("status members = %v; want %v", got, want)
	}
	var st struct {
		Context []string          `json:"@context"`
		Proof   map[string]string `json:"proof"`
	}
	decodeAnswer(t, answer{body: string(out.CredentialStatus)}, &st)
	if want := []string{"https://raw.githubusercontent.com/hypersign-protocol/hypersign-contexts/main/CredentialStatus.jsonld", "https://w3id.org/security/suites/ed25519-2020/v1"}; !slices.Equal(st.Context, want) {
		t.Errorf("status @context = %v; want %v", st.Context, want)
	}
	if p := st.Proof; p["type"] != "Ed25519Signature2020" || p["verificationMethod"] != vm || p["proofValue"] == "" {
		t.Errorf("status proof = %v; want an Ed25519Signature2020 by %s", p, vm)
	}

	// The chain's status proof is the one the issue answered.
	a := send(t, s, "", http.MethodGet, entityauthtest.HIDNodeStatusPath+doc.ID, nil)
	var rest struct {
		CredentialStatus struct {
			Document map[string]any    `json:"credentialStatusDocument"`
			Proof    map[string]string `json:"credentialStatusProof"`
		} `json:"credentialStatus"`
	}
	if a.status != http.StatusOK {
		t.Fatalf("hid-node status = %d %s; want 200", a.status, a.body)
	}
	decodeAnswer(t, a, &rest)
	if got := rest.CredentialStatus.Proof["proofValue"]; got != st.Proof["proofValue"] {
		t.Errorf("chain proofValue = %s; want the issue answer's %s", got, st.Proof["proofValue"])
	}
	if d := rest.CredentialStatus.Document; d["revoked"] != false || d["suspended"] != false || d["id"] != doc.ID {
		t.Errorf("status document = %v; want %s, revoked and suspended false", d, doc.ID)
	}
}

// TestHIDNodeStatusRoute: an unknown credential is the gateway's error, and
// a change of status changes the document and its proof.
func TestHIDNodeStatusRoute(t *testing.T) {
	s := entityauthtest.Start(t, entityauthtest.Options{})
	a := send(t, s, "", http.MethodGet, entityauthtest.HIDNodeStatusPath+"vc:hid:testnet:zUnknown", nil)
	if a.status != http.StatusInternalServerError || !strings.Contains(a.body, `"code":2`) || !strings.Contains(a.body, "credential status document vc:hid:testnet:zUnknown not found") {
		t.Errorf("unknown = %d %s; want 500 with gRPC code 2 and hid-node's text", a.status, a.body)
	}

	tok := token(t, s, tokenRequest{})
	did, vm := issuer(t, s, tok)
	var doc struct{ ID string }
	decodeAnswer(t, answer{body: string(issue(t, s, tok, issueBody(did, vm)).CredentialDocument)}, &doc)
	s.FlushChain()
	get := func() (map[string]any, string) {
		a := send(t, s, "", http.MethodGet, entityauthtest.HIDNodeStatusPath+doc.ID, nil)
		var rest struct {
			CredentialStatus struct {
				Document map[string]any    `json:"credentialStatusDocument"`
				Proof    map[string]string `json:"credentialStatusProof"`
			} `json:"credentialStatus"`
		}
		decodeAnswer(t, a, &rest)
		return rest.CredentialStatus.Document, rest.CredentialStatus.Proof["proofValue"]
	}
	_, live := get()
	a = sendJSON(t, s, tok, http.MethodPatch, "/api/v1/credential/status/"+doc.ID, fmt.Sprintf(`{"status":"REVOKE","issuerDid":%q,"verificationMethodId":%q}`, did, vm))
	if a.status != http.StatusOK {
		t.Fatalf("revoke = %d %s", a.status, a.body)
	}
	if d, pv := get(); d["revoked"] != false || pv != live {
		t.Errorf("before the revocation lands: %v, proofValue %s; want the live document and its proof", d, pv)
	}
	s.FlushChain()
	d, revoked := get()
	if d["revoked"] != true || d["remarks"] != "Credential is revoked" || revoked == live {
		t.Errorf("after revoke: %v, proofValue %s; want revoked, its remarks, and a new proof (was %s)", d, revoked, live)
	}
}

// TestDisagreement1RegisterStatusNeedsProof: the SDK refuses a status without its proof
// (disagreement 1, direct mode), and the chain refuses a proof that does not
// verify.
func TestDisagreement1RegisterStatusNeedsProof(t *testing.T) {
	s := entityauthtest.Start(t, entityauthtest.Options{DirectMode: true})
	tok := token(t, s, tokenRequest{})
	did, vm := issuer(t, s, tok)
	body := strings.Replace(issueBody(did, vm), `"persist":false`, `"persist":false,"registerCredentialStatus":false`, 1)
	out := issue(t, s, tok, body)

	var st map[string]any
	decodeAnswer(t, answer{body: string(out.CredentialStatus)}, &st)
	register := func(status map[string]any) answer {
		b, err := json.Marshal(map[string]any{"credentialStatus": status, "namespace": "testnet"})
		if err != nil {
			t.Fatal(err)
		}
		return sendJSON(t, s, tok, http.MethodPost, "/api/v1/credential/status/register", string(b))
	}
	noProof := map[string]any{}
	for k, v := range st {
		if k != "proof" {
			noProof[k] = v
		}
	}
	const want = `{"statusCode":400,"message":["HID-SSI-SDK:: Error: credentialStatus and credentialStatusProof are required to register credential status"],"error":"Bad Request"}`
	if a := register(noProof); a.status != http.StatusBadRequest || a.body != want {
		t.Errorf("without proof = %d %s; want 400 %s", a.status, a.body, want)
	}
	forged := map[string]any{}
	for k, v := range st {
		forged[k] = v
	}
	forged["remarks"] = "Credential is revoked"
	if a := register(forged); a.status != http.StatusBadRequest || !strings.Contains(a.body, "invalid signature") {
		t.Errorf("with a proof of other fields = %d %s; want 400 invalid signature", a.status, a.body)
	}
	if a := register(st); a.status != http.StatusCreated {
		t.Errorf("with its proof = %d %s; want 201", a.status, a.body)
	}
}

// TestDisagreement1IssueAnswersBadRequestException: the status registration inside the issue
// fails on chain, which the service answers as a bare 400 (direct mode).
func TestDisagreement1IssueAnswersBadRequestException(t *testing.T) {
	s := entityauthtest.Start(t, entityauthtest.Options{DirectMode: true})
	tok := token(t, s, tokenRequest{})
	did, vm := issuer(t, s, tok)
	a := send(t, s, tok, http.MethodGet, "/api/v1/did/resolve/"+did, nil)
	var resolved struct {
		DidDocument json.RawMessage `json:"didDocument"`
	}
	decodeAnswer(t, a, &resolved)
	a = sendJSON(t, s, tok, http.MethodPatch, "/api/v1/did", fmt.Sprintf(`{"didDocument":%s,"verificationMethodId":%q,"deactivate":true}`, resolved.DidDocument, vm))
	if a.status != http.StatusOK {
		t.Fatalf("deactivate = %d %s", a.status, a.body)
	}
	const want = `{"statusCode":400,"message":["Bad Request Exception"],"error":"Bad Request"}`
	if a := sendJSON(t, s, tok, http.MethodPost, "/api/v1/credential/issue", issueBody(did, vm)); a.status != http.StatusBadRequest || a.body != want {
		t.Errorf("issue = %d %s; want 400 %s", a.status, a.body, want)
	}
}

// TestDisagreement1RegisterStatusQueuedWithoutProof: queued, the service answers 201 {}
// to a status without its proof; the chain refuses it, so the credential
// never carries a status, and the worker's record says it failed
// (disagreement 1, queued mode).
func TestDisagreement1RegisterStatusQueuedWithoutProof(t *testing.T) {
	s := entityauthtest.Start(t, entityauthtest.Options{})
	tok := token(t, s, tokenRequest{})
	did, vm := issuer(t, s, tok)
	out := issue(t, s, tok, strings.Replace(issueBody(did, vm), `"persist":false`, `"persist":false,"registerCredentialStatus":false`, 1))
	var st map[string]any
	decodeAnswer(t, answer{body: string(out.CredentialStatus)}, &st)
	delete(st, "proof")
	b, err := json.Marshal(map[string]any{"credentialStatus": st, "namespace": "testnet"})
	if err != nil {
		t.Fatal(err)
	}
	if a := sendJSON(t, s, tok, http.MethodPost, "/api/v1/credential/status/register", string(b)); a.status != http.StatusCreated || a.body != "{}" {
		t.Errorf("queued, without proof = %d %s; want 201 {}", a.status, a.body)
	}
	s.FlushChain()
	a := send(t, s, tok, http.MethodGet, "/api/v1/credential/"+st["id"].(string), nil)
	var got struct {
		CredentialStatus any `json:"credentialStatus"`
		Metadata         struct {
			TransactionStatus []struct{ Status int } `json:"transactionStatus"`
		} `json:"metadata"`
	}
	decodeAnswer(t, a, &got)
	if got.CredentialStatus != nil || len(got.Metadata.TransactionStatus) != 1 || got.Metadata.TransactionStatus[0].Status == 0 {
		t.Errorf("after the chain caught up = %s; want no credentialStatus and one failed transaction", a.body)
	}
}

// TestHIDNodeStatusRouteSettles: the route reads the chain as it is now, so
// a queued registration whose time has come is there without another SSI
// request (a negative chain delay lands it at the next request).
func TestHIDNodeStatusRouteSettles(t *testing.T) {
	s := entityauthtest.Start(t, entityauthtest.Options{ChainDelay: -1})
	tok := token(t, s, tokenRequest{})
	did, vm := issuer(t, s, tok)
	var doc struct{ ID string }
	decodeAnswer(t, answer{body: string(issue(t, s, tok, issueBody(did, vm)).CredentialDocument)}, &doc)
	if a := send(t, s, "", http.MethodGet, entityauthtest.HIDNodeStatusPath+doc.ID, nil); a.status != http.StatusOK {
		t.Errorf("status right after the issue = %d %s; want 200: the registration has landed", a.status, a.body)
	}
}
