package entityauthtest

import (
	"encoding/hex"
	"net/http"
	"net/url"
	"strings"
	"time"

	models "github.com/entity-studio-go/entityauth/gen/ssiapi"
)

// Routes of the presentation controller: no permission, no credits.
var opPresentation = operation{}

// Routes of the status controller: no credits, and permissions that no
// API-key token carries.
var (
	opSSIStatus = operation{access: permCheckLive}
	opTxStatus  = operation{access: permReadTx}
)

// A templateRecord is a stored presentation template.
type templateRecord struct {
	ID     string `json:"_id"`
	AppID  string `json:"appId"`
	Domain string `json:"domain"`
	Query  any    `json:"query"`
	Name   string `json:"name"`
	V      *int   `json:"__v,omitempty"`
}

// CreatePresentationTemplate answers POST /api/v1/presentation/template.
func (h *ssiHandler) CreatePresentationTemplate(w http.ResponseWriter, r *http.Request) {
	h.serve(w, r, opPresentation, func(c caller, body jsObject) jsonAnswer {
		if bad := nameSetter(r, body); bad != nil {
			return *bad
		}
		if bad := validateTemplate(body, false); bad != nil {
			return *bad
		}
		t := templateFrom(body, c.appID)
		t.Name = toSnakeCase(t.Name) // disagreement 4: the create pipe transforms
		s := h.s
		s.mu.Lock()
		defer s.mu.Unlock()
		if s.templateNamedLocked(t.Name, "") {
			return badRequest("Template name must be unique", t.Name+" already exists")
		}
		t.ID = hex.EncodeToString(randomBytes(12))
		zero := 0
		t.V = &zero
		s.ssi.templates[t.ID] = &t
		s.ssi.tmplOrder = append(s.ssi.tmplOrder, t.ID)
		return ok(http.StatusCreated, t)
	})
}

// templateNamedLocked reports whether a template other than except has name.
func (s *Server) templateNamedLocked(name, except string) bool {
	for id, t := range s.ssi.templates {
		if t.Name == name && id != except {
			return true
		}
	}
	return false
}

func templateFrom(body jsObject, appID string) templateRecord {
	domain, _ := body.get("domain").(string)
	name, _ := body.get("name").(string)
	return templateRecord{AppID: appID, Domain: domain, Query: body.get("query"), Name: name}
}

// toSnakeCase is the real @ToSnakeCase transform (case.decorator.ts), which
// is not snake case: the name is split on each single space, a piece that
// equals its own upper case (all capitals, digits, or the empty piece
// between two spaces) becomes "_" and the piece in lower case, other pieces
// stay as they are, and the pieces are joined with nothing. "Alumni
// Credential Request" becomes AlumniCredentialRequest, "KYC check" _kyccheck.
func toSnakeCase(name string) string {
	var b strings.Builder
	for _, piece := range strings.Split(name, " ") {
		if piece == strings.ToUpper(piece) {
			b.WriteString("_" + strings.ToLower(piece))
			continue
		}
		b.WriteString(piece)
	}
	return b.String()
}

// nameSetter is the setter that @ToSnakeCase puts on a template's name,
// which class-transformer calls for a name in the body, before the
// validation: a blank name is a 400, one that is not a string a 500.
func nameSetter(r *http.Request, body jsObject) *jsonAnswer {
	if !body.has("name") {
		return nil
	}
	var a jsonAnswer
	switch n := body.get("name").(type) {
	case string:
		if strings.TrimSpace(n) != "" {
			return nil
		}
		a = badRequest("name cannot be empty")
	case nil:
		a = jsonAnswer{status: http.StatusInternalServerError, body: newInternalBody(r.RequestURI, "TypeError", "Cannot read properties of null (reading 'trim')")}
	default:
		a = jsonAnswer{status: http.StatusInternalServerError, body: newInternalBody(r.RequestURI, "TypeError", "val.trim is not a function")}
	}
	return &a
}

// validateTemplate checks a template body; partial (PATCH, disagreement 5)
// checks only the fields that are there, as PartialType's IsOptional does.
func validateTemplate(body jsObject, partial bool) *jsonAnswer {
	var v violations
	absent := func(k string) bool { return partial && body.get(k) == nil }
	domain, isStr := body.get("domain").(string)
	if !absent("domain") && (!isStr || !isURL(domain)) {
		v.add("domain must be a URL address")
	}
	if !absent("domain") && !notEmpty(body.get("domain")) {
		v.add("domain should not be empty")
	}
	if !absent("domain") && !isStr {
		v.add("domain must be a string")
	}
	if x := body.get("name"); !absent("name") && (!notEmpty(x) || !isString(x)) {
		if !notEmpty(x) {
			v.add("name should not be empty")
		}
		if !isString(x) {
			v.add("name must be a string")
		}
	}
	if q := body.get("query"); !absent("query") && !isArray(q) {
		v.add("query must be an array")
		if !isObject(q) {
			v.add("nested property query must be either object or array")
		}
	}
	return v.answer()
}

// isURL approximates validator.js isURL with its defaults: a host name with
// a dot (or localhost is refused), optionally with http, https or ftp.
func isURL(s string) bool {
	if s == "" || strings.ContainsAny(s, " <>") {
		return false
	}
	if !strings.Contains(s, "://") {
		s = "http://" + s
	}
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https" && u.Scheme != "ftp") {
		return false
	}
	host := u.Hostname()
	return strings.Contains(host, ".") && !strings.HasPrefix(host, ".") && !strings.HasSuffix(host, ".")
}

// ListPresentationTemplates answers GET /api/v1/presentation/template, oldest first.
func (h *ssiHandler) ListPresentationTemplates(w http.ResponseWriter, r *http.Request, _ models.ListPresentationTemplatesParams) {
	h.serve(w, r, opPresentation, func(caller, jsObject) jsonAnswer {
		p, l, bad := pagination(r.URL.Query())
		if bad != nil {
			return *bad
		}
		h.s.mu.Lock()
		var all []templateRecord
		for _, id := range h.s.ssi.tmplOrder {
			all = append(all, *h.s.ssi.templates[id])
		}
		h.s.mu.Unlock()
		total, data := page(all, p, l)
		return ok(http.StatusOK, listAnswer[templateRecord]{TotalCount: total, Data: data})
	})
}

// templateIDError is the real answer to an id that is not 24 hex digits:
// Mongoose's CastError, unhandled.
func templateIDError(r *http.Request, id string) *jsonAnswer {
	if b, err := hex.DecodeString(id); err == nil && len(b) == 12 {
		return nil
	}
	a := jsonAnswer{status: http.StatusInternalServerError, body: newInternalBody(r.RequestURI, "CastError",
		`Cast to ObjectId failed for value "`+id+`" (type string) at path "_id" for model "PresentationTemplate"`)}
	return &a
}

// GetPresentationTemplate answers GET /api/v1/presentation/template/{id}.
func (h *ssiHandler) GetPresentationTemplate(w http.ResponseWriter, r *http.Request, id string) {
	h.serve(w, r, opPresentation, func(c caller, _ jsObject) jsonAnswer {
		if bad := templateIDError(r, id); bad != nil {
			return *bad
		}
		h.s.mu.Lock()
		defer h.s.mu.Unlock()
		t := h.s.ssi.templates[id]
		if t == nil {
			return notFoundError("Resource not found", id+" does not belongs to the App id : "+c.appID)
		}
		out := *t
		out.V = nil // the real findOne projects __v away
		return ok(http.StatusOK, out)
	})
}

// UpdatePresentationTemplate answers PATCH /api/v1/presentation/template/{id}.
func (h *ssiHandler) UpdatePresentationTemplate(w http.ResponseWriter, r *http.Request, id string) {
	h.serve(w, r, opPresentation, func(c caller, body jsObject) jsonAnswer {
		if bad := nameSetter(r, body); bad != nil {
			return *bad
		}
		if bad := validateTemplate(body, true); bad != nil {
			return *bad
		}
		if bad := templateIDError(r, id); bad != nil {
			return *bad
		}
		// The PATCH pipe validates without transforming: the name is stored
		// as sent, and only the fields sent change.
		t := templateFrom(body, c.appID)
		s := h.s
		s.mu.Lock()
		defer s.mu.Unlock()
		if body.get("name") != nil && s.templateNamedLocked(t.Name, id) {
			return badRequest("Template name must be unique", t.Name+" already exists")
		}
		cur := s.ssi.templates[id]
		if cur == nil {
			return ok(http.StatusOK, noBody{})
		}
		if body.get("domain") != nil {
			cur.Domain = t.Domain
		}
		if body.get("query") != nil {
			cur.Query = t.Query
		}
		if body.get("name") != nil {
			cur.Name = t.Name
		}
		return ok(http.StatusOK, *cur)
	})
}

// DeletePresentationTemplate answers DELETE /api/v1/presentation/template/{id}.
func (h *ssiHandler) DeletePresentationTemplate(w http.ResponseWriter, r *http.Request, id string) {
	h.serve(w, r, opPresentation, func(_ caller, _ jsObject) jsonAnswer {
		if bad := templateIDError(r, id); bad != nil {
			return *bad
		}
		s := h.s
		s.mu.Lock()
		defer s.mu.Unlock()
		t := s.ssi.templates[id]
		if t == nil {
			return notFoundError("No resource found for templateId " + id)
		}
		delete(s.ssi.templates, id)
		for i, x := range s.ssi.tmplOrder {
			if x == id {
				s.ssi.tmplOrder = append(s.ssi.tmplOrder[:i:i], s.ssi.tmplOrder[i+1:]...)
				break
			}
		}
		return ok(http.StatusOK, *t)
	})
}

// CreatePresentationRequest answers POST /api/v1/presentation/request. The
// real service stores nothing, and neither does the fake.
func (h *ssiHandler) CreatePresentationRequest(w http.ResponseWriter, r *http.Request) {
	h.serve(w, r, opPresentation, func(_ caller, body jsObject) jsonAnswer {
		if bad := didSetters(body, "did"); bad != nil {
			return *bad
		}
		var v violations
		for _, k := range []string{"challenge", "did", "templateId"} {
			if x := body.get(k); !notEmpty(x) || !isString(x) {
				if !notEmpty(x) {
					v.add("%s should not be empty", k)
				}
				if !isString(x) {
					v.add("%s must be a string", k)
				}
			}
		}
		minExpiry := h.s.ssi.started.UnixMilli()
		exp, isNum := body.get("expiresTime").(float64)
		if !isNum || exp < float64(minExpiry) {
			v.add("expiresTime must not be less than %d", minExpiry)
		}
		if !notEmpty(body.get("expiresTime")) {
			v.add("expiresTime should not be empty")
		}
		if !isNum {
			v.add("expiresTime must be a number conforming to the specified constraints")
		}
		if !notEmpty(body.get("callbackUrl")) {
			v.add("callbackUrl should not be empty")
		}
		if cb, _ := body.get("callbackUrl").(string); !isURL(cb) {
			v.add("callbackUrl must be a URL address")
		}
		if bad := v.answer(); bad != nil {
			return *bad
		}
		tid, _ := body.get("templateId").(string)
		if b, err := hex.DecodeString(tid); err != nil || len(b) != 12 {
			return badRequest("templeteId : " + tid + " not found")
		}
		h.s.mu.Lock()
		var t *templateRecord
		if cur := h.s.ssi.templates[tid]; cur != nil {
			copied := *cur // under the lock: an update may replace its fields
			t = &copied
		}
		h.s.mu.Unlock()
		if t == nil {
			return jsonAnswer{status: http.StatusInternalServerError, body: newInternalBody(r.RequestURI, "TypeError", "Cannot set properties of null (setting 'challenge')")}
		}
		did, _ := body.get("did").(string)
		cb, _ := body.get("callbackUrl").(string)
		challenge, _ := body.get("challenge").(string)
		type reqBody struct {
			templateRecord
			Challenge string `json:"challenge"`
		}
		return ok(http.StatusCreated, struct {
			ID          string   `json:"id"`
			From        string   `json:"from"`
			CreatedTime int64    `json:"created_time"`
			ExpiresTime int64    `json:"expires_time"`
			ReplyURL    string   `json:"reply_url"`
			ReplyTo     []string `json:"reply_to"`
			Body        reqBody  `json:"body"`
		}{randomHex(36), did, time.Now().UnixMilli(), int64(exp), cb, []string{did}, reqBody{*t, challenge}})
	})
}

// GetSSIStatus answers GET /api/v1/status/ssi/{id}: 403, since the route
// needs CHECK_LIVE_STATUS.
func (h *ssiHandler) GetSSIStatus(w http.ResponseWriter, r *http.Request, _ string, _ models.GetSSIStatusParams) {
	h.serve(w, r, opSSIStatus, func(caller, jsObject) jsonAnswer {
		return nestError(http.StatusForbidden, []string{msgNoPermission}) // not reached: the guard refuses first
	})
}

// GetTransactionStatus answers GET /api/v1/status/transaction/{hash}: 403,
// since the route needs READ_TX.
func (h *ssiHandler) GetTransactionStatus(w http.ResponseWriter, r *http.Request, _ string, _ models.GetTransactionStatusParams) {
	h.serve(w, r, opTxStatus, func(caller, jsObject) jsonAnswer {
		return nestError(http.StatusForbidden, []string{msgNoPermission}) // not reached: the guard refuses first
	})
}
