package ldproof

import (
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"

	"github.com/piprate/json-gold/ld"
)

// RDF and XSD IRIs that the conversion names.
const (
	rdfType       = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"
	rdfFirst      = "http://www.w3.org/1999/02/22-rdf-syntax-ns#first"
	rdfRest       = "http://www.w3.org/1999/02/22-rdf-syntax-ns#rest"
	rdfNil        = "http://www.w3.org/1999/02/22-rdf-syntax-ns#nil"
	rdfLangString = "http://www.w3.org/1999/02/22-rdf-syntax-ns#langString"
	xsdString     = "http://www.w3.org/2001/XMLSchema#string"
	xsdBoolean    = "http://www.w3.org/2001/XMLSchema#boolean"
	xsdInteger    = "http://www.w3.org/2001/XMLSchema#integer"
	xsdDouble     = "http://www.w3.org/2001/XMLSchema#double"
)

type termKind uint8

const (
	kindNone termKind = iota // the default graph
	kindIRI
	kindBlank
	kindLiteral
)

// term is an RDF term. A literal's datatype is always set (xsd:string for
// plain strings, rdf:langString with lang).
type term struct {
	kind     termKind
	value    string
	datatype string
	lang     string
}

type quad struct {
	s, p, o, g term
}

// Quads converts an expanded JSON-LD document to RDF by jsonld.js's rules
// (toRdf.js, as jsonld-signatures 9.3.1 runs it): quads whose subject,
// predicate or object is a relative IRI are dropped, blank-node predicates
// too, and numbers are written as jsonld.js writes JavaScript numbers.
func Quads(expanded []any) (qs []quad, err error) {
	defer recoverInvalid(&err)
	issuer := ld.NewIdentifierIssuer("_:b")
	nodeMap := map[string]any{"@default": map[string]any{}}
	// GenerateNodeMap rewrites @type entries in place: Expand's result is
	// the caller's own.
	if _, err := ld.NewJsonLdApi().GenerateNodeMap(expanded, nodeMap, "@default", issuer, nil, "", nil); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrInvalid, err)
	}
	c := converter{issuer: issuer}
	for _, name := range sortedKeys(nodeMap) {
		var g term
		switch {
		case name == "@default":
		case !isAbsoluteIRI(name):
			continue
		case strings.HasPrefix(name, "_:"):
			g = term{kind: kindBlank, value: name}
		default:
			g = term{kind: kindIRI, value: name}
		}
		graph, _ := nodeMap[name].(map[string]any)
		if err := c.graph(graph, g); err != nil {
			return nil, err
		}
	}
	return c.quads, nil
}

type converter struct {
	issuer *ld.IdentifierIssuer
	quads  []quad
}

func (c *converter) graph(graph map[string]any, g term) error {
	for _, id := range sortedKeys(graph) {
		node, _ := graph[id].(map[string]any)
		if !isAbsoluteIRI(id) {
			continue
		}
		s := term{kind: kindIRI, value: id}
		if strings.HasPrefix(id, "_:") {
			s.kind = kindBlank
		}
		for _, prop := range sortedKeys(node) {
			items, _ := node[prop].([]any)
			if prop == "@type" {
				prop = rdfType
			} else if ld.IsKeyword(prop) {
				continue
			}
			if !isAbsoluteIRI(prop) || strings.HasPrefix(prop, "_:") {
				continue
			}
			p := term{kind: kindIRI, value: prop}
			for _, item := range items {
				o, ok, err := c.object(item, g)
				if err != nil {
					return err
				}
				if ok {
					c.quads = append(c.quads, quad{s: s, p: p, o: o, g: g})
				}
			}
		}
	}
	return nil
}

// object converts a value, node reference or list; ok is false when the
// object is a relative IRI, which jsonld.js drops.
func (c *converter) object(item any, g term) (o term, ok bool, err error) {
	switch v := item.(type) {
	case string:
		o = iriOrBlank(v)
	case map[string]any:
		if val, isValue := v["@value"]; isValue {
			o, err = literal(v, val)
			return o, err == nil, err
		}
		if list, isList := v["@list"]; isList {
			items, _ := list.([]any)
			o, err = c.list(items, g)
			return o, err == nil, err
		}
		id, _ := v["@id"].(string)
		o = iriOrBlank(id)
	default:
		return o, false, fmt.Errorf("%w: unexpected %T in the node map", ErrInvalid, item)
	}
	if o.kind == kindIRI && !isAbsoluteIRI(o.value) {
		return o, false, nil
	}
	return o, true, nil
}

func (c *converter) list(items []any, g term) (term, error) {
	if len(items) == 0 {
		return term{kind: kindIRI, value: rdfNil}, nil
	}
	first := term{kind: kindIRI, value: rdfFirst}
	rest := term{kind: kindIRI, value: rdfRest}
	head := term{kind: kindBlank, value: c.issuer.GetId("")}
	s := head
	for i, item := range items {
		o, ok, err := c.object(item, g)
		if err != nil {
			return term{}, err
		}
		next := term{kind: kindIRI, value: rdfNil}
		if i < len(items)-1 {
			next = term{kind: kindBlank, value: c.issuer.GetId("")}
		}
		if ok {
			c.quads = append(c.quads, quad{s: s, p: first, o: o, g: g})
		}
		c.quads = append(c.quads, quad{s: s, p: rest, o: next, g: g})
		s = next
	}
	return head, nil
}

func iriOrBlank(id string) term {
	if strings.HasPrefix(id, "_:") {
		return term{kind: kindBlank, value: id}
	}
	return term{kind: kindIRI, value: id}
}

// literal converts a value object as jsonld.js's _objectToRDF does.
func literal(v map[string]any, val any) (term, error) {
	dt, _ := v["@type"].(string)
	o := term{kind: kindLiteral}
	if dt == "@json" {
		return o, fmt.Errorf("%w: @json literals are not supported", ErrInvalid)
	}
	switch x := val.(type) {
	case bool:
		o.value = strconv.FormatBool(x)
		o.datatype = or(dt, xsdBoolean)
	case float64:
		if isDouble(x) || dt == xsdDouble {
			o.value = canonicalDouble(x)
			o.datatype = or(dt, xsdDouble)
		} else {
			o.value = fixed0(x)
			o.datatype = or(dt, xsdInteger)
		}
	case string:
		if dt == xsdDouble {
			f, err := strconv.ParseFloat(strings.TrimSpace(x), 64)
			if err != nil {
				f = math.NaN()
			}
			o.value = canonicalDouble(f)
			o.datatype = dt
			break
		}
		o.value = x
		if lang, ok := v["@language"].(string); ok {
			o.datatype = or(dt, rdfLangString)
			o.lang = lang
		} else {
			o.datatype = or(dt, xsdString)
		}
	default:
		return o, fmt.Errorf("%w: a @value of type %T", ErrInvalid, val)
	}
	return o, nil
}

func or(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// isDouble is jsonld.js's types.isDouble: String(v) has a '.', or |v| ≥ 1e21.
func isDouble(v float64) bool {
	if math.Abs(v) >= 1e21 {
		return true
	}
	if v == 0 || math.IsNaN(v) || math.IsInf(v, 0) {
		return false
	}
	// Shortest digits d1…dk and exponent n with v = 0.d1…dk × 10^n, as in
	// ECMAScript's Number::toString.
	s := strconv.FormatFloat(math.Abs(v), 'e', -1, 64)
	mant, exp, _ := strings.Cut(s, "e")
	k := len(strings.Replace(mant, ".", "", 1))
	e, _ := strconv.Atoi(exp)
	n := e + 1
	switch {
	case k <= n && n <= 21:
		return false
	case 0 < n && n <= 21, -6 < n && n <= 0:
		return true
	default:
		return k > 1
	}
}

// fixed0 is JavaScript's Number.prototype.toFixed(0) for |v| < 1e21.
func fixed0(v float64) string {
	neg := v < 0
	r := math.Floor(math.Abs(v) + 0.5)
	s := strconv.FormatFloat(r, 'f', 0, 64)
	if neg {
		return "-" + s
	}
	return s
}

// canonicalDouble is jsonld.js's
// value.toExponential(15).replace(/(\d)0*e\+?/, '$1E').
func canonicalDouble(v float64) string {
	switch {
	case math.IsNaN(v):
		return "NaN"
	case math.IsInf(v, 1):
		return "Infinity"
	case math.IsInf(v, -1):
		return "-Infinity"
	}
	s := strconv.FormatFloat(v, 'e', 15, 64)
	mant, exp, _ := strings.Cut(s, "e")
	if i := strings.IndexByte(mant, '.'); i >= 0 {
		j := len(mant)
		for j > i+2 && mant[j-1] == '0' {
			j--
		}
		mant = mant[:j]
	}
	sign := ""
	if exp[0] == '-' {
		sign = "-"
	}
	digits := strings.TrimLeft(exp[1:], "0")
	if digits == "" {
		digits = "0"
	}
	return mant + "E" + sign + digits
}

// isAbsoluteIRI is jsonld.js's url.isAbsolute:
// /^([A-Za-z][A-Za-z0-9+-.]*|_):[^\s]*$/.
func isAbsoluteIRI(v string) bool {
	i := strings.IndexByte(v, ':')
	if i <= 0 {
		return false
	}
	scheme := v[:i]
	if scheme != "_" {
		if !isAlpha(scheme[0]) {
			return false
		}
		for j := 1; j < len(scheme); j++ {
			ch := scheme[j]
			// [A-Za-z0-9+-.]: the class "+-." is the range '+'…'.', that is + , - .
			if !isAlpha(ch) && (ch < '0' || ch > '9') && (ch < '+' || ch > '.') {
				return false
			}
		}
	}
	for _, r := range v[i+1:] {
		if isJSSpace(r) {
			return false
		}
	}
	return true
}

func isAlpha(c byte) bool { return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' }

// isJSSpace is JavaScript's \s.
func isJSSpace(r rune) bool {
	switch r {
	case '\t', '\n', '\v', '\f', '\r', ' ', 0xa0, 0x1680, 0x2028, 0x2029, 0x202f, 0x205f, 0x3000, 0xfeff:
		return true
	}
	return 0x2000 <= r && r <= 0x200a
}

func sortedKeys(m map[string]any) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
