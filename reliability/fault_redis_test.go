package reliability_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/practica-social/practica/config"
	"github.com/practica-social/practica/models"
	"github.com/practica-social/practica/service"
	"github.com/practica-social/practica/testrig"
)

// site is one instance of ours under test, on a Redis of the test's own,
// with a public community "ops" whose members are the people of a fake
// remote server.
type site struct {
	t      *testing.T
	ctx    context.Context
	n      *testrig.Network
	inst   *testrig.Instance
	redis  *ownRedis
	remote *fakeRemote
	owner  *models.Account
	token  string
	ops    *models.Community
	http   *http.Client
}

// withRedis points an instance at a Redis URL.
func withRedis(url string) testrig.InstanceOption {
	return func(c *config.Config) { c.RedisURL = url }
}

func newSite(t *testing.T, members int, opts ...testrig.InstanceOption) *site {
	t.Helper()
	s := &site{t: t, ctx: context.Background(), n: testrig.NewNetwork()}
	s.redis = startOwnRedis(t)
	s.inst = s.n.StartTuned(t, "org-a.test", fastTuning(), append([]testrig.InstanceOption{withRedis(s.redis.URL())}, opts...)...)
	s.http = s.n.Client()
	s.owner = person(t, s.inst, "olga")
	s.token = apiToken(t, s.inst, s.owner, "read", "write")
	var err error
	s.ops, err = s.inst.Service.CreateCommunity(s.ctx, service.NewCommunity{Handle: "ops", Name: "Operations", OwnerID: s.owner.ActorID})
	if err != nil {
		t.Fatal(err)
	}
	s.remote = newFakeRemote(t, s.n, "r1.test", members)
	for _, p := range s.remote.people {
		if st, _ := s.remote.send(s.http, p, s.inst.BaseURL+"/c/ops/inbox", s.remote.follow(p, s.ops.Actor.IRI)); st != http.StatusAccepted {
			t.Fatalf("follow of %s: %d", p.IRI, st)
		}
	}
	eventually(t, within, "every remote person is a member", func() bool {
		n, _, err := s.inst.Service.MemberCount(s.ctx, s.ops, service.Anonymous)
		return err == nil && n == int64(members)+1
	})
	return s
}

// localPost starts a thread as the owner through the JSON API and returns
// the status and the new post's id (its IRI).
func (s *site) localPost(title string) (int, string) {
	body, _ := json.Marshal(map[string]string{"title": title, "body": "Posted by the load: " + title})
	req, _ := http.NewRequest(http.MethodPost, s.inst.BaseURL+"/api/v1/communities/ops/threads", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+s.token)
	resp, err := s.http.Do(req)
	if err != nil {
		return 0, ""
	}
	defer resp.Body.Close()
	var out struct {
		IRI string `json:"iri"`
	}
	_ = json.NewDecoder(resp.Body).Decode(&out)
	return resp.StatusCode, out.IRI
}

// sent is one write the load made, and what came of it.
type sent struct {
	kind      string // "inbox" or "local"
	object    string // the post's id
	status    int
	retry     string
	duringOut bool
	took      time.Duration
}

// load writes to the site until stopped: signed inbox Creates from the
// remote people and local posts through the API, marking those sent
// while the fault (outage) lasts.
type load struct {
	s      *site
	outage atomic.Bool
	mu     sync.Mutex
	sent   []sent
	stop   chan struct{}
	wg     sync.WaitGroup
}

func (s *site) startLoad(inboxEvery, localEvery time.Duration) *load {
	l := &load{s: s, stop: make(chan struct{})}
	seq := atomic.Int64{}
	l.run(inboxEvery, func() sent {
		p := s.remote.people[int(seq.Add(1))%len(s.remote.people)]
		act, obj := s.remote.create(p, s.ops.Actor.IRI, "Inbox thread "+testrig.RandomID(), "from the load", "")
		during := l.outage.Load()
		start := time.Now()
		st, ra := s.remote.send(s.http, p, s.inst.BaseURL+"/c/ops/inbox", act)
		return sent{kind: "inbox", object: obj, status: st, retry: ra, duringOut: during || l.outage.Load(), took: time.Since(start)}
	})
	if localEvery > 0 {
		l.run(localEvery, func() sent {
			during := l.outage.Load()
			start := time.Now()
			st, iri := s.localPost("Local thread " + testrig.RandomID())
			return sent{kind: "local", object: iri, status: st, duringOut: during || l.outage.Load(), took: time.Since(start)}
		})
	}
	return l
}

func (l *load) run(every time.Duration, one func() sent) {
	l.wg.Add(1)
	go func() {
		defer l.wg.Done()
		t := time.NewTicker(every)
		defer t.Stop()
		for {
			select {
			case <-l.stop:
				return
			case <-t.C:
			}
			r := one()
			l.mu.Lock()
			l.sent = append(l.sent, r)
			l.mu.Unlock()
		}
	}()
}

// finish stops the load and returns what it sent.
func (l *load) finish() []sent {
	close(l.stop)
	l.wg.Wait()
	return l.sent
}

// accepted reports whether the site took responsibility for a write.
func (x sent) accepted() bool {
	return (x.kind == "inbox" && x.status == http.StatusAccepted) || (x.kind == "local" && x.status == http.StatusCreated)
}

// checkAnswers fails on any answer other than success or 503 with
// Retry-After, and returns how many writes were accepted during the
// outage and how many were refused.
func checkAnswers(t *testing.T, sents []sent) (acceptedDuring, refused int) {
	t.Helper()
	for _, x := range sents {
		switch {
		case x.accepted():
			if x.duringOut {
				acceptedDuring++
			}
		case x.status == http.StatusServiceUnavailable:
			refused++
			if x.kind == "inbox" && x.retry == "" {
				t.Errorf("a 503 from the inbox without Retry-After")
			}
		default:
			t.Errorf("%s write answered %d (outage: %v)", x.kind, x.status, x.duringOut)
		}
	}
	return acceptedDuring, refused
}

// slowest is the longest answer time of the writes sent during (or
// outside) the outage.
func slowest(sents []sent, during bool) time.Duration {
	var m time.Duration
	for _, x := range sents {
		if x.duringOut == during {
			m = max(m, x.took)
		}
	}
	return m
}

// checkNothingLost waits until every accepted write is stored, processed
// and delivered, then checks each was delivered exactly once: as
// Announce{Create} to the remote, and for a new thread also as a boost.
func (s *site) checkNothingLost(t *testing.T, sents []sent, within time.Duration) {
	t.Helper()
	var accepted []sent
	for _, x := range sents {
		if x.accepted() {
			accepted = append(accepted, x)
		}
	}
	missing := func() []string {
		var out []string
		for _, x := range accepted {
			if _, err := s.inst.Store.GetPostByIRI(s.ctx, x.object); err != nil {
				out = append(out, fmt.Sprintf("%s post %s not stored: %v", x.kind, x.object, err))
				continue
			}
			if s.remote.announces("Announce{Create}", x.object) == 0 || s.remote.announces("Announce", x.object) == 0 {
				out = append(out, fmt.Sprintf("%s post %s stored, Announce{Create} received %d times, boost %d", x.kind, x.object,
					s.remote.announces("Announce{Create}", x.object), s.remote.announces("Announce", x.object)))
			}
		}
		return out
	}
	deadline := time.Now().Add(within)
	for len(missing()) > 0 {
		if time.Now().After(deadline) {
			// What is left, to tell a lost write from one still queued.
			for _, m := range missing() {
				t.Log(m)
			}
			due, err := s.inst.Service.DueDeliveries(s.ctx, time.Now().Add(24*time.Hour), 50)
			t.Logf("pending deliveries (%v): %d", err, len(due))
			for _, d := range due {
				t.Logf("  delivery %d of activity %d to %s: attempts %d, next attempt in %v, last error %q",
					d.ID, d.ActivityID, d.InboxURL, d.Attempts, time.Until(d.NextAttemptAt).Round(time.Millisecond), d.LastError)
			}
			items, err := s.inst.Store.UnprocessedInboxItems(s.ctx, time.Now().Add(time.Hour), time.Now().Add(time.Hour), 50)
			t.Logf("unprocessed inbox items (%v): %d", err, len(items))
			for _, it := range items {
				t.Logf("  item %d %s: state %s, attempts %d, error %q", it.ID, it.ActivityIRI, it.State, it.Attempts, it.Error)
			}
			t.Fatalf("timed out after %v waiting for: all %d accepted writes stored and delivered", within, len(accepted))
		}
		time.Sleep(25 * time.Millisecond)
	}
	s.settle(t, within)
	for _, x := range accepted {
		if n := s.remote.announces("Announce{Create}", x.object); n != 1 {
			t.Errorf("%s post %s: Announce{Create} received %d times, want once", x.kind, x.object, n)
		}
		if n := s.remote.announces("Announce", x.object); n != 1 {
			t.Errorf("%s post %s: boost received %d times, want once", x.kind, x.object, n)
		}
	}
}

// settle waits until no delivery is pending and no received activity
// waits for processing.
func (s *site) settle(t *testing.T, within time.Duration) {
	t.Helper()
	eventually(t, within, "no pending delivery and no unprocessed inbox item", func() bool {
		due, err := s.inst.Service.DueDeliveries(s.ctx, time.Now().Add(24*time.Hour), 10)
		if err != nil || len(due) > 0 {
			return false
		}
		items, err := s.inst.Store.UnprocessedInboxItems(s.ctx, time.Now().Add(time.Hour), time.Now().Add(time.Hour), 10)
		return err == nil && len(items) == 0
	})
}

// readyz returns /readyz's status and body.
func (s *site) readyz() answer {
	return anonymous(s.t, s.n, "probe").api(s.inst.BaseURL + "/readyz")
}

// TestChecklist21RedisStoppedDuringInboxPostsAndLocalPosts kills the
// instance's Redis while remote servers POST to its inbox and local people
// post through the API, keeps the load going for two seconds, then starts
// Redis again, empty. Every inbox POST is answered 202 (stored) or 503
// with Retry-After, every local post 201 or 503; whatever was accepted is
// processed and delivered exactly once after Redis returns — the
// reconciler finds it in the database.
func TestChecklist21RedisStoppedDuringInboxPostsAndLocalPosts(t *testing.T) {
	t.Parallel()
	s := newSite(t, 3)
	t.Logf("redis: %s", s.redis.kind)
	l := s.startLoad(30*time.Millisecond, 60*time.Millisecond)
	time.Sleep(500 * time.Millisecond)
	l.outage.Store(true)
	s.redis.Stop()
	time.Sleep(time.Second)
	if r := s.readyz(); r.Status != http.StatusServiceUnavailable {
		t.Errorf("/readyz with Redis down: %d %s", r.Status, r.Body)
	}
	time.Sleep(time.Second)
	s.redis.Start()
	l.outage.Store(false)
	time.Sleep(500 * time.Millisecond)
	sents := l.finish()
	during, refused := checkAnswers(t, sents)
	t.Logf("%d writes, %d accepted while Redis was down, %d refused with 503; slowest answer %v during the outage, %v outside it",
		len(sents), during, refused, slowest(sents, true), slowest(sents, false))
	if during == 0 {
		t.Fatal("nothing was accepted while Redis was down: the fault was not exercised")
	}
	s.checkNothingLost(t, sents, 60*time.Second)
	if r := s.readyz(); r.Status != http.StatusOK {
		t.Errorf("/readyz after Redis returned: %d %s", r.Status, r.Body)
	}
}

// TestChecklist24FailedInboxItemSurvivesRedisDataLoss: a received Create
// whose object must be fetched cannot be processed while the object's
// server answers 503, so its processing is retried through the queue.
// Redis then loses its data, retry task included, and the object's server
// recovers: the reconciler must find the item in the database.
func TestChecklist24FailedInboxItemSurvivesRedisDataLoss(t *testing.T) {
	t.Parallel()
	s := newSite(t, 1)
	p := s.remote.people[0]
	act, obj := s.remote.create(p, s.ops.Actor.IRI, "Fetched later", "the object is not embedded", "")
	s.remote.serve(act["object"].(map[string]any))
	act["object"] = obj
	s.remote.objectsDown.Store(true)
	if st, _ := s.remote.send(s.http, p, s.inst.BaseURL+"/c/ops/inbox", act); st != http.StatusAccepted {
		t.Fatalf("inbox: %d", st)
	}
	eventually(t, within, "the first processing attempt fails", func() bool {
		it, err := s.inst.Store.GetInboxItemByActivityIRI(s.ctx, act["id"].(string))
		return err == nil && it.State == models.InboxFailed
	})
	s.redis.Stop()
	s.redis.Start()
	s.remote.objectsDown.Store(false)
	eventually(t, within, "the item is processed after Redis lost its retry", func() bool {
		it, err := s.inst.Store.GetInboxItemByActivityIRI(s.ctx, act["id"].(string))
		return err == nil && it.State == models.InboxProcessed
	})
	if _, err := s.inst.Store.GetPostByIRI(s.ctx, obj); err != nil {
		t.Fatalf("post not stored: %v", err)
	}
}
