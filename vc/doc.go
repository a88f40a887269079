// Package vc verifies Hypersign's Verifiable Credentials and Verifiable
// Presentations in Go, offline: the JSON-LD contexts are embedded and never
// fetched, and only the DID resolver and the status checker, both chosen by
// the caller, leave the process.
//
// It verifies what Hypersign's stack signs: an Ed25519Signature2020 proof
// over the URDNA2015 canonical form of the JSON-LD graph, computed as
// jsonld-signatures 9.3.1 computes it, with Hypersign's modified copy of the
// credentials/v1 context and then W3C's. It is stricter than Hypersign's SDK:
// it checks expirationDate, binds every claim key to the signed graph,
// verifies the status document's own proof, and refuses a presentation
// verified without a challenge. docs/verify.md lists the checks in order and
// the caveats.
//
// A [Verifier] needs a [DIDResolver]: [DIDDocuments] for documents the caller
// holds, or [SSIResolver] to resolve through the SSI API. To check revocation,
// give it a [StatusChecker] such as [HIDNodeStatus]:
//
//	issuer, _ := os.ReadFile("issuer.did.json")
//	r, err := vc.DIDDocuments(issuer)
//	…
//	st, err := vc.HIDNodeStatus("", nil)
//	…
//	v, err := vc.NewVerifier(vc.Options{Resolver: r, Status: st})
//	…
//	res, err := v.VerifyCredential(ctx, credentialJSON)
//	switch {
//	case errors.Is(err, vc.ErrStatusUnavailable), errors.Is(err, vc.ErrDIDUnavailable):
//		// not known yet: retry later
//	case err != nil:
//		// invalid: err says why
//	default:
//		fmt.Println(res.Issuer, res.Claims)
//	}
package vc
