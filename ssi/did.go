package ssi

import (
	"context"
	"net/http"

	"github.com/entity-studio-go/entityauth/gen/ssiapi"
)

// VerificationMethodID returns the id of doc's first verification method, such
// as did:hid:testnet:z6Mk…#key-1, or "" when doc has none. For the document of
// a DID that [Client.CreateDID] made (CreatedDID.MetaData.DidDocument), it is
// the key that the SSI API generated and keeps: the one that signs the DID's
// registration (RegisterDIDRequest.VerificationMethodId) and the credentials
// it issues (IssueCredentialRequest.VerificationMethodId).
func VerificationMethodID(doc ssiapi.DIDDocument) string {
	if len(doc.VerificationMethod) == 0 {
		return ""
	}
	return doc.VerificationMethod[0].Id
}

// ServerSignInfos returns one sign info per verification method of doc, each
// naming only its method: what [Client.RegisterDIDV2] needs for a document
// whose methods are all Ed25519 (or BabyJubJub) keys that the SSI API keeps,
// such as the document of a DID that [Client.CreateDID] made. ECDSA methods
// need the caller's Signature, ClientSpec and Created as well.
func ServerSignInfos(doc ssiapi.DIDDocument) []ssiapi.RegisterV2SignInfo {
	infos := make([]ssiapi.RegisterV2SignInfo, 0, len(doc.VerificationMethod))
	for _, vm := range doc.VerificationMethod {
		infos = append(infos, ssiapi.RegisterV2SignInfo{VerificationMethodId: vm.Id})
	}
	return infos
}

// RegisterDIDV2 registers a DID on chain with one sign info per verification
// method of its document (POST /api/v1/did/register/v2); [ServerSignInfos]
// builds them for a DID that [Client.CreateDID] made. For an Ed25519 or
// BabyJubJub method the SSI API signs with the key it keeps, so the DID must be
// one of the app's ([ErrNotFound] otherwise); an ECDSA method needs the
// caller's signature. A method without its sign info is an [ErrValidation]
// ("Missing sign info for verification method: <id>"), and so is a DID that
// is registered already.
//
// Besides what [Client.RegisterDID] answers, it answers the DID's name from
// CreateDIDOptions.Name, "" when it has none. In production, where the app
// has a fee grant, the transaction is queued: the answer says UNREGISTRED with
// an empty TransactionHash, and the DID resolves with its metadata only once
// the chain has it. It costs 10 credits (a POST and a chain write).
func (c *Client) RegisterDIDV2(ctx context.Context, req ssiapi.RegisterDIDV2Request) (*ssiapi.RegisteredDIDV2, error) {
	return result[ssiapi.RegisteredDIDV2](c, "registerDIDV2", http.StatusCreated, func() (*http.Response, error) { return c.api.RegisterDIDV2(ctx, req) })
}

// IssueDIDJWT returns a JWT that one of the app's DIDs signs (POST
// /api/v1/did/auth/issue-jwt): EdDSA with the Ed25519 key of req.Issuer.Did,
// which need not be registered (but a verifier that resolves the JWT's iss
// needs it on chain). Its header is {"typ":"JWT","alg":"EdDSA"}, with no kid;
// its payload holds req.Claims without iss, sub, aud, iat, exp, nbf and jti,
// which the SSI API drops without an error, then aud (req.Audience), iat (now),
// exp (now + req.TtlSeconds) and iss (the DID). req.Issuer.VerificationMethodId
// is checked for its form only.
//
// TtlSeconds runs from 60 to 86400, Claims must not be empty, and the claims
// kept may not exceed 4000 characters as JSON: each is an [ErrValidation] (the
// last with the bare message "Bad Request Exception"). A DID that is not the
// app's is an [ErrValidation] too ("DID <did> is not registered or does not
// belong to this app"). It costs 5 credits. The JWT authenticates its bearer
// wherever the audience trusts the DID: keep it as secret as an access token.
func (c *Client) IssueDIDJWT(ctx context.Context, req ssiapi.IssueDIDJWTRequest) (*ssiapi.DIDJWT, error) {
	return result[ssiapi.DIDJWT](c, "issueDIDJWT", http.StatusCreated, func() (*http.Response, error) { return c.api.IssueDIDJWT(ctx, req) })
}
