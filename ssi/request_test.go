package ssi_test

import (
	"encoding/json"
	"net/http"
	"reflect"
	"testing"
	"time"

	"github.com/entity-studio-go/entityauth/gen/ssiapi"
)

// jsonEqual reports whether a and b hold the same JSON value.
func jsonEqual(t *testing.T, a, b []byte) bool {
	t.Helper()
	var va, vb any
	if err := json.Unmarshal(a, &va); err != nil {
		t.Fatalf("decoding %s: %v", a, err)
	}
	if err := json.Unmarshal(b, &vb); err != nil {
		t.Fatalf("decoding %s: %v", b, err)
	}
	return reflect.DeepEqual(va, vb)
}

// TestRequestBodies checks what the pointer-free request fields send: a zero
// value is left out (the mainnet namespace is sent as ""), a pointer still
// tells false from absent, a DID document goes back as the server sent it
// (empty lists and empty strings included), and the expiration date is RFC 3339.
func TestRequestBodies(t *testing.T) {
	s := newServer(t, func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.EscapedPath() {
		case "/api/v1/did/create":
			answer(http.StatusCreated, createdDIDBody)(w, r)
		case "/api/v1/did/register":
			answer(http.StatusCreated, registeredDIDBody)(w, r)
		default:
			answer(http.StatusCreated, issuedBody)(w, r)
		}
	})
	c := newClient(t, s)
	ctx := t.Context()
	created, err := c.CreateDID(ctx, ssiapi.CreateDIDRequest{})
	if err != nil {
		t.Fatalf("CreateDID: %v", err)
	}
	if _, err := c.RegisterDID(ctx, ssiapi.RegisterDIDRequest{DidDocument: created.MetaData.DidDocument}); err != nil {
		t.Fatalf("RegisterDID: %v", err)
	}
	issue := ssiapi.IssueCredentialRequest{
		IssuerDid: "did:hid:testnet:z6Mk1", VerificationMethodId: "did:hid:testnet:z6Mk1#key-1", SubjectDid: "did:hid:testnet:z6Mk2",
		SchemaId:       "sch:hid:testnet:z6Mk3:1.0",
		ExpirationDate: time.Date(2030, 1, 1, 5, 30, 0, 0, time.FixedZone("IST", 19800)),
		Fields:         map[string]any{"name": "Ada"},
	}
	if _, err := c.IssueCredential(ctx, issue); err != nil {
		t.Fatalf("IssueCredential: %v", err)
	}
	noStatus := issue
	noStatus.RegisterCredentialStatus = new(bool) // false, which is not the server's default
	if _, err := c.IssueCredential(ctx, noStatus); err != nil {
		t.Fatalf("IssueCredential: %v", err)
	}

	var createdBody struct {
		MetaData struct{ DidDocument json.RawMessage } `json:"metaData"`
	}
	if err := json.Unmarshal([]byte(createdDIDBody), &createdBody); err != nil {
		t.Fatal(err)
	}
	reqs := s.requests()
	if len(reqs) != 4 {
		t.Fatalf("server saw %d requests; want 4", len(reqs))
	}
	for _, tc := range []struct {
		name      string
		got, want []byte
	}{
		{"createDID", reqs[0].Body, []byte(`{"namespace":""}`)},
		{"registerDID", reqs[1].Body, []byte(`{"didDocument":` + string(createdBody.MetaData.DidDocument) + `}`)},
		{"issueCredential", reqs[2].Body, []byte(`{"issuerDid":"did:hid:testnet:z6Mk1","verificationMethodId":"did:hid:testnet:z6Mk1#key-1",
			"subjectDid":"did:hid:testnet:z6Mk2","schemaId":"sch:hid:testnet:z6Mk3:1.0","expirationDate":"2030-01-01T05:30:00+05:30",
			"fields":{"name":"Ada"},"persist":false}`)},
		{"issueCredential with registerCredentialStatus false", reqs[3].Body, []byte(`{"issuerDid":"did:hid:testnet:z6Mk1","verificationMethodId":"did:hid:testnet:z6Mk1#key-1",
			"subjectDid":"did:hid:testnet:z6Mk2","schemaId":"sch:hid:testnet:z6Mk3:1.0","expirationDate":"2030-01-01T05:30:00+05:30",
			"fields":{"name":"Ada"},"persist":false,"registerCredentialStatus":false}`)},
	} {
		if !jsonEqual(t, tc.got, tc.want) {
			t.Errorf("%s body = %s; want %s", tc.name, tc.got, tc.want)
		}
	}
}

// TestUpdatePresentationTemplateBody: the update sends only the fields set,
// as the SSI API's partial update takes them; nothing set sends {}.
func TestUpdatePresentationTemplateBody(t *testing.T) {
	const template = `{"_id":"63fac3af702a991edd3e034f","appId":"a","domain":"https://other.example","query":[],"name":"AgeCheck"}`
	s := newServer(t, answer(http.StatusOK, template))
	c := newClient(t, s)
	if _, err := c.UpdatePresentationTemplate(t.Context(), "63fac3af702a991edd3e034f", ssiapi.PresentationTemplateUpdate{Domain: "https://other.example"}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.UpdatePresentationTemplate(t.Context(), "63fac3af702a991edd3e034f", ssiapi.PresentationTemplateUpdate{}); err != nil {
		t.Fatal(err)
	}
	reqs := s.requests()
	if len(reqs) != 2 {
		t.Fatalf("server saw %d requests; want 2", len(reqs))
	}
	if !jsonEqual(t, reqs[0].Body, []byte(`{"domain":"https://other.example"}`)) || !jsonEqual(t, reqs[1].Body, []byte(`{}`)) {
		t.Errorf("bodies = %q; want {\"domain\":…} then {}", [][]byte{reqs[0].Body, reqs[1].Body})
	}
}
