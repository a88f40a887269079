package ssi

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"

	"github.com/entity-studio-go/entityauth/gen/ssiapi"
	"github.com/entity-studio-go/entityauth/internal/loopback"
	"github.com/entity-studio-go/entityauth/internal/safetext"
)

// DefaultBaseURL is the production SSI API. Tenant hosts
// (https://ent-<7 hex>.api.entity.hypersign.id) and the test host
// (https://api.entity-test.hypersign.id) serve the same API.
const DefaultBaseURL = "https://api.entity.hypersign.id"

// MaxResponseBytes caps every answer that a Client reads: 10 MiB, the request
// size limit of the SSI API itself. A longer answer fails with [ErrBodyTooLarge].
// A longer request body gets an [ErrServer] from the SSI API (500
// "PayloadTooLargeError", "request entity too large").
const MaxResponseBytes = 10 << 20

// ErrInsecureURL means that the base URL given to [NewClient] is neither https
// nor plain http to a loopback host, so that no token would travel in clear
// text. No connection is made.
var ErrInsecureURL = errors.New("entityauth: ssi: insecure base URL")

// ErrNoClient means that a method was called on a nil or zero [Client], one
// that [NewClient] did not make. No request is sent.
var ErrNoClient = errors.New("entityauth: ssi: Client not made by NewClient")

// ErrInvalidID means that an id, DID or hash given to a method is empty, "."
// or "..": in a URL path, such a segment would send the request to another
// route (GET /credential/. is GET /credential/, the list). No request is sent.
var ErrInvalidID = errors.New("entityauth: ssi: invalid id")

// Client calls the SSI API. It is safe for concurrent use. Make it with
// [NewClient]: the methods of a nil or zero Client return [ErrNoClient].
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
	if !loopback.Secure(u) {
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

// Raw returns the generated client that c uses, for the operations of
// spec/ssi-api.yaml that c does not wrap or for request editors; nil for a
// nil or zero Client. Answers read through it are not capped and their errors
// are not typed.
func (c *Client) Raw() *ssiapi.Client {
	if c == nil {
		return nil
	}
	return c.api
}

// ready returns [ErrNoClient] for a Client that NewClient did not make.
func (c *Client) ready(op string) error {
	if c == nil || c.api == nil {
		return fmt.Errorf("%w: %s", ErrNoClient, op)
	}
	return nil
}

// checkID returns [ErrInvalidID] when id would be a dot segment, or an empty
// one, in the operation's path.
func checkID(op, name, id string) error {
	switch id {
	case "", ".", "..":
		return fmt.Errorf("%w: %s: %s %q is empty or a dot segment, which would reach another route", ErrInvalidID, op, name, id)
	}
	return nil
}

// result makes the call and reads its answer: the operation's success status
// decodes into a T, any other status becomes an [*Error]. It closes the body.
func result[T any](c *Client, op string, want int, call func() (*http.Response, error)) (*T, error) {
	var v *T
	err := c.readAnswer(op, call, func(status int, body []byte, secret string) error {
		if status != want {
			return parseError(op, status, body, secret)
		}
		v = new(T)
		if err := json.Unmarshal(body, v); err != nil {
			return decodeError(op, status, err, secret)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return v, nil
}

// decodeError is the [ErrInvalidResponse] of an answer that did not decode.
// The decoder's message may quote the answer (a date that does not parse,
// say), so it is redacted, sanitized and cut as an [*Error]'s messages are,
// and not wrapped.
func decodeError(op string, status int, err error, secret string) error {
	return fmt.Errorf("%w: %s: %d answer: %s", ErrInvalidResponse, op, status, safetext.Line(redact(err.Error(), secret), maxMessageBytes))
}

// bodyBuffers holds the buffers that answers are read into, so that a call
// allocates none once the pool is warm. A buffer that grew beyond
// maxPooledBuffer is left to the garbage collector.
var bodyBuffers = sync.Pool{New: func() any { return new(bytes.Buffer) }}

const maxPooledBuffer = 1 << 20

// readAnswer makes the call, reads at most [MaxResponseBytes] of the answer's
// body, closes it, and passes the status, the body and the access token sent
// (which use must keep out of any error) to use. The body is only valid during
// use: nothing may keep it, or a slice of it.
func (c *Client) readAnswer(op string, call func() (*http.Response, error), use func(status int, body []byte, secret string) error) error {
	if err := c.ready(op); err != nil {
		return err
	}
	resp, err := call()
	if err != nil {
		return fmt.Errorf("entityauth: ssi: %s: %w", op, err)
	}
	defer resp.Body.Close()
	buf := bodyBuffers.Get().(*bytes.Buffer)
	defer func() {
		if buf.Cap() <= maxPooledBuffer {
			buf.Reset()
			bodyBuffers.Put(buf)
		}
	}()
	if n := resp.ContentLength; n > 0 && n <= MaxResponseBytes {
		buf.Grow(int(n) + bytes.MinRead) // room for the final read that sees EOF
	}
	if _, err := buf.ReadFrom(io.LimitReader(resp.Body, MaxResponseBytes+1)); err != nil {
		return fmt.Errorf("entityauth: ssi: %s: reading the %d answer: %w", op, resp.StatusCode, err)
	}
	if buf.Len() > MaxResponseBytes {
		return fmt.Errorf("%w: %s: %d answer", ErrBodyTooLarge, op, resp.StatusCode)
	}
	// A server that echoes the token sent must not put it in an error.
	var secret string
	if resp.Request != nil {
		secret = strings.TrimSpace(strings.TrimPrefix(resp.Request.Header.Get("Authorization"), "Bearer "))
	}
	return use(resp.StatusCode, buf.Bytes(), secret)
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
	return result[ssiapi.DIDList](c, "listDIDs", http.StatusOK, func() (*http.Response, error) { return c.api.ListDIDs(ctx, &ssiapi.ListDIDsParams{Page: p, Limit: l}) })
}

// ResolveDID resolves did. An unknown DID resolves to an empty document with
// nil metadata, not to an error; a DID that is created but not on chain has
// nil metadata too. Only a DID with metadata is on chain: see
// [Client.WaitRegistered].
//
// Beware: for one of the app's own DIDs that is not on chain yet, the SSI API
// answers a document that it rebuilds from the DID, and gets wrong for a
// testnet DID: did:hid:testnet:<id> comes back as the document of
// did:hid:<id>:<id>, whose id, controller and verification method ids are
// not the DID's (a mainnet DID, did:hid:<id>, comes back right). Do not take
// the document or its key ids from that answer: use the one that
// [Client.CreateDID] returned, or wait until the DID is on chain.
func (c *Client) ResolveDID(ctx context.Context, did string) (*ssiapi.ResolvedDID, error) {
	if err := checkID("resolveDID", "did", did); err != nil {
		return nil, err
	}
	return result[ssiapi.ResolvedDID](c, "resolveDID", http.StatusOK, func() (*http.Response, error) { return c.api.ResolveDID(ctx, did) })
}

// CreateDID creates a DID and its keys; it is not on chain until
// [Client.RegisterDID]. The SSI API makes an ordinary Ed25519 DID when the
// first key type asked for is Bls12381G2Key2020 or an X25519 type, and the
// methods of the document it answers have no blockchainAccountId.
func (c *Client) CreateDID(ctx context.Context, req ssiapi.CreateDIDRequest) (*ssiapi.CreatedDID, error) {
	return result[ssiapi.CreatedDID](c, "createDID", http.StatusCreated, func() (*http.Response, error) { return c.api.CreateDID(ctx, req) })
}

// RegisterDID registers a DID on chain. When the app has a fee grant (an app
// with credits has one) the answer says UNREGISTRED with an empty transaction
// hash: the transaction is queued, and the DID is on chain seconds later.
// Issuing with it fails until then: wait with [Client.WaitRegistered]. The
// SSI API's own record of the DID stays UNREGISTRED.
//
// With SignInfos and no VerificationMethodId the registration is never
// queued; for a DID that CreateDID made, the SSI API puts it on chain and
// then answers 500 (its own record of the DID exists already): an [ErrServer]
// although the DID is registered.
func (c *Client) RegisterDID(ctx context.Context, req ssiapi.RegisterDIDRequest) (*ssiapi.RegisteredDID, error) {
	return result[ssiapi.RegisteredDID](c, "registerDID", http.StatusCreated, func() (*http.Response, error) { return c.api.RegisterDID(ctx, req) })
}

// UpdateDID updates, renames or deactivates a registered DID. When no
// verification method of the new document is an X25519 key, the SSI API sets
// its keyAgreement to [] and answers the document so changed. With a fee grant
// a new document or a deactivation is queued: the answer has no transaction
// hash, and the chain may still refuse the change, unseen (for instance one
// that changes nothing, or one made before an earlier update landed).
func (c *Client) UpdateDID(ctx context.Context, req ssiapi.UpdateDIDRequest) (*ssiapi.UpdatedDID, error) {
	return result[ssiapi.UpdatedDID](c, "updateDID", http.StatusOK, func() (*http.Response, error) { return c.api.UpdateDID(ctx, req) })
}

// AddVerificationMethod returns the DID document with one more verification
// method. Nothing changes on chain.
func (c *Client) AddVerificationMethod(ctx context.Context, req ssiapi.AddVerificationMethodRequest) (*ssiapi.DIDDocument, error) {
	return result[ssiapi.DIDDocument](c, "addVerificationMethod", http.StatusCreated, func() (*http.Response, error) { return c.api.AddVerificationMethod(ctx, req) })
}

// SignDIDAuth signs a DID document with the stored key of one of the app's DIDs.
func (c *Client) SignDIDAuth(ctx context.Context, req ssiapi.SignDIDRequest) (*ssiapi.SignedDIDDocument, error) {
	return result[ssiapi.SignedDIDDocument](c, "signDIDAuth", http.StatusCreated, func() (*http.Response, error) { return c.api.SignDIDAuth(ctx, req) })
}

// VerifyDIDAuth verifies a signed DID document. Tokens minted from an API key
// lack the permission it needs and get [ErrPermissionDenied].
func (c *Client) VerifyDIDAuth(ctx context.Context, req ssiapi.VerifyDIDRequest) (*ssiapi.DIDVerification, error) {
	return result[ssiapi.DIDVerification](c, "verifyDIDAuth", http.StatusCreated, func() (*http.Response, error) { return c.api.VerifyDIDAuth(ctx, req) })
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
	return result[ssiapi.CredentialList](c, "listCredentials", http.StatusOK, func() (*http.Response, error) { return c.api.ListCredentials(ctx, params) })
}

// GetCredential returns a credential's metadata and status. With
// retrieveCredential, it also returns the credential document, if the
// credential was issued with persist.
func (c *Client) GetCredential(ctx context.Context, id string, retrieveCredential bool) (*ssiapi.Credential, error) {
	if err := checkID("getCredential", "id", id); err != nil {
		return nil, err
	}
	return result[ssiapi.Credential](c, "getCredential", http.StatusOK, func() (*http.Response, error) {
		return c.api.GetCredential(ctx, id, &ssiapi.GetCredentialParams{RetrieveCredential: &retrieveCredential})
	})
}

// IssueCredential issues a verifiable credential. The issuer DID must be on
// chain already (see [Client.WaitRegistered]): the SSI API resolves it once
// and keeps what it got, so an issue made too early can fail for that issuer
// long after it is registered. With a fee grant the registration of the
// credential's status is queued: wait for it with [Client.WaitCredentialStatus]
// (LIVE) before changing the status. The issued document's expirationDate is
// the one asked for in UTC, to the whole second, and its issuanceDate 100
// seconds before the issue.
func (c *Client) IssueCredential(ctx context.Context, req ssiapi.IssueCredentialRequest) (*ssiapi.IssuedCredential, error) {
	return result[ssiapi.IssuedCredential](c, "issueCredential", http.StatusCreated, func() (*http.Response, error) { return c.api.IssueCredential(ctx, req) })
}

// UpdateCredentialStatus suspends, revokes or reinstates the credential id and
// returns its status as the chain holds it after the call. With a fee grant
// the change is queued and that is the status from before the change: wait
// for the new one with [Client.WaitCredentialStatus]. A status whose
// registration is not on chain yet cannot change: an [ErrValidation] ("No
// credential status found"). A revoked credential cannot change again:
// without a fee grant that is an [ErrValidation]; with one, the chain refuses
// it after the answer.
func (c *Client) UpdateCredentialStatus(ctx context.Context, id string, req ssiapi.UpdateCredentialStatusRequest) (*ssiapi.CredentialStatus, error) {
	if err := checkID("updateCredentialStatus", "id", id); err != nil {
		return nil, err
	}
	return result[ssiapi.CredentialStatus](c, "updateCredentialStatus", http.StatusOK, func() (*http.Response, error) { return c.api.UpdateCredentialStatus(ctx, id, req) })
}

// RegisterCredentialStatus registers on chain the status of a credential that
// was issued without registering it. With a fee grant it is queued, and the
// answer carries no transaction hash.
func (c *Client) RegisterCredentialStatus(ctx context.Context, req ssiapi.RegisterCredentialStatusRequest) (*ssiapi.TransactionHash, error) {
	return result[ssiapi.TransactionHash](c, "registerCredentialStatus", http.StatusCreated, func() (*http.Response, error) { return c.api.RegisterCredentialStatus(ctx, req) })
}

// CreatePresentationTemplate stores a presentation template. The SSI API
// re-cases its name: "Alumni Credential Request" is stored as
// AlumniCredentialRequest, "KYC check" as _kyccheck (see spec/ssi-api.yaml).
func (c *Client) CreatePresentationTemplate(ctx context.Context, req ssiapi.PresentationTemplateRequest) (*ssiapi.PresentationTemplate, error) {
	return result[ssiapi.PresentationTemplate](c, "createPresentationTemplate", http.StatusCreated, func() (*http.Response, error) { return c.api.CreatePresentationTemplate(ctx, req) })
}

// ListPresentationTemplates returns one page of the app's presentation
// templates. page and limit are as for [Client.ListDIDs]. To walk every
// template, use [Client.PresentationTemplates].
func (c *Client) ListPresentationTemplates(ctx context.Context, page, limit int) (*ssiapi.PresentationTemplateList, error) {
	p, l := pageParams(page, limit)
	return result[ssiapi.PresentationTemplateList](c, "listPresentationTemplates", http.StatusOK, func() (*http.Response, error) {
		return c.api.ListPresentationTemplates(ctx, &ssiapi.ListPresentationTemplatesParams{Page: p, Limit: l})
	})
}

// GetPresentationTemplate returns the presentation template id.
func (c *Client) GetPresentationTemplate(ctx context.Context, id string) (*ssiapi.PresentationTemplate, error) {
	if err := checkID("getPresentationTemplate", "id", id); err != nil {
		return nil, err
	}
	return result[ssiapi.PresentationTemplate](c, "getPresentationTemplate", http.StatusOK, func() (*http.Response, error) { return c.api.GetPresentationTemplate(ctx, id) })
}

// UpdatePresentationTemplate changes the fields of the presentation template
// id that req sets (empty ones are left out, and keep their value) and
// returns the template. The name is stored as sent, not re-cased as
// [Client.CreatePresentationTemplate] re-cases it. When no template of the
// app has that id, the server answers 200 with an empty body;
// UpdatePresentationTemplate reports it as an [*Error] that matches [ErrNotFound].
func (c *Client) UpdatePresentationTemplate(ctx context.Context, id string, req ssiapi.PresentationTemplateUpdate) (*ssiapi.PresentationTemplate, error) {
	if err := checkID("updatePresentationTemplate", "id", id); err != nil {
		return nil, err
	}
	const op = "updatePresentationTemplate"
	var v *ssiapi.PresentationTemplate
	err := c.readAnswer(op, func() (*http.Response, error) { return c.api.UpdatePresentationTemplate(ctx, id, req) }, func(status int, body []byte, secret string) error {
		if status != http.StatusOK {
			return parseError(op, status, body, secret)
		}
		if len(bytes.TrimSpace(body)) == 0 {
			return &Error{Operation: op, StatusCode: status, Messages: []string{noTemplateMatchText}, emptyUpdate: true}
		}
		v = new(ssiapi.PresentationTemplate)
		if err := json.Unmarshal(body, v); err != nil {
			return decodeError(op, status, err, secret)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return v, nil
}

// DeletePresentationTemplate deletes the presentation template id and
// returns it as it was.
func (c *Client) DeletePresentationTemplate(ctx context.Context, id string) (*ssiapi.PresentationTemplate, error) {
	if err := checkID("deletePresentationTemplate", "id", id); err != nil {
		return nil, err
	}
	return result[ssiapi.PresentationTemplate](c, "deletePresentationTemplate", http.StatusOK, func() (*http.Response, error) { return c.api.DeletePresentationTemplate(ctx, id) })
}

// CreatePresentationRequest returns a presentation request built from a
// template, to send to the holder. The server stores nothing.
func (c *Client) CreatePresentationRequest(ctx context.Context, req ssiapi.NewPresentationRequest) (*ssiapi.PresentationRequest, error) {
	return result[ssiapi.PresentationRequest](c, "createPresentationRequest", http.StatusCreated, func() (*http.Response, error) { return c.api.CreatePresentationRequest(ctx, req) })
}

// VerifyPresentation verifies a verifiable presentation with the real
// service's SDK. A presentation whose signature does not verify, or whose
// credential is revoked or suspended, is a result with Verified false, not
// an error; the SDK's throws (an issuer or holder not on chain, a challenge
// of "") are an [ErrServer]. The service takes the challenge from the
// presentation itself and compares it with nothing: check it yourself, or
// verify offline with package vc, which does.
func (c *Client) VerifyPresentation(ctx context.Context, req ssiapi.VerifyPresentationRequest) (*ssiapi.PresentationVerification, error) {
	return result[ssiapi.PresentationVerification](c, "verifyPresentation", http.StatusCreated, func() (*http.Response, error) { return c.api.VerifyPresentation(ctx, req) })
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
	if err := checkID("getSSIStatus", "id", id); err != nil {
		return nil, err
	}
	page, limit = statusPage(page, limit)
	return result[ssiapi.TransactionStatusList](c, "getSSIStatus", http.StatusOK, func() (*http.Response, error) {
		return c.api.GetSSIStatus(ctx, id, &ssiapi.GetSSIStatusParams{Page: page, Limit: limit})
	})
}

// GetTransactionStatus returns one page of what the transaction hash
// registered. Zero page and limit mean the
// defaults of the other lists. Tokens minted from an API key
// lack the permission it needs and get [ErrPermissionDenied].
func (c *Client) GetTransactionStatus(ctx context.Context, hash string, page, limit int) (*ssiapi.TransactionStatusList, error) {
	if err := checkID("getTransactionStatus", "hash", hash); err != nil {
		return nil, err
	}
	page, limit = statusPage(page, limit)
	return result[ssiapi.TransactionStatusList](c, "getTransactionStatus", http.StatusOK, func() (*http.Response, error) {
		return c.api.GetTransactionStatus(ctx, hash, &ssiapi.GetTransactionStatusParams{Page: page, Limit: limit})
	})
}
