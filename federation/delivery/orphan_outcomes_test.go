package delivery_test

import (
	"context"
	"errors"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/practica-social/practica/federation/delivery"
	"github.com/practica-social/practica/models"
	"github.com/practica-social/practica/service"
	"github.com/practica-social/practica/testrig"
)

// An outcome that outlives its job while the database does not answer is
// written once it answers, for as long as the row's lease lasts: a 2xx is
// not forgotten after a number of failed flushes, which would leave the row
// to be sent again when its lease ran out.
func TestOrphanOutcomesOutlastAnOutage(t *testing.T) {
	var down atomic.Bool
	st := testrig.NewStoreAfterStatement(t, func(sql string) error {
		if down.Load() && strings.Contains(sql, "delivered_at") {
			return errors.New("the database went away")
		}
		return nil
	})
	r := newRigOn(t, st)
	r.host("o1.test", ok)
	inbox := "http://o1.test/inbox"
	act := r.publish([]string{inbox}, service.PriorityBulk)
	// 50 flushes take half a second; the lease is 4 s.
	s := r.sender(r.client(5*time.Second), nil, delivery.Options{Now: r.now, FlushEvery: 10 * time.Millisecond, Lease: 4 * time.Second})
	down.Store(true)
	if _, err := s.DeliverActivity(context.Background(), act.ID); err == nil {
		t.Fatal("the outcome was written while the database was down")
	}
	time.Sleep(300 * time.Millisecond) // the job is gone; its outcome waits
	down.Store(false)
	deadline := time.Now().Add(3 * time.Second)
	for r.deliveries(act.ID)[inbox].State != models.DeliveryDone {
		if time.Now().After(deadline) {
			t.Fatalf("the outcome was dropped: %+v", r.deliveries(act.ID)[inbox])
		}
		time.Sleep(20 * time.Millisecond)
	}
	if n := len(r.got(inbox)); n != 1 {
		t.Fatalf("%s received %d requests, want 1", inbox, n)
	}
}
