package federation_test

import (
	"context"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/practica-social/practica/app"
	"github.com/practica-social/practica/config"
	"github.com/practica-social/practica/models"
	"github.com/practica-social/practica/service"
	"github.com/practica-social/practica/testrig"
	"github.com/practica-social/practica/workers"
)

// originGate stands in front of an instance: everything passes through,
// except GETs of one path, which it answers 503 a number of times and
// then holds until opened.
type originGate struct {
	proxy *httputil.ReverseProxy

	mu       sync.Mutex
	path     string
	fail     int           // 503s still to give
	hold     chan struct{} // non-nil: GETs of path wait until it is closed
	hits     atomic.Int64  // GETs of path seen
	inFlight atomic.Int64  // GETs of path being held
}

// gateInFront starts a gate in front of inst and makes the network send
// inst's traffic through it, from now on: it must come before any other
// instance talks to inst, whose connections would otherwise bypass it.
func gateInFront(t *testing.T, n *testrig.Network, inst *testrig.Instance) *originGate {
	t.Helper()
	g := &originGate{proxy: httputil.NewSingleHostReverseProxy(&url.URL{Scheme: "http", Host: inst.Addr})}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: g, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = srv.Serve(l) }()
	// Cleanups run last first: the gate opens before the instances stop,
	// so a held request does not hold their shutdown.
	t.Cleanup(func() { _ = srv.Close() })
	t.Cleanup(g.open)
	n.Add(inst.Host, l.Addr().String())
	return g
}

// guard sets the path the gate watches, the 503s it gives first, and
// whether it then holds the GETs.
func (g *originGate) guard(path string, fail int, hold bool) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.path, g.fail = path, fail
	if hold {
		g.hold = make(chan struct{})
	}
}

// open lets held GETs, and every later one, through.
func (g *originGate) open() {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.hold != nil {
		close(g.hold)
		g.hold = nil
	}
}

func (g *originGate) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	g.mu.Lock()
	watched := r.Method == http.MethodGet && g.path != "" && r.URL.Path == g.path
	fail, hold := false, g.hold
	if watched {
		g.hits.Add(1)
		if g.fail > 0 {
			g.fail--
			fail = true
		}
	}
	g.mu.Unlock()
	switch {
	case !watched:
	case fail:
		http.Error(w, "down for maintenance", http.StatusServiceUnavailable)
		return
	case hold != nil:
		g.inFlight.Add(1)
		select {
		case <-hold:
		case <-r.Context().Done():
		}
		g.inFlight.Add(-1)
	}
	g.proxy.ServeHTTP(w, r)
}

// lateMemberWorld is A's community with a thread bob on B has not
// received (he joins after it), A behind a gate, and B tuned by opts.
type lateMemberWorld struct {
	a, b          *testrig.Instance
	gate          *originGate
	alice         *models.Actor
	garden        *models.Community
	thread        *models.Post
	gardenOnB     *models.Community
	threadGETPath string
}

func newLateMemberWorld(t *testing.T, tuning app.Tuning, opts ...testrig.InstanceOption) *lateMemberWorld {
	t.Helper()
	ctx := context.Background()
	n := testrig.NewNetwork()
	w := &lateMemberWorld{a: n.Start(t, "org-a.test")}
	w.gate = gateInFront(t, n, w.a)
	w.b = n.StartTuned(t, "org-b.test", tuning, opts...)
	w.alice = person(t, w.a, "alice")
	bob := person(t, w.b, "bob")
	var err error
	w.garden, err = w.a.Service.CreateCommunity(ctx, service.NewCommunity{Handle: "gardening", Name: "Urban Gardening", OwnerID: w.alice.ID})
	if err != nil {
		t.Fatal(err)
	}
	w.thread = postIn(t, w.a, w.alice.ID, w.garden.ID, "Tomatoes on a balcony")
	u, err := url.Parse(w.thread.IRI)
	if err != nil {
		t.Fatal(err)
	}
	w.threadGETPath = u.Path
	w.gardenOnB = joinFrom(t, w.b, bob.ID, "@gardening@org-a.test")
	if storedOn(w.b, w.thread.IRI) != nil {
		t.Fatal("B holds the thread before anyone replied to it")
	}
	return w
}

// reply makes alice reply to the thread on A, which announces it to B.
func (w *lateMemberWorld) reply(t *testing.T) *models.Post {
	t.Helper()
	r, err := w.a.Service.CreatePost(context.Background(), service.NewPost{AuthorID: w.alice.ID, CommunityID: w.garden.ID, Body: "Water them in the evening.", InReplyToID: w.thread.ID})
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// threaded checks that B holds the thread and the reply under it.
func (w *lateMemberWorld) threaded(t *testing.T, reply *models.Post) {
	t.Helper()
	first, r := storedOn(w.b, w.thread.IRI), storedOn(w.b, reply.IRI)
	if first == nil || r == nil || first.CommunityID == nil || *first.CommunityID != w.gardenOnB.ID || r.ThreadID == nil || *r.ThreadID != first.ID {
		t.Fatalf("B's thread %+v and reply %+v", first, r)
	}
}

// TestSlowOriginHoldsNoInboxWorker: B processes received activities with
// one inbox worker. A reply reaches B whose thread B must fetch from A,
// and A holds that fetch. B's inbox worker is not held with it: a new
// thread A announces meanwhile is stored while the fetch still waits.
// When A answers, the reply is threaded under the fetched post.
func TestSlowOriginHoldsNoInboxWorker(t *testing.T) {
	w := newLateMemberWorld(t, app.Tuning{}, func(c *config.Config) { c.InboxConcurrency = 1 })
	w.gate.guard(w.threadGETPath, 0, true)
	reply := w.reply(t)
	eventually(t, "B asks A for the thread", func() bool { return w.gate.inFlight.Load() == 1 })

	news := postIn(t, w.a, w.alice.ID, w.garden.ID, "Seed swap on Saturday")
	// Asked while the fetch is held: with the fetch in the inbox worker,
	// the news would wait for it, and never be stored while it is held.
	eventually(t, "B stores the news while its fetch of the thread waits", func() bool {
		return storedOn(w.b, news.IRI) != nil && w.gate.inFlight.Load() == 1
	})
	if storedOn(w.b, reply.IRI) != nil {
		t.Fatal("B stored the reply before its thread")
	}

	w.gate.open()
	eventually(t, "B threads the reply", func() bool { return storedOn(w.b, reply.IRI) != nil })
	w.threaded(t, reply)
}

// TestOriginErrorsAreRetried: A answers B's fetch of the thread with 503
// twice. The reply is not refused: the fetch is tried again later, and
// the third try stores the thread and the reply.
func TestOriginErrorsAreRetried(t *testing.T) {
	w := newLateMemberWorld(t, app.Tuning{FetchParentsRetryBase: 100 * time.Millisecond})
	w.gate.guard(w.threadGETPath, 2, false)
	reply := w.reply(t)
	item := announcedOutcome(t, w.a, w.b, w.garden, w.alice, reply)
	if item.State != models.InboxProcessed {
		t.Fatalf("B's outcome: %s %q; want processed", item.State, item.Error)
	}
	w.threaded(t, reply)
	if got := w.gate.hits.Load(); got != 3 {
		t.Errorf("B asked for the thread %d times; want 3", got)
	}
}

// TestOriginDownRefusesAfterTheLastTry: A answers every fetch of the
// thread with 503. B tries 1 + FetchParentsMaxRetry times, then refuses
// the reply with the reason, and stores neither.
func TestOriginDownRefusesAfterTheLastTry(t *testing.T) {
	w := newLateMemberWorld(t, app.Tuning{FetchParentsRetryBase: 50 * time.Millisecond})
	w.gate.guard(w.threadGETPath, 1000, false)
	reply := w.reply(t)
	item := announcedOutcome(t, w.a, w.b, w.garden, w.alice, reply)
	if item.State != models.InboxRefused || !strings.Contains(item.Error, "did not answer usefully") {
		t.Fatalf("B's outcome: %s %q; want refused, the server did not answer", item.State, item.Error)
	}
	if got, want := w.gate.hits.Load(), int64(1+workers.FetchParentsMaxRetry); got != want {
		t.Errorf("B asked for the thread %d times; want %d", got, want)
	}
	if storedOn(w.b, w.thread.IRI) != nil || storedOn(w.b, reply.IRI) != nil {
		t.Error("B stored the thread or the reply")
	}
}
