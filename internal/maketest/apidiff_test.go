package maketest

import (
	"os"
	"strings"
	"testing"
)

// probeGo is a hand-written exported function that TestAPIDiff adds to
// package ssi in the base commit and removes after.
const probeGo = `package ssi

// MakeTestProbe is a probe that package maketest adds.
func MakeTestProbe() {}
`

// TestAPIDiff makes breaking changes in a copy of the checkout and checks
// that `make api-diff` reports them: the base commit adds an operation to
// spec/ssi-api.yaml (regenerated into gen/ssiapi) and a function to ssi; the
// next commit takes both away again. oasdiff must report the removed
// operation, apidiff the removed type and function, and the parts that did not
// change must be reported unchanged. It builds the pinned tools, a minute or
// two the first time, so it runs only with ENTITYAUTH_API_DIFF_TEST=1, as
// `make api-diff-test` (part of `make ci`) sets it.
func TestAPIDiff(t *testing.T) {
	if os.Getenv("ENTITYAUTH_API_DIFF_TEST") != "1" {
		t.Skip("skipped: it builds oasdiff and apidiff; run make api-diff-test (part of make ci)")
	}
	r := copyCheckout(t)
	if out, err := r.make("api-diff-tools"); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("make api-diff-tools: %v; CI must be able to build them\n%s", err, out)
		}
		t.Skipf("skipped: the pinned oasdiff and apidiff cannot be built here (%v)", err)
	}

	r.addProbe()
	r.write("ssi/maketest_probe.go", probeGo)
	if out, err := r.make("generate"); err != nil {
		t.Fatalf("make generate with the probe: %v\n%s", err, out)
	}
	r.commit("add the probe")
	r.git("rm", "-q", "ssi/maketest_probe.go")
	r.git("checkout", "HEAD~1", "--", "spec", "gen", "api")
	r.commit("remove the probe: breaking")

	out, err := r.make("api-diff")
	if err != nil {
		t.Fatalf("make api-diff: %v\n%s", err, out)
	}
	got := sections(out)
	const mod = "github.com/entity-studio-go/entityauth/"
	want := map[string][]string{
		"spec/openapi.yaml": {"No changes detected"},
		"spec/ssi-api.yaml": {"api-path-removed-without-deprecation", "GET /api/v1/maketest-probe"},
		mod + "gen":         {"none"},
		mod + "gen/ssiapi":  {"- MakeTestProbe: removed", "- MakeTestProbeResponse: removed"},
		mod + "ssi":         {"- MakeTestProbe: removed"},
	}
	for name, lines := range want {
		text, ok := got[name]
		if !ok {
			t.Errorf("make api-diff printed no section for %s", name)
			continue
		}
		for _, line := range lines {
			if !strings.Contains(text, line) {
				t.Errorf("make api-diff's section for %s = %q; want it to hold %q", name, text, line)
			}
		}
	}
	if len(got) != len(want) {
		t.Errorf("make api-diff printed %d sections; want %d", len(got), len(want))
	}
	t.Logf("make api-diff printed:\n%s", out)

	// Against HEAD, the work tree (clean) has no change at all.
	out, err = r.make("api-diff", "BASE=HEAD")
	if err != nil {
		t.Fatalf("make api-diff BASE=HEAD: %v\n%s", err, out)
	}
	for name, text := range sections(out) {
		if text != "No changes detected" && text != "none" {
			t.Errorf("make api-diff BASE=HEAD on a clean tree: section %s = %q; want no change", name, text)
		}
	}
}

// sections splits api-diff's output into its sections, by the name that
// follows "== " up to the colon, each section's text trimmed.
func sections(out string) map[string]string {
	got := map[string]string{}
	var name string
	var text []string
	flush := func() {
		if name != "" {
			got[name] = strings.TrimSpace(strings.Join(text, "\n"))
		}
	}
	for line := range strings.SplitSeq(out, "\n") {
		if rest, ok := strings.CutPrefix(line, "== "); ok {
			flush()
			name, _, _ = strings.Cut(rest, ":")
			text = nil
			continue
		}
		text = append(text, line)
	}
	flush()
	return got
}
