package entityauth

import (
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"go.uber.org/goleak"
)

// TestMain fails the package's tests if any goroutine outlives them.
func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

// TestEveryPackageChecksLeaks fails if a directory of the module holds tests
// but no test file that runs goleak, so that a new package cannot skip it.
func TestEveryPackageChecksLeaks(t *testing.T) {
	tests := map[string]bool{} // directory -> whether a test file uses goleak
	err := filepath.WalkDir(".", func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if name := d.Name(); path != "." && (strings.HasPrefix(name, ".") || name == "testdata" || name == "bin") {
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(path, "_test.go") {
			return nil
		}
		src, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		dir := filepath.Dir(path)
		tests[dir] = tests[dir] || strings.Contains(string(src), "goleak.VerifyTestMain(") || strings.Contains(string(src), "goleak.Find(")
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(tests) < 5 {
		t.Fatalf("found tests in %d directories; want the module's packages", len(tests))
	}
	for dir, ok := range tests {
		if !ok {
			t.Errorf("%s has tests but none runs goleak; add a TestMain with goleak.VerifyTestMain", dir)
		}
	}
}
