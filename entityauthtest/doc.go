// Package entityauthtest provides a fake Entity Studio server for tests, shaped
// like net/http/httptest.
//
// A [Server] serves the token endpoint (POST /api/v1/app/oauth) as the real
// token service answers an SSI app, and the SSI API of spec/ssi-api.yaml
// (described below), which checks the tokens it issued. Both live under the
// same base URL, [Server.URL]. The token endpoint
// implements the server interface generated from spec/openapi.yaml
// (package api), and follows the real server where the spec leaves room:
//
//   - A malformed body sent as JSON is refused first, by the body parser,
//     with 400 and a plain-string message; such a request does not count
//     against the rate limit.
//   - The rate limit counts every other request per client address, failures
//     included, in a fixed window that starts at the window's first request
//     and that requests past the limit do not extend (see [Options.RateLimit]
//     and [Options.RateWindow]); over it, 429 with a bare JSON string.
//   - Then come ExpiresIn (400 unless it is absent, empty or a plain whole
//     number of hours of at least 1, with no maximum that a test could
//     reach), the presence of the key (401) and the key itself (401). So a
//     request without a key and with ExpiresIn: 0 gets 400. Repeated headers are joined with ", " as Node.js
//     does: two Origin headers are fine, two keys are a wrong key.
//   - grant_type is not validated. Every token of the app carries the same
//     sessionId, sha256hex("<appId>_customer"). The first token request
//     creates that session with the grant access_service_ssi, whatever
//     grant_type said; later requests copy a non-empty grant_type into the
//     token unchecked, and the SSI API then refuses a token whose grant is not
//     access_service_ssi. (A request for access_service_kyb uses a session of
//     its own, sha256hex("<appId>_customer_access_service_kyb"), as on the
//     real server.)
//   - A session lives one week from its creation and is never extended.
//     When it ends, by the clock or by [Server.DropSessions] (the two behave
//     the same), the SSI API answers 401 ["Token expired"] for every token of
//     the app. The next token request creates the session again, with the
//     same ID, and every token that has not reached its exp, older ones
//     included, works again.
//   - Within one second, the same claims sign to the same token, as on the
//     real server.
//
// # The SSI API
//
// The SSI half implements the server interface generated from
// spec/ssi-api.yaml (package api/ssiapi), every operation, with state for
// the one app: what the real service keeps in its database, its vault and the
// chain. It follows the real service's source (entity-ssi-api-service 3.7.0):
//
//   - Checks run in the real order: the JSON body parser (bodies up to
//     10 MiB, the real limit; past it, the real 500 ["PayloadTooLargeError",
//     "request entity too large", "Internal server error"]); then the
//     middleware (no "Bearer " prefix: 401 ["Unauthorized","Please pass
//     access token"]; a bad or expired JWT; a grant other than
//     access_service_ssi, 400; no sessionId; the session gone, 401 ["Token
//     expired"]; an Origin outside [Options.AllowedOrigins], where "*" admits
//     any); then the credit check; then the permission check, 403
//     ["Permission denied: Missing access rights"] where an API-key token
//     lacks the permission (verifyDIDAuth and the /status routes); then the
//     DTO validation, with class-validator's texts in NestJS's order.
//   - Credits: the DID and credential routes spend credits at the real
//     prices (a GET 1, a create 7, a registration 10, …) when they succeed;
//     [Options.Credits] sets a balance and [Server.CreditsUsed] reports the
//     spending, exact once a call has returned. The check and the charge are
//     one step, so concurrent requests never spend a balance twice (the real
//     guard checks and charges apart). A request the balance cannot pay for,
//     or any after
//     [Server.SetCredits](false), gets 400 ["No credits found or credit
//     exhausted. Please contact the admin"]. Presentation routes are free.
//   - DIDs are Ed25519 keys from crypto/ed25519. A created DID is
//     did:hid:testnet:z6Mk… (the multibase base58btc multicodec key), its
//     document shaped as hs-ssi-sdk writes it, registrationStatus
//     UNREGISTRED, and resolves with didDocumentMetadata null and its name.
//     Registering it with its own verification method makes it COMPLETED
//     with a transaction hash of 64 upper-case hex digits, which resolve then
//     shows as versionId; registering it again is 400 "<did> already
//     registered". An unknown DID resolves to 200 {"didDocument":{},
//     "didDocumentMetadata":null}. updateDID replaces, deactivates or renames.
//   - Credentials get ids vc:hid:testnet:z6Mk…, are kept when persist is true
//     (getCredential answers the document with retrieveCredential=true), and
//     have an on-chain status unless registerCredentialStatus is false (then
//     registerCredentialStatus adds it). The status moves between LIVE and
//     SUSPEND; REVOKE is final; setting the current status again is 400.
//     Lists answer {totalCount, data}; credentials come newest first, DIDs
//     and templates oldest first; page and limit are 1 to 100, default 1
//     and 10.
//   - Presentation templates are stored per app (names in snake case and
//     unique); presentation requests are built from them and not stored,
//     with times in epoch milliseconds.
//   - registerDIDV2 wants a sign info for every verification method of the
//     document ("Missing sign info for verification method: <id>"), signs
//     the Ed25519 ones with the DID's stored key (the DID must be the app's,
//     else 404 "<did> not found"), and answers as registerDID does, with the
//     DID's name ("" without one) first.
//   - issueDIDJWT signs an EdDSA JWT with the Ed25519 key of one of the
//     app's DIDs, registered or not: header {"typ":"JWT","alg":"EdDSA"} (no
//     kid), payload {iat, exp, ...claims, aud, iss} as did-jwt 8 writes it,
//     the reserved claims (iss, sub, aud, iat, exp, nbf, jti) dropped, the
//     claims' keys sorted (the real service keeps their order); ttlSeconds 60
//     to 86400, and claims over 4000 characters of JSON are 400 ["Bad Request
//     Exception"]. It costs 5 credits.
//   - createPresentation wraps the credentials in a presentation (id
//     vp:hid:testnet:z6Mk…, vc-js's keys and contexts) and signs it for
//     authentication with the challenge and the domain, by the stored key of
//     the method's DID. The holder resolves from the fake chain; one of the
//     app's DIDs that is not on chain resolves to the document that the
//     real service rebuilds, did:hid:<id>:<id>, so that its default method
//     is not the app's: 404, as on the real service. The checks that vc-js
//     makes of each credential are those of vc-js before 1.0 (Hypersign's
//     fork is not mirrored: uncertain).
//   - getUsage and getUsageDetail count a request log of their own, kept
//     apart from [Server.Requests]: the DID and credential routes' requests
//     that passed the token checks, errors included, their paths normalised
//     as the real pipelines do and the presentation routes left out, with the
//     prices of the real credit rules. The log keeps the latest 65,536
//     requests (and 8 MiB of paths); the real one keeps every request. Dates
//     are read as JavaScript's Date reads the ISO forms, and one that is not
//     a date is answered null, as on the real service; groups come in the
//     order of their first request (the real order is the database's).
//
// Proofs are the fake's own, not W3C Data Integrity proofs: proofValue is
// "z" and the base58 Ed25519 signature of the document's JSON with its
// object keys sorted (and without its proof). signDIDAuth signs any document
// this way, createPresentation signs presentations this way (the shape of an
// Ed25519Signature2020 proof around the fake's proofValue), and
// verifyPresentation checks the holder's and each credential's
// proof this way against the keys of registered DIDs, failing with 500, as
// the real service does, when one does not verify. No proof of the real
// service verifies here, and none of the fake's verifies elsewhere.
//
// Not modelled: ECDSA and BabyJubJub key types (400), schemas (the
// schema routes are not in the spec; issuing with a schemaId is 400), the
// fee-grant queue (registrations complete at once, and getCredential
// always reports a registered status), the x-api-credit-token header, other
// apps (every token belongs to the one app), and the JWT strategy's and the
// SDK's own texts beyond the common cases; chain errors carry the fake's
// wording.
//
// In a test:
//
//	srv := entityauthtest.Start(t, entityauthtest.Options{})
//	// Point the code under test at srv.URL (token service and SSI API both)
//	// with the key srv.APIKey(), then exercise it.
//	if got := srv.TokenRequests(); got != 1 {
//		t.Errorf("token requests = %d; want 1", got)
//	}
//
// Requests are recorded ([Server.Requests]): the latest 10,000 by default
// (Options.MaxRecorded), each with its header capped, so that a server that
// runs long stays small; [Server.TokenRequests] and [Server.APIRequests]
// count them all. Tests inject failures by
// queueing answers with [Server.Enqueue] (any status and body, a delay, a
// dropped connection, a truncated or oversized body, Retry-After, a redirect)
// and flip switches that model server-side events: [Server.DropSessions],
// [Server.RotateKey], [Server.SetDown] and [Server.SetCredits].
//
// Time-dependent code is best tested inside a testing/synctest bubble: create a
// server there with [NewPipeServer], which uses an in-memory network instead of
// a socket, reach it through [Server.Client] or [Server.Transport], and Close it
// before the bubble ends. The server reads the clock with time.Now, so token
// expiry, sessions and the rate-limit window follow the bubble's virtual time.
//
// The server never logs the API key or a token. Recorded requests do hold the
// headers as sent (up to [MaxRecordedHeaderBytes]), keys included: they are
// test data.
//
// The core API needs no *testing.T, so that programs (such as the entityauth
// command's fake and demo) can serve it too.
package entityauthtest
