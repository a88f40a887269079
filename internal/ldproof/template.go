package ldproof

import (
	"encoding/binary"
	"encoding/json"
	"fmt"
	"math"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/piprate/json-gold/ld"
)

// Expansion templates.
//
// Expanding a document with json-gold costs mostly the parsing of the
// type- and property-scoped contexts that its terms carry, again for every
// document. Yet two credentials of one schema from one issuer differ only in
// their values, and expansion copies most values verbatim. So Expand expands
// a document's shape once, a skeleton in which each string and number is
// replaced by a placeholder, and then fills each new document of that shape
// into a copy of the expanded skeleton.
//
// What stays in the skeleton, so in the cache key: every key, every
// @context, the values of "type" and "@type" (they select scoped contexts),
// booleans, nulls, the kinds of the values (string, number) and the places
// where learned that a value must stay (below). A placeholder is used only
// where its expansion is provably the value itself:
//   - a literal placeholder ("\x00" and the slot number) must come out as
//     the "@value" of a value object, which json-gold copies verbatim;
//   - an IRI placeholder (urn:x-entityauth-slot:n) stands for a string that
//     IRI expansion returns unchanged in any active context: an absolute IRI
//     (or blank node id) whose prefix and whole are no term of any context in
//     play. It must come out as an "@id" or "@value".
//
// A placeholder found anywhere else (in an @type, inside a longer IRI, in a
// key, twice) marks its slot as one whose value must stay in the skeleton,
// and the shape is built again. Anything unexpected falls back to a plain
// expansion. TestTemplateMatchesExpansion checks templates against plain
// expansions.

const (
	iriSlot    = "urn:x-entityauth-slot:"
	slotMarker = "x-entityauth-slot:"
	litSlot    = "\x00"
	// maxTemplates bounds the templates kept per copy of credentials/v1.
	maxTemplates = 256
	// maxShapeRounds bounds how often a shape is rebuilt with more slots
	// kept verbatim.
	maxShapeRounds = 3
)

// embeddedTerms holds every key defined in any embedded context, at any
// depth: the names that could be a prefix or a term somewhere.
var embeddedTerms = sync.OnceValue(func() map[string]bool {
	terms := map[string]bool{}
	entries, _ := contextFiles.ReadDir("contexts")
	for _, e := range entries {
		b, err := contextFiles.ReadFile("contexts/" + e.Name())
		if err != nil {
			continue
		}
		var v any
		if json.Unmarshal(b, &v) == nil {
			collectTerms(v, terms)
		}
	}
	return terms
})

// collectTerms adds to terms every key of every map in v.
func collectTerms(v any, terms map[string]bool) {
	switch t := v.(type) {
	case map[string]any:
		for k, e := range t {
			terms[k] = true
			collectTerms(e, terms)
		}
	case []any:
		for _, e := range t {
			collectTerms(e, terms)
		}
	}
}

// docTerms returns the keys defined by the @context values inside doc.
func docTerms(v any, terms map[string]bool) {
	switch t := v.(type) {
	case map[string]any:
		for k, e := range t {
			if k == "@context" {
				collectTerms(e, terms)
			} else {
				docTerms(e, terms)
			}
		}
	case []any:
		for _, e := range t {
			docTerms(e, terms)
		}
	}
}

// shaper builds a skeleton.
type shaper struct {
	verbatim map[int]bool
	inline   map[string]bool
	vals     []any
	ok       bool
}

func (s *shaper) walk(v any) any {
	switch t := v.(type) {
	case map[string]any:
		// Slots are numbered in key order, so that one skeleton always
		// numbers its slots alike.
		out := make(map[string]any, len(t))
		for _, k := range sortedKeys(t) {
			e := t[k]
			switch k {
			case "@context", "type", "@type":
				out[k] = e
			default:
				out[k] = s.walk(e)
			}
		}
		return out
	case []any:
		out := make([]any, len(t))
		for i, e := range t {
			out[i] = s.walk(e)
		}
		return out
	case string:
		i := len(s.vals)
		s.vals = append(s.vals, t)
		if strings.Contains(t, litSlot) || strings.Contains(t, slotMarker) {
			s.ok = false
		}
		if s.verbatim[i] {
			return t
		}
		if s.inert(t) {
			return iriSlot + strconv.Itoa(i)
		}
		return litSlot + strconv.Itoa(i)
	case float64:
		i := len(s.vals)
		s.vals = append(s.vals, t)
		if s.verbatim[i] {
			return t
		}
		return numSlot(i)
	}
	return v
}

// numSlot is the placeholder of number slot i: a value no credential holds
// (the Expand caller checks that none of the document's numbers is one).
func numSlot(i int) float64 { return -1e-300 * float64(i+1) }

func isNumSlot(f float64) (int, bool) {
	if f >= 0 || f < -1e-296 {
		return 0, false
	}
	i := int(-f/1e-300+0.5) - 1
	if i < 0 || numSlot(i) != f {
		return 0, false
	}
	return i, true
}

// inert reports whether IRI expansion returns s unchanged in any active
// context of this document: s is a blank node id or an absolute IRI whose
// prefix and whole are no term of any context.
func (s *shaper) inert(v string) bool {
	i := strings.IndexByte(v, ':')
	if i <= 0 || strings.HasPrefix(v, "@") {
		return false
	}
	prefix, suffix := v[:i], v[i+1:]
	terms := embeddedTerms()
	if terms[v] || s.inline[v] {
		return false
	}
	if prefix == "_" {
		return true
	}
	if terms[prefix] || s.inline[prefix] {
		return false
	}
	return strings.HasPrefix(suffix, "//") || ld.IsAbsoluteIri(v)
}

// slot is where a placeholder came out in an expanded skeleton.
type slot struct {
	m   map[string]any
	key string
	idx int
}

// template is an expanded skeleton.
type template struct {
	expanded []any
	nodes    map[string]map[string]any
	slots    []slot
}

type templateEntry struct {
	once sync.Once
	t    *template
	keep []int // slots found where a placeholder may not be; nil when t is set
}

// templated expands doc through a template; ok is false when it cannot.
func (p *Processor) templated(doc map[string]any, c Copy, pointerPrefix string) (*Expanded, bool) {
	cc := p.copies[c]
	inline := map[string]bool{}
	docTerms(doc, inline)
	verbatim := map[int]bool{}
	for range maxShapeRounds {
		s := &shaper{verbatim: verbatim, inline: inline, ok: true}
		skel := s.walk(doc).(map[string]any)
		if !s.ok {
			return nil, false
		}
		for _, v := range s.vals {
			if f, isNum := v.(float64); isNum {
				if _, clash := isNumSlot(f); clash {
					return nil, false
				}
			}
		}
		k := string(appendKey([]byte(pointerPrefix+"\n"), skel))
		e, found := cc.templates.Load(k)
		if !found {
			if cc.nTemplates.Load() >= maxTemplates {
				return nil, false
			}
			var loaded bool
			if e, loaded = cc.templates.LoadOrStore(k, new(templateEntry)); !loaded {
				cc.nTemplates.Add(1)
			}
		}
		te := e.(*templateEntry)
		te.once.Do(func() { te.t, te.keep = p.buildTemplate(skel, c, pointerPrefix) })
		if te.t != nil {
			return te.t.instantiate(s.vals), true
		}
		if len(te.keep) == 0 {
			return nil, false
		}
		for _, i := range te.keep {
			verbatim[i] = true
		}
	}
	return nil, false
}

// buildTemplate expands a skeleton and finds its placeholders. It returns the
// template, or the slots that must be kept verbatim, or neither.
func (p *Processor) buildTemplate(skel map[string]any, c Copy, pointerPrefix string) (t *template, keep []int) {
	defer func() {
		if recover() != nil {
			t, keep = nil, nil
		}
	}()
	x, err := p.expandPlain(skel, c, pointerPrefix)
	if err != nil {
		return nil, nil
	}
	t = &template{expanded: x.Doc, nodes: x.Nodes}
	bad := map[int]bool{}
	seen := map[int]bool{}
	var scan func(v any)
	note := func(i int, ok bool) {
		if seen[i] || !ok {
			bad[i] = true
		}
		seen[i] = true
	}
	scanString := func(s string) {
		// A placeholder where it may not be, or altered.
		for _, marker := range []string{iriSlot, litSlot, slotMarker} {
			if j := strings.Index(s, marker); j >= 0 {
				if n, err := strconv.Atoi(s[j+len(marker):]); err == nil {
					bad[n] = true
				} else {
					bad[-1] = true
				}
				return
			}
		}
	}
	scan = func(v any) {
		switch tv := v.(type) {
		case map[string]any:
			for k, e := range tv {
				scanString(k)
				if i, ok := slotOf(e); ok && (k == "@value" || k == "@id") {
					es, isString := e.(string)
					isIRI := isString && strings.HasPrefix(es, iriSlot)
					note(i, k == "@value" || isIRI)
					t.slots = append(t.slots, slot{m: tv, key: k, idx: i})
					continue
				}
				scan(e)
			}
		case []any:
			for _, e := range tv {
				scan(e)
			}
		case string:
			scanString(tv)
		case float64:
			if i, isSlot := isNumSlot(tv); isSlot {
				bad[i] = true
			}
		}
	}
	scan(x.Doc)
	if len(bad) > 0 {
		if bad[-1] {
			return nil, nil
		}
		for i := range bad {
			keep = append(keep, i)
		}
		slices.Sort(keep)
		return nil, keep
	}
	return t, nil
}

// slotOf returns the slot number of a placeholder value.
func slotOf(v any) (int, bool) {
	switch t := v.(type) {
	case string:
		var rest string
		switch {
		case strings.HasPrefix(t, iriSlot):
			rest = t[len(iriSlot):]
		case strings.HasPrefix(t, litSlot):
			rest = t[len(litSlot):]
		default:
			return 0, false
		}
		i, err := strconv.Atoi(rest)
		return i, err == nil && strconv.Itoa(i) == rest
	case float64:
		return isNumSlot(t)
	}
	return 0, false
}

// instantiate copies the template and fills in vals.
func (t *template) instantiate(vals []any) *Expanded {
	copies := make(map[uintptr]map[string]any, 64)
	doc := deepCopy(t.expanded, copies).([]any)
	for _, s := range t.slots {
		copies[mapID(s.m)][s.key] = vals[s.idx]
	}
	x := &Expanded{Doc: doc}
	if t.nodes != nil {
		x.Nodes = make(map[string]map[string]any, len(t.nodes))
		for ptr, n := range t.nodes {
			if m, ok := copies[mapID(n)]; ok {
				x.Nodes[ptr] = m
			}
		}
	}
	return x
}

func mapID(m map[string]any) uintptr { return reflect.ValueOf(m).Pointer() }

func deepCopy(v any, copies map[uintptr]map[string]any) any {
	switch t := v.(type) {
	case map[string]any:
		id := mapID(t)
		if m, ok := copies[id]; ok {
			return m
		}
		m := make(map[string]any, len(t))
		copies[id] = m
		for k, e := range t {
			m[k] = deepCopy(e, copies)
		}
		return m
	case []any:
		out := make([]any, len(t))
		for i, e := range t {
			out[i] = deepCopy(e, copies)
		}
		return out
	}
	return v
}

// appendKey appends an unambiguous serialization of decoded JSON v (map
// keys sorted, strings length-prefixed): the cache key of a skeleton.
func appendKey(b []byte, v any) []byte {
	switch t := v.(type) {
	case map[string]any:
		b = binary.AppendUvarint(append(b, 'm'), uint64(len(t)))
		var buf [16]string
		keys := buf[:0]
		for k := range t {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		for _, k := range keys {
			b = append(binary.AppendUvarint(b, uint64(len(k))), k...)
			b = appendKey(b, t[k])
		}
		return b
	case []any:
		b = binary.AppendUvarint(append(b, 'a'), uint64(len(t)))
		for _, e := range t {
			b = appendKey(b, e)
		}
		return b
	case string:
		return append(binary.AppendUvarint(append(b, 's'), uint64(len(t))), t...)
	case float64:
		return binary.LittleEndian.AppendUint64(append(b, 'f'), math.Float64bits(t))
	case bool:
		if t {
			return append(b, 't')
		}
		return append(b, 'F')
	case nil:
		return append(b, 'n')
	}
	// Not decoded JSON: a key that matches no other.
	return append(b, fmt.Sprintf("?%T%p", v, &v)...)
}
