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
//   - An app whose owner is gone ([Server.DeleteOwner]) gets 401 ["Admin
//     user not found. He/She might have delete the account or never created
//     one"] for any key with the app's part before the dot, before the key
//     is compared; an app of an unknown service ([Options.UnknownService])
//     gets 400 ["Invalid service ID: <appId>"] after the key's checks.
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
//     document shaped as hs-ssi-sdk writes it (no blockchainAccountId),
//     registrationStatus UNREGISTRED. Every key type of hid-node passes the
//     validation; X25519 and Bls12381G2 give an ordinary Ed25519 DID, as on
//     the real service. Until it is on chain, the app's own DID resolves,
//     with didDocumentMetadata null and its name, to the document that the
//     real service rebuilds from the DID split on ":": for
//     did:hid:testnet:<id>, the document of did:hid:<id>:<id>. Once on chain
//     it resolves to the chain's document and {created, updated,
//     deactivated, versionId}, versionId the 64 upper-case hex digits of the
//     transaction. An unknown DID resolves to 200 {"didDocument":{},
//     "didDocumentMetadata":null}. updateDID replaces, deactivates or renames;
//     without an X25519 method it sets keyAgreement to [] and answers the
//     document so changed.
//   - Credentials get ids vc:hid:testnet:z6Mk…, are kept when persist is true
//     (getCredential answers the document with retrieveCredential=true), and
//     have an on-chain status unless registerCredentialStatus is false (then
//     registerCredentialStatus adds it). The document's @context is
//     credentials/v1, the schemaContext, then the Ed25519-2020 suite's;
//     issuanceDate is 100 s before the issue and expirationDate is read as
//     JavaScript's Date reads it and written in UTC whole seconds. The
//     status moves between LIVE and SUSPEND; REVOKE is final; the chain
//     refuses setting the current status again.
//     Lists answer {totalCount, data}; credentials come newest first, DIDs
//     and templates oldest first; page and limit are 1 to 100, default 1
//     and 10.
//   - Presentation templates are stored per app: create re-cases the name
//     as the real @ToSnakeCase does ("Alumni Credential Request" becomes
//     AlumniCredentialRequest, "KYC check" _kyccheck), which must then be
//     unique; PATCH takes any subset of the fields and stores the name as
//     sent. Presentation requests are built from them and not stored, with
//     times in epoch milliseconds.
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
//     are read as JavaScript's Date reads the ISO forms, the server's local
//     time (the default start of the month, a date-time without an offset)
//     taken as UTC, and one that is not a date is answered null, as on the
//     real service; groups come in the order of their first request (the
//     real order is the database's).
//
// # Queued transactions
//
// An app that has credits has a fee grant, and the real service then queues
// its chain transactions for a worker. The fake does so by default:
//
//   - registerDID with verificationMethodId answers 201 UNREGISTRED with
//     transactionHash "", and the DID reaches the chain [Options.ChainDelay]
//     later (default [DefaultChainDelay]). Its database row stays
//     UNREGISTRED, as the real service leaves it: registering it again is
//     queued again (and refused by the chain, unseen), and signDIDAuth
//     without a didDocument keeps answering 400. registerDIDV2 answers and
//     queues the same way (with the DID's name first).
//   - updateDID with a document and a verificationMethodId answers 200
//     without a transactionHash key; the chain takes the change later, or
//     refuses it (unchanged document, another update landed first, a
//     deactivated DID, a bad signature), unseen.
//   - issueCredential answers as ever; its status's registration is queued.
//     registerCredentialStatus answers 201 {}. updateCredentialStatus answers
//     the chain's status from before the change. getCredential carries
//     credentialStatus only once a registration has landed; its
//     metadata.transactionStatus lists the landed transactions, with status
//     0, or 1 for those that the chain refused.
//   - Order matters until the chain catches up: issuing with an issuer not on
//     chain answers 400 ["Cannot read properties of undefined (reading
//     'find')"], and changing a status that has not landed 400 ["No
//     credential status found. Probably invalid credentialId"]. The issue
//     route caches the issuer's document as it first resolved, for the life
//     of the server, as the real service does per process: an issue made too
//     early keeps failing for that issuer, and a later update of its
//     document is not seen there.
//
// Transactions land in order, when a request or a method of the Server
// finds their time past: no timer runs, so that inside a testing/synctest
// bubble they follow the bubble's clock. [Server.FlushChain] lands them at
// once, [Server.QueuedTransactions] counts them. [Options.DirectMode] answers
// as the real service does without a fee grant: COMPLETED with the hash,
// changes on chain before the answer. Package ssi's WaitRegistered and
// WaitCredentialStatus are how a client waits.
//
// Where the source leaves the behaviour open, the fake takes the reading
// that fails a wrong assumption: the worker that broadcasts is not in the
// real service's repository, so what it records and when is the fake's
// guess (a record per landed credential transaction, types
// REGISTER_CREDENTIAL_STATUS and UPDATE_CREDENTIAL_STATUS); the real delay
// is several seconds, possibly tens; the issuer cache is per process, and a
// real deployment may run several; in direct mode getCredential carries
// credentialStatus at once, although the real service, which reads the
// worker's records, probably never does there; a date and time without an
// offset is read as UTC (the server's local time in a container), and the
// other forms that JavaScript's Date accepts (such as "Jan 1 2030") are
// refused. registerDID with signInfos and no verificationMethodId is never
// queued: it puts the DID on chain, then answers 500 (duplicate key) for a
// DID that createDID made.
//
// # Proofs
//
// The fake signs as Hypersign's stack does: Ed25519Signature2020 proofs over
// the URDNA2015 canonical form (jsonld-signatures 9.3.1, with the JSON-LD
// contexts embedded in this module; see internal/ldproof), by the DID's
// stored key, so that package vc, and Hypersign's own JS stack, accept what
// it issues:
//
//   - issueCredential answers a credential with the SDK's @context list, ids
//     and member order (the claims as sent, then the subject's id), and a
//     credentialStatus whose id names the fake's own hid-node route,
//     {Server.URL}[HIDNodeStatusPath]{credential id}. Its answer's
//     credentialStatus is the status document signed in place, proof
//     included (disagreement 1); a term that the contexts do not define is
//     400 ["Safe mode validation error."], and a context that is not
//     embedded (the fake never fetches one) 400 with the SDK's text.
//   - The status document on the fake chain is signed as hid-node
//     canonicalizes it (revoked and suspended left out when false), and
//     signed again by the issuer when its status changes. GET
//     {Server.URL}[HIDNodeStatusPath]{id} serves it, without a token, as
//     hid-node's REST API does ({credentialStatus: {credentialStatusDocument,
//     credentialStatusProof}}); one not on chain is the gateway's 500 {code:
//     2, message}. vc.HIDNodeStatus(srv.URL, srv.Client()) reads it.
//   - registerCredentialStatus needs the status with its proof: in direct
//     mode 400 with the SDK's text without it, and the chain refuses a proof
//     that does not verify; queued, 201 {} and the chain refuses it unseen.
//     Issuing with registerCredentialStatus true and a deactivated issuer
//     answers 400 ["Bad Request Exception"] in direct mode (hid-node refuses
//     the status).
//   - signDIDAuth signs any JSON-LD document in place (appending the suite's
//     context when absent; challenge and domain for the authentication
//     purpose): a presentation signed this way verifies with package vc, as
//     does one that createPresentation makes and signs with the holder's key.
//     registerDID's signInfos are checked as such proofs, with their created
//     and the assertionMethod purpose.
//   - verifyPresentation checks the proofs against the fake chain with the
//     signing input that package vc verifies (internal/ldproof; the fake
//     cannot import vc, whose ssi import leads back to entityauth), as vc-js
//     checks them (no claims binding, no dates), and answers as the real
//     service: 201 {verified, presentationResult,
//     credentialResults, error} with verified false for a proof that does not
//     verify or a revoked or suspended credential (the cause goes to
//     Options.Logf; the real error's text does not survive JSON); 500 where
//     the SDK throws (a challenge of "", a holder or issuer not on chain, a
//     document without the method it is told to use); 400 for a proof
//     without a challenge. Like the SDK, it checks no expiry, and takes the
//     challenge and domain from the proof itself: the relying party must
//     compare the challenge (package vc does).
//
// The credentialMerkleRootHash is a SHA-256 of the credential, not the
// iden3 merkle root that the SDK computes; nobody checks it (neither the
// SDK nor package vc).
//
// Not modelled: ECDSA and BabyJubJub key types (400), schemas (the
// schema routes are not in the spec; issuing with a schemaId is 400), the
// x-api-credit-token header, other
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
// [Server.RotateKey], [Server.SetDown], [Server.SetCredits],
// [Server.DeleteOwner] and [Server.FlushChain].
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
