package ssi

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"

	"github.com/entity-studio-go/entityauth/gen/ssiapi"
)

// DefaultBaseURL is the production SSI API. Tenant hosts
// (https://ent-<7 hex>.api.entity.hypersign.id) and the test host
// (https://api.entity-test.hypersign.id) serve the same API.
const DefaultBaseURL = "https://api.entity.hypersign.id"

// MaxResponseBytes caps every answer that a Client reads: 10 MiB, the request
// size limit of the SSI API itself. A longer answer fails with [ErrBodyTooLarge].
const MaxResponseBytes = 10 << 20

// ErrInsecureURL means that the base URL given to [NewClient] is neither https
// nor plain http to a loopback host, so that no token would travel in clear
// text. No connection is made.
var ErrInsecureURL = errors.New("entityauth: ssi: insecure base URL")

// Client calls the SSI API. It is safe for concurrent use.
type Client struct {
	api *ssiapi.Client
}

// NewClient returns a Client for the SSI API at baseURL ([DefaultBaseURL] when
// empty) that sends its requests through hc. hc must authenticate them: pass
// the client from [github.com/entity-studio-go/entityauth.Config.Client]. A nil
// hc is [http.DefaultClient], which sends no token.
//
// baseURL must be https, or plain http to a loopback host (for tests and
// [github.com/entity-studio-go/entityauth/entityauthtest]).
func NewClient(baseURL string, hc *http.Client) (*Client, error) {
	if baseURL == "" {
		baseURL = DefaultBaseURL
	}
	u, err := url.Parse(baseURL)
	if err != nil || u.Host == "" || u.User != nil {
		return nil, fmt.Errorf("%w: not an absolute URL without credentials", ErrInsecureURL)
	}
	if u.Scheme != "https" && (u.Scheme != "http" || !isLoopback(u.Hostname())) {
		return nil, fmt.Errorf("%w: %s is neither https nor http to a loopback host", ErrInsecureURL, u.Redacted())
	}
	if hc == nil {
		hc = http.DefaultClient
	}
	api, err := ssiapi.NewClient(strings.TrimSuffix(baseURL, "/"), ssiapi.WithHTTPClient(hc))
	if err != nil {
		return nil, fmt.Errorf("entityauth: ssi: %w", err)
	}
	return &Client{api: api}, nil
}

func isLoopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// Raw returns the generated client that c uses, for the operations of
// spec/ssi-api.yaml that c does not wrap or for request editors. Answers read
// through it are not capped and their errors are not typed.
func (c *Client) Raw() *ssiapi.Client { return c.api }

// result reads resp: the operation's success status decodes into a T, any
// other status becomes an [*Error]. It closes the body.
func result[T any](op string, want int, resp *http.Response, err error) (*T, error) {
	body, err := readAnswer(op, resp, err)
	if err != nil {
		return nil, err
	}
	if resp.StatusCode != want {
		return nil, newError(op, resp.StatusCode, body)
	}
	v := new(T)
	if err := json.Unmarshal(body, v); err != nil {
		return nil, fmt.Errorf("%w: %s: %d answer: %w", ErrInvalidResponse, op, resp.StatusCode, err)
	}
	return v, nil
}

// readAnswer reads at most [MaxResponseBytes] of resp's body and closes it.
func readAnswer(op string, resp *http.Response, err error) ([]byte, error) {
	if err != nil {
		return nil, fmt.Errorf("entityauth: ssi: %s: %w", op, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, MaxResponseBytes+1))
	if err != nil {
		return nil, fmt.Errorf("entityauth: ssi: %s: reading the %d answer: %w", op, resp.StatusCode, err)
	}
	if len(body) > MaxResponseBytes {
		return nil, fmt.Errorf("%w: %s: %d answer", ErrBodyTooLarge, op, resp.StatusCode)
	}
	return body, nil
}

// pageParams turns page and limit into the optional query values; zero leaves
// a value out, so that the server's default applies.
func pageParams(page, limit int) (p *ssiapi.Page, l *ssiapi.Limit) {
	if page != 0 {
		p = &page
	}
	if limit != 0 {
		l = &limit
	}
	return p, l
}

// ListDIDs returns one page of the app's DIDs. page and limit run from 1 to
// [PageSize]; zero means the server's default (page 1, 10 per page). To walk every
// DID, use [Client.DIDs].
func (c *Client) ListDIDs(ctx context.Context, page, limit int) (*ssiapi.DIDList, error) {
	p, l := pageParams(page, limit)
	resp, err := c.api.ListDIDs(ctx, &ssiapi.ListDIDsParams{Page: p, Limit: l})
	return result[ssiapi.DIDList]("listDIDs", http.StatusOK, resp, err)
}

// ResolveDID resolves did. An unknown DID resolves to an empty document with
// nil metadata, not to an error; a DID that is created but not registered has
// nil metadata too.
func (c *Client) ResolveDID(ctx context.Context, did string) (*ssiapi.ResolvedDID, error) {
	resp, err := c.api.ResolveDID(ctx, did)
	return result[ssiapi.ResolvedDID]("resolveDID", http.StatusOK, resp, err)
}

// CreateDID creates a DID and its keys; it is not on chain until
// [Client.RegisterDID].
func (c *Client) CreateDID(ctx context.Context, req ssiapi.CreateDIDRequest) (*ssiapi.CreatedDID, error) {
	resp, err := c.api.CreateDID(ctx, req)
	return result[ssiapi.CreatedDID]("createDID", http.StatusCreated, resp, err)
}

// RegisterDID registers a DID on chain. When the app has a fee grant the
// answer says UNREGISTRED with an empty transaction hash: the transaction is queued.
func (c *Client) RegisterDID(ctx context.Context, req ssiapi.RegisterDIDRequest) (*ssiapi.RegisteredDID, error) {
	resp, err := c.api.RegisterDID(ctx, req)
	return result[ssiapi.RegisteredDID]("registerDID", http.StatusCreated, resp, err)
}

// UpdateDID updates, renames or deactivates a registered DID.
func (c *Client) UpdateDID(ctx context.Context, req ssiapi.UpdateDIDRequest) (*ssiapi.UpdatedDID, error) {
	resp, err := c.api.UpdateDID(ctx, req)
	return result[ssiapi.UpdatedDID]("updateDID", http.StatusOK, resp, err)
}

// AddVerificationMethod returns the DID document with one more verification
// method. Nothing changes on chain.
func (c *Client) AddVerificationMethod(ctx context.Context, req ssiapi.AddVerificationMethodRequest) (*ssiapi.DIDDocument, error) {
	resp, err := c.api.AddVerificationMethod(ctx, req)
	return result[ssiapi.DIDDocument]("addVerificationMethod", http.StatusCreated, resp, err)
}

// SignDIDAuth signs a DID document with the stored key of one of the app's DIDs.
func (c *Client) SignDIDAuth(ctx context.Context, req ssiapi.SignDIDRequest) (*ssiapi.SignedDIDDocument, error) {
	resp, err := c.api.SignDIDAuth(ctx, req)
	return result[ssiapi.SignedDIDDocument]("signDIDAuth", http.StatusCreated, resp, err)
}

// VerifyDIDAuth verifies a signed DID document. Tokens minted from an API key
// lack the permission it needs and get [ErrPermissionDenied].
func (c *Client) VerifyDIDAuth(ctx context.Context, req ssiapi.VerifyDIDRequest) (*ssiapi.DIDVerification, error) {
	resp, err := c.api.VerifyDIDAuth(ctx, req)
	return result[ssiapi.DIDVerification]("verifyDIDAuth", http.StatusCreated, resp, err)
}

// ListCredentials returns one page of the app's credentials, newest first,
// only those of issuerDID unless it is empty. page and limit are as for
// [Client.ListDIDs]. To walk every credential, use [Client.Credentials].
func (c *Client) ListCredentials(ctx context.Context, page, limit int, issuerDID string) (*ssiapi.CredentialList, error) {
	p, l := pageParams(page, limit)
	params := &ssiapi.ListCredentialsParams{Page: p, Limit: l}
	if issuerDID != "" {
		params.IssuerDid = &issuerDID
	}
	resp, err := c.api.ListCredentials(ctx, params)
	return result[ssiapi.CredentialList]("listCredentials", http.StatusOK, resp, err)
}

// GetCredential returns a credential's metadata and status. With
// retrieveCredential, it also returns the credential document, if the
// credential was issued with persist.
func (c *Client) GetCredential(ctx context.Context, id string, retrieveCredential bool) (*ssiapi.Credential, error) {
	resp, err := c.api.GetCredential(ctx, id, &ssiapi.GetCredentialParams{RetrieveCredential: &retrieveCredential})
	return result[ssiapi.Credential]("getCredential", http.StatusOK, resp, err)
}

// IssueCredential issues a verifiable credential.
func (c *Client) IssueCredential(ctx context.Context, req ssiapi.IssueCredentialRequest) (*ssiapi.IssuedCredential, error) {
	resp, err := c.api.IssueCredential(ctx, req)
	return result[ssiapi.IssuedCredential]("issueCredential", http.StatusCreated, resp, err)
}

// UpdateCredentialStatus suspends, revokes or reinstates the credential id and
// returns its status as the chain now holds it. A revoked credential cannot
// change again: that is an [ErrValidation].
func (c *Client) UpdateCredentialStatus(ctx context.Context, id string, req ssiapi.UpdateCredentialStatusRequest) (*ssiapi.CredentialStatus, error) {
	resp, err := c.api.UpdateCredentialStatus(ctx, id, req)
	return result[ssiapi.CredentialStatus]("updateCredentialStatus", http.StatusOK, resp, err)
}

// RegisterCredentialStatus registers on chain the status of a credential that
// was issued without registering it.
func (c *Client) RegisterCredentialStatus(ctx context.Context, req ssiapi.RegisterCredentialStatusRequest) (*ssiapi.TransactionHash, error) {
	resp, err := c.api.RegisterCredentialStatus(ctx, req)
	return result[ssiapi.TransactionHash]("registerCredentialStatus", http.StatusCreated, resp, err)
}

// CreatePresentationTemplate stores a presentation template.
func (c *Client) CreatePresentationTemplate(ctx context.Context, req ssiapi.PresentationTemplateRequest) (*ssiapi.PresentationTemplate, error) {
	resp, err := c.api.CreatePresentationTemplate(ctx, req)
	return result[ssiapi.PresentationTemplate]("createPresentationTemplate", http.StatusCreated, resp, err)
}

// ListPresentationTemplates returns one page of the app's presentation
// templates. page and limit are as for [Client.ListDIDs]. To walk every
// template, use [Client.PresentationTemplates].
func (c *Client) ListPresentationTemplates(ctx context.Context, page, limit int) (*ssiapi.PresentationTemplateList, error) {
	p, l := pageParams(page, limit)
	resp, err := c.api.ListPresentationTemplates(ctx, &ssiapi.ListPresentationTemplatesParams{Page: p, Limit: l})
	return result[ssiapi.PresentationTemplateList]("listPresentationTemplates", http.StatusOK, resp, err)
}

// GetPresentationTemplate returns the presentation template id.
func (c *Client) GetPresentationTemplate(ctx context.Context, id string) (*ssiapi.PresentationTemplate, error) {
	resp, err := c.api.GetPresentationTemplate(ctx, id)
	return result[ssiapi.PresentationTemplate]("getPresentationTemplate", http.StatusOK, resp, err)
}

// UpdatePresentationTemplate replaces the presentation template id. When no
// template of the app has that id, the server answers 200 with an empty body;
// UpdatePresentationTemplate reports it as an [*Error] that matches [ErrNotFound].
func (c *Client) UpdatePresentationTemplate(ctx context.Context, id string, req ssiapi.PresentationTemplateRequest) (*ssiapi.PresentationTemplate, error) {
	const op = "updatePresentationTemplate"
	resp, err := c.api.UpdatePresentationTemplate(ctx, id, req)
	body, err := readAnswer(op, resp, err)
	if err != nil {
		return nil, err
	}
	if resp.StatusCode != http.StatusOK {
		return nil, newError(op, resp.StatusCode, body)
	}
	if len(strings.TrimSpace(string(body))) == 0 {
		return nil, &Error{Operation: op, StatusCode: resp.StatusCode, Messages: []string{noTemplateMatchText}}
	}
	v := new(ssiapi.PresentationTemplate)
	if err := json.Unmarshal(body, v); err != nil {
		return nil, fmt.Errorf("%w: %s: %d answer: %w", ErrInvalidResponse, op, resp.StatusCode, err)
	}
	return v, nil
}

// DeletePresentationTemplate deletes the presentation template id and
// returns it as it was.
func (c *Client) DeletePresentationTemplate(ctx context.Context, id string) (*ssiapi.PresentationTemplate, error) {
	resp, err := c.api.DeletePresentationTemplate(ctx, id)
	return result[ssiapi.PresentationTemplate]("deletePresentationTemplate", http.StatusOK, resp, err)
}

// CreatePresentationRequest returns a presentation request built from a
// template, to send to the holder. The server stores nothing.
func (c *Client) CreatePresentationRequest(ctx context.Context, req ssiapi.NewPresentationRequest) (*ssiapi.PresentationRequest, error) {
	resp, err := c.api.CreatePresentationRequest(ctx, req)
	return result[ssiapi.PresentationRequest]("createPresentationRequest", http.StatusCreated, resp, err)
}

// VerifyPresentation verifies a verifiable presentation. The real server
// reports most failed verifications as an [ErrServer] with the SDK's message.
func (c *Client) VerifyPresentation(ctx context.Context, req ssiapi.VerifyPresentationRequest) (*ssiapi.PresentationVerification, error) {
	resp, err := c.api.VerifyPresentation(ctx, req)
	return result[ssiapi.PresentationVerification]("verifyPresentation", http.StatusCreated, resp, err)
}

// The page and limit that the /status routes get when the caller passes zero:
// the defaults of the other lists, which these routes lack (they answer 500
// when either is missing).
const (
	defaultStatusPage  = 1
	defaultStatusLimit = 10
)

// statusPage fills in the page and limit that the /status routes need.
func statusPage(page, limit int) (int, int) {
	if page == 0 {
		page = defaultStatusPage
	}
	if limit == 0 {
		limit = defaultStatusLimit
	}
	return page, limit
}

// GetSSIStatus returns one page of the registration transactions of a DID,
// credential or schema id. Zero page and limit mean the
// defaults of the other lists. Tokens minted
// from an API key lack the permission it needs and get [ErrPermissionDenied].
func (c *Client) GetSSIStatus(ctx context.Context, id string, page, limit int) (*ssiapi.TransactionStatusList, error) {
	page, limit = statusPage(page, limit)
	resp, err := c.api.GetSSIStatus(ctx, id, &ssiapi.GetSSIStatusParams{Page: page, Limit: limit})
	return result[ssiapi.TransactionStatusList]("getSSIStatus", http.StatusOK, resp, err)
}

// GetTransactionStatus returns one page of what the transaction hash
// registered. Zero page and limit mean the
// defaults of the other lists. Tokens minted from an API key
// lack the permission it needs and get [ErrPermissionDenied].
func (c *Client) GetTransactionStatus(ctx context.Context, hash string, page, limit int) (*ssiapi.TransactionStatusList, error) {
	page, limit = statusPage(page, limit)
	resp, err := c.api.GetTransactionStatus(ctx, hash, &ssiapi.GetTransactionStatusParams{Page: page, Limit: limit})
	return result[ssiapi.TransactionStatusList]("getTransactionStatus", http.StatusOK, resp, err)
}
