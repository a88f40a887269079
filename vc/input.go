package vc

import (
	"bytes"
	"encoding/json"
	"time"
)

// Default limits on input, which Options.MaxBytes and Options.MaxDepth
// override.
const (
	// DefaultMaxBytes is the largest credential or presentation accepted:
	// 1 MiB. Hypersign's credentials are a few kilobytes.
	DefaultMaxBytes = 1 << 20
	// DefaultMaxDepth is the deepest nesting of JSON objects and arrays
	// accepted. A presentation of credentials with nested claims is under 15.
	DefaultMaxDepth = 32
)

// decode checks raw against the limits and decodes it as a JSON object,
// numbers as float64 (as jsonld.js reads them).
func decode(raw []byte, maxBytes, maxDepth int, what string) (map[string]any, error) {
	if len(raw) > maxBytes {
		return nil, errorf(ErrMalformed, "%s is %d bytes, over the limit of %d", what, len(raw), maxBytes)
	}
	if d := depth(raw); d > maxDepth {
		return nil, errorf(ErrMalformed, "%s nests deeper than %d levels", what, maxDepth)
	}
	trimmed := bytes.TrimLeft(raw, " \t\r\n")
	if len(trimmed) == 0 || trimmed[0] != '{' {
		return nil, errorf(ErrMalformed, "%s is not a JSON object", what)
	}
	var m map[string]any
	if err := json.Unmarshal(raw, &m); err != nil {
		return nil, errorf(ErrMalformed, "%s is not valid JSON: %v", what, err)
	}
	return m, nil
}

// depth returns the deepest nesting of objects and arrays in raw, which need
// not be valid JSON.
func depth(raw []byte) int {
	d, maxD := 0, 0
	inString, escaped := false, false
	for _, c := range raw {
		if inString {
			switch {
			case escaped:
				escaped = false
			case c == '\\':
				escaped = true
			case c == '"':
				inString = false
			}
			continue
		}
		switch c {
		case '"':
			inString = true
		case '{', '[':
			d++
			if d > maxD {
				maxD = d
			}
		case '}', ']':
			d--
		}
	}
	return maxD
}

// Field accessors on decoded JSON.

func str(m map[string]any, key string) string {
	s, _ := m[key].(string)
	return s
}

func obj(v any) map[string]any {
	m, _ := v.(map[string]any)
	return m
}

// stringList returns v as a list of strings: a string alone, or the strings of
// an array; ok is false if v holds anything else.
func stringList(v any) (list []string, ok bool) {
	switch t := v.(type) {
	case nil:
		return nil, true
	case string:
		return []string{t}, true
	case []any:
		for _, e := range t {
			s, isString := e.(string)
			if !isString {
				return nil, false
			}
			list = append(list, s)
		}
		return list, true
	}
	return nil, false
}

// idOf returns the id of v: v itself if it is a string, else v's "id".
func idOf(v any) string {
	switch t := v.(type) {
	case string:
		return t
	case map[string]any:
		return str(t, "id")
	}
	return ""
}

// parseDate parses an XML Schema dateTime as Hypersign writes it (RFC 3339).
func parseDate(field, v string) (time.Time, error) {
	t, err := time.Parse(time.RFC3339Nano, v)
	if err != nil {
		return time.Time{}, errorf(ErrMalformed, "%s %q is not an RFC 3339 date", field, v)
	}
	return t, nil
}
