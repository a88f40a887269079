package doctest

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// docs lists the documents whose Go blocks must compile, and how many
// complete files each holds at least, so that a broken fence cannot make
// the test pass by finding nothing.
var docs = []struct {
	path string
	min  int
}{
	{"README.md", 2},
	{"docs/ssi.md", 2},
	{"docs/testing.md", 1},
}

// block is one ```go block of a document that is a complete file.
type block struct {
	doc  string // its document, relative to the repository
	line int    // the line of its first line of code
	pkg  string // its package clause
	code string
}

var packageClause = regexp.MustCompile(`(?m)^package ([a-z_][a-z0-9_]*)\s*$`)

// goBlocks returns the ```go blocks of the document at path that start with
// a package clause (after comments); other blocks are fragments and skipped.
func goBlocks(t *testing.T, root, doc string) []block {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(root, doc))
	if err != nil {
		t.Fatal(err)
	}
	var (
		out   []block
		in    bool
		start int
		code  strings.Builder
	)
	sc := bufio.NewScanner(bytes.NewReader(data))
	for n := 1; sc.Scan(); n++ {
		line := sc.Text()
		switch {
		case !in && strings.TrimSpace(line) == "```go":
			in, start = true, n+1
			code.Reset()
		case in && strings.TrimSpace(line) == "```":
			in = false
			if m := packageClause.FindStringSubmatch(code.String()); m != nil && startsWithPackage(code.String()) {
				out = append(out, block{doc: doc, line: start, pkg: m[1], code: code.String()})
			}
		case in:
			code.WriteString(line)
			code.WriteByte('\n')
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	if in {
		t.Fatalf("%s: the ```go block at line %d is not closed", doc, start-1)
	}
	return out
}

// startsWithPackage reports whether code's first line that is not a comment
// or blank is a package clause.
func startsWithPackage(code string) bool {
	for line := range strings.Lines(code) {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "//") {
			continue
		}
		return strings.HasPrefix(line, "package ")
	}
	return false
}

// readSources reads every Go file of the module at root, and its go.mod:
// go test caches a result until a file that the test opened changes, and the
// documents' programs compile against these files in another process.
func readSources(t *testing.T, root string) {
	t.Helper()
	err := filepath.WalkDir(root, func(path string, d os.DirEntry, err error) error {
		switch {
		case err != nil:
			return err
		case d.IsDir() && path != root && (strings.HasPrefix(d.Name(), ".") || d.Name() == "testdata" || d.Name() == "bin"):
			return filepath.SkipDir
		case !d.IsDir() && (strings.HasSuffix(path, ".go") || path == filepath.Join(root, "go.mod")):
			_, err = os.ReadFile(path)
			return err
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// TestDocsCompile writes the complete Go files of each document into a
// module outside the repository, one directory per document and package
// (a document's blocks of one package are one package, as a user pastes
// them), runs go vet on it, tests included, and then runs its tests.
func TestDocsCompile(t *testing.T) {
	gobin, err := exec.LookPath("go")
	if err != nil {
		t.Skip("no go command in PATH")
	}
	root, err := filepath.Abs(filepath.Join("..", ".."))
	if err != nil {
		t.Fatal(err)
	}
	readSources(t, root)
	sum, err := os.ReadFile(filepath.Join(root, "go.sum"))
	if err != nil {
		t.Fatal(err)
	}
	mod := t.TempDir()
	goMod := "module example.com/docs\n\ngo 1.25\n\n" +
		"require github.com/entity-studio-go/entityauth v0.0.0\n\n" +
		"replace github.com/entity-studio-go/entityauth => " + root + "\n"
	if err := os.WriteFile(filepath.Join(mod, "go.mod"), []byte(goMod), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(mod, "go.sum"), sum, 0o644); err != nil {
		t.Fatal(err)
	}

	where := map[string]block{} // file written -> its block
	for _, d := range docs {
		blocks := goBlocks(t, root, d.path)
		if len(blocks) < d.min {
			t.Errorf("%s: %d complete Go files; want at least %d", d.path, len(blocks), d.min)
		}
		for i, b := range blocks {
			dir := strings.NewReplacer("/", "_", ".", "_").Replace(b.doc) + "_" + b.pkg
			name := fmt.Sprintf("block%d.go", i)
			if strings.Contains(b.code, "\nfunc Test") || strings.Contains(b.code, "\nfunc Example") {
				name = fmt.Sprintf("block%d_test.go", i)
			}
			if err := os.MkdirAll(filepath.Join(mod, dir), 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(filepath.Join(mod, dir, name), []byte(b.code), 0o644); err != nil {
				t.Fatal(err)
			}
			where[dir+"/"+name] = b
		}
	}

	// vet compiles every file, tests included; the tests then run, as a
	// user who pasted them runs them.
	runs := [][]string{{"vet", "./..."}, {"test", "-count=1", "./..."}}
	if testing.Short() {
		runs = runs[:1] // compile only: the tests take 4 s more
	}
	for _, args := range runs {
		cmd := exec.CommandContext(t.Context(), gobin, args...)
		cmd.Dir = mod
		cmd.Env = append(os.Environ(), "GOFLAGS=-mod=mod", "GOPROXY=off", "GOWORK=off", "GOTOOLCHAIN=local")
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("go %s of the documents' programs: %v\n%s", strings.Join(args, " "), err, inDocs(out, where))
		}
	}
}

var filePos = regexp.MustCompile(`[\w./-]*?(\w+/block\d+(?:_test)?\.go):(\d+)`)

// inDocs rewrites the positions in go vet's output, file:line, to the
// documents' own: README.md:57.
func inDocs(out []byte, where map[string]block) string {
	return filePos.ReplaceAllStringFunc(string(out), func(m string) string {
		sub := filePos.FindStringSubmatch(m)
		b, ok := where[sub[1]]
		if !ok {
			return m
		}
		var n int
		if _, err := fmt.Sscan(sub[2], &n); err != nil {
			return m
		}
		return fmt.Sprintf("%s:%d", b.doc, b.line+n-1)
	})
}
