// Package ssi calls the Entity Studio SSI API with typed requests, typed
// answers and typed errors.
//
// It is a thin layer over the generated client in package
// [github.com/entity-studio-go/entityauth/gen/ssiapi], whose models it uses. It
// adds what the generated client lacks: errors that carry the server's messages
// and match sentinels such as [ErrNotFound] and [ErrCreditsExhausted] with
// [errors.Is], bounded reads of every answer, and iterators over the paginated
// lists.
//
// The server's texts are untrusted. A sentinel matches only the server's
// whole message, never a message that quotes a request value; an [Error]
// keeps its messages on one line, without control characters, and capped;
// the access token sent never appears in an error, even when the server
// echoes it. Ids that would change a request's route ("", ".", "..") are
// refused with [ErrInvalidID] before anything is sent.
//
// The iterators ([Client.DIDs], [Client.Credentials],
// [Client.PresentationTemplates]) ask for [PageSize] items per page, and the
// SSI API serves pages 1 to [MaxPage] only: an iteration yields at most
// 10,000 items, then [ErrPageLimit]. A page that repeats the one before
// (a server or proxy that ignores the page) ends it with [ErrPageRepeated].
//
// A Client needs an authenticated [net/http.Client]; most users pass the one
// from [github.com/entity-studio-go/entityauth.Config.Client], which sends the
// access token as Bearer, sends the Origin header and fetches a new token once
// when the SSI API answers 401:
//
//	c, err := ssi.NewClient(ssi.DefaultBaseURL, cfg.Client(ctx))
//	…
//	created, err := c.CreateDID(ctx, ssiapi.CreateDIDRequest{Namespace: ssiapi.DIDNamespaceTestnet})
//
// In production, an app that has credits has a fee grant, and the SSI API
// queues its chain transactions: registrations, DID updates and credential
// status changes answer at once and reach the chain seconds later. Until
// then, issuing with the DID or changing the status fails. Wait for them:
//
//	reg, err := c.RegisterDID(ctx, req)           // UNREGISTRED, no transaction hash
//	…
//	resolved, err := c.WaitRegistered(ctx, did)   // polls until the DID is on chain
//
// and [Client.WaitCredentialStatus] after issuing and after each status change.
//
// Give every call a context with a deadline: a call waits for the SSI API
// for as long as its context lets it, and, while the token service limits the
// rate, for a token up to entityauth.DefaultRefreshTimeout (2 minutes).
//
// A call's error is an [*Error] when the SSI API answered, matching this
// package's sentinels; an error of package entityauth, wrapped, when the
// client could not get a token (the token service refused the key, limited
// the rate, or failed); or a network or context error. [KindOf] tells
// temporary failures from the caller's mistakes and from configuration
// errors across all three, for a handler's one switch.
//
// The examples walk a DID and a credential through their life (create,
// register, wait, issue, wait, revoke, wait) against the fake in
// [github.com/entity-studio-go/entityauth/entityauthtest], which queues as
// production does.
//
// Beyond DIDs, credentials and presentation templates, a Client calls the
// other routes that an API-key token may use: [Client.RegisterDIDV2] registers
// with one sign info per verification method ([ServerSignInfos]),
// [Client.IssueDIDJWT] returns an EdDSA JWT that one of the app's DIDs signs,
// [Client.CreatePresentation] has a holder DID of the app sign a presentation,
// and [Client.Usage] and [Client.UsageDetail] count the app's calls from the
// service's request log. Each method's doc says what it costs in credits.
//
// The schema routes and POST /credential/verify are not offered: the SSI API
// refuses them to tokens minted from an API key (403, "Permission denied:
// Missing access rights").
package ssi
