package delivery_test

import (
	"context"
	"errors"
	"log/slog"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/practica-social/practica/federation/delivery"
	"github.com/practica-social/practica/models"
	"github.com/practica-social/practica/service"
	"github.com/practica-social/practica/testrig"
)

// A claim whose statement commits as the connection is cut leases its rows
// to nobody: the claimer only sees an error. The Sender hands such rows
// back once the database answers, so they go out at once rather than when
// the five-minute lease runs out. Both kinds of claim: an activity's rows,
// and DeliverOne's single row.
func TestLostClaimIsHandedBack(t *testing.T) {
	var cut atomic.Value // the SQL fragment of the next claim to "lose"
	cut.Store("")
	st := testrig.NewStoreAfterStatement(t, func(sql string) error {
		frag := cut.Load().(string)
		if frag != "" && strings.Contains(sql, frag) && cut.CompareAndSwap(frag, "") {
			return errors.New("connection reset by peer after the statement committed")
		}
		return nil
	})
	r := newRigOn(t, st)
	var inboxes []string
	for _, h := range []string{"l1.test", "l2.test", "l3.test"} {
		r.host(h, ok)
		inboxes = append(inboxes, "http://"+h+"/inbox")
	}
	logs := &testrig.SyncBuffer{}
	s := delivery.NewSender(delivery.Deps{
		Service: r.svc, Poster: r.client(5 * time.Second),
		Log: slog.New(slog.NewTextHandler(logs, nil)),
	}, delivery.Options{Now: r.now}) // the default five-minute lease
	ctx := context.Background()

	act := r.publish(inboxes, service.PriorityBulk)
	cut.Store("WITH picked")
	if _, err := s.DeliverActivity(ctx, act.ID); err == nil {
		t.Fatal("the lost claim returned no error")
	}
	r.waitDue(act.ID, len(inboxes))
	// The hand-back logs after its statement commits, so the rows may be
	// seen due a moment before the line is written.
	for deadline := time.Now().Add(5 * time.Second); !strings.Contains(logs.String(), "count=3"); time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("no three rows handed back; log:\n%s", logs.String())
		}
	}
	sum, err := s.DeliverActivity(ctx, act.ID)
	if err != nil || sum.Delivered != len(inboxes) {
		t.Fatalf("after the hand-back: %+v, %v", sum, err)
	}
	for _, in := range inboxes {
		if n := len(r.got(in)); n != 1 {
			t.Fatalf("%s received %d requests, want 1", in, n)
		}
	}

	// DeliverActivities claims several activities in one statement; rows
	// a failed claim returned are not sent (they may not be ours), and go
	// out once, after the hand-back.
	a2, a3 := r.publish(inboxes, service.PriorityBulk), r.publish(inboxes, service.PriorityBulk)
	cut.Store("WITH picked")
	if _, err := s.DeliverActivities(ctx, []int64{a2.ID, a3.ID}); err == nil {
		t.Fatal("the lost claim of two activities returned no error")
	}
	for _, in := range inboxes {
		if n := len(r.got(in)); n != 1 {
			t.Fatalf("%s received %d requests after a failed claim, want still 1", in, n)
		}
	}
	r.waitDue(a2.ID, len(inboxes))
	r.waitDue(a3.ID, len(inboxes))
	if sum, err := s.DeliverActivities(ctx, []int64{a2.ID, a3.ID}); err != nil || sum.Delivered != 2*len(inboxes) {
		t.Fatalf("DeliverActivities after the hand-back: %+v, %v", sum, err)
	}
	for _, in := range inboxes {
		if n := len(r.got(in)); n != 3 {
			t.Fatalf("%s received %d requests, want 3 (one per activity)", in, n)
		}
	}

	one := r.publish(inboxes[:1], service.PriorityDirect)
	d := r.deliveries(one.ID)[inboxes[0]]
	cut.Store("WHERE id = ")
	if _, err := s.DeliverOne(ctx, d.ID); err == nil {
		t.Fatal("the lost claim of one row returned no error")
	}
	r.waitDue(one.ID, 1)
	if sum, err := s.DeliverOne(ctx, d.ID); err != nil || sum.Delivered != 1 {
		t.Fatalf("DeliverOne after the hand-back: %+v, %v", sum, err)
	}
}

// waitDue waits until the activity's n rows are pending and due, failing
// after ten seconds (a lease not handed back lasts five minutes).
func (r *rig) waitDue(actID int64, n int) {
	r.t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		ds := r.deliveries(actID)
		due := 0
		for _, d := range ds {
			if d.State == models.DeliveryPending && !d.NextAttemptAt.After(r.now()) {
				due++
			}
		}
		if len(ds) == n && due == n {
			return
		}
		if time.Now().After(deadline) {
			r.t.Fatalf("rows of activity %d still leased: %+v", actID, ds)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
