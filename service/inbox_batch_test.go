package service_test

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/practica-social/practica/models"
)

// gatedWaker holds the first wake-up until released, so that the calls
// arriving meanwhile queue behind the first insert, as they do under load.
type gatedWaker struct {
	inboxWaker
	entered chan struct{}
	release chan struct{}
	calls   atomic.Int32
}

func (g *gatedWaker) ProcessInbox(ctx context.Context, ids ...int64) error {
	if g.calls.Add(1) == 1 {
		close(g.entered)
		<-g.release
	}
	return g.inboxWaker.ProcessInbox(ctx, ids...)
}

// Concurrent receipts share their inserts and wake-ups: every activity is
// stored once, a repeated id gets the first row, every new row wakes a
// worker exactly once, and the calls that queued behind a busy insert were
// stored together.
func TestReceiveActivityConcurrentCallsShareInserts(t *testing.T) {
	ctx := context.Background()
	w := &gatedWaker{entered: make(chan struct{}), release: make(chan struct{})}
	svc := newInboxService(t, w, nil)

	first, created, err := make(chan int64, 1), false, error(nil)
	go func() {
		id, c, e := svc.ReceiveActivity(ctx, received("http://org-b.test/activities/0"))
		created, err = c, e
		first <- id
	}()
	<-w.entered // the first insert committed; its wake-up is held

	const n = 40
	ids := make([]int64, n)
	made := make([]bool, n)
	var wg sync.WaitGroup
	var started atomic.Int32
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			started.Add(1)
			// Ten ids are sent twice.
			iri := fmt.Sprintf("http://org-b.test/activities/%d", 1+i%30)
			id, c, e := svc.ReceiveActivity(ctx, received(iri))
			if e != nil {
				t.Errorf("receive %s: %v", iri, e)
			}
			ids[i], made[i] = id, c
		}()
	}
	for started.Load() < n {
		time.Sleep(time.Millisecond)
	}
	time.Sleep(50 * time.Millisecond) // let them reach the queue
	close(w.release)
	wg.Wait()
	if id := <-first; id == 0 || !created || err != nil {
		t.Fatalf("first receipt: %d, %v, %v", id, created, err)
	}

	byIRI := map[int]int64{}
	createdN := 0
	for i := range n {
		k := i % 30
		if prev, ok := byIRI[k]; ok && prev != ids[i] {
			t.Fatalf("activity %d stored as rows %d and %d", k+1, prev, ids[i])
		}
		byIRI[k] = ids[i]
		if made[i] {
			createdN++
		}
	}
	if createdN != 30 {
		t.Fatalf("%d receipts created a row, want 30 (ten were repeats)", createdN)
	}
	woken := map[int64]int{}
	for _, id := range w.woken() {
		woken[id]++
	}
	if len(woken) != 31 {
		t.Fatalf("%d rows woken, want 31", len(woken))
	}
	for id, k := range woken {
		if k != 1 {
			t.Fatalf("row %d woken %d times", id, k)
		}
	}
	// 41 receipts; all but the first queued behind its insert.
	if c := w.calls.Load(); c > 5 {
		t.Fatalf("%d wake-ups for 31 rows: the queued receipts were not stored together", c)
	}
	items, err := svc.UnprocessedInboxItems(ctx, -time.Hour, 100)
	if err != nil || len(items) != 31 {
		t.Fatalf("%d rows stored (%v), want 31", len(items), err)
	}
	for _, it := range items {
		if it.State != models.InboxReceived || it.ReceivedAt.IsZero() {
			t.Fatalf("stored %+v", it)
		}
	}
}

// panickyWaker panics when asked to wake a worker.
type panickyWaker struct{ inboxWaker }

func (*panickyWaker) ProcessInbox(context.Context, ...int64) error { panic("queue client bug") }

// A panic while storing a batch must not keep the inbox waiting: the rows
// stored are answered as stored (the reconciler wakes their workers), and
// the next receipt is taken as usual.
func TestReceiveActivitySurvivesAPanicInTheBatch(t *testing.T) {
	ctx := context.Background()
	svc := newInboxService(t, &panickyWaker{}, nil)
	for i := range 3 {
		iri := fmt.Sprintf("http://org-b.test/activities/p%d", i)
		done := make(chan error, 1)
		go func() {
			id, created, err := svc.ReceiveActivity(ctx, received(iri))
			if err == nil && (id == 0 || !created) {
				err = fmt.Errorf("id %d, created %v", id, created)
			}
			done <- err
		}()
		select {
		case err := <-done:
			if err != nil {
				t.Fatalf("receipt %d: %v", i, err)
			}
		case <-time.After(10 * time.Second):
			t.Fatalf("receipt %d is stuck behind a panicked batch", i)
		}
	}
	if items, _ := svc.UnprocessedInboxItems(ctx, -time.Hour, 10); len(items) != 3 {
		t.Fatalf("%d rows stored, want 3", len(items))
	}
}
