package maketest

import (
	"regexp"
	"strings"
	"testing"
)

// TestCheckGenerated runs `make check-generated` in a copy of the checkout:
// it passes with edits that generation does not write (README.md, an untracked file outside gen/ and api/); after a spec
// edit it fails and prints the generated diff, the new typed field included;
// and it fails on a new file in gen/.
func TestCheckGenerated(t *testing.T) {
	if testing.Short() {
		t.Skip("skipped in -short mode: it regenerates three times, some seconds each")
	}
	r := copyCheckout(t)

	r.write("README.md", r.read("README.md")+"\n")
	r.write("scratch.txt", "notes\n")
	if out, err := r.make("check-generated"); err != nil {
		t.Fatalf("make check-generated with README.md edited and an untracked scratch.txt: %v; want success (the copy holds the checkout's work tree: is its generated code current?)\n%s", err, out)
	}

	r.addProbe()
	out, err := r.make("check-generated")
	if err == nil {
		t.Fatalf("make check-generated after a spec edit succeeded; want a failure\n%s", out)
	}
	field := regexp.MustCompile("(?m)^\\+\\s+ProbeField\\s+int\\s+`json:\"probeField\"`")
	for _, want := range []string{"gen/ssiapi/client.gen.go |", "diff --git a/gen/ssiapi/client.gen.go b/gen/ssiapi/client.gen.go", "+type MakeTestProbe struct {", "generated code above differs"} {
		if !strings.Contains(out, want) {
			t.Errorf("make check-generated after a spec edit printed no %q", want)
		}
	}
	if !field.MatchString(out) {
		t.Errorf("make check-generated after a spec edit printed no line matching %s", field)
	}
	for _, unwanted := range []string{"Binary files", "README.md", "scratch.txt"} {
		if strings.Contains(out, unwanted) {
			t.Errorf("make check-generated after a spec edit printed %q; want only the generated diff", unwanted)
		}
	}
	if t.Failed() {
		t.Logf("its output:\n%s", out)
	}

	r.git("checkout", "--", "spec", "gen", "api")
	r.write("gen/ssiapi/extra.go", "package ssiapi\n")
	out, err = r.make("check-generated")
	if err == nil || !strings.Contains(out, "gen/ssiapi/extra.go") {
		t.Errorf("make check-generated with an untracked gen/ssiapi/extra.go: error %v; want a failure naming it\n%s", err, out)
	}
}
