package entityauthtest

import (
	"bytes"
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
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
	msgExpiresIn    = "ExpiresIn must be a whole number of hours, at least 1"
	msgGrantType    = "Invalid grant_type"
	msgTooMany      = "Too many requests. Try again later."
	appName         = "entityauthtest"
	maxHours        = 1 << 20 // keeps exp far from overflow
)

// handler implements the generated strict server interface of the token endpoint.
type handler struct{ s *Server }

var _ api.StrictServerInterface = (*handler)(nil)

// claims is the claim set of today's tokens, in the server's order.
type claims struct {
	AppID     string `json:"appId"`
	AppName   string `json:"appName"`
	GrantType string `json:"grantType"`
	Subdomain string `json:"subdomain"`
	SessionID string `json:"sessionId"`
	Iat       int64  `json:"iat"`
	Exp       int64  `json:"exp"`
}

// GenerateAccessToken answers POST /api/v1/app/oauth once the generated
// wrapper has bound the parameters.
func (h *handler) GenerateAccessToken(ctx context.Context, req api.GenerateAccessTokenRequestObject) (api.GenerateAccessTokenResponseObject, error) {
	s := h.s
	p := req.Params
	if p.XApiSecretKey == "" {
		return nestError(http.StatusUnauthorized, []string{msgKeyMissing}), nil
	}
	lifetime := s.lifetime
	if r, ok := ctx.Value(requestKey{}).(*http.Request); ok {
		if v := r.Header.Values("ExpiresIn"); len(v) > 0 {
			// The wrapper binds "05" as 5; the real server refuses it.
			hours, ok := parseHours(v[0])
			if !ok {
				return nestError(http.StatusBadRequest, []string{msgExpiresIn}), nil
			}
			lifetime = time.Duration(hours) * time.Hour
		}
	}
	grant := string(gen.AccessServiceSsi)
	if p.GrantType != nil && *p.GrantType != "" {
		if !p.GrantType.Valid() {
			return nestError(http.StatusBadRequest, []string{msgGrantType}), nil
		}
		grant = string(*p.GrantType)
	}

	s.mu.Lock()
	defer s.mu.Unlock()
	if subtle.ConstantTimeCompare([]byte(p.XApiSecretKey), []byte(s.key)) != 1 {
		if s.opts.LegacyErrors {
			return nestError(http.StatusUnauthorized, msgLegacyDenied), nil
		}
		return nestError(http.StatusUnauthorized, []string{msgAccessDenied}), nil
	}
	now := time.Now()
	secs := int64(lifetime / time.Second)
	c := claims{
		AppID:     s.appID,
		AppName:   appName,
		GrantType: grant,
		Subdomain: s.subdomain,
		Iat:       now.Unix(),
		Exp:       now.Unix() + secs,
	}
	// The same app, second, grant, lifetime and session generation give the
	// same session, hence the same token, as on the real server.
	sum := sha256.Sum256(fmt.Appendf(nil, "%s|%d|%s|%d|%d", c.AppID, c.Iat, c.GrantType, secs, s.gen))
	c.SessionID = hex.EncodeToString(sum[:12])
	tok, err := jwt.Sign(c, s.signKey)
	if err != nil {
		return nil, err
	}
	s.addSessionLocked(c.SessionID, time.Unix(c.Exp, 0), now)
	return jsonAnswer{status: http.StatusOK, body: gen.AccessTokenResponse{
		AccessToken: tok,
		ExpiresIn:   float64(secs),
		TokenType:   "Bearer",
	}}, nil
}

// addSessionLocked records a live session and, now and then, forgets
// expired ones so that a long-running fake does not grow without bound.
func (s *Server) addSessionLocked(id string, exp, now time.Time) {
	if len(s.sessions) >= 1024 {
		for k, e := range s.sessions {
			if !e.After(now) {
				delete(s.sessions, k)
			}
		}
	}
	s.sessions[id] = exp
}

// parseHours accepts what the real server accepts: a plain integer >= 1,
// without sign, leading zero, fraction or unit.
func parseHours(v string) (int, bool) {
	if v == "" || v[0] < '1' || v[0] > '9' {
		return 0, false
	}
	for _, c := range []byte(v) {
		if c < '0' || c > '9' {
			return 0, false
		}
	}
	n, err := strconv.Atoi(v)
	if err != nil || n > maxHours {
		return 0, false
	}
	return n, true
}

// paramError answers the generated wrapper's binding errors as the real
// server answers those requests, instead of the wrapper's plain-text 400.
func (h *handler) paramError(w http.ResponseWriter, r *http.Request, err error) {
	var (
		required *api.RequiredHeaderError
		invalid  *api.InvalidParamFormatError
		tooMany  *api.TooManyValuesForParamError
		param    string
	)
	switch {
	case errors.As(err, &required):
		param = required.ParamName
	case errors.As(err, &invalid):
		param = invalid.ParamName
	case errors.As(err, &tooMany):
		param = tooMany.ParamName
	}
	var a jsonAnswer
	switch {
	case param == "X-Api-Secret-Key" && r.Header.Get("X-Api-Secret-Key") == "":
		a = nestError(http.StatusUnauthorized, []string{msgKeyMissing})
	case param == "X-Api-Secret-Key":
		// Node joins repeated headers with ", ", which matches no key.
		a = nestError(http.StatusUnauthorized, []string{msgAccessDenied})
	case param == "ExpiresIn":
		a = nestError(http.StatusBadRequest, []string{msgExpiresIn})
	case param == "grant_type":
		a = nestError(http.StatusBadRequest, []string{msgGrantType})
	default:
		a = nestError(http.StatusBadRequest, []string{"Bad request"})
	}
	_ = a.write(w)
}

// internalError answers a failure of the handler itself with the real 500 shape.
func internalError(w http.ResponseWriter, r *http.Request, err error) {
	_ = jsonAnswer{status: http.StatusInternalServerError, body: newInternalBody(r.URL.Path, "Error", err.Error())}.write(w)
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

type requestKey struct{}

// withRequest hands the raw request to the strict handler, which re-checks
// the ExpiresIn header's text.
func withRequest(f api.StrictHandlerFunc, _ string) api.StrictHandlerFunc {
	return func(ctx context.Context, w http.ResponseWriter, r *http.Request, req any) (any, error) {
		return f(context.WithValue(ctx, requestKey{}, r), w, r, req)
	}
}

// jsonAnswer is a JSON response as Express writes it: compact, no trailing
// newline, Content-Type application/json; charset=utf-8.
type jsonAnswer struct {
	status int
	body   any
}

func (a jsonAnswer) VisitGenerateAccessTokenResponse(w http.ResponseWriter) error { return a.write(w) }

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
