package contracttest

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/entity-studio-go/entityauth/entityauthtest"
	"github.com/entity-studio-go/entityauth/gen/ssiapi"
)

// TestSSIQueuedLifecycle walks the lifecycle in the default, queued mode (an
// app with a fee grant): each answer comes at once, the chain changes after
// the delay, and what depends on it fails until then with the real texts.
func TestSSIQueuedLifecycle(t *testing.T) {
	s := entityauthtest.Start(t, entityauthtest.Options{ChainDelay: time.Hour})
	c := ssiClient(t, s)
	ctx := t.Context()
	issuer := createDID(t, c, "issuer")
	early := createDID(t, c, "early")
	vm := issuer.Did + "#key-1"

	reg := registerDID(t, c, issuer)
	if reg.JSON201 == nil || reg.JSON201.RegistrationStatus != ssiapi.RegistrationStatusUnregistered || !strings.Contains(string(reg.Body), `"transactionHash":""`) {
		t.Fatalf("register = %d %s; want 201 UNREGISTRED with transactionHash \"\"", reg.StatusCode(), reg.Body)
	}
	if again := registerDID(t, c, issuer); again.StatusCode() != 201 {
		t.Errorf("register again while queued = %d %s; want 201: the database row stays UNREGISTRED", again.StatusCode(), again.Body)
	}
	registerDID(t, c, early)
	if n := s.QueuedTransactions(); n != 3 {
		t.Errorf("QueuedTransactions = %d; want 3", n)
	}
	res, _ := c.ResolveDIDWithResponse(ctx, issuer.Did)
	if res.JSON200 == nil || res.JSON200.DidDocumentMetadata != nil {
		t.Errorf("resolve before landing = %s; want no metadata", res.Body)
	}
	credential := func(d *ssiapi.CreatedDID) ssiapi.IssueCredentialRequest {
		return ssiapi.IssueCredentialRequest{SubjectDid: d.Did, IssuerDid: d.Did, VerificationMethodId: d.Did + "#key-1",
			SchemaContext: []string{"https://schema.org"}, Type: []string{"T"}, ExpirationDate: time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC), Fields: map[string]any{"a": 1}}
	}
	tooEarly, _ := c.IssueCredentialWithResponse(ctx, credential(early))
	if tooEarly.StatusCode() != 400 || !strings.Contains(string(tooEarly.Body), `"message":["Cannot read properties of undefined (reading 'find')"]`) {
		t.Errorf("issue before the issuer landed = %d %s; want 400 reading 'find'", tooEarly.StatusCode(), tooEarly.Body)
	}

	s.FlushChain()
	if n := s.QueuedTransactions(); n != 0 {
		t.Errorf("QueuedTransactions after FlushChain = %d; want 0", n)
	}
	res, _ = c.ResolveDIDWithResponse(ctx, issuer.Did)
	if m := res.JSON200.DidDocumentMetadata; m == nil || m.VersionId == nil || !hashPattern.MatchString(*m.VersionId) {
		t.Fatalf("resolve after FlushChain = %s; want metadata with a versionId", res.Body)
	}
	// The real service cached the early issuer's empty document.
	if still, _ := c.IssueCredentialWithResponse(ctx, credential(early)); still.StatusCode() != 400 {
		t.Errorf("issue with the early issuer once on chain = %d %s; want 400 still (the issuer cache)", still.StatusCode(), still.Body)
	}
	if sign, _ := c.SignDIDAuthWithResponse(ctx, ssiapi.SignDIDRequest{Did: issuer.Did, VerificationMethodId: vm}); sign.StatusCode() != 400 || !strings.Contains(string(sign.Body), "didDocument parameter is required for private did") {
		t.Errorf("signDIDAuth without a document = %d %s; want 400: the database row is still UNREGISTRED", sign.StatusCode(), sign.Body)
	}

	iss, err := c.IssueCredentialWithResponse(ctx, credential(issuer))
	if err != nil || iss.JSON201 == nil {
		t.Fatalf("issue: %v %s", err, iss.Body)
	}
	id := iss.JSON201.Metadata.CredentialId
	change := func(status ssiapi.CredentialStatusChange) *ssiapi.UpdateCredentialStatusResponse {
		t.Helper()
		r, err := c.UpdateCredentialStatusWithResponse(ctx, id, ssiapi.UpdateCredentialStatusRequest{Status: status, IssuerDid: issuer.Did, VerificationMethodId: vm})
		if err != nil {
			t.Fatal(err)
		}
		return r
	}
	if r := change(ssiapi.CredentialStatusChangeSuspend); r.StatusCode() != 400 || !strings.Contains(string(r.Body), `"message":["No credential status found. Probably invalid credentialId"]`) {
		t.Errorf("SUSPEND before the status landed = %d %s; want 400 No credential status found", r.StatusCode(), r.Body)
	}
	if g, _ := c.GetCredentialWithResponse(ctx, id, nil); g.JSON200 == nil || g.JSON200.CredentialStatus != nil || g.JSON200.Metadata.TransactionStatus != nil {
		t.Errorf("get before the status landed = %s; want neither credentialStatus nor transactionStatus", g.Body)
	}
	s.FlushChain()
	g, _ := c.GetCredentialWithResponse(ctx, id, nil)
	if g.JSON200 == nil || g.JSON200.CredentialStatus == nil || *g.JSON200.CredentialStatus.Revoked || g.JSON200.Metadata.TransactionStatus == nil || *(*g.JSON200.Metadata.TransactionStatus)[0].Status != 0 {
		t.Fatalf("get after the status landed = %s; want a live credentialStatus and a record of status 0", g.Body)
	}
	if r := change(ssiapi.CredentialStatusChangeRevoke); r.JSON200 == nil || *r.JSON200.Revoked {
		t.Errorf("REVOKE = %d %s; want 200 with the status before the change (not revoked)", r.StatusCode(), r.Body)
	}
	if r := change(ssiapi.CredentialStatusChangeLive); r.JSON200 == nil || *r.JSON200.Revoked {
		t.Errorf("LIVE while the revocation is queued = %d %s; want 200, still not revoked", r.StatusCode(), r.Body)
	}
	s.FlushChain()
	g, _ = c.GetCredentialWithResponse(ctx, id, nil)
	records := g.JSON200.Metadata.TransactionStatus
	if g.JSON200.CredentialStatus == nil || !*g.JSON200.CredentialStatus.Revoked || records == nil || len(*records) != 3 || *(*records)[2].Status == 0 {
		t.Errorf("get after both changes landed = %s; want revoked, the LIVE refused by the chain (a record of non-zero status)", g.Body)
	}

	// A status registered afterwards: 201 {}, on chain later.
	unreg := credential(issuer)
	unreg.RegisterCredentialStatus = ptr(false)
	iss2, _ := c.IssueCredentialWithResponse(ctx, unreg)
	rs, err := c.RegisterCredentialStatusWithResponse(ctx, ssiapi.RegisterCredentialStatusRequest{CredentialStatus: iss2.JSON201.CredentialStatus, Namespace: ssiapi.DIDNamespaceTestnet})
	if err != nil || rs.StatusCode() != 201 || string(rs.Body) != `{}` {
		t.Errorf("registerCredentialStatus = %d %s; want 201 {}", rs.StatusCode(), rs.Body)
	}

	// PATCH /did: 200 without a transactionHash; an update that changes
	// nothing is refused by the chain, unseen.
	noChange, _ := c.UpdateDIDWithResponse(ctx, ssiapi.UpdateDIDRequest{DidDocument: &res.JSON200.DidDocument, VerificationMethodId: vm, Deactivate: ptr(false)})
	if noChange.StatusCode() != 200 || strings.Contains(string(noChange.Body), "transactionHash") {
		t.Errorf("PATCH /did = %d %s; want 200 without transactionHash", noChange.StatusCode(), noChange.Body)
	}
	s.FlushChain()
	after, _ := c.ResolveDIDWithResponse(ctx, issuer.Did)
	if *after.JSON200.DidDocumentMetadata.VersionId != *res.JSON200.DidDocumentMetadata.VersionId {
		t.Errorf("versionId after an update without change = %s; want %s (the chain refused it)", *after.JSON200.DidDocumentMetadata.VersionId, *res.JSON200.DidDocumentMetadata.VersionId)
	}
}

// TestSSIChainDelay: in a synctest bubble, a registration lands exactly
// when the chain delay has passed, with no timer and no sleep in real time.
func TestSSIChainDelay(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s := entityauthtest.NewPipeServer(entityauthtest.Options{ChainDelay: 10 * time.Second})
		defer s.Close()
		tok := token(t, s, tokenRequest{})
		d := jsonOf(t, sendJSON(t, s, http.MethodPost, "/api/v1/did/create", tok, `{"namespace":"testnet"}`))
		did := d["did"].(string)
		doc, _ := json.Marshal(d["metaData"].(map[string]any)["didDocument"])
		sendJSON(t, s, http.MethodPost, "/api/v1/did/register", tok, `{"didDocument":`+string(doc)+`,"verificationMethodId":"`+did+`#key-1"}`)
		resolve := func() string {
			return sendJSON(t, s, http.MethodGet, "/api/v1/did/resolve/"+did, tok, "").body
		}
		time.Sleep(10*time.Second - time.Millisecond)
		if got := resolve(); !strings.Contains(got, `"didDocumentMetadata":null`) {
			t.Errorf("resolve just before the delay = %s; want no metadata", got)
		}
		time.Sleep(time.Millisecond)
		if got := resolve(); strings.Contains(got, `"didDocumentMetadata":null`) {
			t.Errorf("resolve once the delay passed = %s; want metadata", got)
		}
		if n := s.QueuedTransactions(); n != 0 {
			t.Errorf("QueuedTransactions = %d; want 0", n)
		}
	})
}
