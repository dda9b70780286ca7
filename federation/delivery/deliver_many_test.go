package delivery_test

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/practica-social/practica/federation/delivery"
	"github.com/practica-social/practica/federation/signing"
	"github.com/practica-social/practica/models"
	"github.com/practica-social/practica/service"
)

// DeliverActivities claims the first rows of all its activities in one
// statement; an activity with more rows than that claim took goes on
// claiming alone. Every inbox gets each activity exactly once, with that
// activity's bytes, and a missing activity fails only its own rows.
func TestDeliverActivitiesSendsEachActivityOnceToEachInbox(t *testing.T) {
	r := newRig(t)
	var small, large []string
	for h := range 4 {
		host := fmt.Sprintf("m%d.test", h)
		r.host(host, ok)
		small = append(small, fmt.Sprintf("http://%s/inbox", host))
		for u := range 6 {
			large = append(large, fmt.Sprintf("http://%s/u/%d/inbox", host, u))
		}
	}
	a1 := r.publish(small, service.PriorityBulk)
	a2 := r.publish(small, service.PriorityBulk)
	a3 := r.publish(large, service.PriorityBulk) // 24 rows: more than a claim of 8
	s := r.sender(r.client(5*time.Second), nil, delivery.Options{Now: r.now, ClaimBatch: 8})
	sum, err := s.DeliverActivities(context.Background(), []int64{a1.ID, a2.ID, a3.ID})
	if err != nil {
		t.Fatal(err)
	}
	if want := 2*len(small) + len(large); sum.Delivered != want || sum.Failed+sum.Retrying+sum.Postponed != 0 {
		t.Fatalf("summary %+v, want %d delivered", sum, want)
	}
	r.checkVerified()
	for _, in := range small {
		got := r.got(in)
		if len(got) != 2 {
			t.Fatalf("%s received %d requests, want 2 (one per activity)", in, len(got))
		}
		if bytes.Equal(got[0].body, got[1].body) {
			t.Fatalf("%s received the same activity twice", in)
		}
	}
	for _, in := range large {
		if got := r.got(in); len(got) != 1 || !bytes.Equal(got[0].body, []byte(a3.JSON)) {
			t.Fatalf("%s received %d requests (want one with the third activity)", in, len(got))
		}
	}
	for _, a := range []*models.Activity{a1, a2, a3} {
		for in, d := range r.deliveries(a.ID) {
			if d.State != models.DeliveryDone || d.LastStatus != http.StatusOK {
				t.Fatalf("activity %d, %s: %+v", a.ID, in, d)
			}
		}
	}
	// Nothing is due any more: a second run sends nothing, and an id with
	// no activity is not an error for the others.
	if sum, err := s.DeliverActivities(context.Background(), []int64{a1.ID, a2.ID, a3.ID, a3.ID + 1000}); err != nil || sum != (delivery.Summary{}) {
		t.Fatalf("second run: %+v, %v", sum, err)
	}
}

// A top-level post goes to every host as two activities. A worker whose
// send a host answered takes that host's next row while the connection is
// idle and warm, instead of coming back to it after every other host, when
// a fan-out to more hosts than the transport keeps idle connections for
// has closed it: one connection per host, not one per delivery (in
// production each new one is a TLS handshake on both sides).
func TestFanOutReusesEachHostsConnection(t *testing.T) {
	r := newRig(t)
	const hosts = 300 // more than the 256 idle connections the transport keeps
	var inboxes []string
	for h := range hosts {
		host := fmt.Sprintf("c%d.test", h)
		r.host(host, ok)
		inboxes = append(inboxes, fmt.Sprintf("http://%s/inbox", host))
	}
	a1 := r.publish(inboxes, service.PriorityBulk)
	a2 := r.publish(inboxes, service.PriorityBulk)
	// Every row in one claim, so both rows of a host wait in its lane from
	// the start: with later claims, a host's second row may arrive after
	// its first send, when no worker is staying with it.
	s := r.sender(r.client(5*time.Second), nil, delivery.Options{Now: r.now, MaxInFlight: 4, ClaimBatch: 1000})
	sum, err := s.DeliverActivities(context.Background(), []int64{a1.ID, a2.ID})
	if err != nil {
		t.Fatal(err)
	}
	if sum.Delivered != 2*hosts {
		t.Fatalf("summary %+v, want %d delivered", sum, 2*hosts)
	}
	r.checkVerified()
	// A few hosts may be sent both rows at once by two workers, each on a
	// connection of its own.
	n := r.conns.Load()
	t.Logf("%d connections for %d deliveries to %d hosts", n, 2*hosts, hosts)
	if n > hosts+hosts/10 {
		t.Fatalf("%d connections for %d deliveries to %d hosts, want about one per host", n, 2*hosts, hosts)
	}
}

// peakPoster answers 2xx after a short while and records the most sends it
// had in flight at once.
type peakPoster struct {
	mu         sync.Mutex
	now, peak  int
	hold       time.Duration
	deliveries int
}

func (p *peakPoster) Post(context.Context, string, []byte, *signing.Signer) error {
	p.mu.Lock()
	p.now++
	p.deliveries++
	p.peak = max(p.peak, p.now)
	p.mu.Unlock()
	time.Sleep(p.hold)
	p.mu.Lock()
	p.now--
	p.mu.Unlock()
	return nil
}

// Staying with a warm host never takes more than PerHost sends to it at
// once: a lane waiting in the round robin may have lost its free slot to a
// worker that stayed with it.
func TestWarmLaneKeepsPerHost(t *testing.T) {
	r := newRig(t)
	var inboxes []string
	for u := range 200 {
		inboxes = append(inboxes, fmt.Sprintf("http://one.test/u/%d/inbox", u))
	}
	a := r.publish(inboxes, service.PriorityBulk)
	p := &peakPoster{hold: 200 * time.Microsecond}
	s := r.sender(p, nil, delivery.Options{Now: r.now, PerHost: 1, MaxInFlight: 8})
	sum, err := s.DeliverActivity(context.Background(), a.ID)
	if err != nil || sum.Delivered != len(inboxes) {
		t.Fatalf("%+v, %v", sum, err)
	}
	if p.peak != 1 {
		t.Fatalf("%d sends to one host at once, PerHost is 1", p.peak)
	}
}
