package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestAPINewRoutes calls, against the fake, the routes that an API-key token
// may call and that the spec gained in issue 19: register/v2, issue-jwt,
// POST /presentation and the two usage routes, as a user would from a shell.
func TestAPINewRoutes(t *testing.T) {
	srv, e := fakeEnv(t)
	dir := t.TempDir()
	decode := func(r result, v any) {
		t.Helper()
		r.want(t, 0)
		if err := json.Unmarshal([]byte(r.stdout), v); err != nil {
			t.Fatalf("stdout = %q: %v", r.stdout, err)
		}
	}
	var created struct {
		DID      string `json:"did"`
		MetaData struct {
			DIDDocument json.RawMessage `json:"didDocument"`
		} `json:"metaData"`
	}
	decode(e.run("", "api", "-d", `{"namespace":"testnet","options":{"name":"cli"}}`, "/api/v1/did/create"), &created)
	vm := created.DID + "#key-1"

	body := `{"didDocument":` + string(created.MetaData.DIDDocument) + `,"signInfos":[{"verification_method_id":"` + vm + `"}]}`
	var registered struct {
		Name, DID, RegistrationStatus string
	}
	decode(e.run(body, "api", "--data", "-", "/api/v1/did/register/v2"), &registered)
	if registered.Name != "cli" || registered.DID != created.DID || registered.RegistrationStatus != "UNREGISTRED" {
		t.Errorf("register/v2 = %+v; want the DID named cli, queued (UNREGISTRED)", registered)
	}
	srv.FlushChain() // the chain catches up: the DID may issue and present

	var jwt struct {
		AccessToken string
		ExpiresIn   int
	}
	decode(e.run("", "api", "-d", `{"issuer":{"did":"`+created.DID+`","verificationMethodId":"`+vm+`"},"audience":"cli","claims":{"k":"v"},"ttlSeconds":600}`, "/api/v1/did/auth/issue-jwt"), &jwt)
	if strings.Count(jwt.AccessToken, ".") != 2 || jwt.ExpiresIn != 600 {
		t.Errorf("issue-jwt = %+v; want a compact JWT living 600 s", jwt)
	}
	r := e.run("", "api", "-d", `{"issuer":{"did":"`+created.DID+`","verificationMethodId":"`+vm+`"},"audience":"cli","claims":{"k":"v"},"ttlSeconds":10}`, "/api/v1/did/auth/issue-jwt")
	r.want(t, exitFail)
	if !strings.Contains(r.stderr, "ttlSeconds must not be less than 60") || !strings.Contains(r.stdout, `"statusCode":400`) {
		t.Errorf("issue-jwt with ttl 10: stdout %q, stderr %q; want the 400 and its message", r.stdout, r.stderr)
	}

	var issued struct {
		CredentialDocument json.RawMessage `json:"credentialDocument"`
	}
	decode(e.run("", "api", "-d", `{"subjectDid":"`+created.DID+`","issuerDid":"`+created.DID+`","verificationMethodId":"`+vm+
		`","schemaContext":["https://schema.org"],"type":["T"],"expirationDate":"2030-01-01T00:00:00Z","fields":{"a":1},"persist":false}`, "/api/v1/credential/issue"), &issued)
	file := filepath.Join(dir, "presentation.json")
	if err := os.WriteFile(file, []byte(`{"credentialDocuments":[`+string(issued.CredentialDocument)+`],"holderDid":"`+created.DID+`","challenge":"c1","domain":"https://verifier.example"}`), 0o600); err != nil {
		t.Fatal(err)
	}
	var presented struct {
		Presentation struct {
			Holder string
			Proof  struct{ Challenge, ProofPurpose string }
		}
	}
	decode(e.run("", "api", "-d", "@"+file, "/api/v1/presentation"), &presented)
	if p := presented.Presentation; p.Holder != created.DID || p.Proof.Challenge != "c1" || p.Proof.ProofPurpose != "authentication" {
		t.Errorf("presentation = %+v; want the holder's authentication proof with challenge c1", p)
	}

	var usage struct {
		ServiceID      *string `json:"serviceId"`
		ServiceDetails []struct {
			APIPath  string `json:"apiPath"`
			Method   string `json:"method"`
			Quantity int    `json:"quantity"`
		} `json:"serviceDetails"`
	}
	decode(e.run("", "api", "/api/v1/usage"), &usage)
	counts := map[string]int{}
	for _, d := range usage.ServiceDetails {
		counts[d.Method+" "+d.APIPath] = d.Quantity
	}
	for _, want := range []string{"POST /api/v1/did/create", "POST /api/v1/did/register/v2", "POST /api/v1/did/auth/issue-jwt",
		"POST /api/v1/credential/issue?persist=false&registerCredentialStatus=true"} {
		if counts[want] == 0 {
			t.Errorf("usage counts %v; want %s", counts, want)
		}
	}
	if counts["POST /api/v1/did/auth/issue-jwt"] != 2 || usage.ServiceID != nil {
		t.Errorf("usage counts %v, serviceId %v; want both issue-jwt calls (the 400 too) and no serviceId", counts, usage.ServiceID)
	}
	var detail struct {
		ServiceID string `json:"serviceId"`
	}
	decode(e.run("", "api", "/api/v1/usage/detail?serviceId=app-1"), &detail)
	if detail.ServiceID != "app-1" {
		t.Errorf("usage/detail serviceId = %q; want app-1 echoed", detail.ServiceID)
	}
}
