package delivery_test

import (
	"context"
	"crypto"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/practica-social/practica/federation/delivery"
	"github.com/practica-social/practica/federation/signing"
	"github.com/practica-social/practica/federation/transport"
	"github.com/practica-social/practica/models"
	"github.com/practica-social/practica/service"
	"github.com/practica-social/practica/store"
	"github.com/practica-social/practica/testrig"
)

// rig is a store and service of an instance at org-a.test, whose instance
// actor publishes, and loopback HTTP servers standing in for remote hosts
// under names of their own. Every request the servers get is checked
// (HTTP signature, Digest, Date) and recorded.
type rig struct {
	t      testing.TB
	store  *store.Store
	svc    *service.Service
	actor  *models.Actor
	pub    crypto.PublicKey
	offset atomic.Int64 // added to the real clock, so tests can jump ahead
	conns  atomic.Int64 // connections the hosts accepted

	mu       sync.Mutex
	addrs    map[string]string // host -> 127.0.0.1:port
	received map[string][]received
	bad      []string // requests that failed verification
}

// received is one request an inbox got.
type received struct {
	body []byte
	at   time.Time
}

func newRig(t testing.TB) *rig {
	t.Helper()
	return newRigOn(t, testrig.NewStore(t))
}

// newRigOn is newRig on a given store.
func newRigOn(t testing.TB, st *store.Store) *rig {
	t.Helper()
	r := &rig{t: t, store: st, addrs: map[string]string{}, received: map[string][]received{}}
	r.svc = service.New(service.Deps{Store: st, URLs: service.NewURLs("http://org-a.test"), Now: r.now})
	a, err := r.svc.InstanceActor(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	r.actor = a
	if r.pub, err = signing.ParsePublicKey(a.PublicKeyPEM); err != nil {
		t.Fatal(err)
	}
	return r
}

func (r *rig) now() time.Time { return time.Now().Add(time.Duration(r.offset.Load())) }

// jump moves the rig's clock ahead.
func (r *rig) jump(d time.Duration) { r.offset.Add(int64(d)) }

// host serves name with h after verifying and recording each request.
func (r *rig) host(name string, h http.HandlerFunc) {
	r.t.Helper()
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		body, err := io.ReadAll(req.Body)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		if problem := r.verify(req, body); problem != "" {
			r.mu.Lock()
			r.bad = append(r.bad, problem)
			r.mu.Unlock()
			http.Error(w, problem, http.StatusUnauthorized)
			return
		}
		inbox := "http://" + req.Host + req.URL.Path
		r.mu.Lock()
		r.received[inbox] = append(r.received[inbox], received{body: body, at: time.Now()})
		r.mu.Unlock()
		h(w, req)
	}))
	srv.Config.ConnState = func(_ net.Conn, st http.ConnState) {
		if st == http.StateNew {
			r.conns.Add(1)
		}
	}
	srv.Start()
	r.t.Cleanup(srv.Close)
	r.mu.Lock()
	r.addrs[name] = srv.Listener.Addr().String()
	r.mu.Unlock()
}

// blackHole makes name accept connections and never answer.
func (r *rig) blackHole(name string) *atomic.Int64 {
	r.t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		r.t.Fatal(err)
	}
	var accepted atomic.Int64
	var conns sync.Map
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			accepted.Add(1)
			conns.Store(c, true)
		}
	}()
	r.t.Cleanup(func() {
		_ = l.Close()
		conns.Range(func(k, _ any) bool { _ = k.(net.Conn).Close(); return true })
	})
	r.mu.Lock()
	r.addrs[name] = l.Addr().String()
	r.mu.Unlock()
	return &accepted
}

// verify checks what every inbox must: a signature by the instance actor's
// key over a fresh Date and the exact body's Digest.
func (r *rig) verify(req *http.Request, body []byte) string {
	p, err := signing.Parse(req)
	if err != nil {
		return "parse signature: " + err.Error()
	}
	if p.KeyID != r.actor.PublicKeyID {
		return "key id " + p.KeyID
	}
	if err := p.Verify(req, body, r.pub, time.Now()); err != nil {
		return "verify: " + err.Error()
	}
	if ct := req.Header.Get("Content-Type"); ct != signing.ActivityContentType {
		return "content type " + ct
	}
	return ""
}

// client is a transport reaching the rig's hosts: their names resolve to
// loopback, "nx.test" does not resolve, and "private.test" resolves to a
// private address the SSRF guard refuses.
func (r *rig) client(timeout time.Duration) *transport.Client {
	return transport.New(transport.Options{
		UserAgent:      "Practica/test (+http://org-a.test)",
		AllowPrivate:   []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")},
		RequestTimeout: timeout,
		Resolve: func(_ context.Context, host string) ([]netip.Addr, error) {
			switch host {
			case "nx.test":
				return nil, &net.DNSError{Err: "no such host", Name: host, IsNotFound: true}
			case "private.test":
				return []netip.Addr{netip.MustParseAddr("10.1.2.3")}, nil
			}
			return []netip.Addr{netip.MustParseAddr("127.0.0.1")}, nil
		},
		PortOverride: func(hostport string) (string, bool) {
			host, _, _ := net.SplitHostPort(hostport)
			r.mu.Lock()
			defer r.mu.Unlock()
			if a, ok := r.addrs[host]; ok {
				_, port, _ := net.SplitHostPort(a)
				return port, true
			}
			return "", false
		},
	})
}

// publish stores an activity of the instance actor queued for inboxes.
func (r *rig) publish(inboxes []string, priority int) *models.Activity {
	r.t.Helper()
	iri := "http://org-a.test/activities/" + testrig.RandomID()
	act := &models.Activity{
		IRI: iri, Type: "Create", ActorID: r.actor.ID, Local: true,
		JSON: fmt.Sprintf(`{"@context":"https://www.w3.org/ns/activitystreams","id":%q,"type":"Create","actor":%q,"object":{"type":"Note","content":"héllo"}}`, iri, r.actor.IRI),
	}
	if err := r.svc.PublishActivity(context.Background(), act, inboxes, priority); err != nil {
		r.t.Fatal(err)
	}
	return act
}

// sender builds a Sender over the rig's service and the given poster.
func (r *rig) sender(p delivery.Poster, retries delivery.Scheduler, o delivery.Options) *delivery.Sender {
	if o.Now == nil {
		o.Now = r.now
	}
	return delivery.NewSender(delivery.Deps{Service: r.svc, Poster: p, Retries: retries}, o)
}

// deliveries returns an activity's rows by inbox.
func (r *rig) deliveries(actID int64) map[string]models.Delivery {
	r.t.Helper()
	ds, err := r.svc.ActivityDeliveries(context.Background(), actID)
	if err != nil {
		r.t.Fatal(err)
	}
	out := map[string]models.Delivery{}
	for _, d := range ds {
		out[d.InboxURL] = d
	}
	return out
}

// got returns what inbox received.
func (r *rig) got(inbox string) []received {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]received(nil), r.received[inbox]...)
}

// checkVerified fails the test if any request failed verification.
func (r *rig) checkVerified() {
	r.t.Helper()
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(r.bad) > 0 {
		r.t.Fatalf("%d requests failed verification, first: %s", len(r.bad), r.bad[0])
	}
}

// ok answers 202 Accepted.
func ok(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusAccepted) }

// retries records scheduled retries.
type retries struct {
	mu   sync.Mutex
	list []delivery.Retry
}

func (s *retries) ScheduleRetry(_ context.Context, r delivery.Retry) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.list = append(s.list, r)
	return nil
}

func (s *retries) all() []delivery.Retry {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]delivery.Retry(nil), s.list...)
}
