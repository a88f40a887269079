package entityauthtest

import (
	"bytes"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/entity-studio-go/entityauth/api"
	"github.com/entity-studio-go/entityauth/gen"
	"github.com/entity-studio-go/entityauth/internal/jwt"
)

// Messages of the real token server.
const (
	msgKeyMissing   = "x-api-secret-key header is missing"
	msgAccessDenied = "Access denied."
	msgLegacyDenied = "access_denied"
	msgExpiresIn    = "`expiresIn` must be a whole number greater than or equal to 1."
	msgTooMany      = "Too many requests. Try again later."
	msgNoAdmin      = "Admin user not found. He/She might have delete the account or never created one"
	msgBadService   = "Invalid service ID: "
	appName         = "entityauthtest"
)

// Grant types of the real token server that the fake treats specially. It
// does not validate grant_type: an SSI app's session holds grantSSI, and a
// request for grantKYB looks for a session of its own.
const (
	grantSSI = "access_service_ssi"
	grantKYB = "access_service_kyb"
)

// sessionLifetime is how long a session lives in the real token server's
// Redis (EXPIRY_CONFIG.DASHBOARD_ACCESS.redisExpiryTime, one week). It
// starts when the session is created and is never extended.
const sessionLifetime = 7 * 24 * time.Hour

// maxHours bounds ExpiresIn so that exp fits in an int64 claim. The real
// server has no maximum short of JavaScript's number precision; 2^51 hours
// is about 2.6e11 years.
const maxHours = 1 << 51

// handler implements the generated server interface of the token endpoint.
type handler struct{ s *Server }

var _ api.ServerInterface = (*handler)(nil)

// claims is the claim set of today's tokens, in the server's order.
type claims struct {
	AppID   string `json:"appId"`
	AppName string `json:"appName"`
	// GrantType is a string, or a list of strings when grant_type was
	// repeated in the query: the real server copies what Express parsed.
	GrantType any    `json:"grantType"`
	Subdomain string `json:"subdomain"`
	SessionID string `json:"sessionId"`
	Iat       int64  `json:"iat"`
	Exp       int64  `json:"exp"`
}

// A session is the real token server's Redis entry for an app.
type session struct {
	grant   string    // the grant the session was created with
	expires time.Time // creation + sessionLifetime
}

// GenerateAccessToken answers POST /api/v1/app/oauth. It reads the request
// as the real server's decorators do, from the raw headers and query, and
// so ignores params: the generated binding is stricter than Node (it
// refuses repeated headers, which Node joins with ", ", and reads "05" as 5).
func (h *handler) GenerateAccessToken(w http.ResponseWriter, r *http.Request, _ gen.GenerateAccessTokenParams) {
	h.s.issue(w, r)
}

// paramError answers a request whose parameters the generated wrapper could
// not bind exactly as [handler.GenerateAccessToken] would: binding errors
// are the wrapper's, not the real server's.
func (h *handler) paramError(w http.ResponseWriter, r *http.Request, _ error) {
	h.s.issue(w, r)
}

// issue answers a token request that passed the rate limit.
func (s *Server) issue(w http.ResponseWriter, r *http.Request) {
	a, err := s.tokenAnswer(r)
	if err != nil {
		internalError(w, r, err)
		return
	}
	_ = a.write(w)
}

// tokenAnswer checks a token request in the real server's order (NestJS
// runs a handler's parameter decorators last to first): ExpiresIn, then the
// presence of the key, then the key. An SSI app has no service check.
func (s *Server) tokenAnswer(r *http.Request) (jsonAnswer, error) {
	secs := int64(s.lifetime / time.Second)
	if v := nodeHeader(r.Header, "ExpiresIn"); v != "" {
		hours, ok := parseHours(v)
		if !ok {
			return nestError(http.StatusBadRequest, []string{msgExpiresIn}), nil
		}
		secs = hours * 3600
	}
	key := nodeHeader(r.Header, "X-Api-Secret-Key")
	if key == "" {
		return nestError(http.StatusUnauthorized, []string{msgKeyMissing}), nil
	}
	grant := queryGrant(r)

	s.mu.Lock()
	defer s.mu.Unlock()
	// The real server finds the app by the key's part before the dot, then
	// its owner, and only then compares the whole key (disagreement 10).
	if s.ownerDeleted && subtle.ConstantTimeCompare([]byte(keyPrefix(key)), []byte(keyPrefix(s.key))) == 1 {
		return nestError(http.StatusUnauthorized, []string{msgNoAdmin}), nil
	}
	if subtle.ConstantTimeCompare([]byte(key), []byte(s.key)) != 1 {
		if s.opts.LegacyErrors {
			return nestError(http.StatusUnauthorized, msgLegacyDenied), nil
		}
		return nestError(http.StatusUnauthorized, []string{msgAccessDenied}), nil
	}
	now := time.Now()
	if sess, live := s.sessions[s.sessionID(grant)]; s.opts.UnknownService && (!live || !now.Before(sess.expires)) {
		return nestError(http.StatusBadRequest, []string{msgBadService + s.appID}), nil
	}
	c := s.claimsLocked(grant, now)
	c.Iat = now.Unix()
	c.Exp = c.Iat + secs
	tok, err := jwt.Sign(c, s.signKey)
	if err != nil {
		return jsonAnswer{}, err
	}
	return jsonAnswer{status: http.StatusOK, body: gen.AccessTokenResponse{
		AccessToken: tok,
		ExpiresIn:   float64(secs),
		TokenType:   "Bearer",
	}}, nil
}

// claimsLocked returns the claims of a new token, less iat and exp, as the
// real server builds them for an SSI app. Without a live session it creates
// one, holding the SSI grant whatever grant_type asked for. With one, it
// copies a non-empty grant_type into the claim unchecked, and the session's
// grant otherwise; the session is not extended. s.mu must be held.
func (s *Server) claimsLocked(grant any, now time.Time) claims {
	id := s.sessionID(grant)
	c := claims{AppID: s.appID, AppName: appName, Subdomain: s.subdomain, SessionID: id}
	sess, ok := s.sessions[id]
	if !ok || !now.Before(sess.expires) {
		s.sessions[id] = session{grant: grantSSI, expires: now.Add(sessionLifetime)}
		c.GrantType = grantSSI
		return c
	}
	c.GrantType = sess.grant
	if truthy(grant) {
		c.GrantType = grant
	}
	return c
}

// keyPrefix is the part of an API key before its first dot, by which the
// real server finds the app.
func keyPrefix(key string) string {
	prefix, _, _ := strings.Cut(key, ".")
	return prefix
}

// DeleteOwner deletes the app's owner, as when the admin user who created
// the app deletes their account. From then on, every token request with a
// key of the app (the part before the dot), the wrong secret included,
// gets 401 ["Admin user not found. He/She might have delete the account or
// never created one"]: the real server looks the owner up before it
// compares the key. Tokens already issued keep working on the SSI API.
func (s *Server) DeleteOwner() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.ownerDeleted = true
}

// truthy reports whether JavaScript would take grant_type as true: a
// non-empty string, or a list.
func truthy(grant any) bool {
	switch g := grant.(type) {
	case nil:
		return false
	case string:
		return g != ""
	}
	return true
}

// sessionID is the real server's session key: sha256hex("<appId>_customer"),
// the same for every token of the app, except that a request for grantKYB
// has a key of its own, sha256hex("<appId>_customer_access_service_kyb").
func (s *Server) sessionID(grant any) string {
	key := s.appID + "_customer"
	if grant == grantKYB {
		key += "_" + grantKYB
	}
	sum := sha256.Sum256([]byte(key))
	return hex.EncodeToString(sum[:])
}

// sessionLiveLocked reports whether the session id exists at now, as the
// SSI API checks it. s.mu must be held.
func (s *Server) sessionLiveLocked(id string, now time.Time) bool {
	sess, ok := s.sessions[id]
	return ok && now.Before(sess.expires)
}

// nodeHeader returns a header as Node.js hands it to the server: repeated
// lines joined with ", ".
func nodeHeader(h http.Header, name string) string {
	return strings.Join(h.Values(name), ", ")
}

// queryGrant returns grant_type as Express parses the query: nil when
// absent, a string, or a list of strings when repeated.
func queryGrant(r *http.Request) any {
	v := r.URL.Query()["grant_type"]
	switch len(v) {
	case 0:
		return nil
	case 1:
		return v[0]
	}
	return v
}

// parseHours accepts what the real server accepts: after trimming, a plain
// integer >= 1 that parseInt reads back unchanged, so no sign, leading zero,
// fraction or unit.
func parseHours(v string) (int64, bool) {
	v = strings.TrimSpace(v)
	if v == "" || v[0] < '1' || v[0] > '9' {
		return 0, false
	}
	for _, c := range []byte(v) {
		if c < '0' || c > '9' {
			return 0, false
		}
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil || n > maxHours {
		return 0, false
	}
	return n, true
}

// internalError answers a failure of the handler itself with the real 500
// shape, whose path is the URL as sent, query string included.
func internalError(w http.ResponseWriter, r *http.Request, err error) {
	_ = jsonAnswer{status: http.StatusInternalServerError, body: newInternalBody(r.RequestURI, "Error", err.Error())}.write(w)
}

// internalBody is the real 500 body, keys in the reference's order.
type internalBody struct {
	StatusCode int      `json:"statusCode"`
	Timestamp  string   `json:"timestamp"`
	Path       string   `json:"path"`
	Message    []string `json:"message"`
}

func newInternalBody(path, name, text string) internalBody {
	return internalBody{
		StatusCode: http.StatusInternalServerError,
		Timestamp:  time.Now().UTC().Format("2006-01-02T15:04:05.000Z"),
		Path:       path,
		Message:    []string{name, text, "Internal server error"},
	}
}

// jsonAnswer is a JSON response as Express writes it: compact, no trailing
// newline, Content-Type application/json; charset=utf-8.
type jsonAnswer struct {
	status int
	body   any
}

func (a jsonAnswer) write(w http.ResponseWriter) error {
	b, err := marshal(a.body)
	if err != nil {
		return err
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Content-Length", strconv.Itoa(len(b)))
	w.WriteHeader(a.status)
	_, err = w.Write(b)
	return err
}

// marshal encodes v like JSON.stringify: no HTML escaping, no newline.
func marshal(v any) ([]byte, error) {
	var buf bytes.Buffer
	e := json.NewEncoder(&buf)
	e.SetEscapeHTML(false)
	if err := e.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n")), nil
}

// httpError is NestJS's error body, keys in its order.
type httpError struct {
	StatusCode int    `json:"statusCode"`
	Message    any    `json:"message"`
	Error      string `json:"error,omitempty"`
}

func nestError(status int, message any) jsonAnswer {
	return jsonAnswer{status: status, body: httpError{StatusCode: status, Message: message, Error: http.StatusText(status)}}
}

func tooManyRequests(w http.ResponseWriter) {
	_ = jsonAnswer{status: http.StatusTooManyRequests, body: msgTooMany}.write(w)
}

// notFound answers unknown routes as NestJS does.
func notFound(w http.ResponseWriter, r *http.Request) {
	_ = nestError(http.StatusNotFound, fmt.Sprintf("Cannot %s %s", r.Method, r.URL.Path)).write(w)
}
