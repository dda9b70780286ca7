package delivery_test

import (
	"context"
	"fmt"
	"net/http"
	"sync/atomic"
	"testing"
	"time"

	"github.com/practica-social/practica/federation/delivery"
	"github.com/practica-social/practica/service"
)

// TestSilentHostsDoNotHoldEveryPlace: more silent hosts than MaxInFlight,
// first in claim order, each within PerHost. Their sends are set aside once
// they pass SlowAfter, so the live hosts are served long before the silent
// ones time out — and every silent delivery still gets its outcome.
func TestSilentHostsDoNotHoldEveryPlace(t *testing.T) {
	r := newRig(t)
	ctx := context.Background()
	var inboxes []string
	var accepted []*atomic.Int64
	for h := range 6 {
		host := fmt.Sprintf("void%d.test", h)
		accepted = append(accepted, r.blackHole(host))
		inboxes = append(inboxes, "http://"+host+"/inbox")
	}
	for h := range 20 {
		host := fmt.Sprintf("live%d.test", h)
		r.host(host, ok)
		inboxes = append(inboxes, "http://"+host+"/inbox")
	}
	act := r.publish(inboxes, service.PriorityBulk)
	const timeout = 3 * time.Second
	s := r.sender(r.client(timeout), nil, delivery.Options{PerHost: 2, MaxInFlight: 4, SlowAfter: 50 * time.Millisecond})
	start := time.Now()
	sum, err := s.DeliverActivity(ctx, act.ID)
	if err != nil {
		t.Fatal(err)
	}
	r.checkVerified()
	var last time.Time
	for h := range 20 {
		got := r.got(fmt.Sprintf("http://live%d.test/inbox", h))
		if len(got) != 1 {
			t.Fatalf("live%d received %d requests", h, len(got))
		}
		if got[0].at.After(last) {
			last = got[0].at
		}
	}
	if lag := last.Sub(start); lag > timeout/2 {
		t.Fatalf("the last live host was served %v after the start; silent hosts held every place (request timeout %v)", lag, timeout)
	}
	for h, a := range accepted {
		if n := a.Load(); n != 1 {
			t.Errorf("void%d got %d connections, want 1", h, n)
		}
	}
	if sum.Delivered != 20 || sum.Retrying != 6 {
		t.Fatalf("summary %+v, want 20 delivered and 6 to retry", sum)
	}
	for in, d := range r.deliveries(act.ID) {
		if d.Attempts != 1 {
			t.Errorf("%s: %d attempts recorded, want 1", in, d.Attempts)
		}
	}
}

// TestMaxSlowBoundsTheSendsSetAside: once MaxSlow sends are set aside,
// further slow sends keep their places, so at most MaxInFlight + MaxSlow
// requests are ever in flight.
func TestMaxSlowBoundsTheSendsSetAside(t *testing.T) {
	r := newRig(t)
	ctx := context.Background()
	var inboxes []string
	var accepted []*atomic.Int64
	for h := range 8 {
		host := fmt.Sprintf("void%d.test", h)
		accepted = append(accepted, r.blackHole(host))
		inboxes = append(inboxes, "http://"+host+"/inbox")
	}
	act := r.publish(inboxes, service.PriorityBulk)
	const timeout = 1500 * time.Millisecond
	s := r.sender(r.client(timeout), nil, delivery.Options{PerHost: 1, MaxInFlight: 2, MaxSlow: 2, SlowAfter: 20 * time.Millisecond})
	done := make(chan delivery.Summary, 1)
	go func() {
		sum, err := s.DeliverActivity(ctx, act.ID)
		if err != nil {
			t.Error(err)
		}
		done <- sum
	}()
	connected := func() int64 {
		var n int64
		for _, a := range accepted {
			n += a.Load()
		}
		return n
	}
	time.Sleep(timeout / 2)
	if n := connected(); n != 4 {
		t.Fatalf("%d requests in flight before the first timeout, want MaxInFlight + MaxSlow = 4", n)
	}
	sum := <-done
	if n := connected(); n != 8 {
		t.Fatalf("%d hosts tried in the end, want 8", n)
	}
	if sum.Retrying != 8 {
		t.Fatalf("summary %+v, want 8 to retry", sum)
	}
}

// TestSlowSendsComingBackNeverStallTheRun: hosts that answer after a few
// milliseconds, with SlowAfter shorter than that, so that sends are set
// aside and come back all the time while workers start and leave. Every
// run must end with every row delivered.
func TestSlowSendsComingBackNeverStallTheRun(t *testing.T) {
	r := newRig(t)
	ctx := context.Background()
	var inboxes []string
	for h := range 8 {
		host := fmt.Sprintf("slow%d.test", h)
		delay := time.Duration(h%4+1) * time.Millisecond
		r.host(host, func(w http.ResponseWriter, req *http.Request) {
			time.Sleep(delay)
			ok(w, req)
		})
		for u := range 6 {
			inboxes = append(inboxes, fmt.Sprintf("http://%s/u/%d/inbox", host, u))
		}
	}
	s := r.sender(r.client(5*time.Second), nil, delivery.Options{PerHost: 2, MaxInFlight: 3, MaxSlow: 2, SlowAfter: time.Millisecond})
	for round := range 15 {
		act := r.publish(inboxes, service.PriorityBulk)
		done := make(chan delivery.Summary, 1)
		go func() {
			sum, err := s.DeliverActivity(ctx, act.ID)
			if err != nil {
				t.Error(err)
			}
			done <- sum
		}()
		select {
		case sum := <-done:
			if sum.Delivered != len(inboxes) {
				t.Fatalf("round %d: summary %+v, want %d delivered", round, sum, len(inboxes))
			}
		case <-time.After(20 * time.Second):
			t.Fatalf("round %d: the run stalled", round)
		}
	}
}
