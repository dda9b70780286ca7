package testrig

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/practica-social/practica/app"
	"github.com/practica-social/practica/config"
)

// Network routes host names (org-a.test …) to the loopback listeners of
// the instances started on it, for our HTTP clients and the tests' own.
type Network struct {
	mu    sync.RWMutex
	hosts map[string]string // host -> 127.0.0.1:port
}

// NewNetwork returns an empty test network.
func NewNetwork() *Network { return &Network{hosts: map[string]string{}} }

// Add maps a host name to a listening address.
func (n *Network) Add(host, addr string) {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.hosts[strings.ToLower(host)] = addr
}

// Lookup returns the address a host name maps to.
func (n *Network) Lookup(host string) (string, bool) {
	n.mu.RLock()
	defer n.mu.RUnlock()
	a, ok := n.hosts[strings.ToLower(host)]
	return a, ok
}

// Override is the app.NetworkOverride that resolves the network's names.
func (n *Network) Override() *app.NetworkOverride {
	return &app.NetworkOverride{
		Resolve: func(ctx context.Context, host string) ([]netip.Addr, error) {
			if a, ok := n.Lookup(host); ok {
				ap, err := netip.ParseAddrPort(a)
				if err != nil {
					return nil, err
				}
				return []netip.Addr{ap.Addr()}, nil
			}
			ips, err := net.DefaultResolver.LookupNetIP(ctx, "ip", host)
			return ips, err
		},
		PortOverride: func(hostport string) (string, bool) {
			host, _, err := net.SplitHostPort(hostport)
			if err != nil {
				host = hostport
			}
			if a, ok := n.Lookup(host); ok {
				_, port, _ := net.SplitHostPort(a)
				return port, true
			}
			return "", false
		},
	}
}

// Client is an HTTP client for tests that dials the network's host names.
func (n *Network) Client() *http.Client {
	d := &net.Dialer{Timeout: 5 * time.Second}
	return &http.Client{
		Timeout: 30 * time.Second,
		Transport: &http.Transport{
			DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
				host, _, err := net.SplitHostPort(addr)
				if err == nil {
					if a, ok := n.Lookup(host); ok {
						addr = a
					}
				}
				return d.DialContext(ctx, network, addr)
			},
		},
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
}

// Instance is a running test instance.
type Instance struct {
	*app.Instance
	// Host is its host name, e.g. org-a.test.
	Host string
	// BaseURL is http://Host.
	BaseURL string
	// Addr is the loopback address it listens on.
	Addr string
}

// InstanceOption adjusts a test instance's configuration.
type InstanceOption func(*config.Config)

// Start builds and runs an instance named host on the network, with its
// web server and workers, stopped at cleanup.
func (n *Network) Start(t testing.TB, host string, opts ...InstanceOption) *Instance {
	t.Helper()
	return n.StartTuned(t, host, app.Tuning{}, opts...)
}

// StartTuned is Start with shortened timings (retry backoff, reconciler
// period, request timeout …) for tests of delivery and recovery.
func (n *Network) StartTuned(t testing.TB, host string, tuning app.Tuning, opts ...InstanceOption) *Instance {
	t.Helper()
	redisURL, prefix := RedisURL(t)
	cfg := config.Config{
		Domain: host, Listen: "127.0.0.1:0", Protocol: "http", DataDir: t.TempDir(),
		DatabaseURL: DatabaseURL(t), RedisURL: redisURL, QueuePrefix: prefix,
		AllowPrivateAddresses: []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8"), netip.MustParsePrefix("::1/128")},
		LogLevel:              "warn", InstanceName: "Test " + host, ShutdownTimeout: 5 * time.Second, WorkerConcurrency: 10,
	}
	for _, o := range opts {
		o(&cfg)
	}
	ctx, cancel := context.WithCancel(context.Background())
	inst, err := app.New(ctx, app.Options{Config: cfg, Log: testLogger(t), Network: n.Override(), Tuning: tuning})
	if err != nil {
		cancel()
		t.Fatalf("testrig: start %s: %v", host, err)
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		cancel()
		_ = inst.Close()
		t.Fatalf("testrig: listen: %v", err)
	}
	n.Add(host, l.Addr().String())
	stopWorkers, err := inst.StartWorkers()
	if err != nil {
		cancel()
		_ = inst.Close()
		t.Fatalf("testrig: start workers: %v", err)
	}
	done := make(chan error, 1)
	go func() { done <- inst.Serve(ctx, l) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			// Instances of one network shut down together, so a request
			// one makes to another (a key fetch, a delivery) may still be
			// waiting when the shutdown deadline passes; that is the end
			// of the test, not a failure of it. Any other error is.
			if errors.Is(err, context.DeadlineExceeded) {
				t.Logf("testrig: %s: shutdown cut in-flight requests: %v", host, err)
			} else {
				t.Errorf("testrig: %s: serve: %v", host, err)
			}
		}
		stopWorkers()
		_ = inst.Close()
	})
	return &Instance{Instance: inst, Host: host, BaseURL: "http://" + host, Addr: l.Addr().String()}
}

// testLogger logs warnings and errors to the test log when PRACTICA_TEST_LOG
// is set, and otherwise stays quiet so failures stand out.
func testLogger(t testing.TB) *slog.Logger {
	if os.Getenv("PRACTICA_TEST_LOG") == "" {
		return slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	return slog.New(slog.NewTextHandler(testWriter{t}, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

type testWriter struct{ t testing.TB }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimRight(string(p), "\n"))
	return len(p), nil
}
