package entityauthtest_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/entity-studio-go/entityauth/entityauthtest"
)

// fuzzRoutes are the SSI routes whose request the fake decodes: the body of
// each POST and PATCH, and the query of the GETs that read one. $VC and $TMPL
// stand for a credential and a template of the app.
var fuzzRoutes = []struct{ method, path string }{
	{http.MethodPost, "/api/v1/did/create"},
	{http.MethodPost, "/api/v1/did/register"},
	{http.MethodPatch, "/api/v1/did"},
	{http.MethodPost, "/api/v1/did/addVerificationMethod"},
	{http.MethodPost, "/api/v1/did/auth/sign"},
	{http.MethodPost, "/api/v1/did/auth/verify"},
	{http.MethodPost, "/api/v1/credential/issue"},
	{http.MethodPatch, "/api/v1/credential/status/$VC"},
	{http.MethodPost, "/api/v1/credential/status/register"},
	{http.MethodPost, "/api/v1/presentation/template"},
	{http.MethodPatch, "/api/v1/presentation/template/$TMPL"},
	{http.MethodPost, "/api/v1/presentation/request"},
	{http.MethodPost, "/api/v1/presentation/verify"},
	{http.MethodGet, "/api/v1/did"},
	{http.MethodGet, "/api/v1/credential"},
	{http.MethodGet, "/api/v1/credential/$VC"},
	{http.MethodGet, "/api/v1/presentation/template"},
	{http.MethodPost, "/api/v1/did/register/v2"},
	{http.MethodPost, "/api/v1/did/auth/issue-jwt"},
	{http.MethodPost, "/api/v1/presentation"},
	{http.MethodGet, "/api/v1/usage"},
	{http.MethodGet, "/api/v1/usage/detail"},
}

// fuzzApp is a fresh fake with an app that holds one registered DID, one
// credential of it and one template, and a token for it.
type fuzzApp struct {
	ctx                 context.Context
	srv                 *entityauthtest.Server
	tok, did, vm, vc, t string
}

// serve sends one request straight to the server's handler: a panic there
// reaches the fuzzer instead of closing a connection.
func (a *fuzzApp) serve(method, path string, body []byte) *httptest.ResponseRecorder {
	var req *http.Request
	if method == http.MethodGet {
		req = httptest.NewRequestWithContext(a.ctx, method, path, nil)
	} else {
		req = httptest.NewRequestWithContext(a.ctx, method, path, bytes.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
	}
	req.Header.Set("Authorization", "Bearer "+a.tok)
	rec := httptest.NewRecorder()
	a.srv.ServeHTTP(rec, req)
	return rec
}

func newFuzzApp(t *testing.T) *fuzzApp {
	srv := entityauthtest.NewPipeServer(entityauthtest.Options{RateLimit: -1, ChainDelay: -1}) // queued, landing at the next request
	t.Cleanup(srv.Close)
	a := &fuzzApp{ctx: t.Context(), srv: srv}
	req := httptest.NewRequestWithContext(a.ctx, http.MethodPost, "/api/v1/app/oauth", nil)
	req.Header.Set("X-Api-Secret-Key", srv.APIKey())
	rec := httptest.NewRecorder()
	srv.ServeHTTP(rec, req)
	var tok struct {
		AccessToken string `json:"access_token"`
	}
	decode := func(rec *httptest.ResponseRecorder, v any) {
		t.Helper()
		if err := json.Unmarshal(rec.Body.Bytes(), v); err != nil || rec.Code >= 300 {
			t.Fatalf("setting up the app: %d %s", rec.Code, rec.Body)
		}
	}
	decode(rec, &tok)
	a.tok = tok.AccessToken
	var created struct {
		Did      string
		MetaData struct{ DidDocument json.RawMessage }
	}
	decode(a.serve(http.MethodPost, "/api/v1/did/create", []byte(`{"namespace":"testnet"}`)), &created)
	a.did, a.vm = created.Did, created.Did+"#key-1"
	decode(a.serve(http.MethodPost, "/api/v1/did/register", fmt.Appendf(nil, `{"didDocument":%s,"verificationMethodId":%q}`, created.MetaData.DidDocument, a.vm)), &struct{}{})
	var issued struct{ Metadata struct{ CredentialID string } }
	decode(a.serve(http.MethodPost, "/api/v1/credential/issue", []byte(issueBody(a.did, a.vm))), &issued)
	a.vc = issued.Metadata.CredentialID
	var tmpl struct {
		ID string `json:"_id"`
	}
	decode(a.serve(http.MethodPost, "/api/v1/presentation/template", []byte(`{"domain":"https://example.com","name":"kyc","query":[{"type":"QueryByExample"}]}`)), &tmpl)
	a.t = tmpl.ID
	return a
}

// queryOf makes b a request target's query as a client would send it: the
// bytes that cannot appear in a URL (#, space, controls) percent-encoded.
func queryOf(b []byte) string {
	var q strings.Builder
	for _, c := range b {
		if c == '#' || c <= ' ' || c == 0x7f {
			fmt.Fprintf(&q, "%%%02X", c)
			continue
		}
		q.WriteByte(c)
	}
	return q.String()
}

// FuzzSSIRequest sends the fake's SSI routes any body (or, for the GETs,
// any query) on behalf of an app with a DID, a credential and a template,
// which $DID, $VM, $VC and $TMPL in the input name. Whatever it gets, the
// fake must not panic and must answer with a status and a JSON body (or
// none), as the real service does.
func FuzzSSIRequest(f *testing.F) {
	valid := []string{
		`{"namespace":"testnet","options":{"keyType":"Ed25519VerificationKey2020","name":"x"}}`,
		`{"didDocument":{"id":"$DID"},"verificationMethodId":"$VM"}`,
		`{"did":"$DID","name":"renamed"}`,
		`{"did":"$DID","type":"Ed25519VerificationKey2020","id":"$DID#key-2","publicKeyMultibase":"z6Mk"}`,
		`{"did":"$DID","verificationMethodId":"$VM","options":{"purpose":"authentication","challenge":"c","domain":"example.com"}}`,
		`{"didDocument":{"id":"$DID","proof":{}}}`,
		`{"issuerDid":"$DID","subjectDid":"$DID","verificationMethodId":"$VM","schemaContext":["https://schema.org"],"type":["T"],"expirationDate":"2030-01-01T00:00:00Z","fields":{"a":1},"persist":true}`,
		`{"status":"SUSPEND","issuerDid":"$DID","verificationMethodId":"$VM","statusReason":"r"}`,
		`{"credentialStatus":{"id":"$VC","credentialMerkleRootHash":"00","issuanceDate":"2024-01-01T00:00:00Z"},"namespace":"testnet"}`,
		`{"domain":"https://example.com","name":"A b C","query":[{"type":"QueryByExample","credentialQuery":[]}]}`,
		`{"domain":"https://example.org","name":"n","query":[]}`,
		`{"challenge":"c","did":"$DID","templateId":"$TMPL","expiresTime":32503680000000,"callbackUrl":"https://example.com/cb"}`,
		`{"presentation":{"holder":"$DID","verifiableCredential":[{"id":"$VC","proof":{"verificationMethod":"$VM"}}],"proof":{"verificationMethod":"$VM","challenge":"c"}}}`,
		`page=2&limit=100`,
		`issuerDid=$DID&page=1&limit=1`,
		`retrieveCredential=true`,
		`page=1e2&limit=0x10`,
		`{"didDocument":{"id":"$DID","verificationMethod":[{"id":"$VM","type":"Ed25519VerificationKey2020"}]},"signInfos":[{"verification_method_id":"$VM"}]}`,
		`{"issuer":{"did":"$DID","verificationMethodId":"$VM"},"audience":"a","claims":{"k":"v"},"ttlSeconds":60}`,
		`{"credentialDocuments":[{"@context":["https://www.w3.org/2018/credentials/v1"],"type":["VerifiableCredential"],"issuer":"$DID","issuanceDate":"2024-01-01T00:00:00Z","credentialSubject":{}}],"holderDid":"$DID","challenge":"c","domain":"https://example.com"}`,
		`startDate=2024-01-01&endDate=2030-01-01T00:00:00Z&serviceId=x`,
		`startDate=garbage&startDate=2024`,
	}
	for i, body := range valid {
		f.Add(uint8(i), []byte(body))
	}
	f.Add(uint8(6), []byte(`{"schemaId":null,"issuerDid":"$DID","subjectDid":"$DID","verificationMethodId":"$VM","expirationDate":"2030","fields":{"a":1},"persist":false}`))
	f.Add(uint8(1), []byte(`{"didDocument":{"id":"$DID"},"signInfos":[null,1,{"verification_method_id":"$VM"}]}`))
	f.Add(uint8(0), []byte(`[`))
	f.Add(uint8(0), []byte(`{"options":{"keyType":[1]}}`))
	f.Fuzz(func(t *testing.T, route uint8, body []byte) {
		a := newFuzzApp(t)
		r := fuzzRoutes[int(route)%len(fuzzRoutes)]
		fill := strings.NewReplacer("$DID", a.did, "$VM", a.vm, "$VC", a.vc, "$TMPL", a.t)
		body = []byte(fill.Replace(string(body)))
		path := fill.Replace(r.path)
		if r.method == http.MethodGet {
			path += "?" + queryOf(body)
		}
		rec := a.serve(r.method, path, body)
		if rec.Code < 200 || rec.Code > 599 {
			t.Fatalf("%s %s %q: status %d", r.method, r.path, body, rec.Code)
		}
		if b := rec.Body.Bytes(); len(b) > 0 && !json.Valid(b) {
			t.Fatalf("%s %s %q: %d with a body that is not JSON: %.200q", r.method, r.path, body, rec.Code, b)
		}
		if rec.Code >= 500 {
			var internal struct{ Message []string }
			if json.Unmarshal(rec.Body.Bytes(), &internal) != nil || len(internal.Message) == 0 {
				t.Fatalf("%s %s %q: %d %s; want the service's 500 body", r.method, r.path, body, rec.Code, rec.Body)
			}
		}
	})
}
