package entityauthtest_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/entity-studio-go/entityauth/entityauthtest"
)

// presentationOf has holder sign a presentation of credential through
// signDIDAuth, for authentication with challenge (omitted when "-").
func presentationOf(t *testing.T, s *entityauthtest.Server, tok, holder string, credential json.RawMessage, challenge string) string {
	t.Helper()
	opts := fmt.Sprintf(`{"purpose":"authentication","challenge":%q,"domain":"https://verifier.example"}`, challenge)
	body := fmt.Sprintf(`{"did":%q,"verificationMethodId":"%s#key-1","didDocument":{"@context":["https://www.w3.org/2018/credentials/v1"],"id":"vp:hid:testnet:%s","type":["VerifiablePresentation"],"verifiableCredential":[%s],"holder":%q},"options":%s}`,
		holder, holder, strings.TrimPrefix(holder, "did:hid:testnet:"), credential, holder, opts)
	a := sendJSON(t, s, tok, http.MethodPost, "/api/v1/did/auth/sign", body)
	if a.status != http.StatusCreated {
		t.Fatalf("signDIDAuth = %d %s; want 201", a.status, a.body)
	}
	return a.body
}

type verifyAnswer struct {
	Verified           bool `json:"verified"`
	PresentationResult struct {
		Verified bool `json:"verified"`
	} `json:"presentationResult"`
	CredentialResults []struct {
		Verified bool `json:"verified"`
	} `json:"credentialResults"`
}

// TestDisagreement2VerifyPresentationAnswers: the fake's presentation verify answers as
// the real service does (disagreement 2 of "Production as it really is"):
// 201 verified true; 201 verified false for a bad signature or a revoked
// credential; 500 only where the SDK throws; 400 without a challenge.
func TestDisagreement2VerifyPresentationAnswers(t *testing.T) {
	s := entityauthtest.Start(t, entityauthtest.Options{})
	tok := token(t, s, tokenRequest{})
	did, vm := issuer(t, s, tok)
	holder, _ := issuer(t, s, tok)
	cred := issue(t, s, tok, issueBody(did, vm)).CredentialDocument
	s.FlushChain() // its status is on chain
	vp := presentationOf(t, s, tok, holder, cred, "c0ffee")
	verify := func(presentation string) answer {
		t.Helper()
		return sendJSON(t, s, tok, http.MethodPost, "/api/v1/presentation/verify", `{"presentation":`+presentation+`}`)
	}
	verified := func(name string, a answer, want, wantPresentation bool) {
		t.Helper()
		if a.status != http.StatusCreated {
			t.Errorf("%s = %d %s; want 201", name, a.status, a.body)
			return
		}
		var v verifyAnswer
		decodeAnswer(t, a, &v)
		if v.Verified != want || v.PresentationResult.Verified != wantPresentation || len(v.CredentialResults) != 1 {
			t.Errorf("%s = %s; want verified %v, presentation %v, one credential result", name, a.body, want, wantPresentation)
		}
	}

	verified("a valid presentation", verify(vp), true, true)
	verified("a forged claim", verify(strings.Replace(vp, `"name":"Ada"`, `"name":"Eve"`, 1)), false, false)
	verified("a forged challenge", verify(strings.Replace(vp, `"challenge":"c0ffee"`, `"challenge":"other"`, 1)), false, false)

	missing := strings.Replace(vp, `"challenge":"c0ffee",`, ``, 1)
	const want400 = `{"statusCode":400,"message":["presentation.proof.challenge must be a string"],"error":"Bad Request"}`
	if a := verify(missing); a.status != http.StatusBadRequest || a.body != want400 {
		t.Errorf("no challenge = %d %s; want 400 %s", a.status, a.body, want400)
	}
	if a := verify(strings.Replace(vp, `"challenge":"c0ffee"`, `"challenge":""`, 1)); a.status != http.StatusInternalServerError || !strings.Contains(a.body, "challenge") {
		t.Errorf(`challenge "" = %d %s; want 500`, a.status, a.body)
	}
	stranger := "did:hid:testnet:z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK"
	if a := verify(strings.Replace(vp, `"issuer":"`+did+`"`, `"issuer":"`+stranger+`"`, 1)); a.status != http.StatusInternalServerError || !strings.Contains(a.body, "is invalid or not registered on the blockchain") {
		t.Errorf("issuer not on chain = %d %s; want 500 with the SDK's text", a.status, a.body)
	}

	var doc struct{ ID string }
	decodeAnswer(t, answer{body: string(cred)}, &doc)
	if a := sendJSON(t, s, tok, http.MethodPatch, "/api/v1/credential/status/"+doc.ID, fmt.Sprintf(`{"status":"REVOKE","issuerDid":%q,"verificationMethodId":%q}`, did, vm)); a.status != http.StatusOK {
		t.Fatalf("revoke = %d %s", a.status, a.body)
	}
	verified("before the revocation lands", verify(vp), true, true)
	s.FlushChain()
	verified("after the credential is revoked", verify(vp), false, true)
}
