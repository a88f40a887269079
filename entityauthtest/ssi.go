package entityauthtest

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/entity-studio-go/entityauth/internal/jwt"
)

// Messages of the real SSI API.
const (
	msgInvalidToken   = "Invalid or expired token" //nolint:gosec // an error message, not a credential
	msgTokenExpired   = "Token expired"
	msgOriginMismatch = "Origin mismatch"
	msgInvalidGrant   = "Invalid grant type"
	msgNoCredits      = "Insufficient credits or no active plan"
)

// authorize checks an SSI API request as the real resource server does and
// answers it when it fails: 401 for a bad, expired or dropped token or a
// foreign Origin, 400 for a non-SSI grant, 403 without credits.
func (s *Server) authorize(w http.ResponseWriter, r *http.Request) bool {
	fail := func(status int, msg string) bool {
		s.logf("%s %s: refused: %s", r.Method, r.URL.Path, msg)
		_ = nestError(status, []string{msg}).write(w)
		return false
	}
	tok, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	if !ok || tok == "" {
		return fail(http.StatusUnauthorized, msgInvalidToken)
	}
	raw, err := jwt.Verify(tok, s.signKey)
	if err != nil {
		return fail(http.StatusUnauthorized, msgInvalidToken)
	}
	var c claims
	if err := remarshal(raw, &c); err != nil || time.Now().Unix() >= c.Exp {
		return fail(http.StatusUnauthorized, msgInvalidToken)
	}
	s.mu.Lock()
	live := s.sessionLiveLocked(c.SessionID, time.Now())
	noCredit := s.noCredit
	s.mu.Unlock()
	if !live {
		return fail(http.StatusUnauthorized, msgTokenExpired)
	}
	if origins := s.opts.AllowedOrigins; origins != nil {
		if o := r.Header.Values("Origin"); len(o) > 0 && !slices.Contains(origins, o[0]) {
			return fail(http.StatusUnauthorized, msgOriginMismatch)
		}
	}
	if c.GrantType != grantSSI {
		return fail(http.StatusBadRequest, msgInvalidGrant)
	}
	if noCredit {
		s.logf("%s %s: refused: %s", r.Method, r.URL.Path, msgNoCredits)
		_ = jsonAnswer{status: http.StatusForbidden, body: map[string]string{"error": msgNoCredits}}.write(w)
		return false
	}
	return true
}

func remarshal(raw map[string]json.RawMessage, v any) error {
	b, err := json.Marshal(raw)
	if err != nil {
		return err
	}
	return json.Unmarshal(b, v)
}

// didList is one page of GET /api/v1/did.
type didList struct {
	TotalCount int      `json:"totalCount"`
	Data       []string `json:"data"`
}

// listDIDs answers GET /api/v1/did with the DIDs created so far.
func (s *Server) listDIDs(w http.ResponseWriter, r *http.Request) {
	if !s.authorize(w, r) {
		return
	}
	s.mu.Lock()
	dids := slices.Clone(s.dids)
	s.mu.Unlock()
	if dids == nil {
		dids = []string{}
	}
	_ = jsonAnswer{status: http.StatusOK, body: []didList{{TotalCount: len(dids), Data: dids}}}.write(w)
}

// createdDID is the 201 body of POST /api/v1/did/create.
type createdDID struct {
	DID                string         `json:"did"`
	RegistrationStatus string         `json:"registrationStatus"`
	MetaData           map[string]any `json:"metaData"`
}

// createDID answers POST /api/v1/did/create with 201 and a new DID. The
// request body is read (up to 1 MiB) and ignored.
func (s *Server) createDID(w http.ResponseWriter, r *http.Request) {
	if !s.authorize(w, r) {
		return
	}
	_, _ = io.Copy(io.Discard, io.LimitReader(r.Body, 1<<20))
	s.mu.Lock()
	sum := sha256.Sum256(fmt.Appendf(nil, "%s|%d|%d", s.appID, time.Now().UnixNano(), len(s.dids)))
	did := "did:hid:testnet:z" + hex.EncodeToString(sum[:16])
	s.dids = append(s.dids, did)
	s.mu.Unlock()
	_ = jsonAnswer{status: http.StatusCreated, body: createdDID{
		DID:                did,
		RegistrationStatus: "UNREGISTRED",
		MetaData:           map[string]any{"didDocument": map[string]any{"id": did}},
	}}.write(w)
}
