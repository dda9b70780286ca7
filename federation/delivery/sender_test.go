package delivery_test

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"sort"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/practica-social/practica/federation/delivery"
	"github.com/practica-social/practica/federation/signing"
	"github.com/practica-social/practica/models"
	"github.com/practica-social/practica/service"
)

func TestDeliverActivitySendsTheSignedBodyOnceToEachInbox(t *testing.T) {
	r := newRig(t)
	var inboxes []string
	for h := range 5 {
		host := fmt.Sprintf("h%d.test", h)
		r.host(host, ok)
		for u := range 4 {
			inboxes = append(inboxes, fmt.Sprintf("http://%s/u/%d/inbox", host, u))
		}
	}
	act := r.publish(append(inboxes, inboxes[0], "http://org-a.test/inbox"), service.PriorityBulk)
	reg := prometheus.NewRegistry()
	m, err := delivery.NewMetrics(reg)
	if err != nil {
		t.Fatal(err)
	}
	s := delivery.NewSender(delivery.Deps{Service: r.svc, Poster: r.client(5 * time.Second), Metrics: m}, delivery.Options{Now: r.now})
	sum, err := s.DeliverActivity(context.Background(), act.ID)
	if err != nil {
		t.Fatal(err)
	}
	if sum.Delivered != 20 || sum.Failed+sum.Retrying+sum.Postponed != 0 {
		t.Fatalf("summary %+v, want 20 delivered", sum)
	}
	r.checkVerified()
	for _, in := range inboxes {
		got := r.got(in)
		if len(got) != 1 || !bytes.Equal(got[0].body, []byte(act.JSON)) {
			t.Fatalf("%s received %d requests (want exactly one with the activity's bytes)", in, len(got))
		}
	}
	for in, d := range r.deliveries(act.ID) {
		if d.State != models.DeliveryDone || d.DeliveredAt == nil || d.Attempts != 1 || d.LastStatus != http.StatusOK {
			t.Fatalf("%s: %+v", in, d)
		}
	}
	if got := counter(t, reg, "practica_deliveries_total", "outcome", "delivered"); got != 20 {
		t.Fatalf("practica_deliveries_total{outcome=delivered} = %v, want 20", got)
	}
	// A second run finds nothing due and sends nothing.
	if sum, err := s.DeliverActivity(context.Background(), act.ID); err != nil || sum != (delivery.Summary{}) {
		t.Fatalf("second run: %+v, %v", sum, err)
	}
	if hs, _ := r.svc.HostStates(context.Background(), []string{"h0.test"}); len(hs) != 0 {
		t.Fatalf("healthy hosts got state rows: %+v", hs)
	}
}

// TestChecklist22RemoteFailures sends one activity to inboxes that answer
// 500, 429 with Retry-After 99999, time out, do not resolve, answer 410 and
// 400, or sit behind the SSRF guard, over real HTTP.
func TestChecklist22RemoteFailures(t *testing.T) {
	r := newRig(t)
	ctx := context.Background()
	r.host("e500.test", func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusInternalServerError) })
	r.host("e429.test", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Retry-After", "99999")
		w.WriteHeader(http.StatusTooManyRequests)
	})
	r.host("e410.test", func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusGone) })
	r.host("e400.test", func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusBadRequest) })
	r.blackHole("slow.test")
	gone := &models.Actor{
		IRI: "http://e410.test/u/left", Type: models.ActorPerson, Username: "left", Host: "e410.test",
		InboxURL: "http://e410.test/u/left/inbox", SharedInboxURL: "http://e410.test/inbox",
	}
	neighbour := &models.Actor{
		IRI: "http://e410.test/u/stays", Type: models.ActorPerson, Username: "stays", Host: "e410.test",
		InboxURL: "http://e410.test/u/stays/inbox", SharedInboxURL: "http://e410.test/inbox",
	}
	for _, a := range []*models.Actor{gone, neighbour} {
		if err := r.store.CreateActor(ctx, a); err != nil {
			t.Fatal(err)
		}
	}
	in := map[string]string{
		"500": "http://e500.test/inbox", "429": "http://e429.test/inbox", "timeout": "http://slow.test/inbox",
		"nxdomain": "http://nx.test/inbox", "410": gone.InboxURL, "410 shared": "http://e410.test/inbox",
		"400": "http://e400.test/inbox", "blocked": "http://private.test/inbox", "bad scheme": "ftp://e400.test/inbox",
	}
	var inboxes []string
	for _, u := range in {
		inboxes = append(inboxes, u)
	}
	act := r.publish(inboxes, service.PriorityBulk)
	rs := &retries{}
	start := r.now()
	s := r.sender(r.client(time.Second), rs, delivery.Options{})
	sum, err := s.DeliverActivity(ctx, act.ID)
	if err != nil {
		t.Fatal(err)
	}
	r.checkVerified()
	if sum.Retrying != 4 || sum.Failed != 5 {
		t.Fatalf("summary %+v, want 4 retrying, 5 failed", sum)
	}
	ds := r.deliveries(act.ID)
	for _, c := range []struct {
		name   string
		lo, hi time.Duration
	}{
		{"500", 30 * time.Second, time.Minute + 2*time.Second},
		{"timeout", 30 * time.Second, time.Minute + 2*time.Second},
		{"nxdomain", 30 * time.Second, time.Minute + 2*time.Second},
		{"429", 6 * time.Hour, 6*time.Hour + 2*time.Second},
	} {
		d := ds[in[c.name]]
		wait := d.NextAttemptAt.Sub(start)
		if d.State != models.DeliveryPending || d.Attempts != 1 || wait < c.lo || wait > c.hi {
			t.Errorf("%s: state %s attempts %d next in %v; want pending, 1 attempt, next in [%v, %v]", c.name, d.State, d.Attempts, wait, c.lo, c.hi)
		}
	}
	for _, name := range []string{"410", "410 shared", "400", "blocked", "bad scheme"} {
		if d := ds[in[name]]; d.State != models.DeliveryFailed || d.LastError == "" {
			t.Errorf("%s: %+v; want failed with a reason", name, d)
		}
	}
	if ds[in["429"]].LastStatus != 429 || ds[in["400"]].LastStatus != 400 || ds[in["410"]].LastStatus != 410 {
		t.Errorf("statuses not recorded: %+v", ds)
	}
	g, _ := r.store.GetActor(ctx, gone.ID)
	n, _ := r.store.GetActor(ctx, neighbour.ID)
	if g.GoneAt == nil {
		t.Error("410 on a personal inbox did not mark its actor gone")
	}
	if n.GoneAt != nil {
		t.Error("410 on the shared inbox marked a neighbour gone")
	}
	// Every retry was scheduled for when its row is due.
	if got := rs.all(); len(got) != 4 {
		t.Fatalf("scheduled %d retries, want 4: %+v", len(got), got)
	}
	for _, rt := range rs.all() {
		d, _ := r.svc.Delivery(ctx, rt.DeliveryID)
		if !rt.At.Equal(d.NextAttemptAt) || rt.Attempt != 1 || rt.Postponed {
			t.Errorf("retry %+v does not match its row %+v", rt, d)
		}
	}
	// Failing hosts are counted; hosts that answered 4xx are alive.
	hs, _ := r.svc.HostStates(ctx, []string{"e500.test", "e429.test", "slow.test", "nx.test", "e400.test", "e410.test"})
	for _, h := range []string{"e500.test", "e429.test", "slow.test", "nx.test"} {
		if hs[h].ConsecutiveFailures != 1 || hs[h].FailingSince == nil {
			t.Errorf("%s: %+v, want one failure", h, hs[h])
		}
	}
	for _, h := range []string{"e400.test", "e410.test"} {
		if _, ok := hs[h]; ok {
			t.Errorf("%s answered and got a failure row: %+v", h, hs[h])
		}
	}
}

func TestDeliverOneRetriesAfter500AndLands(t *testing.T) {
	r := newRig(t)
	ctx := context.Background()
	var calls atomic.Int64
	r.host("flaky.test", func(w http.ResponseWriter, _ *http.Request) {
		if calls.Add(1) == 1 {
			w.WriteHeader(http.StatusServiceUnavailable)
			return
		}
		w.WriteHeader(http.StatusAccepted)
	})
	act := r.publish([]string{"http://flaky.test/inbox"}, service.PriorityBulk)
	rs := &retries{}
	s := r.sender(r.client(5*time.Second), rs, delivery.Options{})
	if sum, err := s.DeliverActivity(ctx, act.ID); err != nil || sum.Retrying != 1 {
		t.Fatalf("first run: %+v, %v", sum, err)
	}
	rt := rs.all()[0]
	// Too early: the retry finds its row not yet due and does nothing.
	if sum, err := s.DeliverOne(ctx, rt.DeliveryID); err != nil || sum != (delivery.Summary{}) {
		t.Fatalf("early retry: %+v, %v", sum, err)
	}
	r.jump(rt.At.Sub(r.now()))
	sum, err := s.DeliverOne(ctx, rt.DeliveryID)
	if err != nil || sum.Delivered != 1 {
		t.Fatalf("retry: %+v, %v", sum, err)
	}
	d, _ := r.svc.Delivery(ctx, rt.DeliveryID)
	if d.State != models.DeliveryDone || d.Attempts != 2 || calls.Load() != 2 {
		t.Fatalf("after retry: %+v, %d calls", d, calls.Load())
	}
	// The host's one failure was cleared by the success.
	if hs, _ := r.svc.HostStates(ctx, []string{"flaky.test"}); hs["flaky.test"].ConsecutiveFailures != 0 || hs["flaky.test"].LastSuccessAt == nil {
		t.Fatalf("host after success: %+v", hs["flaky.test"])
	}
	// A duplicate of the retry task does nothing.
	if sum, err := s.DeliverOne(ctx, rt.DeliveryID); err != nil || sum != (delivery.Summary{}) || calls.Load() != 2 {
		t.Fatalf("duplicate retry: %+v, %v, %d calls", sum, err, calls.Load())
	}
}

// TestBlackHoleHostDoesNotDelayLiveHosts sends one activity to a host that
// accepts connections and never answers, and to 30 live hosts: the live
// ones are all served long before the black hole's requests time out, the
// black hole's circuit opens after a handful of requests, and the rest of
// its rows are postponed without being sent.
func TestBlackHoleHostDoesNotDelayLiveHosts(t *testing.T) {
	r := newRig(t)
	ctx := context.Background()
	accepted := r.blackHole("void.test")
	var inboxes []string
	for u := range 40 {
		inboxes = append(inboxes, fmt.Sprintf("http://void.test/u/%d/inbox", u))
	}
	for h := range 30 {
		host := fmt.Sprintf("live%d.test", h)
		r.host(host, ok)
		inboxes = append(inboxes, "http://"+host+"/inbox")
	}
	// The black hole's rows come first in claim order.
	act := r.publish(inboxes, service.PriorityBulk)
	const timeout = 2 * time.Second
	s := r.sender(r.client(timeout), nil, delivery.Options{PerHost: 4, MaxInFlight: 16})
	start := time.Now()
	sum, err := s.DeliverActivity(ctx, act.ID)
	if err != nil {
		t.Fatal(err)
	}
	took := time.Since(start)
	r.checkVerified()
	var last time.Time
	for h := range 30 {
		got := r.got(fmt.Sprintf("http://live%d.test/inbox", h))
		if len(got) != 1 {
			t.Fatalf("live%d received %d requests", h, len(got))
		}
		if got[0].at.After(last) {
			last = got[0].at
		}
	}
	if lag := last.Sub(start); lag > timeout/2 {
		t.Fatalf("the last live host was served %v after the start; a black hole must not delay it (request timeout %v)", lag, timeout)
	}
	// A few requests time out (PerHost at once, then the circuit opens);
	// the rest are postponed without a request.
	if n := accepted.Load(); n < 5 || n > 8 {
		t.Fatalf("black hole got %d connections, want between 5 and 8", n)
	}
	if sum.Delivered != 30 || sum.Retrying+sum.Postponed != 40 || sum.Postponed < 30 {
		t.Fatalf("summary %+v", sum)
	}
	if took > 3*timeout {
		t.Fatalf("run took %v", took)
	}
	hs, _ := r.svc.HostStates(ctx, []string{"void.test"})
	if h := hs["void.test"]; h.OpenUntil == nil || h.ConsecutiveFailures < 5 {
		t.Fatalf("black hole's circuit: %+v", h)
	}
}

// TestChecklist23HostDownEightDaysThenBack fails a host for eight days of
// an injected clock: it is marked unavailable, bulk deliveries are then
// dropped without a request while a Follow-priority one is still sent,
// and once the host answers again everything flows.
func TestChecklist23HostDownEightDaysThenBack(t *testing.T) {
	r := newRig(t)
	ctx := context.Background()
	var up atomic.Bool
	var calls atomic.Int64
	r.host("down.test", func(w http.ResponseWriter, _ *http.Request) {
		calls.Add(1)
		if up.Load() {
			w.WriteHeader(http.StatusAccepted)
			return
		}
		w.WriteHeader(http.StatusBadGateway)
	})
	s := r.sender(r.client(5*time.Second), nil, delivery.Options{})
	send := func(priority int) (models.Delivery, delivery.Summary) {
		t.Helper()
		act := r.publish([]string{"http://down.test/inbox"}, priority)
		// Deliveries are created at the real time; the jumped clock makes
		// them due at once.
		sum, err := s.DeliverActivity(ctx, act.ID)
		if err != nil {
			t.Fatal(err)
		}
		return r.deliveries(act.ID)["http://down.test/inbox"], sum
	}
	// A failure every 12 hours for 8 days. The circuit opens after five;
	// bulk traffic then waits, Follow-priority traffic keeps probing.
	for step := 0; step <= 16; step++ {
		prio := service.PriorityDirect
		if step < 5 {
			prio = service.PriorityBulk
		}
		send(prio)
		if step < 16 {
			r.jump(12 * time.Hour)
		}
	}
	hs, _ := r.svc.HostStates(ctx, []string{"down.test"})
	h := hs["down.test"]
	if h.UnavailableAt == nil || h.FailingSince == nil || h.UnavailableAt.Sub(*h.FailingSince) < 7*24*time.Hour {
		t.Fatalf("after 8 days of failures: %+v; want unavailable", h)
	}
	before := calls.Load()
	d, sum := send(service.PriorityBulk)
	if d.State != models.DeliveryFailed || d.Attempts != 0 || sum.Failed != 1 || calls.Load() != before {
		t.Fatalf("bulk to an unavailable host: %+v (%+v), %d requests; want dropped unsent", d, sum, calls.Load()-before)
	}
	up.Store(true)
	d, _ = send(service.PriorityDirect)
	if d.State != models.DeliveryDone || calls.Load() != before+1 {
		t.Fatalf("Follow-priority delivery to an unavailable host: %+v", d)
	}
	hs, _ = r.svc.HostStates(ctx, []string{"down.test"})
	if h := hs["down.test"]; h.UnavailableAt != nil || h.OpenUntil != nil || h.ConsecutiveFailures != 0 {
		t.Fatalf("host back: %+v; want reset", h)
	}
	if d, _ := send(service.PriorityBulk); d.State != models.DeliveryDone {
		t.Fatalf("bulk after the host came back: %+v", d)
	}
}

func TestMarkHostAliveResetsOnContact(t *testing.T) {
	r := newRig(t)
	ctx := context.Background()
	now := r.now()
	_, err := r.svc.UpdateHostState(ctx, "back.test", func(h *models.RemoteHost) {
		h.ConsecutiveFailures, h.FailingSince, h.OpenUntil, h.UnavailableAt = 40, &now, &now, &now
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := r.svc.MarkHostAlive(ctx, "Back.Test"); err != nil {
		t.Fatal(err)
	}
	hs, _ := r.svc.HostStates(ctx, []string{"back.test"})
	if h := hs["back.test"]; h.UnavailableAt != nil || h.ConsecutiveFailures != 0 {
		t.Fatalf("after contact: %+v", h)
	}
}

// TestConcurrentRunsSendOnce runs the same activity through two Senders
// (two worker processes) and twice through one at the same time: claims
// keep every inbox at exactly one request.
func TestConcurrentRunsSendOnce(t *testing.T) {
	r := newRig(t)
	var inboxes []string
	for h := range 10 {
		host := fmt.Sprintf("c%d.test", h)
		r.host(host, ok)
		for u := range 10 {
			inboxes = append(inboxes, fmt.Sprintf("http://%s/u/%d/inbox", host, u))
		}
	}
	act := r.publish(inboxes, service.PriorityBulk)
	a := r.sender(r.client(5*time.Second), nil, delivery.Options{ClaimBatch: 7})
	b := r.sender(r.client(5*time.Second), nil, delivery.Options{ClaimBatch: 7})
	var wg sync.WaitGroup
	var delivered atomic.Int64
	for _, s := range []*delivery.Sender{a, a, b, b} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			sum, err := s.DeliverActivity(context.Background(), act.ID)
			if err != nil {
				t.Error(err)
			}
			delivered.Add(int64(sum.Delivered))
		}()
	}
	wg.Wait()
	r.checkVerified()
	for _, in := range inboxes {
		if n := len(r.got(in)); n != 1 {
			t.Fatalf("%s received %d requests", in, n)
		}
	}
	if delivered.Load() != 100 {
		t.Fatalf("runs report %d delivered, want 100", delivered.Load())
	}
}

// freezer passes the first k posts through, then performs each further
// post and hangs before returning: a process killed between a remote's 2xx
// and its own bookkeeping.
type freezer struct {
	next    delivery.Poster
	k       int64
	n       atomic.Int64
	frozen  chan struct{}
	mu      sync.Mutex
	limbo   []string // inboxes that got a request whose outcome was never recorded
	inLimbo chan struct{}
}

func (f *freezer) Post(ctx context.Context, inbox string, body []byte, s *signing.Signer) error {
	err := f.next.Post(ctx, inbox, body, s)
	if f.n.Add(1) <= f.k {
		return err
	}
	f.mu.Lock()
	f.limbo = append(f.limbo, inbox)
	f.mu.Unlock()
	select {
	case f.inLimbo <- struct{}{}:
	default:
	}
	<-f.frozen
	return context.Canceled
}

// TestChecklist24KillMidFanout kills a worker after k of M sends, with
// further sends already answered 2xx but not recorded, and lets another
// worker take over once the dead one's leases have run out: all M are
// delivered, only the in-flight ones twice, nothing skipped.
func TestChecklist24KillMidFanout(t *testing.T) {
	r := newRig(t)
	ctx := context.Background()
	const M, k = 40, 12
	var inboxes []string
	for h := range 8 {
		host := fmt.Sprintf("k%d.test", h)
		r.host(host, ok)
		for u := range M / 8 {
			inboxes = append(inboxes, fmt.Sprintf("http://%s/u/%d/inbox", host, u))
		}
	}
	act := r.publish(inboxes, service.PriorityBulk)
	f := &freezer{next: r.client(5 * time.Second), k: k, frozen: make(chan struct{}), inLimbo: make(chan struct{}, 1)}
	lease := time.Minute
	dead := delivery.NewSender(delivery.Deps{Service: r.svc, Poster: f},
		delivery.Options{PerHost: 2, MaxInFlight: 4, Lease: lease, FlushEvery: 20 * time.Millisecond, Now: time.Now})
	deadCtx, kill := context.WithCancel(ctx)
	deadDone := make(chan struct{})
	go func() {
		defer close(deadDone)
		_, _ = dead.DeliverActivity(deadCtx, act.ID)
	}()
	// Released at the end only, so the frozen goroutines do not outlive
	// the store.
	t.Cleanup(func() {
		kill()
		close(f.frozen)
		<-deadDone
	})

	// Wait until the k sends are recorded and every worker is frozen.
	deadline := time.Now().Add(10 * time.Second)
	for {
		done := 0
		for _, d := range r.deliveries(act.ID) {
			if d.State == models.DeliveryDone {
				done++
			}
		}
		f.mu.Lock()
		limbo := len(f.limbo)
		f.mu.Unlock()
		if done == k && limbo == 4 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("dead worker: %d done, %d in limbo", done, limbo)
		}
		time.Sleep(10 * time.Millisecond)
	}

	// The survivor runs later, when the dead worker's leases have run
	// out. What it finds due is what the reconciler would re-enqueue.
	r.jump(lease + time.Minute)
	due, err := r.svc.DueDeliveries(ctx, r.now().Add(-time.Minute), 1000)
	if err != nil {
		t.Fatal(err)
	}
	if len(due) != M-k {
		t.Fatalf("%d deliveries due after the kill, want %d", len(due), M-k)
	}
	survivor := r.sender(r.client(5*time.Second), nil, delivery.Options{})
	sum, err := survivor.DeliverActivity(ctx, act.ID)
	if err != nil {
		t.Fatal(err)
	}
	if sum.Delivered != M-k {
		t.Fatalf("survivor delivered %d, want %d", sum.Delivered, M-k)
	}
	r.checkVerified()
	var twice []string
	for _, in := range inboxes {
		switch n := len(r.got(in)); n {
		case 1:
		case 2:
			twice = append(twice, in)
		default:
			t.Fatalf("%s received %d requests", in, n)
		}
	}
	f.mu.Lock()
	limbo := append([]string(nil), f.limbo...)
	f.mu.Unlock()
	sort.Strings(twice)
	sort.Strings(limbo)
	if fmt.Sprint(twice) != fmt.Sprint(limbo) {
		t.Fatalf("delivered twice: %v; want exactly the in-flight ones %v", twice, limbo)
	}
	for in, d := range r.deliveries(act.ID) {
		if d.State != models.DeliveryDone {
			t.Fatalf("%s: %+v", in, d)
		}
	}
}

// TestCancelledRunHandsClaimsBack cancels a run mid-way (a graceful
// shutdown): what was not sent is due again at once, not after the lease.
func TestCancelledRunHandsClaimsBack(t *testing.T) {
	r := newRig(t)
	r.blackHole("void.test")
	var inboxes []string
	for u := range 10 {
		inboxes = append(inboxes, fmt.Sprintf("http://void.test/u/%d/inbox", u))
	}
	act := r.publish(inboxes, service.PriorityBulk)
	s := r.sender(r.client(time.Minute), nil, delivery.Options{PerHost: 2})
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	if _, err := s.DeliverActivity(ctx, act.ID); err == nil {
		t.Fatal("a cancelled run with unsent deliveries reported success")
	}
	for in, d := range r.deliveries(act.ID) {
		if d.State != models.DeliveryPending || d.Attempts != 0 || d.NextAttemptAt.After(r.now()) {
			t.Fatalf("%s after cancel: %+v; want pending, unattempted, due now", in, d)
		}
	}
}

// TestMissingKeyFailsFinally publishes as a remote actor (no private key):
// nothing is sent and nothing retried.
func TestMissingKeyFailsFinally(t *testing.T) {
	r := newRig(t)
	ctx := context.Background()
	var calls atomic.Int64
	r.host("r.test", func(w http.ResponseWriter, _ *http.Request) { calls.Add(1) })
	remote := &models.Actor{IRI: "http://x.test/u/x", Type: models.ActorPerson, Username: "x", Host: "x.test"}
	if err := r.store.CreateActor(ctx, remote); err != nil {
		t.Fatal(err)
	}
	act := &models.Activity{IRI: "http://x.test/a/1", Type: "Announce", ActorID: remote.ID, JSON: `{}`}
	if err := r.svc.PublishActivity(ctx, act, []string{"http://r.test/inbox"}, service.PriorityBulk); err != nil {
		t.Fatal(err)
	}
	sum, err := r.sender(r.client(time.Second), nil, delivery.Options{}).DeliverActivity(ctx, act.ID)
	if err != nil || sum.Failed != 1 || calls.Load() != 0 {
		t.Fatalf("summary %+v, err %v, %d requests", sum, err, calls.Load())
	}
}

// counter reads one labelled counter from reg.
func counter(t *testing.T, reg *prometheus.Registry, name, label, value string) float64 {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() != name {
			continue
		}
		for _, m := range mf.GetMetric() {
			for _, lp := range m.GetLabel() {
				if lp.GetName() == label && lp.GetValue() == value {
					return m.GetCounter().GetValue()
				}
			}
		}
	}
	return 0
}
