package reliability_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"os"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/practica-social/practica/app"
	"github.com/practica-social/practica/federation/signing"
	"github.com/practica-social/practica/service"
	"github.com/practica-social/practica/testrig"
)

// Soak parameters.
const (
	soakDefault    = 20 * time.Second // CI; PRACTICA_SOAK=10m for the long run
	soakHosts      = 3                // fake remote servers
	soakPeople     = 4                // members on each
	soakWorkers    = 4                // load goroutines
	soakOpsPerSec  = 40               // target rate of the whole load
	soakGoroutines = 10               // tolerance over the idle baseline
	// soakHeapSlack is how much the live heap may grow between a third of
	// the run and its end: the test's own ledger grows by ~150 bytes a
	// post, and one GC cycle's timing moves the figure by a few MiB.
	soakHeapSlack = 16 << 20
	soakHeapRatio = 1.25
)

// ledger is what the remote servers must receive: for each delivery key
// (see ledgerKey) the number of copies each host expects, and what each
// host got.
type ledger struct {
	mu       sync.Mutex
	expected map[string]int
	got      map[string]*[soakHosts]int32
	unknown  atomic.Int64 // received activities that are not announces
}

// ledgerKey names a community redistribution independently of the ids
// the instance makes up: "C <object>" for Announce{Create}, "L <actor>|<object>"
// for Announce{Like}, "B <object>" for the boost of a new thread.
func ledgerKey(doc map[string]any) string {
	kind, obj := announcedObject(doc)
	switch kind {
	case "Announce{Create}":
		return "C " + obj
	case "Announce{Like}":
		// One like per person and post counts, whichever of several
		// concurrent Likes of the pair is processed first.
		inner, _ := doc["object"].(map[string]any)
		actor, _ := inner["actor"].(string)
		return "L " + actor + "|" + obj
	case "Announce":
		return "B " + obj
	}
	return ""
}

func (l *ledger) expect(key string, n int) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.expected[key] += n
}

func (l *ledger) receive(host int, doc map[string]any) {
	key := ledgerKey(doc)
	if key == "" {
		l.unknown.Add(1)
		return
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	g := l.got[key]
	if g == nil {
		g = new([soakHosts]int32)
		l.got[key] = g
	}
	g[host]++
}

// compare returns the expected and received delivery counts and the keys
// that differ.
func (l *ledger) compare() (expected, received int64, diffs []string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	for k, n := range l.expected {
		expected += int64(n) * soakHosts
		g := l.got[k]
		for h := range soakHosts {
			have := 0
			if g != nil {
				have = int(g[h])
			}
			if have != n {
				diffs = append(diffs, fmt.Sprintf("%s at host %d: %d, want %d", k, h, have, n))
			}
		}
	}
	for k, g := range l.got {
		for h := range soakHosts {
			received += int64(g[h])
		}
		if _, ok := l.expected[k]; !ok {
			diffs = append(diffs, fmt.Sprintf("%s: received %v, never expected", k, *g))
		}
	}
	sort.Strings(diffs)
	return expected, received, diffs
}

// soakFigures are what a run measured.
type soakFigures struct {
	Duration             string
	Backend              string
	Ops                  int64
	InboxAccepted        int64 // distinct activities answered 202
	InboxDuplicates      int64 // re-sent activities, answered 202, no effect
	InboxForgedRefused   int64 // bad signatures answered 401
	LocalPosts           int64
	Reads                int64
	Errors               int64 // unexpected answers
	DeliveriesExpected   int64
	DeliveriesReceived   int64
	Mismatches           int
	HeapThirdMiB         float64
	HeapEndMiB           float64
	HeapDrainedMiB       float64
	GoroutinesBaseline   int
	GoroutinesPeak       int
	GoroutinesAfterDrain int
}

// post is a post the load knows to be stored on the instance.
type soakPost struct {
	iri string
	id  int64
}

// soak is the load's state.
type soak struct {
	t       *testing.T
	ctx     context.Context
	inst    *testrig.Instance
	remotes []*fakeRemote
	group   string
	token   string
	http    *http.Client
	ledger  *ledger
	fig     soakFigures
	errMu   sync.Mutex
	errs    []string

	mu       sync.Mutex
	stored   []soakPost        // posts to reply to, like and read
	pending  []string          // remote threads not yet seen stored
	accepted []acceptedInbox   // inbox activities answered 202, to re-send
	liked    map[string]bool   // person|post pairs liked
	remoteBy map[string]string // object id -> remote host, for thread confirmation
}

type acceptedInbox struct {
	remote int
	person *fakePerson
	doc    map[string]any
}

func (s *soak) fail(format string, args ...any) {
	s.errMu.Lock()
	defer s.errMu.Unlock()
	atomic.AddInt64(&s.fig.Errors, 1)
	if len(s.errs) < 20 {
		s.errs = append(s.errs, fmt.Sprintf(format, args...))
	}
}

// TestSoak runs a bounded mixed load against one instance — signed inbox
// traffic from three remote servers (new threads, replies, likes,
// re-sent duplicates, forged signatures), local posts through the API and
// page and API reads — for PRACTICA_SOAK (default 20 s), then lets the
// queues drain. Every accepted activity must be redistributed to every
// member server exactly once, and nothing else sent; the live heap at the
// end may exceed the heap at a third of the run only by a bounded slack;
// the goroutine count returns to its idle baseline.
func TestSoak(t *testing.T) {
	if testing.Short() {
		t.Skip("soak")
	}
	dur := soakDefault
	if v := os.Getenv(EnvSoak); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil {
			t.Fatalf("%s: %v", EnvSoak, err)
		}
		dur = d
	}
	ctx := context.Background()
	n := testrig.NewNetwork()
	inst := n.StartTuned(t, "org-a.test", app.Tuning{})
	s := &soak{
		t: t, ctx: ctx, inst: inst, http: n.Client(),
		ledger:   &ledger{expected: map[string]int{}, got: map[string]*[soakHosts]int32{}},
		liked:    map[string]bool{},
		remoteBy: map[string]string{},
	}
	s.fig.Duration, s.fig.Backend = dur.String(), testrig.Backend()
	owner := person(t, inst, "olga")
	s.token = apiToken(t, inst, owner, "read", "write")
	c, err := inst.Service.CreateCommunity(ctx, service.NewCommunity{Handle: "soak", Name: "Soak", OwnerID: owner.ActorID})
	if err != nil {
		t.Fatal(err)
	}
	s.group = c.Actor.IRI
	for h := range soakHosts {
		r := newFakeRemote(t, n, fmt.Sprintf("soak%d.test", h), soakPeople)
		s.remotes = append(s.remotes, r)
		for _, p := range r.people {
			if st, _ := r.send(s.http, p, inst.BaseURL+"/c/soak/inbox", r.follow(p, s.group)); st != http.StatusAccepted {
				t.Fatalf("follow: %d", st)
			}
		}
	}
	eventually(t, within, "every remote person is a member and got its Accept", func() bool {
		for _, r := range s.remotes {
			for _, p := range r.people {
				if len(r.received("/u/"+p.Name+"/inbox")) != 1 {
					return false
				}
			}
		}
		return true
	})
	for h, r := range s.remotes {
		h := h
		r.mu.Lock()
		r.sink = func(_ string, doc map[string]any) { s.ledger.receive(h, doc) }
		r.mu.Unlock()
	}
	// A first local thread, so that replies, likes and reads have a target.
	s.localThread()

	s.quiesce(t)
	s.fig.GoroutinesBaseline = runtime.NumGoroutine()
	t.Logf("soak: %v on %s; idle baseline %d goroutines", dur, s.fig.Backend, s.fig.GoroutinesBaseline)

	stop := make(chan struct{})
	tick := make(chan struct{})
	var wg sync.WaitGroup
	for w := range soakWorkers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rng := rand.New(rand.NewPCG(uint64(w), uint64(time.Now().UnixNano())))
			for {
				select {
				case <-stop:
					return
				case <-tick:
				}
				s.op(rng)
			}
		}()
	}
	start := time.Now()
	third := start.Add(dur / 3)
	var peak atomic.Int64
	pacer := time.NewTicker(time.Second / soakOpsPerSec)
	measured := false
	for time.Since(start) < dur {
		<-pacer.C
		select {
		case tick <- struct{}{}:
		default: // the load is behind; skip the beat rather than pile up
		}
		if g := int64(runtime.NumGoroutine()); g > peak.Load() {
			peak.Store(g)
		}
		if !measured && time.Now().After(third) {
			s.fig.HeapThirdMiB = liveHeapMiB()
			measured = true
		}
	}
	s.fig.HeapEndMiB = liveHeapMiB()
	pacer.Stop()
	close(stop)
	wg.Wait()
	s.fig.GoroutinesPeak = int(peak.Load())

	// Drain, then count.
	settleInstance(t, inst, 5*time.Minute)
	eventually(t, 2*time.Minute, "every expected delivery arrived", func() bool {
		exp, got, _ := s.ledger.compare()
		return got >= exp
	})
	settleInstance(t, inst, time.Minute)
	time.Sleep(500 * time.Millisecond) // room for a duplicate to show up
	s.fig.DeliveriesExpected, s.fig.DeliveriesReceived, _ = s.ledger.compare()
	_, _, diffs := s.ledger.compare()
	s.fig.Mismatches = len(diffs)
	items, err := inst.Store.UnprocessedInboxItems(ctx, time.Now().Add(time.Hour), time.Now().Add(time.Hour), 10)
	if err != nil || len(items) > 0 {
		t.Errorf("inbox items left unprocessed: %d, %v", len(items), err)
	}
	s.quiesce(t)
	s.fig.HeapDrainedMiB = liveHeapMiB()
	var lastG int
	deadline := time.Now().Add(30 * time.Second)
	for {
		s.quiesce(t)
		lastG = runtime.NumGoroutine()
		if lastG <= s.fig.GoroutinesBaseline+soakGoroutines || time.Now().After(deadline) {
			break
		}
		time.Sleep(200 * time.Millisecond)
	}
	s.fig.GoroutinesAfterDrain = lastG

	b, _ := json.MarshalIndent(s.fig, "", "  ")
	t.Logf("soak figures:\n%s", b)
	if path := os.Getenv("PRACTICA_SOAK_REPORT"); path != "" {
		_ = os.WriteFile(path, b, 0o644)
	}
	for _, e := range s.errs {
		t.Errorf("unexpected answer: %s", e)
	}
	for i, d := range diffs {
		if i == 20 {
			t.Errorf("… and %d more delivery mismatches", len(diffs)-20)
			break
		}
		t.Errorf("delivery mismatch: %s", d)
	}
	if n := s.ledger.unknown.Load(); n > 0 {
		t.Errorf("%d activities other than announces reached the remote inboxes", n)
	}
	if s.fig.InboxAccepted == 0 || s.fig.LocalPosts == 0 || s.fig.Reads == 0 {
		t.Errorf("the load did not exercise every kind of traffic: %+v", s.fig)
	}
	if limit := s.fig.HeapThirdMiB*soakHeapRatio + soakHeapSlack/(1<<20); s.fig.HeapEndMiB > limit {
		t.Errorf("live heap grew from %.1f MiB at a third of the run to %.1f MiB at its end (limit %.1f MiB)", s.fig.HeapThirdMiB, s.fig.HeapEndMiB, limit)
	}
	if lastG > s.fig.GoroutinesBaseline+soakGoroutines {
		buf := make([]byte, 1<<20)
		buf = buf[:runtime.Stack(buf, true)]
		t.Errorf("%d goroutines after the load drained, baseline %d (+%d allowed):\n%s", lastG, s.fig.GoroutinesBaseline, soakGoroutines, buf)
	}
}

// liveHeapMiB is the heap in use after a full collection.
func liveHeapMiB() float64 {
	runtime.GC()
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return float64(m.HeapAlloc) / (1 << 20)
}

// quiesce closes idle keep-alive connections, whose goroutines are not
// leaks, before goroutines are counted.
func (s *soak) quiesce(t *testing.T) {
	s.inst.Transport.CloseIdleConnections()
	s.http.CloseIdleConnections()
	time.Sleep(100 * time.Millisecond)
}

// settleInstance waits until no delivery is pending and every received
// activity is processed.
func settleInstance(t *testing.T, inst *testrig.Instance, within time.Duration) {
	t.Helper()
	ctx := context.Background()
	eventually(t, within, "queues drained", func() bool {
		due, err := inst.Service.DueDeliveries(ctx, time.Now().Add(24*time.Hour), 1)
		if err != nil || len(due) > 0 {
			return false
		}
		items, err := inst.Store.UnprocessedInboxItems(ctx, time.Now().Add(time.Hour), time.Now().Add(time.Hour), 1)
		return err == nil && len(items) == 0
	})
}

// op does one random piece of the load.
func (s *soak) op(rng *rand.Rand) {
	atomic.AddInt64(&s.fig.Ops, 1)
	switch x := rng.IntN(100); {
	case x < 30:
		s.remoteCreate(rng, false)
	case x < 45:
		s.remoteCreate(rng, true)
	case x < 53:
		s.remoteLike(rng)
	case x < 57:
		s.resend(rng)
	case x < 60:
		s.forged(rng)
	case x < 70:
		s.localThread()
	case x < 75:
		s.localReply(rng)
	default:
		s.read(rng)
	}
}

func (s *soak) pickRemote(rng *rand.Rand) (int, *fakeRemote, *fakePerson) {
	h := rng.IntN(len(s.remotes))
	r := s.remotes[h]
	return h, r, r.people[rng.IntN(len(r.people))]
}

// target picks a stored post, first promoting remote threads that have
// arrived since.
func (s *soak) target(rng *rand.Rand) (soakPost, bool) {
	s.mu.Lock()
	pending := s.pending
	s.pending = nil
	s.mu.Unlock()
	var still []string
	for _, iri := range pending {
		if p, err := s.inst.Store.GetPostByIRI(s.ctx, iri); err == nil {
			s.mu.Lock()
			s.stored = append(s.stored, soakPost{iri: iri, id: p.ID})
			s.mu.Unlock()
		} else {
			still = append(still, iri)
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.pending = append(s.pending, still...)
	if len(s.stored) == 0 {
		return soakPost{}, false
	}
	// Favour recent posts, as people do.
	i := len(s.stored) - 1 - rng.IntN(min(len(s.stored), 50))
	return s.stored[i], true
}

func (s *soak) remoteCreate(rng *rand.Rand, reply bool) {
	h, r, p := s.pickRemote(rng)
	parent := ""
	if reply {
		tp, ok := s.target(rng)
		if !ok {
			return
		}
		parent = tp.iri
	}
	title := ""
	if !reply {
		title = "Remote thread " + testrig.RandomID()
	}
	act, obj := r.create(p, s.group, title, "soak "+testrig.RandomID(), parent)
	// Expect before sending: the announce may arrive before the answer.
	s.ledger.expect("C "+obj, 1)
	if !reply {
		s.ledger.expect("B "+obj, 1)
	}
	st, _ := r.send(s.http, p, s.inst.BaseURL+"/c/soak/inbox", act)
	if st != http.StatusAccepted {
		s.ledger.expect("C "+obj, -1)
		if !reply {
			s.ledger.expect("B "+obj, -1)
		}
		s.fail("inbox Create answered %d", st)
		return
	}
	atomic.AddInt64(&s.fig.InboxAccepted, 1)
	s.mu.Lock()
	s.accepted = append(s.accepted, acceptedInbox{remote: h, person: p, doc: act})
	if len(s.accepted) > 200 {
		s.accepted = s.accepted[len(s.accepted)-200:]
	}
	if !reply {
		s.pending = append(s.pending, obj)
	}
	s.mu.Unlock()
}

func (s *soak) remoteLike(rng *rand.Rand) {
	h, r, p := s.pickRemote(rng)
	tp, ok := s.target(rng)
	if !ok {
		return
	}
	id := r.nextID("activities")
	act := map[string]any{"@context": "https://www.w3.org/ns/activitystreams", "id": id, "type": "Like", "actor": p.IRI, "object": tp.iri}
	pair := p.IRI + "|" + tp.iri
	s.mu.Lock()
	first := !s.liked[pair]
	s.liked[pair] = true
	s.mu.Unlock()
	if first {
		// A second Like by the same person changes nothing.
		s.ledger.expect("L "+pair, 1)
	}
	st, _ := r.send(s.http, p, s.inst.BaseURL+"/inbox", act)
	if st != http.StatusAccepted {
		if first {
			s.ledger.expect("L "+pair, -1)
		}
		s.fail("inbox Like answered %d", st)
		return
	}
	atomic.AddInt64(&s.fig.InboxAccepted, 1)
	s.mu.Lock()
	s.accepted = append(s.accepted, acceptedInbox{remote: h, person: p, doc: act})
	s.mu.Unlock()
}

// resend delivers an accepted activity again: 202, and no second effect.
func (s *soak) resend(rng *rand.Rand) {
	s.mu.Lock()
	if len(s.accepted) == 0 {
		s.mu.Unlock()
		return
	}
	a := s.accepted[rng.IntN(len(s.accepted))]
	s.mu.Unlock()
	st, _ := s.remotes[a.remote].send(s.http, a.person, s.inst.BaseURL+"/c/soak/inbox", a.doc)
	if st != http.StatusAccepted {
		s.fail("re-sent activity answered %d", st)
		return
	}
	atomic.AddInt64(&s.fig.InboxDuplicates, 1)
}

// forged signs a Create of one person with another's key: 401, no effect.
func (s *soak) forged(rng *rand.Rand) {
	_, r, p := s.pickRemote(rng)
	other := r.people[(indexOf(r.people, p)+1)%len(r.people)]
	act, obj := r.create(p, s.group, "Forged "+testrig.RandomID(), "forged", "")
	// Another person's key under p's key id (the pool gives the people
	// of a server distinct keys).
	forger := &fakePerson{Name: p.Name, IRI: p.IRI, KeyID: p.KeyID, signer: signing.NewSigner(p.KeyID, other.key)}
	st, _ := r.send(s.http, forger, s.inst.BaseURL+"/c/soak/inbox", act)
	if st != http.StatusUnauthorized {
		s.fail("forged signature answered %d", st)
		return
	}
	if _, err := s.inst.Store.GetPostByIRI(s.ctx, obj); err == nil {
		s.fail("a forged Create was stored")
	}
	atomic.AddInt64(&s.fig.InboxForgedRefused, 1)
}

func indexOf(ps []*fakePerson, p *fakePerson) int {
	for i, q := range ps {
		if q == p {
			return i
		}
	}
	return 0
}

// apiPost POSTs JSON to the API as the owner.
func (s *soak) apiPost(path string, body map[string]string) (int, string, string) {
	b, _ := json.Marshal(body)
	req, _ := http.NewRequest(http.MethodPost, s.inst.BaseURL+"/api/v1"+path, bytes.NewReader(b))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+s.token)
	resp, err := s.http.Do(req)
	if err != nil {
		return 0, "", ""
	}
	defer resp.Body.Close()
	var out struct {
		ID  string `json:"id"`
		IRI string `json:"iri"`
	}
	_ = json.NewDecoder(resp.Body).Decode(&out)
	return resp.StatusCode, out.ID, out.IRI
}

func (s *soak) localThread() {
	st, id, iri := s.apiPost("/communities/soak/threads", map[string]string{"title": "Local " + testrig.RandomID(), "body": "soak"})
	if st != http.StatusCreated {
		s.fail("local thread answered %d", st)
		return
	}
	s.ledger.expect("C "+iri, 1)
	s.ledger.expect("B "+iri, 1)
	atomic.AddInt64(&s.fig.LocalPosts, 1)
	n, _ := strconv.ParseInt(id, 10, 64)
	s.mu.Lock()
	s.stored = append(s.stored, soakPost{iri: iri, id: n})
	s.mu.Unlock()
}

func (s *soak) localReply(rng *rand.Rand) {
	tp, ok := s.target(rng)
	if !ok || tp.id == 0 {
		return
	}
	st, _, iri := s.apiPost(fmt.Sprintf("/posts/%d/replies", tp.id), map[string]string{"body": "local reply " + testrig.RandomID()})
	if st != http.StatusCreated {
		s.fail("local reply answered %d", st)
		return
	}
	s.ledger.expect("C "+iri, 1)
	atomic.AddInt64(&s.fig.LocalPosts, 1)
}

func (s *soak) read(rng *rand.Rand) {
	type read struct {
		path, accept string
		ok           []int
	}
	reads := []read{
		{"/c/soak", "text/html", []int{200}},
		{"/api/v1/communities/soak/threads", "application/json", []int{200}},
		{"/c/soak/outbox?page=true", "application/activity+json", []int{200}},
		{"/c/soak/followers", "application/activity+json", []int{200}},
		{"/nodeinfo/2.1", "application/json", []int{200}},
	}
	if tp, ok := s.target(rng); ok {
		reads = append(reads,
			// A reply's own id is sent on to its thread, or not found.
			read{fmt.Sprintf("/c/soak/t/%d", tp.id), "text/html", []int{200, 303, 404}},
			read{fmt.Sprintf("/api/v1/posts/%d", tp.id), "application/json", []int{200}},
		)
		if strings.HasPrefix(tp.iri, s.inst.BaseURL+"/") {
			reads = append(reads, read{strings.TrimPrefix(tp.iri, s.inst.BaseURL), "application/activity+json", []int{200}})
		}
	}
	r := reads[rng.IntN(len(reads))]
	req, _ := http.NewRequest(http.MethodGet, s.inst.BaseURL+r.path, nil)
	req.Header.Set("Accept", r.accept)
	if strings.HasPrefix(r.path, "/api/") {
		req.Header.Set("Authorization", "Bearer "+s.token)
	}
	resp, err := s.http.Do(req)
	if err != nil {
		s.fail("GET %s: %v", r.path, err)
		return
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	atomic.AddInt64(&s.fig.Reads, 1)
	for _, st := range r.ok {
		if resp.StatusCode == st {
			return
		}
	}
	s.fail("GET %s answered %d", r.path, resp.StatusCode)
}
