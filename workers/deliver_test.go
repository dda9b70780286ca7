package workers_test

import (
	"bytes"
	"context"
	"crypto"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/practica-social/practica/app"
	"github.com/practica-social/practica/federation/delivery"
	"github.com/practica-social/practica/federation/signing"
	"github.com/practica-social/practica/models"
	"github.com/practica-social/practica/service"
	"github.com/practica-social/practica/testrig"
)

// fedi is an instance at org-a.test, running its production wiring
// (web, workers, reconciler), and remote inboxes on loopback hosts of the
// same test network that verify and record every request.
type fedi struct {
	t     *testing.T
	net   *testrig.Network
	inst  *testrig.Instance
	actor *models.Actor
	pub   crypto.PublicKey

	mu  sync.Mutex
	got map[string][]hit
	bad []string
}

// hit is one request an inbox received.
type hit struct {
	body []byte
	at   time.Time
}

// fastTuning shortens every delivery timing so that retries and recovery
// happen within a test.
func fastTuning() app.Tuning {
	return app.Tuning{
		RequestTimeout: 5 * time.Second,
		Delivery: delivery.Options{Policy: delivery.Policy{
			MinBackoff: 100 * time.Millisecond, MaxBackoff: 200 * time.Millisecond, MaxRetryAfter: 10 * time.Second,
			BreakerBase: 200 * time.Millisecond, BreakerMax: 500 * time.Millisecond,
		}},
		ReconcileEvery: 500 * time.Millisecond, ReconcileGrace: 500 * time.Millisecond,
	}
}

func newFedi(t *testing.T, tuning app.Tuning) *fedi {
	t.Helper()
	f := &fedi{t: t, net: testrig.NewNetwork(), got: map[string][]hit{}}
	f.inst = f.net.StartTuned(t, "org-a.test", tuning)
	a, err := f.inst.Service.InstanceActor(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	f.actor = a
	if f.pub, err = signing.ParsePublicKey(a.PublicKeyPEM); err != nil {
		t.Fatal(err)
	}
	return f
}

// host serves name with h once a request's signature, Digest and Date
// check out; requests that fail get 401 and are counted as bad.
func (f *fedi) host(name string, h http.HandlerFunc) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		body, _ := io.ReadAll(req.Body)
		p, err := signing.Parse(req)
		if err == nil && p.KeyID != f.actor.PublicKeyID {
			err = fmt.Errorf("signed by %s", p.KeyID)
		}
		if err == nil {
			err = p.Verify(req, body, f.pub, time.Now())
		}
		if err != nil {
			f.mu.Lock()
			f.bad = append(f.bad, err.Error())
			f.mu.Unlock()
			http.Error(w, err.Error(), http.StatusUnauthorized)
			return
		}
		f.mu.Lock()
		inbox := "http://" + req.Host + req.URL.Path
		f.got[inbox] = append(f.got[inbox], hit{body: body, at: time.Now()})
		f.mu.Unlock()
		h(w, req)
	}))
	f.t.Cleanup(srv.Close)
	f.net.Add(name, srv.Listener.Addr().String())
}

func (f *fedi) hits(inbox string) []hit {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]hit(nil), f.got[inbox]...)
}

func (f *fedi) checkVerified() {
	f.t.Helper()
	f.mu.Lock()
	defer f.mu.Unlock()
	if len(f.bad) > 0 {
		f.t.Fatalf("%d requests failed verification, first: %s", len(f.bad), f.bad[0])
	}
}

// activity builds an activity of the instance actor.
func (f *fedi) activity() *models.Activity {
	iri := f.inst.BaseURL + "/activities/" + testrig.RandomID()
	return &models.Activity{
		IRI: iri, Type: "Create", ActorID: f.actor.ID, Local: true,
		JSON: fmt.Sprintf(`{"@context":"https://www.w3.org/ns/activitystreams","id":%q,"type":"Create","actor":%q}`, iri, f.actor.IRI),
	}
}

// publish queues a new activity for inboxes through the service.
func (f *fedi) publish(inboxes []string, priority int) *models.Activity {
	f.t.Helper()
	act := f.activity()
	if err := f.inst.Service.PublishActivity(context.Background(), act, inboxes, priority); err != nil {
		f.t.Fatal(err)
	}
	return act
}

// states returns an activity's deliveries by inbox.
func (f *fedi) states(actID int64) map[string]models.Delivery {
	ds, err := f.inst.Service.ActivityDeliveries(context.Background(), actID)
	if err != nil {
		f.t.Fatal(err)
	}
	out := map[string]models.Delivery{}
	for _, d := range ds {
		out[d.InboxURL] = d
	}
	return out
}

// settled waits until no delivery of the activity is pending.
func (f *fedi) settled(actID int64, within time.Duration) map[string]models.Delivery {
	f.t.Helper()
	deadline := time.Now().Add(within)
	for {
		ds := f.states(actID)
		pending := 0
		for _, d := range ds {
			if d.State == models.DeliveryPending {
				pending++
			}
		}
		if pending == 0 {
			return ds
		}
		if time.Now().After(deadline) {
			f.t.Fatalf("%d of %d deliveries still pending after %v: %+v", pending, len(ds), within, ds)
		}
		time.Sleep(25 * time.Millisecond)
	}
}

func accepted(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusAccepted) }

// TestFanoutEndToEnd publishes to 15 inboxes on 3 hosts and asks for the
// fan-out five more times: every inbox gets exactly one request, signed
// by the instance actor, carrying exactly the activity's bytes.
func TestFanoutEndToEnd(t *testing.T) {
	f := newFedi(t, fastTuning())
	var inboxes []string
	for h := range 3 {
		host := fmt.Sprintf("r%d.test", h)
		f.host(host, accepted)
		for u := range 5 {
			inboxes = append(inboxes, fmt.Sprintf("http://%s/u/%d/inbox", host, u))
		}
	}
	act := f.publish(append(inboxes, inboxes...), service.PriorityBulk)
	for range 5 {
		if err := f.inst.Tasks.Deliver(context.Background(), service.PriorityBulk, act.ID); err != nil {
			t.Fatal(err)
		}
	}
	ds := f.settled(act.ID, 15*time.Second)
	time.Sleep(300 * time.Millisecond) // room for a duplicate to show up
	f.checkVerified()
	for _, in := range inboxes {
		hs := f.hits(in)
		if len(hs) != 1 || !bytes.Equal(hs[0].body, []byte(act.JSON)) {
			t.Fatalf("%s received %d requests; want exactly one with the activity's bytes", in, len(hs))
		}
		if d := ds[in]; d.State != models.DeliveryDone {
			t.Fatalf("%s: %+v", in, d)
		}
	}
	mfs, err := f.inst.Metrics.Gather()
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, mf := range mfs {
		if mf.GetName() == "practica_deliveries_total" {
			found = true
		}
	}
	if !found {
		t.Fatal("practica_deliveries_total is not on the instance's registry")
	}
}

// TestRetryAfter500Lands: a 500, then 202 on the retry.
func TestRetryAfter500Lands(t *testing.T) {
	f := newFedi(t, fastTuning())
	var n atomic.Int64
	f.host("flaky.test", func(w http.ResponseWriter, _ *http.Request) {
		if n.Add(1) == 1 {
			w.WriteHeader(http.StatusInternalServerError)
			return
		}
		w.WriteHeader(http.StatusAccepted)
	})
	act := f.publish([]string{"http://flaky.test/inbox"}, service.PriorityBulk)
	d := f.settled(act.ID, 20*time.Second)["http://flaky.test/inbox"]
	f.checkVerified()
	if d.State != models.DeliveryDone || d.Attempts != 2 || n.Load() != 2 {
		t.Fatalf("after 500 then 202: %+v, %d requests", d, n.Load())
	}
}

// TestRetryAfterHonoured: a 429 asking for 2 s is retried no sooner.
func TestRetryAfterHonoured(t *testing.T) {
	f := newFedi(t, fastTuning())
	var n atomic.Int64
	f.host("busy.test", func(w http.ResponseWriter, _ *http.Request) {
		if n.Add(1) == 1 {
			w.Header().Set("Retry-After", "2")
			w.WriteHeader(http.StatusTooManyRequests)
			return
		}
		w.WriteHeader(http.StatusAccepted)
	})
	act := f.publish([]string{"http://busy.test/inbox"}, service.PriorityBulk)
	d := f.settled(act.ID, 20*time.Second)["http://busy.test/inbox"]
	hs := f.hits("http://busy.test/inbox")
	if d.State != models.DeliveryDone || len(hs) != 2 {
		t.Fatalf("after 429: %+v, %d requests", d, len(hs))
	}
	if gap := hs[1].at.Sub(hs[0].at); gap < 2*time.Second {
		t.Fatalf("retried %v after a 429 with Retry-After: 2", gap)
	}
}

// TestChecklist22FinalFailuresEndToEnd: 410 and 400 are final (one request
// each, even with a fast retry schedule), and 410 marks the actor gone.
func TestChecklist22FinalFailuresEndToEnd(t *testing.T) {
	f := newFedi(t, fastTuning())
	ctx := context.Background()
	f.host("gone.test", func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusGone) })
	f.host("bad.test", func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusBadRequest) })
	left := &models.Actor{
		IRI: "http://gone.test/u/left", Type: models.ActorPerson, Username: "left", Host: "gone.test",
		InboxURL: "http://gone.test/u/left/inbox",
	}
	if err := f.inst.Store.CreateActor(ctx, left); err != nil {
		t.Fatal(err)
	}
	act := f.publish([]string{left.InboxURL, "http://bad.test/inbox"}, service.PriorityBulk)
	ds := f.settled(act.ID, 15*time.Second)
	time.Sleep(time.Second) // a wrongly retried row would be sent again by now
	for in, d := range ds {
		if d.State != models.DeliveryFailed || d.Attempts != 1 || len(f.hits(in)) != 1 {
			t.Fatalf("%s: %+v after %d requests; want failed after one", in, d, len(f.hits(in)))
		}
	}
	a, err := f.inst.Store.GetActor(ctx, left.ID)
	if err != nil || a.GoneAt == nil {
		t.Fatalf("actor behind a 410 not marked gone: %+v, %v", a, err)
	}
}

// TestBlackHoleDoesNotDelayLiveHostsEndToEnd: a host that accepts and
// never answers shares an activity with ten live hosts, which are all
// served within moments.
func TestBlackHoleDoesNotDelayLiveHostsEndToEnd(t *testing.T) {
	tuning := fastTuning()
	tuning.RequestTimeout = 2 * time.Second
	f := newFedi(t, tuning)
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var conns sync.Map
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			conns.Store(c, true)
		}
	}()
	t.Cleanup(func() {
		_ = l.Close()
		conns.Range(func(k, _ any) bool { _ = k.(net.Conn).Close(); return true })
	})
	f.net.Add("void.test", l.Addr().String())
	var inboxes []string
	for u := range 20 {
		inboxes = append(inboxes, fmt.Sprintf("http://void.test/u/%d/inbox", u))
	}
	for h := range 10 {
		host := fmt.Sprintf("live%d.test", h)
		f.host(host, accepted)
		inboxes = append(inboxes, "http://"+host+"/inbox")
	}
	start := time.Now()
	f.publish(inboxes, service.PriorityBulk)
	deadline := time.Now().Add(10 * time.Second)
	for h := 0; h < 10; {
		if time.Now().After(deadline) {
			t.Fatalf("live%d.test never served", h)
		}
		if len(f.hits(fmt.Sprintf("http://live%d.test/inbox", h))) == 0 {
			time.Sleep(10 * time.Millisecond)
			continue
		}
		h++
	}
	if lag := time.Since(start); lag > tuning.RequestTimeout {
		t.Fatalf("live hosts served after %v, behind a black hole with a %v timeout", lag, tuning.RequestTimeout)
	}
	f.checkVerified()
}

// flushRedis loses the instance's Redis data: everything on the embedded
// Redis, or the instance's own keys on a shared one.
func flushRedis(t *testing.T, inst *testrig.Instance) {
	t.Helper()
	ctx := context.Background()
	if inst.Config.EmbeddedRedis() {
		if err := inst.Redis.FlushAll(ctx).Err(); err != nil {
			t.Fatal(err)
		}
		return
	}
	iter := inst.Redis.Scan(ctx, 0, "asynq:{"+inst.Config.QueuePrefix+"*", 1000).Iterator()
	n := 0
	for iter.Next(ctx) {
		if err := inst.Redis.Del(ctx, iter.Val()).Err(); err != nil {
			t.Fatal(err)
		}
		n++
	}
	if err := iter.Err(); err != nil {
		t.Fatal(err)
	}
	if n == 0 {
		t.Fatal("no keys of the instance found in Redis")
	}
}

// TestChecklist24RedisDataLossLosesNothing fails the first attempt at 20
// inboxes so their retries sit in Redis, then loses Redis's data: the
// reconciler finds the overdue rows in the database and delivers them all.
func TestChecklist24RedisDataLossLosesNothing(t *testing.T) {
	tuning := fastTuning()
	// Retries far enough out that the data loss comes first.
	tuning.Delivery.Policy.MinBackoff, tuning.Delivery.Policy.MaxBackoff = 2*time.Second, 2*time.Second
	f := newFedi(t, tuning)
	var failFirst sync.Map
	var inboxes []string
	for h := range 4 {
		host := fmt.Sprintf("f%d.test", h)
		f.host(host, func(w http.ResponseWriter, r *http.Request) {
			if _, seen := failFirst.LoadOrStore(r.URL.Path+r.Host, true); !seen {
				w.WriteHeader(http.StatusServiceUnavailable)
				return
			}
			w.WriteHeader(http.StatusAccepted)
		})
		for u := range 5 {
			inboxes = append(inboxes, fmt.Sprintf("http://%s/u/%d/inbox", host, u))
		}
	}
	act := f.publish(inboxes, service.PriorityBulk)
	// Wait for every first attempt to be recorded as a retry.
	deadline := time.Now().Add(10 * time.Second)
	for {
		retrying := 0
		for _, d := range f.states(act.ID) {
			if d.State == models.DeliveryPending && d.Attempts == 1 {
				retrying++
			}
		}
		if retrying == len(inboxes) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("only %d of %d first attempts recorded", retrying, len(inboxes))
		}
		time.Sleep(10 * time.Millisecond)
	}
	flushRedis(t, f.inst)
	ds := f.settled(act.ID, 30*time.Second)
	f.checkVerified()
	for _, in := range inboxes {
		if d := ds[in]; d.State != models.DeliveryDone || len(f.hits(in)) != 2 {
			t.Fatalf("%s: %+v after %d requests; want done after 2", in, d, len(f.hits(in)))
		}
	}
}

// failingDispatcher is Redis being down when a local post commits.
type failingDispatcher struct{}

func (failingDispatcher) Deliver(context.Context, int, ...int64) error {
	return errors.New("dial tcp: connection refused")
}
func (failingDispatcher) ProcessInbox(context.Context, ...int64) error {
	return errors.New("dial tcp: connection refused")
}

// TestChecklist21LocalPostWhileRedisDown publishes while the enqueue fails
// (the post commits with its deliveries, the wake-up is lost): the
// reconciler delivers it once Redis answers again.
func TestChecklist21LocalPostWhileRedisDown(t *testing.T) {
	f := newFedi(t, fastTuning())
	f.host("r.test", accepted)
	down := service.New(service.Deps{
		Store: f.inst.Store, URLs: f.inst.Service.URLs(), Dispatch: failingDispatcher{},
	})
	act := f.activity()
	if err := down.PublishActivity(context.Background(), act, []string{"http://r.test/a/inbox", "http://r.test/b/inbox"}, service.PriorityBulk); err != nil {
		t.Fatalf("publish with Redis down: %v; the post must commit", err)
	}
	ds := f.settled(act.ID, 20*time.Second)
	for in, d := range ds {
		if d.State != models.DeliveryDone || len(f.hits(in)) != 1 {
			t.Fatalf("%s: %+v, %d requests", in, d, len(f.hits(in)))
		}
	}
	f.checkVerified()
}
