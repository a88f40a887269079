// Package entityauthtest provides a fake Entity Studio server for tests, shaped
// like net/http/httptest.
//
// A [Server] serves the token endpoint (POST /api/v1/app/oauth) as the real
// token service behaves, including its error bodies, its ExpiresIn validation
// and its rate limit of 10 requests per 60 seconds per client address, and a
// slice of the SSI API (GET /api/v1/did and POST /api/v1/did/create) that
// checks the tokens it issued. Both live under the same base URL, [Server.URL].
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
// expiry and the rate-limit window follow the bubble's virtual time.
//
// The server never logs the API key or a token. Recorded requests do hold the
// headers as sent, keys included: they are test data.
//
// The core API needs no *testing.T, so that programs (such as the entityauth
// command's fake and demo) can serve it too.
package entityauthtest
