package entityauthtest

import (
	"encoding/json"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/entity-studio-go/entityauth/internal/jwt"
)

// Messages of the real SSI API's middleware, guards and credit manager.
const (
	msgUnauthorized   = "Unauthorized"
	msgPassToken      = "Please pass access token" //nolint:gosec // an error message, not a credential
	msgInvalidToken   = "Invalid or expired token" //nolint:gosec // an error message, not a credential
	msgInvalidGrant   = "Invalid grant type"
	msgMissingSession = "Missing sessionId"
	msgTokenExpired   = "Token expired"
	msgOriginMismatch = "Origin mismatch"
	msgNoPermission   = "Permission denied: Missing access rights"
	msgNoCredits      = "No credits found or credit exhausted. Please contact the admin"
)

// Permissions of the real service (src/credit-manager/utils.ts ACCESS_TYPES)
// that the fake's routes require.
const (
	permReadDID       = "READ_DID"
	permWriteDID      = "WRITE_DID"
	permVerifyDIDSig  = "VERIFY_DID_SIGNATURE"
	permReadCred      = "READ_CREDENTIAL"  //nolint:gosec // a permission name, not a credential
	permWriteCred     = "WRITE_CREDENTIAL" //nolint:gosec // a permission name, not a credential
	permCheckLive     = "CHECK_LIVE_STATUS"
	permReadTx        = "READ_TX"
	permIssueDIDJWT   = "ISSUE_DID_JWT"
	wildcardOrigin    = "*"
	unlimitedCredits  = -1
	maxSSIRequestBody = 10 << 20 // the real service's JSON body limit, 10mb
)

// apiKeyAccess is what a token minted from an API key may do: the token
// server's access matrix (src/config/access-matrix.ts) for SSI apps.
var apiKeyAccess = []string{permReadDID, permWriteDID, permReadCred, permWriteCred, permIssueDIDJWT}

// Credit costs of the real service (src/utils/utils.ts CREDIT_COSTS): an
// API call costs by method, a stored key or document by kind, and a chain
// write a tenth of its 50 HID.
const (
	costGet         = 1
	costPost        = 5
	costPatch       = 3
	costKeyStorage  = 2
	costDataStorage = 4
	costAttestation = 5
)

// An operation describes how the real service guards one route: whether
// the ReduceCreditGuard runs, and the permission that AccessGuard requires
// ("" for none).
type operation struct {
	credits bool
	access  string
}

// A caller is the session that the middleware attached to a request.
type caller struct {
	appID string
}

// authenticate runs the real middleware (src/utils/middleware/cors.middleware.ts
// at 3.7.0) in its order and returns the caller, or the refusal.
func (s *Server) authenticate(r *http.Request) (caller, *jsonAnswer) {
	refuse := func(status int, msg ...string) (caller, *jsonAnswer) {
		a := nestError(status, msg)
		return caller{}, &a
	}
	authz := strings.Join(r.Header.Values("Authorization"), ", ")
	if !strings.HasPrefix(authz, "Bearer ") {
		// The x-api-credit-token alternative is not modelled.
		return refuse(http.StatusUnauthorized, msgUnauthorized, msgPassToken)
	}
	// authHeader.split(' ')[1]: the text between the first and second space.
	tok, _, _ := strings.Cut(strings.TrimPrefix(authz, "Bearer "), " ")
	raw, err := jwt.Verify(tok, s.signKey)
	if err != nil {
		return refuse(http.StatusUnauthorized, msgInvalidToken)
	}
	var c struct {
		AppID     string `json:"appId"`
		GrantType any    `json:"grantType"`
		SessionID any    `json:"sessionId"`
		Exp       *int64 `json:"exp"`
	}
	b, _ := json.Marshal(raw)
	if err := json.Unmarshal(b, &c); err != nil || (c.Exp != nil && time.Now().Unix() >= *c.Exp) {
		return refuse(http.StatusUnauthorized, msgInvalidToken)
	}
	if c.GrantType != grantSSI {
		return refuse(http.StatusBadRequest, msgInvalidGrant)
	}
	if !jsTruthy(c.SessionID) {
		return refuse(http.StatusUnauthorized, msgMissingSession)
	}
	sid, _ := c.SessionID.(string) // a session id that is no string matches no session
	s.mu.Lock()
	live := s.sessionLiveLocked(sid, time.Now())
	s.mu.Unlock()
	if !live {
		return refuse(http.StatusUnauthorized, msgTokenExpired)
	}
	if origin := r.Header.Get("Origin"); origin != "" {
		if allowed := s.opts.AllowedOrigins; allowed != nil && !slices.Contains(allowed, wildcardOrigin) && !slices.Contains(allowed, origin) {
			return refuse(http.StatusUnauthorized, msgOriginMismatch)
		}
	}
	return caller{appID: c.AppID}, nil
}

// guard runs the route's guards after the middleware: the credit check
// (ReduceCreditGuard, which the real controllers list before AccessGuard)
// and the permission check. It charges the credits that the request costs
// at once, in the same critical section as the check, so that concurrent
// requests cannot spend one balance twice; serve refunds them when the
// request fails. It returns the cost charged, or the refusal.
func (s *Server) guard(op operation, r *http.Request, body jsObject) (int, *jsonAnswer) {
	cost := 0
	if op.credits {
		cost = creditCost(r.Method, r.URL.Path, body)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	left := s.ssi.credits
	if s.noCredit {
		left = 0
	}
	if op.credits && left != unlimitedCredits && (left <= 0 || left < cost) {
		a := nestError(http.StatusBadRequest, []string{msgNoCredits})
		return 0, &a
	}
	if op.access != "" && !slices.Contains(apiKeyAccess, op.access) {
		a := nestError(http.StatusForbidden, []string{msgNoPermission})
		return 0, &a
	}
	s.ssi.creditsUsed += cost
	if left != unlimitedCredits {
		s.ssi.credits -= cost
	}
	return cost, nil
}

// refund gives back the credits that guard charged for a request that
// failed: the real guard charges only an answer below 400.
func (s *Server) refund(cost int) {
	if cost == 0 {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.ssi.creditsUsed -= cost
	if s.ssi.credits != unlimitedCredits {
		s.ssi.credits += cost
	}
}

// creditCost is what the real credit manager charges for a request
// (src/credit-manager/utils.ts getApiDetail, read literally: its pattern for
// PATCH /credential/status/:id never matches the prefixed URL).
func creditCost(method, path string, body jsObject) int {
	api := map[string]int{http.MethodGet: costGet, http.MethodPost: costPost, http.MethodPatch: costPatch}[method]
	switch {
	case strings.Contains(path, "/did/create"):
		return api + costKeyStorage
	case strings.Contains(path, "/did/register"):
		return api + costAttestation
	case strings.Contains(path, "/did") && method == http.MethodPatch && jsTruthy(body.get("didDocument")):
		return api + costAttestation
	case strings.Contains(path, "/credential/issue"):
		persist, register := body.get("persist") == true, body.get("registerCredentialStatus") == true
		switch {
		case persist && register:
			return api + costDataStorage + costAttestation
		case register:
			return api + costAttestation
		case persist:
			return api + costDataStorage
		}
	case strings.Contains(path, "/credential/status/register"):
		return api + costAttestation
	}
	return api
}
