package entityauthtest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
)

// A jsObject is a JSON object as Express parsed it, with its keys in order:
// class-transformer assigns them in that order, so the first failing
// custom setter (IsDid) is the first such key.
type jsObject struct {
	keys []string
	vals map[string]any
	raw  []byte // the body, for the order of nested members (see orderedMember)
}

func (o jsObject) get(k string) any { return o.vals[k] }

func (o jsObject) has(k string) bool {
	_, ok := o.vals[k]
	return ok
}

// readBody reads an SSI request's JSON body as the real service sees it:
// {} when it is absent, not JSON (by Content-Type) or not an object.
func readBody(r *http.Request) jsObject {
	o := jsObject{vals: map[string]any{}}
	mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if r.Body == nil || mt != "application/json" {
		return o
	}
	b, err := io.ReadAll(io.LimitReader(r.Body, maxSSIRequestBody))
	if err != nil {
		return o
	}
	if err := json.Unmarshal(b, &o.vals); err != nil {
		return jsObject{vals: map[string]any{}}
	}
	o.keys = objectKeys(b)
	o.raw = b
	return o
}

// objectKeys returns the top-level keys of a JSON object in order.
func objectKeys(b []byte) []string {
	d := json.NewDecoder(bytes.NewReader(b))
	if t, err := d.Token(); err != nil || t != json.Delim('{') {
		return nil
	}
	var keys []string
	for d.More() {
		t, err := d.Token()
		if err != nil {
			return keys
		}
		k, _ := t.(string)
		keys = append(keys, k)
		var skip json.RawMessage
		if err := d.Decode(&skip); err != nil {
			return keys
		}
	}
	return keys
}

// violations collects class-validator messages in the order NestJS's
// ValidationPipe reports them: properties in declaration order, and each
// property's constraints from its last decorator to its first.
type violations []string

func (v *violations) add(format string, args ...any) { *v = append(*v, fmt.Sprintf(format, args...)) }

func (v violations) answer() *jsonAnswer {
	if len(v) == 0 {
		return nil
	}
	a := nestError(http.StatusBadRequest, []string(v))
	return &a
}

func isString(x any) bool {
	_, ok := x.(string)
	return ok
}

// notEmpty is class-validator's isNotEmpty: not "", null or undefined.
func notEmpty(x any) bool { return x != nil && x != "" }

func isArray(x any) bool {
	_, ok := x.([]any)
	return ok
}

func isObject(x any) bool {
	_, ok := x.(map[string]any)
	return ok
}

func isNonEmptyObject(x any) bool {
	m, ok := x.(map[string]any)
	return ok && len(m) > 0
}

// jsTruthy reports whether JavaScript would take x as true.
func jsTruthy(x any) bool {
	switch v := x.(type) {
	case nil:
		return false
	case bool:
		return v
	case string:
		return v != ""
	case float64:
		return v != 0
	}
	return true
}

// hidDID is the real IsDid decorator's pattern (src/utils/customDecorator/did.decorator.ts).
var hidDID = regexp.MustCompile(`^did:hid:(?:[a-z0-9]{1,10}:)?[A-Za-z0-9_-]{3,64}$`)

// vmID is the real ValidateVerificationMethodId pattern (vmId.decorator.ts).
var vmID = regexp.MustCompile(`^did:hid:(?:[-a-zA-Z0-9]{1,10}:)?(?:[-a-z0-9]{3,8}:[-_a-zA-Z0-9]{1,32}:[-.%a-zA-Z0-9]{1,128}|[A-Za-z0-9.-]+)(?:#[A-Za-z0-9.-]+)?$`)

func isVMID(x any) bool {
	s, ok := x.(string)
	return ok && strings.TrimSpace(s) != "" && vmID.MatchString(s)
}

// didSetters runs the IsDid setters that class-transformer triggers for the
// named properties present in o, in o's key order: the first bad value is
// refused at once with a 400 of its own.
func didSetters(o jsObject, names ...string) *jsonAnswer {
	for _, k := range o.keys {
		if !contains(names, k) {
			continue
		}
		v, _ := o.vals[k].(string)
		refuse := func(msg string) *jsonAnswer {
			a := nestError(http.StatusBadRequest, []string{msg})
			return &a
		}
		if strings.TrimSpace(v) == "" {
			return refuse(k + " cannot be empty")
		}
		if did := strings.TrimSpace(v); !hidDID.MatchString(did) {
			return refuse(fmt.Sprintf("Invalid %s format: %s", k, did))
		}
	}
	return nil
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// pagination validates page and limit as src/utils/pagination.dto.ts does:
// Type(Number), then Transform(value ? value : value == default), then
// IsInt, Min(1), Max(100) reported from the last decorator up.
func pagination(q url.Values) (page, limit int, bad *jsonAnswer) {
	var v violations
	page = paginationParam(&v, q, "page", 1)
	limit = paginationParam(&v, q, "limit", 10)
	return page, limit, v.answer()
}

func paginationParam(v *violations, q url.Values, name string, def int) int {
	raw, ok := q[name]
	if !ok {
		return def
	}
	// Express hands a repeated parameter over as an array, which Number() reads as NaN.
	n := float64(0)
	valid := len(raw) == 1
	if valid {
		var err error
		n, err = strconv.ParseFloat(strings.TrimSpace(raw[0]), 64)
		if strings.TrimSpace(raw[0]) == "" {
			n, err = 0, nil // Number("") is 0
		}
		valid = err == nil
	}
	if !valid || n == 0 {
		// NaN and 0 are falsy: the transform turns them into a boolean.
		v.add("%s must not be greater than 100", name)
		v.add("%s must not be less than 1", name)
		v.add("%s must be an integer number", name)
		return 0
	}
	if n > 100 {
		v.add("%s must not be greater than 100", name)
	}
	if n < 1 {
		v.add("%s must not be less than 1", name)
	}
	if n != float64(int64(n)) {
		v.add("%s must be an integer number", name)
	}
	return int(n)
}

// page returns one page of items and the total.
func page[T any](items []T, pageNo, limit int) (int, []T) {
	start := min((pageNo-1)*limit, len(items))
	end := min(start+limit, len(items))
	return len(items), append([]T{}, items[start:end]...)
}
