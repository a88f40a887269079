package spec_test

import (
	"fmt"
	"strings"
	"testing"

	"go.yaml.in/yaml/v4"
)

// comments returns the comments that YAML finds in spec below its header
// (the comment block that opens the file), each with its line and the text
// beside it. In a plain (unquoted) scalar, " #" starts a comment, so the line
//
//	description: the DID followed by a fragment such as #key-1.
//
// reads as the description "the DID followed by a fragment such as" and the
// comment "#key-1.", which no generated doc shows. The specs document
// everything in descriptions, so any comment below the header is such a cut.
func comments(t *testing.T, spec []byte) []string {
	t.Helper()
	var doc yaml.Node
	if err := yaml.Unmarshal(spec, &doc); err != nil {
		t.Fatalf("parsing the spec: %v", err)
	}
	var found []string
	report := func(n *yaml.Node, where string, c string) {
		if c != "" {
			found = append(found, fmt.Sprintf("line %d, %s %q: comment %q", n.Line, where, n.Value, c))
		}
	}
	var walk func(n *yaml.Node, header bool)
	walk = func(n *yaml.Node, header bool) {
		if !header {
			report(n, "before", n.HeadComment)
		}
		report(n, "beside", n.LineComment)
		report(n, "after", n.FootComment)
		for i, c := range n.Content {
			// The header is the document's head comment, or that of the
			// first key of the top-level mapping.
			walk(c, n.Kind == yaml.DocumentNode || (header && i == 0))
		}
	}
	walk(&doc, true)
	return found
}

// TestSpecDescriptionsAreWhole fails when YAML cuts a description (or any other
// text) at " #": quote such a description, or write it as a block scalar (>-).
func TestSpecDescriptionsAreWhole(t *testing.T) {
	for _, sp := range specs {
		t.Run(sp.path, func(t *testing.T) {
			for _, c := range comments(t, readFile(t, sp.path)) {
				t.Errorf("spec/%s: %s; want no comment below the header: YAML cut the text at \" #\"", sp.path, c)
			}
		})
	}
}

// TestSpecDescriptionsCheckCanFail cuts a description of each spec as the
// ssi spec once did (VerificationMethod.id) and wants the check to see it.
func TestSpecDescriptionsCheckCanFail(t *testing.T) {
	const whole = `description: "The method's id, the DID followed by a fragment such as #key-1."`
	const cut = `description: The method's id, the DID followed by a fragment such as #key-1.`
	good := string(readFile(t, ssiSpecPath))
	if !strings.Contains(good, whole) {
		t.Fatalf("spec/%s no longer contains %q; update this test", ssiSpecPath, whole)
	}
	got := comments(t, []byte(strings.Replace(good, whole, cut, 1)))
	if len(got) != 1 || !strings.Contains(got[0], `"#key-1."`) {
		t.Errorf("comments of the spec with a cut description = %q; want the one comment \"#key-1.\"", got)
	}
	// A comment between two keys, in the middle of a mapping.
	got = comments(t, []byte(strings.Replace(good, whole, whole+"\n          # a stray comment", 1)))
	if len(got) != 1 || !strings.Contains(got[0], "a stray comment") {
		t.Errorf("comments of the spec with a stray comment line = %q; want that one", got)
	}
}
