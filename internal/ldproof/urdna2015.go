package ldproof

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"hash"
	"slices"
	"strconv"
	"strings"
	"unicode/utf16"
	"unicode/utf8"
)

// Limits on canonicalization work. A credential has a handful of blank
// nodes (the proof, a presentation's graphs); these bounds leave room and
// stop inputs crafted to make URDNA2015's permutations explode.
const (
	maxBlankNodes = 4096
	maxWork       = 200_000 // N-degree hash steps per canonicalization
)

// Canonicalize returns the URDNA2015 canonical N-Quads of qs, as
// rdf-canonize (which jsonld.js uses) writes and sorts them.
func Canonicalize(qs []quad) ([]byte, error) {
	c := &canon{
		info:      make(map[string]*bnodeInfo),
		canonical: newIssuer("_:c14n"),
		sha:       sha256.New(),
	}
	for i := range qs {
		q := &qs[i]
		for _, t := range []term{q.s, q.o, q.g} {
			if t.kind != kindBlank {
				continue
			}
			in := c.info[t.value]
			if in == nil {
				if len(c.info) >= maxBlankNodes {
					return nil, fmt.Errorf("%w: more than %d blank nodes", ErrTooComplex, maxBlankNodes)
				}
				in = &bnodeInfo{}
				c.info[t.value] = in
				c.order = append(c.order, t.value)
			}
			if len(in.quads) == 0 || in.quads[len(in.quads)-1] != q {
				in.quads = append(in.quads, q)
			}
		}
	}

	nonNormalized := slices.Clone(c.order)
	hashToBlank := map[string][]string{}
	for simple := true; simple; {
		simple = false
		clear(hashToBlank)
		for _, id := range nonNormalized {
			h := c.firstDegree(id)
			hashToBlank[h] = append(hashToBlank[h], id)
		}
		hashes := sortedStrings(hashToBlank)
		for _, h := range hashes {
			ids := hashToBlank[h]
			if len(ids) > 1 {
				continue
			}
			c.canonical.get(ids[0])
			nonNormalized = slices.DeleteFunc(nonNormalized, func(s string) bool { return s == ids[0] })
			delete(hashToBlank, h)
			simple = true
		}
	}

	for _, h := range sortedStrings(hashToBlank) {
		type result struct {
			hash   string
			issuer *issuer
		}
		var results []result
		for _, id := range hashToBlank[h] {
			if c.canonical.has(id) {
				continue
			}
			is := newIssuer("_:b")
			is.get(id)
			rh, ri, err := c.nDegree(id, is)
			if err != nil {
				return nil, err
			}
			results = append(results, result{rh, ri})
		}
		slices.SortStableFunc(results, func(a, b result) int { return strings.Compare(a.hash, b.hash) })
		for _, r := range results {
			for _, old := range r.issuer.order {
				c.canonical.get(old)
			}
		}
	}

	lines := make([]string, len(qs))
	for i := range qs {
		q := qs[i]
		c.relabel(&q.s)
		c.relabel(&q.o)
		c.relabel(&q.g)
		lines[i] = nquad(&q)
	}
	slices.SortFunc(lines, compareUTF16)
	n := 0
	for _, l := range lines {
		n += len(l)
	}
	out := make([]byte, 0, n)
	for _, l := range lines {
		out = append(out, l...)
	}
	return out, nil
}

type bnodeInfo struct {
	quads []*quad
	hash  string
}

type canon struct {
	info      map[string]*bnodeInfo
	order     []string
	canonical *issuer
	sha       hash.Hash
	work      int
}

func (c *canon) relabel(t *term) {
	if t.kind == kindBlank {
		t.value = c.canonical.get(t.value)
	}
}

func (c *canon) digest(parts ...string) string {
	c.sha.Reset()
	for _, p := range parts {
		c.sha.Write([]byte(p))
	}
	var sum [sha256.Size]byte
	return hex.EncodeToString(c.sha.Sum(sum[:0]))
}

// firstDegree is the Hash First Degree Quads algorithm (4.6).
func (c *canon) firstDegree(id string) string {
	in := c.info[id]
	if in.hash != "" {
		return in.hash
	}
	lines := make([]string, 0, len(in.quads))
	for _, q0 := range in.quads {
		q := *q0
		for _, t := range []*term{&q.s, &q.o, &q.g} {
			if t.kind == kindBlank {
				if t.value == id {
					t.value = "_:a"
				} else {
					t.value = "_:z"
				}
			}
		}
		lines = append(lines, nquad(&q))
	}
	slices.SortFunc(lines, compareUTF16)
	in.hash = c.digest(lines...)
	return in.hash
}

// relatedHash is the Hash Related Blank Node algorithm (4.7).
func (c *canon) relatedHash(related string, q *quad, is *issuer, position string) string {
	var id string
	switch {
	case c.canonical.has(related):
		id = c.canonical.get(related)
	case is.has(related):
		id = is.get(related)
	default:
		id = c.firstDegree(related)
	}
	if position == "g" {
		return c.digest(position, id)
	}
	return c.digest(position, "<", q.p.value, ">", id)
}

// nDegree is the Hash N-Degree Quads algorithm (4.8).
func (c *canon) nDegree(id string, is *issuer) (string, *issuer, error) {
	c.work++
	if c.work > maxWork {
		return "", nil, fmt.Errorf("%w: more than %d hashing steps", ErrTooComplex, maxWork)
	}
	hashToRelated := map[string][]string{}
	for _, q := range c.info[id].quads {
		for _, pos := range [...]struct {
			t   term
			pos string
		}{{q.s, "s"}, {q.o, "o"}, {q.g, "g"}} {
			if pos.t.kind != kindBlank || pos.t.value == id {
				continue
			}
			h := c.relatedHash(pos.t.value, q, is, pos.pos)
			hashToRelated[h] = append(hashToRelated[h], pos.t.value)
		}
	}
	var data strings.Builder
	for _, h := range sortedStrings(hashToRelated) {
		data.WriteString(h)
		chosenPath := ""
		var chosenIssuer *issuer
		list := hashToRelated[h]
		if len(list) > 8 {
			return "", nil, fmt.Errorf("%w: %d blank nodes hash alike", ErrTooComplex, len(list))
		}
		perm := slices.Clone(list)
		slices.Sort(perm)
		for {
			c.work++
			if c.work > maxWork {
				return "", nil, fmt.Errorf("%w: more than %d hashing steps", ErrTooComplex, maxWork)
			}
			isCopy := is.clone()
			path := ""
			var recursion []string
			skip := false
			for _, related := range perm {
				if c.canonical.has(related) {
					path += c.canonical.get(related)
				} else {
					if !isCopy.has(related) {
						recursion = append(recursion, related)
					}
					path += isCopy.get(related)
				}
				if chosenPath != "" && path > chosenPath {
					skip = true
					break
				}
			}
			if !skip {
				for _, related := range recursion {
					rh, ri, err := c.nDegree(related, isCopy)
					if err != nil {
						return "", nil, err
					}
					path += isCopy.get(related)
					path += "<" + rh + ">"
					isCopy = ri
					if chosenPath != "" && path > chosenPath {
						skip = true
						break
					}
				}
			}
			if !skip && (chosenPath == "" || path < chosenPath) {
				chosenPath = path
				chosenIssuer = isCopy
			}
			if !nextPermutation(perm) {
				break
			}
		}
		data.WriteString(chosenPath)
		is = chosenIssuer
	}
	return c.digest(data.String()), is, nil
}

// nextPermutation rearranges p into its next lexicographic permutation and
// reports whether there was one (the order does not change the result).
func nextPermutation(p []string) bool {
	i := len(p) - 2
	for i >= 0 && p[i] >= p[i+1] {
		i--
	}
	if i < 0 {
		return false
	}
	j := len(p) - 1
	for p[j] <= p[i] {
		j--
	}
	p[i], p[j] = p[j], p[i]
	slices.Reverse(p[i+1:])
	return true
}

// issuer is the Identifier Issuer of the canonicalization spec.
type issuer struct {
	prefix  string
	counter int
	ids     map[string]string
	order   []string
}

func newIssuer(prefix string) *issuer {
	return &issuer{prefix: prefix, ids: make(map[string]string)}
}

func (is *issuer) has(old string) bool { _, ok := is.ids[old]; return ok }

func (is *issuer) get(old string) string {
	if id, ok := is.ids[old]; ok {
		return id
	}
	id := is.prefix + strconv.Itoa(is.counter)
	is.counter++
	is.ids[old] = id
	is.order = append(is.order, old)
	return id
}

func (is *issuer) clone() *issuer {
	c := &issuer{prefix: is.prefix, counter: is.counter, ids: make(map[string]string, len(is.ids)), order: slices.Clone(is.order)}
	for k, v := range is.ids {
		c.ids[k] = v
	}
	return c
}

func sortedStrings[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// nquad writes q as rdf-canonize's NQuads.serializeQuad does: IRIs are not
// escaped, and in literals only \ " LF and CR are (not TAB, unlike json-gold).
func nquad(q *quad) string {
	var b strings.Builder
	b.Grow(len(q.s.value) + len(q.p.value) + len(q.o.value) + len(q.o.datatype) + len(q.g.value) + 16)
	writeTerm(&b, &q.s)
	b.WriteByte(' ')
	writeTerm(&b, &q.p)
	b.WriteByte(' ')
	writeTerm(&b, &q.o)
	if q.g.kind != kindNone {
		b.WriteByte(' ')
		writeTerm(&b, &q.g)
	}
	b.WriteString(" .\n")
	return b.String()
}

func writeTerm(b *strings.Builder, t *term) {
	switch t.kind {
	case kindIRI:
		b.WriteByte('<')
		b.WriteString(t.value)
		b.WriteByte('>')
	case kindBlank:
		b.WriteString(t.value)
	case kindLiteral:
		b.WriteByte('"')
		escapeLiteral(b, t.value)
		b.WriteByte('"')
		switch t.datatype {
		case rdfLangString:
			if t.lang != "" {
				b.WriteByte('@')
				b.WriteString(t.lang)
			}
		case xsdString:
		default:
			b.WriteString("^^<")
			b.WriteString(t.datatype)
			b.WriteByte('>')
		}
	}
}

func escapeLiteral(b *strings.Builder, s string) {
	start := 0
	for i := 0; i < len(s); i++ {
		var rep string
		switch s[i] {
		case '"':
			rep = `\"`
		case '\\':
			rep = `\\`
		case '\n':
			rep = `\n`
		case '\r':
			rep = `\r`
		default:
			continue
		}
		b.WriteString(s[start:i])
		b.WriteString(rep)
		start = i + 1
	}
	b.WriteString(s[start:])
}

// compareUTF16 orders strings as JavaScript's default sort does, by UTF-16
// code units. It differs from byte order only when a character above U+FFFF
// meets one in U+E000–U+FFFF.
func compareUTF16(a, b string) int {
	i := 0
	for i < len(a) && i < len(b) && a[i] == b[i] {
		i++
	}
	if i == len(a) || i == len(b) {
		return len(a) - len(b)
	}
	// Back up to the start of the rune that differs.
	for i > 0 && !utf8.RuneStart(a[i]) {
		i--
	}
	ra, _ := utf8.DecodeRuneInString(a[i:])
	rb, _ := utf8.DecodeRuneInString(b[i:])
	ua, ub := utf16.Encode([]rune{ra}), utf16.Encode([]rune{rb})
	for k := 0; k < len(ua) && k < len(ub); k++ {
		if ua[k] != ub[k] {
			return int(ua[k]) - int(ub[k])
		}
	}
	if len(ua) != len(ub) {
		return len(ua) - len(ub)
	}
	return strings.Compare(a[i:], b[i:])
}
