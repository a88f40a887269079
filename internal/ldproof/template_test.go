package ldproof

import (
	"bytes"
	"encoding/json"
	"math"
	"reflect"
	"testing"
)

// templateCases are documents to expand, in an order where later ones
// share the shape of earlier ones with other values.
func templateCases(t testing.TB) []map[string]any {
	t.Helper()
	var docs []map[string]any
	for _, name := range []string{
		"vc/01-valid.vc.json", "vc/02-tampered-subject.vc.json", "vc/08-expired.vc.json", "vc/07-issuer-mismatch.vc.json",
		"vc/09-schemaorg-context.vc.json", "vp/01-valid.vp.json", "vc/05-undefined-term-added.vc.json",
	} {
		doc := readJSON(t, name)
		docs = append(docs, Unsigned(doc), ProofOptions(doc, doc["proof"].(map[string]any)))
	}
	// vc/01 with other values of every kind, in the same shape.
	for _, change := range []func(cs map[string]any){
		func(cs map[string]any) { cs["age"] = 9007199254740993.0; cs["score"] = 1e21; cs["name"] = "Tab\there" },
		func(cs map[string]any) {
			cs["age"] = math.Copysign(0, -1)
			cs["score"] = 1e-7
			cs["id"] = "_:b0"
			cs["note"] = "@id"
		},
		func(cs map[string]any) {
			cs["name"] = "xsd:string"
			cs["note"] = "https://example.org/x"
			cs["id"] = "did:other:1"
		},
		func(cs map[string]any) { cs["name"] = "urn:x-entityauth-slot:0"; cs["age"] = -1e-300 },
		func(cs map[string]any) { cs["id"] = "relative/iri"; cs["age"] = math.MaxFloat64 },
	} {
		doc := Unsigned(readJSON(t, "vc/01-valid.vc.json"))
		change(doc["credentialSubject"].(map[string]any))
		docs = append(docs, doc)
	}
	// A proof whose verificationMethod is a compact IRI of a defined prefix.
	doc := readJSON(t, "vc/01-valid.vc.json")
	proof := doc["proof"].(map[string]any)
	proof["verificationMethod"] = "xsd:key-1"
	docs = append(docs, ProofOptions(doc, proof))
	return docs
}

// TestTemplateMatchesExpansion checks that every document expanded through a
// template is what json-gold's plain expansion gives, and so are its
// canonical N-Quads.
func TestTemplateMatchesExpansion(t *testing.T) {
	p, plain := NewProcessor(), NewPlainProcessor()
	for round := range 2 {
		for i, doc := range templateCases(t) {
			for _, prefix := range []string{"", "/credentialSubject"} {
				want, wantErr := plain.Expand(doc, HypersignCopy, prefix)
				got, gotErr := p.Expand(doc, HypersignCopy, prefix)
				if (wantErr == nil) != (gotErr == nil) {
					t.Fatalf("round %d, doc %d: err = %v; want %v", round, i, gotErr, wantErr)
				}
				if wantErr != nil {
					continue
				}
				if !reflect.DeepEqual(got.Doc, want.Doc) {
					g, _ := json.Marshal(got.Doc)
					w, _ := json.Marshal(want.Doc)
					t.Fatalf("round %d, doc %d: expanded\n got %s\nwant %s", round, i, g, w)
				}
				if !reflect.DeepEqual(got.Nodes, want.Nodes) {
					t.Fatalf("round %d, doc %d: nodes %v; want %v", round, i, got.Nodes, want.Nodes)
				}
				gq, err := Quads(got.Doc)
				if err != nil {
					t.Fatal(err)
				}
				wq, err := Quads(want.Doc)
				if err != nil {
					t.Fatal(err)
				}
				gn, _ := Canonicalize(gq)
				wn, _ := Canonicalize(wq)
				if !bytes.Equal(gn, wn) {
					t.Fatalf("round %d, doc %d: N-Quads\n%s\nwant\n%s", round, i, gn, wn)
				}
			}
		}
	}
	// Of the 2×2×26 expansions, the first of each shape builds the template;
	// most others must be filled in.
	if n := p.instantiated.Load(); n < 60 {
		t.Errorf("%d expansions through a template; want at least 60, or the test compares little", n)
	}
}

// FuzzTemplate checks that expanding through a template always gives what
// the plain expansion gives: the first document of a shape builds the
// template, and a second one, of the same shape with its strings and numbers
// changed, is filled in.
func FuzzTemplate(f *testing.F) {
	for _, doc := range templateCases(f) {
		b, err := json.Marshal(doc)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b, "did:x:1", 7.5)
	}
	p, plain := NewProcessor(), NewPlainProcessor()
	f.Fuzz(func(t *testing.T, raw []byte, s string, n float64) {
		var doc map[string]any
		if json.Unmarshal(raw, &doc) != nil || len(raw) > 8<<10 {
			return
		}
		var other map[string]any
		_ = json.Unmarshal(raw, &other)
		replaceScalars(other, s, n)
		for _, d := range []map[string]any{doc, other} {
			want, wantErr := plain.Expand(d, HypersignCopy, "/credentialSubject")
			got, gotErr := p.Expand(d, HypersignCopy, "/credentialSubject")
			if (wantErr == nil) != (gotErr == nil) {
				t.Fatalf("err = %v; want %v", gotErr, wantErr)
			}
			if wantErr == nil && (!reflect.DeepEqual(got.Doc, want.Doc) || !reflect.DeepEqual(got.Nodes, want.Nodes)) {
				g, _ := json.Marshal(got.Doc)
				w, _ := json.Marshal(want.Doc)
				t.Fatalf("expanded\n got %s\nwant %s", g, w)
			}
		}
	})
}

// replaceScalars replaces every string (but @context's and type's) with s
// and every number with n, keeping the shape.
func replaceScalars(v any, s string, n float64) {
	switch t := v.(type) {
	case map[string]any:
		for k, e := range t {
			switch e.(type) {
			case string:
				if k != "type" && k != "@type" {
					t[k] = s
				}
			case float64:
				t[k] = n
			default:
				if k != "@context" {
					replaceScalars(e, s, n)
				}
			}
		}
	case []any:
		for i, e := range t {
			switch e.(type) {
			case string:
				t[i] = s
			case float64:
				t[i] = n
			default:
				replaceScalars(e, s, n)
			}
		}
	}
}
