package ssi

import (
	"context"
	"net/http"

	"github.com/entity-studio-go/entityauth/gen/ssiapi"
)

// CreatePresentation has one of the app's DIDs sign a verifiable presentation
// of req.CredentialDocuments for authentication, with req.Challenge and
// req.Domain (POST /api/v1/presentation, which answers 200), and returns the
// presentation. Its id is vp:hid:<namespace>:<a fresh key>, its holder
// req.HolderDid.
//
// The signing method is req.VerificationMethodId, or the holder's first
// assertionMethod when it is empty; the SSI API signs with the key it keeps
// for that method's DID, which must be one of the app's ([ErrNotFound]
// otherwise). It resolves the holder from the chain first: for one of the
// app's DIDs that is not on chain yet (created, or its queued registration
// not landed), it rebuilds a document whose method ids are not the DID's
// (did:hid:<id>:<id>#key-1 for did:hid:testnet:<id>), so the default method is
// not found. Register the holder, and wait until it resolves with metadata,
// before presenting. req.Domain must be a URL with its protocol, such as
// https://verifier.example. A credential that is not a W3C credential makes
// the SDK fail ([ErrServer]). Presentations are free: no credits, no permission.
func (c *Client) CreatePresentation(ctx context.Context, req ssiapi.NewPresentation) (*ssiapi.VerifiablePresentation, error) {
	v, err := result[ssiapi.CreatedPresentation](c, "createPresentation", http.StatusOK, func() (*http.Response, error) { return c.api.CreatePresentation(ctx, req) })
	if err != nil {
		return nil, err
	}
	return &v.Presentation, nil
}
