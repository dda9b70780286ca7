package reliability_test

import (
	"context"
	"os"
	"testing"

	"github.com/redis/go-redis/v9"
)

// quiet drops go-redis's own log lines: with Redis stopped on purpose,
// every failed dial would print one.
type quiet struct{}

func (quiet) Printf(context.Context, string, ...any) {}

func TestMain(m *testing.M) {
	if os.Getenv("PRACTICA_TEST_LOG") == "" {
		redis.SetLogger(quiet{})
	}
	code := m.Run()
	if faultWorkerBin.dir != "" {
		_ = os.RemoveAll(faultWorkerBin.dir)
	}
	os.Exit(code)
}
