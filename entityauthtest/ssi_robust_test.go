package entityauthtest_test

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/entity-studio-go/entityauth/entityauthtest"
)

// These tests send the fake what a careless or hostile client would: it
// answers as the real service does, or at least with a 4xx, and never
// panics, races or loses a request's body.

// testnetDID is the form of the fake's testnet DIDs.
var testnetDID = regexp.MustCompile(`^did:hid:testnet:z6Mk[1-9A-HJ-NP-Za-km-z]{43,44}$`)

// send makes one SSI request with a raw JSON body (none when body is "") and
// the token tok.
func send(t *testing.T, s *entityauthtest.Server, tok, method, path string, body io.Reader) answer {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), method, s.URL+path, body)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+tok)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	return do(t, s, req)
}

// sendJSON is send with a body as text.
func sendJSON(t *testing.T, s *entityauthtest.Server, tok, method, path, body string) answer {
	t.Helper()
	return send(t, s, tok, method, path, strings.NewReader(body))
}

// decodeAnswer decodes a JSON answer into v and fails the test otherwise.
func decodeAnswer(t *testing.T, a answer, v any) {
	t.Helper()
	if err := json.Unmarshal([]byte(a.body), v); err != nil {
		t.Fatalf("answer %d %.200q: %v", a.status, a.body, err)
	}
}

// issuer creates and registers a testnet DID through raw requests and
// returns it with its first verification method.
func issuer(t *testing.T, s *entityauthtest.Server, tok string) (did, vm string) {
	t.Helper()
	a := sendJSON(t, s, tok, http.MethodPost, "/api/v1/did/create", `{"namespace":"testnet"}`)
	var created struct {
		Did      string `json:"did"`
		MetaData struct {
			DidDocument json.RawMessage `json:"didDocument"`
		} `json:"metaData"`
	}
	decodeAnswer(t, a, &created)
	vm = created.Did + "#key-1"
	a = sendJSON(t, s, tok, http.MethodPost, "/api/v1/did/register", fmt.Sprintf(`{"didDocument":%s,"verificationMethodId":%q}`, created.MetaData.DidDocument, vm))
	if a.status != http.StatusCreated {
		t.Fatalf("register %s: %d %s", created.Did, a.status, a.body)
	}
	s.FlushChain() // queued: the DID is on chain once the chain catches up
	return created.Did, vm
}

// issueBody is a valid body of POST /credential/issue by did with vm.
func issueBody(did, vm string) string {
	return fmt.Sprintf(`{"issuerDid":%q,"subjectDid":%q,"verificationMethodId":%q,"schemaContext":["https://schema.org"],"type":["StudentCredential"],"expirationDate":"2030-01-01T00:00:00Z","fields":{"name":"Ada"},"persist":false}`, did, did, vm)
}

// TestIssueNullSchemaID: "schemaId": null passes the real DTO (IsOptional)
// and skips the checks of schemaContext and type (ValidateIf schemaId ===
// undefined); the fake used to panic on the type it then assumed. It answers
// 400, as the SDK's failure to build the credential.
func TestIssueNullSchemaID(t *testing.T) {
	s := entityauthtest.Start(t, entityauthtest.Options{})
	tok := token(t, s, tokenRequest{})
	did, vm := issuer(t, s, tok)
	for _, body := range []string{
		fmt.Sprintf(`{"schemaId":null,"issuerDid":%q,"subjectDid":%q,"verificationMethodId":%q,"expirationDate":"2030-01-01T00:00:00Z","fields":{"a":1},"persist":false}`, did, did, vm),
		fmt.Sprintf(`{"schemaId":null,"issuerDid":%q,"subjectDid":%q,"verificationMethodId":%q,"type":"x","schemaContext":{"a":1},"expirationDate":"2030-01-01T00:00:00Z","fields":{"a":1},"persist":false}`, did, did, vm),
	} {
		a := sendJSON(t, s, tok, http.MethodPost, "/api/v1/credential/issue", body)
		if a.status != http.StatusBadRequest || !strings.Contains(a.body, "HID-SSI-SDK:: Error: Could not create credential") {
			t.Errorf("issue with schemaId null = %d %s; want 400 with the SDK's message", a.status, a.body)
		}
	}
	// The server lives on.
	if a := sendJSON(t, s, tok, http.MethodPost, "/api/v1/credential/issue", issueBody(did, vm)); a.status != http.StatusCreated {
		t.Errorf("a valid issue after = %d %s; want 201", a.status, a.body)
	}
}

// TestLargeRequestBodies: the real service parses JSON bodies up to 10 MiB
// (express.json({limit: '10mb'}) in src/main.ts). A valid 2 MiB body is read
// whole (the fake once read bodies over 1 MiB as empty, and so answered this
// create with a mainnet DID), and one past 10 MiB gets the body parser's
// error, which the service's AllExceptionsFilter turns into a 500, before
// any check of the token.
func TestLargeRequestBodies(t *testing.T) {
	s := entityauthtest.Start(t, entityauthtest.Options{})
	tok := token(t, s, tokenRequest{})
	padded := func(n int) io.Reader {
		const head, tail = `{"namespace":"testnet"`, `}`
		return io.MultiReader(strings.NewReader(head), strings.NewReader(strings.Repeat(" ", n-len(head)-len(tail))), strings.NewReader(tail))
	}
	for _, n := range []int{2 << 20, 10 << 20} {
		a := send(t, s, tok, http.MethodPost, "/api/v1/did/create", padded(n))
		var created struct{ Did string }
		decodeAnswer(t, a, &created)
		if a.status != http.StatusCreated || !testnetDID.MatchString(created.Did) {
			t.Errorf("create with a valid %d-byte body = %d %.200s; want 201 and a testnet DID", n, a.status, a.body)
		}
	}
	for _, tok := range []string{tok, "not-a-token"} {
		a := send(t, s, tok, http.MethodPost, "/api/v1/did/create", padded(10<<20+1))
		var body struct {
			StatusCode int      `json:"statusCode"`
			Path       string   `json:"path"`
			Message    []string `json:"message"`
		}
		decodeAnswer(t, a, &body)
		if want := []string{"PayloadTooLargeError", "request entity too large", "Internal server error"}; a.status != http.StatusInternalServerError ||
			body.StatusCode != http.StatusInternalServerError || body.Path != "/api/v1/did/create" || fmt.Sprint(body.Message) != fmt.Sprint(want) {
			t.Errorf("create with a body of 10 MiB + 1 = %d %s; want 500 %q", a.status, a.body, want)
		}
	}
}

// TestPresentationRequestWhileTemplateChanges: building a presentation
// request copies the template while another request may update it; run
// with -race.
func TestPresentationRequestWhileTemplateChanges(t *testing.T) {
	s := entityauthtest.Start(t, entityauthtest.Options{})
	tok := token(t, s, tokenRequest{})
	did, _ := issuer(t, s, tok)
	a := sendJSON(t, s, tok, http.MethodPost, "/api/v1/presentation/template", `{"domain":"https://example.com","name":"kyc","query":[{"type":"QueryByExample"}]}`)
	var tmpl struct {
		ID string `json:"_id"`
	}
	decodeAnswer(t, a, &tmpl)
	var wg sync.WaitGroup
	for i := range 20 {
		wg.Go(func() {
			body := fmt.Sprintf(`{"domain":"https://example%d.com","name":"kyc%d","query":[{"type":"QueryByExample","i":%d}]}`, i, i, i)
			if a := sendJSON(t, s, tok, http.MethodPatch, "/api/v1/presentation/template/"+tmpl.ID, body); a.status != http.StatusOK {
				t.Errorf("update = %d %s; want 200", a.status, a.body)
			}
		})
		wg.Go(func() {
			body := fmt.Sprintf(`{"challenge":"c%d","did":%q,"templateId":%q,"expiresTime":32503680000000,"callbackUrl":"https://example.com/cb"}`, i, did, tmpl.ID)
			if a := sendJSON(t, s, tok, http.MethodPost, "/api/v1/presentation/request", body); a.status != http.StatusCreated {
				t.Errorf("presentation request = %d %s; want 201", a.status, a.body)
			}
		})
	}
	wg.Wait()
}

// TestStatusOfAnotherIssuersCredential: the chain lets only the issuer (or
// a controller of its DID) change a credential's status. Another DID of the
// same app gets the SDK's 400 (hid-ssi-js-sdk vc.ts updateCredentialStatus:
// the method's DID must be among the issuer document's controllers), and
// the status stays.
func TestStatusOfAnotherIssuersCredential(t *testing.T) {
	s := entityauthtest.Start(t, entityauthtest.Options{DirectMode: true}) // the status is on chain at once
	tok := token(t, s, tokenRequest{})
	alice, aliceVM := issuer(t, s, tok)
	mallory, malloryVM := issuer(t, s, tok)
	a := sendJSON(t, s, tok, http.MethodPost, "/api/v1/credential/issue", issueBody(alice, aliceVM))
	var issued struct {
		Metadata struct {
			CredentialID string `json:"credentialId"`
		} `json:"metadata"`
	}
	decodeAnswer(t, a, &issued)
	id := issued.Metadata.CredentialID
	for _, body := range []string{
		fmt.Sprintf(`{"status":"REVOKE","issuerDid":%q,"verificationMethodId":%q}`, mallory, malloryVM),
		fmt.Sprintf(`{"status":"REVOKE","issuerDid":%q,"verificationMethodId":%q}`, alice, malloryVM),
	} {
		a = sendJSON(t, s, tok, http.MethodPatch, "/api/v1/credential/status/"+id, body)
		if want := `["HID-SSI-SDK:: Error: params.verificationMethodId does not belong to issuerDid"]`; a.status != http.StatusBadRequest || !strings.Contains(a.body, want) {
			t.Errorf("revoke by %s = %d %s; want 400 %s", body, a.status, a.body, want)
		}
	}
	a = send(t, s, tok, http.MethodGet, "/api/v1/credential/"+id, nil)
	var got struct {
		CredentialStatus struct {
			Revoked bool `json:"revoked"`
		} `json:"credentialStatus"`
	}
	decodeAnswer(t, a, &got)
	if got.CredentialStatus.Revoked {
		t.Errorf("credential %s revoked by another issuer; want it live", id)
	}
	a = sendJSON(t, s, tok, http.MethodPatch, "/api/v1/credential/status/"+id, fmt.Sprintf(`{"status":"REVOKE","issuerDid":%q,"verificationMethodId":%q}`, alice, aliceVM))
	if a.status != http.StatusOK {
		t.Errorf("revoke by its issuer = %d %s; want 200", a.status, a.body)
	}
}

// TestCreditsExact: a balance that pays for one issue pays for one, however
// many issues race for it, and CreditsUsed is up to date as soon as a call
// has returned.
func TestCreditsExact(t *testing.T) {
	const issueCost = 5 + 5 // a POST and the status registration
	s := entityauthtest.Start(t, entityauthtest.Options{})
	tok := token(t, s, tokenRequest{})
	for range 100 { // a list of 100 DIDs is longer than the server's write buffer
		sendJSON(t, s, tok, http.MethodPost, "/api/v1/did/create", `{"namespace":"testnet"}`)
	}
	for range 200 {
		used := s.CreditsUsed()
		if a := send(t, s, tok, http.MethodGet, "/api/v1/did?limit=100", nil); a.status != http.StatusOK {
			t.Fatalf("list = %d %s; want 200", a.status, a.body)
		}
		if got := s.CreditsUsed(); got != used+1 {
			t.Fatalf("CreditsUsed right after a list = %d; want %d", got, used+1)
		}
	}

	// A balance of one issue (10) after the issuer's create (5 + 2) and register (5 + 5).
	const balance = 7 + 10 + issueCost
	for round := range 10 {
		s := entityauthtest.Start(t, entityauthtest.Options{Credits: balance})
		tok := token(t, s, tokenRequest{})
		did, vm := issuer(t, s, tok)
		body := strings.Replace(issueBody(did, vm), `"persist":false`, `"persist":false,"registerCredentialStatus":true`, 1)
		var wg sync.WaitGroup
		var issued atomic.Int32
		start := make(chan struct{})
		for range 32 {
			// Open the connections first, with a route that costs nothing.
			wg.Go(func() { send(t, s, tok, http.MethodGet, "/api/v1/presentation/template", nil) })
		}
		wg.Wait()
		for range 32 {
			wg.Go(func() {
				<-start
				a := sendJSON(t, s, tok, http.MethodPost, "/api/v1/credential/issue", body)
				switch {
				case a.status == http.StatusCreated:
					issued.Add(1)
				case a.status != http.StatusBadRequest || !strings.Contains(a.body, "No credits found"):
					t.Errorf("issue = %d %s; want 201 or the credits' 400", a.status, a.body)
				}
			})
		}
		close(start)
		wg.Wait()
		if n := issued.Load(); n != 1 || s.CreditsUsed() != balance {
			t.Errorf("round %d: %d issues paid with one issue's balance, CreditsUsed %d; want 1 and %d", round, n, s.CreditsUsed(), balance)
		}
	}
}
