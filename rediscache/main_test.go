package rediscache_test

import (
	"os"
	"testing"

	"go.uber.org/goleak"

	"github.com/entity-studio-go/entityauth/internal/testredis"
)

// TestMain fails the package's tests if any goroutine outlives them, then
// stops the redis-server that the tests may have started.
func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m, goleak.Cleanup(func(code int) {
		testredis.Stop()
		os.Exit(code)
	}))
}
