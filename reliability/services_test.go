package reliability_test

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/alicebob/miniredis/v2"
	"github.com/redis/go-redis/v9"

	"github.com/practica-social/practica/app"
	"github.com/practica-social/practica/federation/delivery"
	"github.com/practica-social/practica/testrig"
)

// Environment switches of this package.
const (
	// EnvFaultTests enables the destructive fault tests (they restart the
	// shared Postgres); .ci/run runs them serially, after every other suite.
	EnvFaultTests = "PRACTICA_FAULT_TESTS"
	// EnvSoak sets the soak's duration, e.g. "10m".
	EnvSoak = "PRACTICA_SOAK"
)

func realServices() bool {
	return os.Getenv(testrig.EnvDatabaseURL) != "" || os.Getenv(testrig.EnvRedisURL) != "" ||
		os.Getenv(testrig.EnvRequireServices) == "1"
}

// fastTuning shortens every delivery and recovery timing, so that retries
// and the reconciler act within a test.
func fastTuning() app.Tuning {
	return app.Tuning{
		RequestTimeout: 5 * time.Second,
		Delivery: delivery.Options{Policy: delivery.Policy{
			MinBackoff: 100 * time.Millisecond, MaxBackoff: 300 * time.Millisecond, MaxRetryAfter: 10 * time.Second,
			BreakerBase: 200 * time.Millisecond, BreakerMax: 500 * time.Millisecond,
		},
			// A claim that commits in Postgres as the connection is cut
			// never reaches its worker: its rows stay leased until the
			// lease runs out (5 minutes in production), longer than the
			// tests wait. 15 s is still renewed (every 5 s) through the
			// 2 s outages the tests make, so no send in flight is taken
			// over and sent twice.
			Lease: 15 * time.Second,
		},
		ReconcileEvery: 500 * time.Millisecond, ReconcileGrace: 500 * time.Millisecond,
	}
}

// ownRedis is a Redis of the test's own, which it may stop and start
// without disturbing any other test: a redis-server process on a free port
// when the run uses real services, else an embedded miniredis. Either way
// a restart loses every key, as a crashed Redis without persistence does.
type ownRedis struct {
	t    testing.TB
	kind string
	addr string
	mini *miniredis.Miniredis
	mu   sync.Mutex
	cmd  *exec.Cmd
	bin  string
	dir  string
}

func startOwnRedis(t testing.TB) *ownRedis {
	t.Helper()
	r := &ownRedis{t: t}
	if realServices() {
		bin, err := exec.LookPath("redis-server")
		if err != nil {
			t.Fatalf("real services are configured but redis-server is not installed: %v", err)
		}
		r.kind, r.bin, r.dir = "redis-server", bin, t.TempDir()
		r.addr = freeAddr(t)
		r.Start()
		t.Cleanup(r.Stop)
		return r
	}
	r.kind = "miniredis"
	r.mini = miniredis.NewMiniRedis()
	if err := r.mini.Start(); err != nil {
		t.Fatal(err)
	}
	r.addr = r.mini.Addr()
	t.Cleanup(r.mini.Close)
	return r
}

// URL is the PRACTICA_REDIS_URL of this Redis.
func (r *ownRedis) URL() string { return "redis://" + r.addr + "/0" }

// Stop kills the Redis (SIGKILL for a process).
func (r *ownRedis) Stop() {
	if r.mini != nil {
		r.mini.Close()
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.cmd == nil {
		return
	}
	_ = r.cmd.Process.Kill()
	_ = r.cmd.Wait()
	r.cmd = nil
}

// Start (re)starts the Redis on the same address, empty.
func (r *ownRedis) Start() {
	r.t.Helper()
	if r.mini != nil {
		r.mini.FlushAll()
		if err := r.mini.Restart(); err != nil {
			r.t.Fatal(err)
		}
		return
	}
	_, port, _ := net.SplitHostPort(r.addr)
	r.mu.Lock()
	r.cmd = exec.Command(r.bin, "--port", port, "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", r.dir)
	if err := r.cmd.Start(); err != nil {
		r.mu.Unlock()
		r.t.Fatalf("start redis-server: %v", err)
	}
	r.mu.Unlock()
	rdb := redis.NewClient(&redis.Options{Addr: r.addr})
	defer rdb.Close()
	deadline := time.Now().Add(15 * time.Second)
	for rdb.Ping(context.Background()).Err() != nil {
		if time.Now().After(deadline) {
			r.t.Fatalf("redis-server on %s does not answer", r.addr)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// freeAddr returns a loopback address with a port free at the time.
func freeAddr(t testing.TB) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

// portOf is the port of a host:port address.
func portOf(addr string) int {
	_, p, _ := net.SplitHostPort(addr)
	n, _ := strconv.Atoi(p)
	return n
}

// skipUnlessFaultTests skips destructive tests unless asked for.
func skipUnlessFaultTests(t *testing.T, why string) {
	t.Helper()
	if os.Getenv(EnvFaultTests) != "1" {
		t.Skip(fmt.Sprintf("%s; set %s=1 to run it (.ci/run does, serially, after the other suites)", why, EnvFaultTests))
	}
}
