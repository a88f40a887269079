package maketest

import (
	"bytes"
	"errors"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// need skips the test when a command it runs is not on PATH, or fails it
// under CI=true, where nothing may pass by skipping.
func need(t *testing.T, commands ...string) {
	t.Helper()
	for _, c := range commands {
		if _, err := exec.LookPath(c); err != nil {
			if os.Getenv("CI") == "true" {
				t.Fatalf("%s is not on PATH; CI must have it", c)
			}
			t.Skipf("skipped: %s is not on PATH", c)
		}
	}
}

// checkout returns the root of the git work tree that holds this package,
// skipping the test (failing it under CI=true) outside one.
func checkout(t *testing.T) string {
	t.Helper()
	out, err := exec.CommandContext(t.Context(), "git", "rev-parse", "--show-toplevel").Output()
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("git rev-parse --show-toplevel: %v; CI runs in a clone", err)
		}
		t.Skipf("skipped: not in a git work tree (%v)", err)
	}
	return strings.TrimSpace(string(out))
}

// repo is a throwaway git repository in a temporary directory.
type repo struct {
	t   *testing.T
	dir string
}

// copyCheckout copies the checkout's files as they are in its work tree
// (tracked ones with their uncommitted edits, and untracked ones that
// .gitignore does not exclude) into a new repository, and commits them there,
// so that the copy's HEAD is what is being tested and its tree is clean.
func copyCheckout(t *testing.T) *repo {
	t.Helper()
	need(t, "git", "make")
	root := checkout(t)
	list := exec.CommandContext(t.Context(), "git", "ls-files", "-z", "--cached", "--others", "--exclude-standard")
	list.Dir = root
	out, err := list.Output()
	if err != nil {
		t.Fatalf("git ls-files: %v", err)
	}
	r := &repo{t: t, dir: t.TempDir()}
	files := 0
	for name := range strings.SplitSeq(strings.TrimSuffix(string(out), "\x00"), "\x00") {
		src := filepath.Join(root, filepath.FromSlash(name))
		info, err := os.Lstat(src)
		if errors.Is(err, fs.ErrNotExist) {
			continue // deleted in the work tree, not yet committed
		}
		if err != nil {
			t.Fatal(err)
		}
		if !info.Mode().IsRegular() {
			continue
		}
		data, err := os.ReadFile(src)
		if err != nil {
			t.Fatal(err)
		}
		dst := filepath.Join(r.dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(dst, data, info.Mode().Perm()); err != nil {
			t.Fatal(err)
		}
		files++
	}
	if files < 10 {
		t.Fatalf("copied %d files of the checkout; want the module", files)
	}
	r.git("init", "-q")
	r.commit("the checkout as it is")
	return r
}

// run runs a command in the repository and returns its combined output and
// error.
func (r *repo) run(name string, args ...string) (string, error) {
	r.t.Helper()
	cmd := exec.CommandContext(r.t.Context(), name, args...)
	cmd.Dir = r.dir
	cmd.Env = append(os.Environ(),
		"GOWORK=off", "GIT_CONFIG_NOSYSTEM=1", "GIT_CONFIG_GLOBAL="+os.DevNull,
		"GIT_AUTHOR_NAME=maketest", "GIT_AUTHOR_EMAIL=maketest@example.com",
		"GIT_COMMITTER_NAME=maketest", "GIT_COMMITTER_EMAIL=maketest@example.com",
		"MAKEFLAGS=", "MAKELEVEL=")
	var buf bytes.Buffer
	cmd.Stdout, cmd.Stderr = &buf, &buf
	err := cmd.Run()
	return buf.String(), err
}

// git runs git in the repository and fails the test if it fails.
func (r *repo) git(args ...string) string {
	r.t.Helper()
	out, err := r.run("git", args...)
	if err != nil {
		r.t.Fatalf("git %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return out
}

// commit commits every change in the repository.
func (r *repo) commit(msg string) {
	r.t.Helper()
	r.git("add", "-A")
	r.git("-c", "commit.gpgsign=false", "commit", "-q", "--allow-empty", "-m", msg)
}

// make runs a make target in the repository and returns its output and error.
func (r *repo) make(args ...string) (string, error) {
	r.t.Helper()
	return r.run("make", append([]string{"--no-print-directory"}, args...)...)
}

// read returns a file of the repository.
func (r *repo) read(name string) string {
	r.t.Helper()
	b, err := os.ReadFile(filepath.Join(r.dir, filepath.FromSlash(name)))
	if err != nil {
		r.t.Fatal(err)
	}
	return string(b)
}

// write replaces a file of the repository, creating its directory.
func (r *repo) write(name, text string) {
	r.t.Helper()
	path := filepath.Join(r.dir, filepath.FromSlash(name))
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		r.t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
		r.t.Fatal(err)
	}
}

// insertAfter inserts text after the first line of a file that equals line.
func (r *repo) insertAfter(name, line, text string) {
	r.t.Helper()
	src := r.read(name)
	i := strings.Index(src, "\n"+line+"\n")
	if i < 0 {
		r.t.Fatalf("%s has no line %q", name, line)
	}
	at := i + len(line) + 2
	r.write(name, src[:at]+text+src[at:])
}

// probePath is an operation that the tests add to spec/ssi-api.yaml, under
// its paths, so that they do not depend on the spec's own operations: one GET
// whose answer holds a required integer, probeField.
const probePath = `  /api/v1/maketest-probe:
    get:
      operationId: makeTestProbe
      tags: [DID]
      summary: A probe that package maketest adds.
      responses:
        "200":
          description: The probe's answer.
          content:
            application/json:
              schema:
                $ref: "#/components/schemas/MakeTestProbe"
`

// probeSchema is the schema of probePath's answer, under components.schemas.
const probeSchema = `    MakeTestProbe:
      type: object
      description: The answer of the probe that package maketest adds.
      required: [probeField]
      properties:
        probeField:
          type: integer
          description: A field whose type the generated code shows.
`

// addProbe adds probePath and probeSchema to spec/ssi-api.yaml.
func (r *repo) addProbe() {
	r.t.Helper()
	r.insertAfter("spec/ssi-api.yaml", "paths:", probePath)
	r.insertAfter("spec/ssi-api.yaml", "  schemas:", probeSchema)
}
