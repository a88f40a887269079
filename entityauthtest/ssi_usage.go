package entityauthtest

import (
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"time"

	models "github.com/entity-studio-go/entityauth/gen/ssiapi"
)

// opUsage is GET /usage and /usage/detail: no credit guard, and the
// controller's READ_USAGE is never checked (AccessGuard reads only the
// handler's metadata).
var opUsage = operation{}

// Bounds of the fake's request log for usage. The real one keeps every
// request in the database; the fake forgets the oldest requests beyond
// these, so that a long-running fake stays small.
const (
	maxUsageEntries = 1 << 16
	maxUsageBytes   = 8 << 20 // of paths
)

// usageLog is the real service's request log (AppLoggerMiddleware, on the
// DID and credential controllers) as usage reads it: one entry per request
// that passed the token checks, whatever its answer, with its path already
// normalised and the paths that usage leaves out left out. It is separate
// from [Server.Requests], and bounded on its own. s.mu guards it.
type usageLog struct {
	entries   []usageEntry // oldest first
	bytes     int
	forgotten int
}

type usageEntry struct {
	at     time.Time // truncated to milliseconds, as the database keeps it
	method string
	path   string
}

// usageCosts are the credit rules' prices of an API call by method
// (src/utils/utils.ts CREDIT_COSTS.API). A request with another method is
// priced NaN by the real service (null in its answer); the fake does not
// log it.
var usageCosts = map[string]int{http.MethodGet: costGet, http.MethodPost: costPost, http.MethodPatch: costPatch, http.MethodPut: 3, http.MethodDelete: 4}

// logUsage adds r to the usage log when the real service would: a request
// to a DID or credential route that passed the middleware. It runs before
// the answer is written, so that a usage request that follows sees it.
func (s *Server) logUsage(r *http.Request, body jsObject) {
	p := r.URL.Path
	if !strings.HasPrefix(p, "/api/v1/did") && !strings.HasPrefix(p, "/api/v1/credential") {
		return
	}
	if _, priced := usageCosts[r.Method]; !priced {
		return
	}
	// The log's path is Express's request.url: the path and query as sent.
	path := r.URL.RequestURI()
	if r.RequestURI != "" && strings.HasPrefix(r.RequestURI, "/") {
		path = r.RequestURI
	}
	if strings.Contains(path, "credential/issue") {
		persist, register := any(true), any(true)
		if body.get("persist") != nil {
			persist = body.get("persist")
		}
		if body.get("registerCredentialStatus") != nil {
			register = body.get("registerCredentialStatus")
		}
		path += "?persist=" + jsString(persist) + "&registerCredentialStatus=" + jsString(register)
	}
	for _, skip := range []string{"usage", "credit", "presentation"} {
		if strings.Contains(path, skip) {
			return
		}
	}
	path = normaliseUsagePath(path)
	e := usageEntry{at: time.Now().Truncate(time.Millisecond), method: r.Method, path: path}
	s.mu.Lock()
	defer s.mu.Unlock()
	l := &s.ssi.usage
	l.entries = append(l.entries, e)
	l.bytes += len(path)
	for len(l.entries) > maxUsageEntries || (l.bytes > maxUsageBytes && len(l.entries) > 1) {
		l.bytes -= len(l.entries[0].path)
		l.entries[0] = usageEntry{}
		l.entries = l.entries[1:]
		l.forgotten++
	}
}

// normaliseUsagePath is the $switch of log.service.ts: resolve paths count
// as one path each, and every other path is kept whole, query included.
func normaliseUsagePath(p string) string {
	switch {
	case strings.HasPrefix(p, "/api/v1/did/resolve/"):
		return "/api/v1/did/resolve"
	case strings.HasPrefix(p, "/api/v1/schema/sch:"):
		return "/api/v1/schema/resolve"
	case strings.HasPrefix(p, "/api/v1/credential/vc:"):
		return "/api/v1/credential/resolve"
	}
	return p
}

// usagePrice is what the credit rules charge one request of the path and
// method, as getCreditDetailFromPath reads them without a body
// (src/credit-manager/utils.ts getApiDetail): offchain credits and onchain
// HID.
func usagePrice(method, path string) (offchain, onchain int) {
	offchain = usageCosts[method]
	attest := func() (int, int) { return offchain + costAttestation, 10 * costAttestation }
	switch {
	case strings.Contains(path, "/did/create"):
		return offchain + costKeyStorage, 0
	case strings.Contains(path, "/did/register"):
		return attest()
	}
	_, query, _ := strings.Cut(path, "?")
	q, _ := url.ParseQuery(query)
	persist, register := q.Get("persist") == "true", q.Get("registerCredentialStatus") == "true"
	if strings.Contains(path, "/credential/issue") {
		switch {
		case persist && register:
			return offchain + costDataStorage + costAttestation, 10 * costAttestation
		case register:
			return attest()
		case persist:
			return offchain + costDataStorage, 0
		}
	}
	if strings.Contains(path, "/credential/status/register") {
		return attest()
	}
	// ^\/credential\/status\/[^\/]+$ never matches a path under /api/v1.
	return offchain, 0
}

// usageWindow is the query of the usage routes, as the controller reads it.
type usageWindow struct {
	serviceID  *string
	start, end time.Time
	startJSON  *string // null when the query's date is not a date
	endJSON    *string
}

func usageWindowOf(q url.Values, now time.Time) usageWindow {
	var w usageWindow
	if id := q.Get("serviceId"); id != "" {
		// A repeated serviceId is echoed as a list by the real service; the
		// fake echoes the first.
		w.serviceID = &id
	}
	date := func(param string, def time.Time) (time.Time, *string) {
		raw, has := q[param]
		if !has || (len(raw) == 1 && raw[0] == "") {
			s := jsISO(def)
			return def, &s
		}
		t, ok := usageDate(strings.Join(raw, ","))
		if !ok {
			// new Date("…") is Invalid Date: the driver sends it as 0, and
			// JSON writes it as null.
			return time.UnixMilli(0), nil
		}
		s := jsISO(t)
		return t, &s
	}
	// The server's local time is UTC, as in a container.
	now = now.UTC()
	w.start, w.startJSON = date("startDate", time.Date(now.Year(), now.Month(), 1, 0, 0, 0, 0, time.UTC))
	w.end, w.endJSON = date("endDate", now.Truncate(time.Millisecond))
	return w
}

// jsISO is JavaScript's Date.prototype.toISOString.
func jsISO(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.000Z") }

// isoDate matches the date-time forms of ECMAScript's Date.parse: a date
// alone is UTC, a date and time without an offset is the server's local
// time, which the fake takes as UTC (as in a container).
var isoDate = regexp.MustCompile(`^(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d+))?)?(Z|[+-]\d{2}:\d{2})?)?$`)

// usageDate parses s as new Date(s) does for the ISO forms. V8 also reads
// other forms (such as "Jan 1 2025"), which the fake takes for invalid.
func usageDate(s string) (time.Time, bool) {
	m := isoDate.FindStringSubmatch(strings.TrimSpace(s))
	if m == nil {
		return time.Time{}, false
	}
	n := func(i, def int) int {
		if m[i] == "" {
			return def
		}
		v, _ := strconv.Atoi(m[i])
		return v
	}
	year, month, day, hour, minute, sec := n(1, 0), n(2, 1), n(3, 1), n(4, 0), n(5, 0), n(6, 0)
	ms := 0
	if f := m[7]; f != "" {
		ms, _ = strconv.Atoi((f + "00")[:3])
	}
	if month < 1 || month > 12 || day < 1 || day > 31 || hour > 24 || minute > 59 || sec > 59 {
		return time.Time{}, false
	}
	loc := time.UTC // also without an offset: the server's local time, as UTC
	if off := m[8]; off != "" && off != "Z" {
		h, _ := strconv.Atoi(off[1:3])
		mi, _ := strconv.Atoi(off[4:6])
		secs := h*3600 + mi*60
		if off[0] == '-' {
			secs = -secs
		}
		loc = time.FixedZone("", secs)
	}
	t := time.Date(year, time.Month(month), day, hour, minute, sec, ms*int(time.Millisecond), loc)
	if t.Day() != day {
		return time.Time{}, false // February 30th
	}
	return t, true
}

// jsString is JavaScript's String(x) for a JSON value.
func jsString(x any) string {
	switch v := x.(type) {
	case nil:
		return "null"
	case string:
		return v
	case bool:
		return strconv.FormatBool(v)
	case float64:
		return strconv.FormatFloat(v, 'f', -1, 64)
	case []any:
		parts := make([]string, len(v))
		for i, e := range v {
			if e != nil {
				parts[i] = jsString(e)
			}
		}
		return strings.Join(parts, ",")
	case map[string]any:
		return "[object Object]"
	}
	return fmt.Sprint(x)
}

// usageRow is one entry of GET /usage, keys in the real order.
type usageRow struct {
	APIPath          string  `json:"apiPath"`
	Method           string  `json:"method"`
	Quantity         int     `json:"quantity"`
	OnchainUnitCost  int     `json:"onchain_unit_cost"`
	OffchainUnitCost int     `json:"offchain_unit_cost"`
	OnchainAmount    float64 `json:"onchainAmount"`
	OffchainAmount   float64 `json:"offchainAmount"`
}

// usageDayRow is one entry of GET /usage/detail.
type usageDayRow struct {
	APIPath  string         `json:"apiPath"`
	Quantity int            `json:"quantity"`
	Data     map[string]int `json:"data"`
}

type usageAnswer[T any] struct {
	ServiceID      *string `json:"serviceId,omitempty"`
	StartDate      *string `json:"startDate"`
	EndDate        *string `json:"endDate"`
	ServiceDetails []T     `json:"serviceDetails"`
}

// inWindowLocked returns the logged requests between w's dates. s.mu must be held.
func (s *Server) inWindowLocked(w usageWindow) []usageEntry {
	var out []usageEntry
	for _, e := range s.ssi.usage.entries {
		if !e.at.Before(w.start) && !e.at.After(w.end) {
			out = append(out, e)
		}
	}
	return out
}

// GetUsage answers GET /api/v1/usage: the logged requests between the dates,
// counted by path and method, in the order of each one's first request (the
// real order is the database's).
func (h *ssiHandler) GetUsage(w http.ResponseWriter, r *http.Request, _ models.GetUsageParams) {
	h.serve(w, r, opUsage, func(caller, jsObject) jsonAnswer {
		win := usageWindowOf(r.URL.Query(), time.Now())
		h.s.mu.Lock()
		entries := h.s.inWindowLocked(win)
		h.s.mu.Unlock()
		rows := []usageRow{}
		index := map[[2]string]int{}
		for _, e := range entries {
			k := [2]string{e.path, e.method}
			i, seen := index[k]
			if !seen {
				off, on := usagePrice(e.method, e.path)
				i = len(rows)
				index[k] = i
				rows = append(rows, usageRow{APIPath: e.path, Method: e.method, OnchainUnitCost: on, OffchainUnitCost: off})
			}
			rows[i].Quantity++
		}
		for i := range rows {
			rows[i].OnchainAmount = float64(rows[i].OnchainUnitCost * rows[i].Quantity)
			rows[i].OffchainAmount = float64(rows[i].OffchainUnitCost * rows[i].Quantity)
		}
		return ok(http.StatusOK, usageAnswer[usageRow]{win.serviceID, win.startJSON, win.endJSON, rows})
	})
}

// GetUsageDetail answers GET /api/v1/usage/detail: the logged requests
// between the dates, counted by path and by UTC day.
func (h *ssiHandler) GetUsageDetail(w http.ResponseWriter, r *http.Request, _ models.GetUsageDetailParams) {
	h.serve(w, r, opUsage, func(caller, jsObject) jsonAnswer {
		win := usageWindowOf(r.URL.Query(), time.Now())
		h.s.mu.Lock()
		entries := h.s.inWindowLocked(win)
		h.s.mu.Unlock()
		rows := []usageDayRow{}
		index := map[string]int{}
		for _, e := range entries {
			i, seen := index[e.path]
			if !seen {
				i = len(rows)
				index[e.path] = i
				rows = append(rows, usageDayRow{APIPath: e.path, Data: map[string]int{}})
			}
			rows[i].Quantity++
			rows[i].Data[e.at.UTC().Format(time.DateOnly)]++
		}
		return ok(http.StatusOK, usageAnswer[usageDayRow]{win.serviceID, win.startJSON, win.endJSON, rows})
	})
}
