package vc

import (
	"slices"
	"strconv"
	"strings"
)

// bindClaims checks that the claims of subject (a JSON object at pointer) say
// what was signed. JSON-LD signs the graph, not the JSON: a credential whose
// inline context maps a claim key to another term's IRI (rename "age" to
// "salary" and map "salary" to …/age) has the same graph, so the same valid
// signature, and says something else. So every claim key must map to the IRI
// of its own name, the IRI's last segment (after its last '/', '#' or ':'):
// https://hypersign-schema.org/<key> in today's inline schema context,
// <schema IRI>:<key> in the 2023 form ({"hs": "…:"}, {"name": "hs:name"}),
// http://schema.org/<key> with schema.org. Each expanded property must come
// from exactly one key. Nested objects are checked the same way.
//
// nodes maps the JSON pointers of the subject's node objects to their
// expanded form (see ldproof.Expanded).
func bindClaims(subject map[string]any, pointer string, nodes map[string]map[string]any) error {
	return bindNode(subject, pointer, "credentialSubject", nodes)
}

func bindNode(m map[string]any, pointer, path string, nodes map[string]map[string]any) error {
	node, ok := nodes[pointer]
	if !ok {
		// Not a node object (a value object, or a node that expansion
		// dropped): nothing of it is signed as properties.
		return nil
	}
	// The expanded properties, by the name that their IRI ends with.
	byName := make(map[string]string, len(node))
	for iri := range node {
		if strings.HasPrefix(iri, "@") {
			continue
		}
		name := lastSegment(iri)
		if other, dup := byName[name]; dup {
			return errorf(ErrUndefinedTerm, "%s: the signed properties %s and %s both end in %q, so one comes from another key", path, min(iri, other), max(iri, other), name)
		}
		byName[name] = iri
	}
	used := make(map[string]bool, len(byName))
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		if strings.HasPrefix(k, "@") || k == "id" || k == "type" || m[k] == nil {
			// Keywords and their usual aliases; a null is not signed (expansion drops it).
			continue
		}
		iri, ok := byName[k]
		if !ok {
			if _, isIRI := node[k]; isIRI {
				// The key is the full IRI.
				used[lastSegment(k)] = true
				continue
			}
			return errorf(ErrUndefinedTerm, "%s.%s is not bound to the signature: the contexts map it to an IRI that does not end in %q (signed properties: %s)",
				path, k, k, strings.Join(sortedValues(byName), ", "))
		}
		if used[k] {
			return errorf(ErrUndefinedTerm, "%s.%s is not bound to the signature: %s is given twice", path, k, iri)
		}
		used[k] = true
		if !matches(m[k], node[iri]) {
			return errorf(ErrUndefinedTerm, "%s.%s is not bound to the signature: its value is not the one signed under %s", path, k, iri)
		}
		if err := bindValue(m[k], pointer+"/"+escapePointer(k), path+"."+k, nodes); err != nil {
			return err
		}
	}
	for name, iri := range byName {
		if !used[name] {
			return errorf(ErrUndefinedTerm, "%s: the signed property %s comes from a key other than %q", path, iri, name)
		}
	}
	return nil
}

func bindValue(v any, pointer, path string, nodes map[string]map[string]any) error {
	switch t := v.(type) {
	case map[string]any:
		return bindNode(t, pointer, path, nodes)
	case []any:
		for i, e := range t {
			if err := bindValue(e, pointer+"/"+strconv.Itoa(i), path+"["+strconv.Itoa(i)+"]", nodes); err != nil {
				return err
			}
		}
	}
	return nil
}

// matches reports whether the JSON value j is what expansion made of it,
// expanded (a property's values): the same scalars in the same order. Node
// objects match here and are checked by bindNode through their pointers.
func matches(j any, expanded any) bool {
	list, _ := expanded.([]any)
	js, isArray := j.([]any)
	if !isArray {
		js = []any{j}
	}
	js = slices.DeleteFunc(slices.Clone(js), func(e any) bool { return e == nil })
	if len(list) == 1 && isArray {
		if l, ok := obj(list[0])["@list"].([]any); ok {
			list = l
		}
	}
	if len(js) != len(list) {
		return false
	}
	for i := range js {
		if !matchOne(js[i], obj(list[i])) {
			return false
		}
	}
	return true
}

func matchOne(j any, e map[string]any) bool {
	if e == nil {
		return false
	}
	if ev, isValue := e["@value"]; isValue {
		if jm, ok := j.(map[string]any); ok {
			return jm["@value"] == ev
		}
		return j == ev
	}
	if l, isList := e["@list"].([]any); isList {
		return matches(j, []any{map[string]any{"@list": l}})
	}
	switch jt := j.(type) {
	case string:
		return e["@id"] == jt
	case map[string]any:
		return true
	}
	return false
}

// lastSegment returns what follows the last '/', '#' or ':' of an IRI.
func lastSegment(iri string) string {
	return iri[strings.LastIndexAny(iri, "/#:")+1:]
}

func sortedValues(m map[string]string) []string {
	out := make([]string, 0, len(m))
	for _, v := range m {
		out = append(out, v)
	}
	slices.Sort(out)
	return out
}

// escapePointer escapes a JSON pointer token (RFC 6901).
func escapePointer(s string) string {
	if !strings.ContainsAny(s, "~/") {
		return s
	}
	return strings.ReplaceAll(strings.ReplaceAll(s, "~", "~0"), "/", "~1")
}
