package entityauthtest_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"time"

	"github.com/entity-studio-go/entityauth"
	"github.com/entity-studio-go/entityauth/entityauthtest"
	"github.com/entity-studio-go/entityauth/gen/ssiapi"
	"github.com/entity-studio-go/entityauth/ssi"
)

// postToken asks srv for a token with plain net/http and describes the answer.
func postToken(srv *entityauthtest.Server) string {
	req, err := http.NewRequestWithContext(context.Background(), http.MethodPost, srv.URL+"/api/v1/app/oauth", nil)
	if err != nil {
		return err.Error()
	}
	req.Header.Set("X-Api-Secret-Key", srv.APIKey())
	resp, err := srv.Client().Do(req)
	if err != nil {
		return err.Error()
	}
	defer func() { _ = resp.Body.Close() }()
	if resp.StatusCode != http.StatusOK {
		return resp.Status
	}
	var body struct {
		AccessToken string  `json:"access_token"`
		ExpiresIn   float64 `json:"expiresIn"`
		TokenType   string  `json:"tokenType"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&body); err != nil {
		return err.Error()
	}
	return fmt.Sprintf("%s %s %v %v", resp.Status, body.TokenType, body.ExpiresIn, body.AccessToken != "")
}

func ExampleNewServer() {
	srv := entityauthtest.NewServer(entityauthtest.Options{})
	defer srv.Close()

	fmt.Println(postToken(srv))
	fmt.Println("token requests:", srv.TokenRequests())
	// Output:
	// 200 OK Bearer 14400 true
	// token requests: 1
}

func ExampleServer_Enqueue() {
	srv := entityauthtest.NewServer(entityauthtest.Options{})
	defer srv.Close()

	// The next token request fails once with an HTML 503 and Retry-After,
	// then the endpoint behaves normally again.
	srv.Enqueue(entityauthtest.TokenEndpoint, entityauthtest.Fault{
		Status:     http.StatusServiceUnavailable,
		Body:       "<html><body>503 Service Temporarily Unavailable</body></html>",
		RetryAfter: "2",
	})
	fmt.Println(postToken(srv))
	fmt.Println(postToken(srv))
	// Output:
	// 503 Service Unavailable
	// 200 OK Bearer 14400 true
}

// ExampleServer_FlushChain shows the queued transactions of the default
// mode: a registration answers at once, and the DID is on chain only once
// the chain delay has passed, or at FlushChain.
func ExampleServer_FlushChain() {
	srv := entityauthtest.NewServer(entityauthtest.Options{ChainDelay: time.Hour})
	defer srv.Close()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	cfg := &entityauth.Config{APISecretKey: srv.APIKey(), BaseURL: srv.URL}
	c, err := ssi.NewClient(srv.URL, cfg.Client(ctx))
	if err != nil {
		fmt.Println(err)
		return
	}
	created, err := c.CreateDID(ctx, ssiapi.CreateDIDRequest{Namespace: ssiapi.DIDNamespaceTestnet})
	if err != nil {
		fmt.Println(err)
		return
	}
	vm := ssi.VerificationMethodID(created.MetaData.DidDocument)
	reg, err := c.RegisterDID(ctx, ssiapi.RegisterDIDRequest{DidDocument: created.MetaData.DidDocument, VerificationMethodId: vm})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("%s %q, queued: %d\n", reg.RegistrationStatus, reg.TransactionHash, srv.QueuedTransactions())

	srv.FlushChain() // as if the hour had passed
	resolved, err := c.WaitRegistered(ctx, created.Did)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("on chain:", resolved.DidDocumentMetadata != nil, "queued:", srv.QueuedTransactions())
	// Output:
	// UNREGISTRED "", queued: 1
	// on chain: true queued: 0
}
