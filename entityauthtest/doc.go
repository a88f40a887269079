// Package entityauthtest provides a fake Entity Studio server for tests, shaped
// like net/http/httptest.
//
// A [Server] serves the token endpoint (POST /api/v1/app/oauth) as the real
// token service answers an SSI app, and a slice of the SSI API (GET
// /api/v1/did and POST /api/v1/did/create) that checks the tokens it issued.
// Both live under the same base URL, [Server.URL]. The token endpoint
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
// In a test:
//
//	srv := entityauthtest.Start(t, entityauthtest.Options{})
//	// Point the code under test at srv.URL (token service and SSI API both)
//	// with the key srv.APIKey(), then exercise it.
//	if got := srv.TokenRequests(); got != 1 {
//		t.Errorf("token requests = %d; want 1", got)
//	}
//
// Every request is recorded ([Server.Requests]). Tests inject failures by
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
// headers as sent, keys included: they are test data.
//
// The core API needs no *testing.T, so that programs (such as the entityauth
// command's fake and demo) can serve it too.
package entityauthtest
