package reliability_test

import (
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/practica-social/practica/config"
	"github.com/practica-social/practica/testrig"
)

// tcpProxy forwards connections to a target; Down drops every connection
// and refuses new ones, as a Postgres that restarts does to its clients,
// and Up listens again on the same address.
type tcpProxy struct {
	t      testing.TB
	target string
	addr   string
	mu     sync.Mutex
	l      net.Listener
	conns  map[net.Conn]bool
}

func startProxy(t testing.TB, target string) *tcpProxy {
	t.Helper()
	p := &tcpProxy{t: t, target: target, conns: map[net.Conn]bool{}}
	p.addr = freeAddr(t)
	p.Up()
	t.Cleanup(p.Down)
	return p
}

// Up listens and forwards.
func (p *tcpProxy) Up() {
	p.t.Helper()
	var l net.Listener
	var err error
	for range 50 { // the port may linger for a moment after Down
		if l, err = net.Listen("tcp", p.addr); err == nil {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	if err != nil {
		p.t.Fatalf("proxy: listen again on %s: %v", p.addr, err)
	}
	p.mu.Lock()
	p.l = l
	p.mu.Unlock()
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			go p.forward(c)
		}
	}()
}

func (p *tcpProxy) forward(c net.Conn) {
	up, err := net.Dial("tcp", p.target)
	if err != nil {
		c.Close()
		return
	}
	p.mu.Lock()
	if p.l == nil {
		p.mu.Unlock()
		c.Close()
		up.Close()
		return
	}
	p.conns[c], p.conns[up] = true, true
	p.mu.Unlock()
	done := make(chan struct{}, 2)
	go func() { _, _ = io.Copy(up, c); done <- struct{}{} }()
	go func() { _, _ = io.Copy(c, up); done <- struct{}{} }()
	<-done
	c.Close()
	up.Close()
	p.mu.Lock()
	delete(p.conns, c)
	delete(p.conns, up)
	p.mu.Unlock()
}

// Down closes the listener and every connection through the proxy.
func (p *tcpProxy) Down() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.l != nil {
		p.l.Close()
		p.l = nil
	}
	for c := range p.conns {
		c.Close()
		delete(p.conns, c)
	}
}

// pgOutage is a way to make Postgres unavailable to the instance and back.
type pgOutage struct {
	name       string
	down, up   func()
	instOption testrig.InstanceOption
}

// proxiedPostgres routes the instance's database connections through a
// proxy the test cuts: only this test's connections are affected.
func proxiedPostgres(t *testing.T) pgOutage {
	t.Helper()
	u, err := url.Parse(testrig.DatabaseURL(t))
	if err != nil {
		t.Fatal(err)
	}
	p := startProxy(t, u.Host)
	u.Host = p.addr
	return pgOutage{
		name: "the connections cut by a proxy", down: p.Down, up: p.Up,
		instOption: func(c *config.Config) { c.DatabaseURL = u.String() },
	}
}

// restartedPostgres stops and starts the real cluster: every other user of
// it is disturbed, so it runs only in the serial fault step.
func restartedPostgres(t *testing.T) pgOutage {
	t.Helper()
	// PRACTICA_FAULT_PG_CLUSTER ("15 main") names the cluster behind
	// PRACTICA_TEST_DATABASE_URL; by default the first version's main one.
	version, cluster, _ := strings.Cut(os.Getenv("PRACTICA_FAULT_PG_CLUSTER"), " ")
	if version == "" {
		versions, err := os.ReadDir("/etc/postgresql")
		if err != nil || len(versions) == 0 {
			t.Fatalf("no local Postgres cluster to restart: %v", err)
		}
		version, cluster = versions[0].Name(), "main"
	}
	ctl := func(action string) {
		out, err := exec.Command("pg_ctlcluster", "--skip-systemctl-redirect", version, cluster, action).CombinedOutput()
		if err != nil {
			t.Fatalf("pg_ctlcluster %s %s %s: %v: %s", version, cluster, action, err, out)
		}
	}
	return pgOutage{name: "the cluster stopped with pg_ctlcluster", down: func() { ctl("stop") }, up: func() { ctl("start") }}
}

func requirePostgres(t *testing.T) {
	t.Helper()
	if os.Getenv(testrig.EnvDatabaseURL) == "" || !strings.HasPrefix(os.Getenv(testrig.EnvDatabaseURL), "postgres") {
		t.Skip("a Postgres outage needs Postgres: set " + testrig.EnvDatabaseURL)
	}
}

// TestChecklist25PostgresCutOffUnderLoad cuts the instance off its
// database for three seconds under a load of inbox POSTs, local posts and
// page reads, then lets it reconnect. While the database is gone every
// request fails fast with 503 (never a hang, never a 500 or a 401); then
// the pool reconnects without a restart of ours, and everything accepted
// before, during and after is stored and delivered exactly once.
func TestChecklist25PostgresCutOffUnderLoad(t *testing.T) {
	t.Parallel()
	requirePostgres(t)
	pgOutageUnderLoad(t, proxiedPostgres(t))
}

// TestChecklist25FaultPostgresRestartUnderLoad is the same with a real
// restart of the Postgres cluster (PRACTICA_FAULT_TESTS=1 only).
func TestChecklist25FaultPostgresRestartUnderLoad(t *testing.T) {
	requirePostgres(t)
	skipUnlessFaultTests(t, "this test stops the shared Postgres cluster")
	pgOutageUnderLoad(t, restartedPostgres(t))
}

func pgOutageUnderLoad(t *testing.T, o pgOutage) {
	var opts []testrig.InstanceOption
	if o.instOption != nil {
		opts = append(opts, o.instOption)
	}
	s := newSite(t, 3, opts...)
	l := s.startLoad(30*time.Millisecond, 60*time.Millisecond)
	reads := s.startReads(l, 40*time.Millisecond)
	time.Sleep(500 * time.Millisecond)
	l.outage.Store(true)
	o.down()
	time.Sleep(time.Second)
	ready := s.readyz()
	time.Sleep(2 * time.Second)
	o.up()
	l.outage.Store(false)
	eventually(t, 60*time.Second, "/readyz answers 200 again", func() bool { return s.readyz().Status == http.StatusOK })
	time.Sleep(500 * time.Millisecond)
	sents := l.finish()
	reads.wait()
	if ready.Status != http.StatusServiceUnavailable || !strings.Contains(ready.Body, `"database":"unavailable"`) {
		t.Errorf("/readyz with the database gone: %d %s", ready.Status, ready.Body)
	}
	// Requests during the outage fail, and fail fast.
	var failedDuring, okDuring int
	var slowFail time.Duration
	for _, x := range append(sents, reads.results()...) {
		switch {
		case x.status == http.StatusServiceUnavailable:
			failedDuring++
			slowFail = max(slowFail, x.took)
			if x.took > 5*time.Second {
				t.Errorf("a %s request took %v to fail while the database was gone", x.kind, x.took)
			}
		case x.accepted() || (x.kind == "read" && x.status == http.StatusOK):
			if x.duringOut {
				okDuring++
			}
		default:
			t.Errorf("%s request answered %d (outage: %v): only success or 503 are acceptable", x.kind, x.status, x.duringOut)
		}
	}
	t.Logf("%s: %d writes, %d reads; %d answered 503 (slowest %v), %d succeeded during the outage",
		o.name, len(sents), len(reads.results()), failedDuring, slowFail, okDuring)
	if failedDuring == 0 {
		t.Fatal("no request failed: the outage was not exercised")
	}
	s.checkNothingLost(t, sents, 120*time.Second)
}

// reads GETs pages and API resources of the site until the load stops.
type reads struct {
	mu  sync.Mutex
	res []sent
	wg  sync.WaitGroup
}

func (s *site) startReads(l *load, every time.Duration) *reads {
	r := &reads{}
	c := withToken(s.t, s.n, "reader", s.token)
	paths := []string{"/c/ops", "/api/v1/communities/ops/threads", "/c/ops/outbox?page=true", "/api/v1/me"}
	r.wg.Add(1)
	go func() {
		defer r.wg.Done()
		tick := time.NewTicker(every)
		defer tick.Stop()
		for i := 0; ; i++ {
			select {
			case <-l.stop:
				return
			case <-tick.C:
			}
			path := paths[i%len(paths)]
			during := l.outage.Load()
			start := time.Now()
			req, _ := http.NewRequest(http.MethodGet, s.inst.BaseURL+path, nil)
			req.Header.Set("Authorization", "Bearer "+s.token)
			if strings.HasSuffix(path, "page=true") {
				req.Header.Set("Accept", "application/activity+json")
			}
			status := 0
			if resp, err := c.http.Do(req); err == nil {
				_, _ = io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				status = resp.StatusCode
			}
			r.mu.Lock()
			r.res = append(r.res, sent{kind: "read", object: path, status: status, duringOut: during || l.outage.Load(), took: time.Since(start)})
			r.mu.Unlock()
		}
	}()
	return r
}

func (r *reads) wait() { r.wg.Wait() }

func (r *reads) results() []sent {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]sent(nil), r.res...)
}
