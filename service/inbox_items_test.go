package service_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/practica-social/practica/models"
	"github.com/practica-social/practica/service"
	"github.com/practica-social/practica/testrig"
)

// inboxWaker is a Dispatcher that records inbox wake-ups and can fail
// like Redis down.
type inboxWaker struct {
	mu    sync.Mutex
	items []int64
	fail  bool
}

func (w *inboxWaker) Deliver(context.Context, int, ...int64) error { return nil }

func (w *inboxWaker) ProcessInbox(_ context.Context, ids ...int64) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.items = append(w.items, ids...)
	if w.fail {
		return errors.New("redis: connection refused")
	}
	return nil
}

func (w *inboxWaker) woken() []int64 {
	w.mu.Lock()
	defer w.mu.Unlock()
	return append([]int64(nil), w.items...)
}

func newInboxService(t *testing.T, w service.Dispatcher, now func() time.Time) *service.Service {
	t.Helper()
	return service.New(service.Deps{Store: testrig.NewStore(t), URLs: service.NewURLs("http://org-a.test"), Dispatch: w, Now: now})
}

func received(iri string) models.InboxItem {
	return models.InboxItem{
		ActivityIRI: iri, ActorIRI: "http://org-b.test/u/bob", KeyID: "http://org-b.test/u/bob#main-key",
		Type: "Follow", Body: `{"id":"` + iri + `","type":"Follow"}`,
	}
}

func TestReceiveActivityStoresOnceAndWakesOnce(t *testing.T) {
	ctx := context.Background()
	w := &inboxWaker{}
	svc := newInboxService(t, w, nil)
	id, created, err := svc.ReceiveActivity(ctx, received("http://org-b.test/activities/1"))
	if err != nil || !created || id == 0 {
		t.Fatalf("first = %d, %v, %v", id, created, err)
	}
	if got := w.woken(); len(got) != 1 || got[0] != id {
		t.Fatalf("woken %v, want [%d]", got, id)
	}
	again, created, err := svc.ReceiveActivity(ctx, received("http://org-b.test/activities/1"))
	if err != nil || created || again != id {
		t.Fatalf("duplicate = %d, %v, %v; want %d, false", again, created, err, id)
	}
	if got := w.woken(); len(got) != 1 {
		t.Fatalf("a duplicate woke a worker: %v", got)
	}
	it, err := svc.InboxItem(ctx, id)
	if err != nil || it.State != models.InboxReceived || it.Type != "Follow" || it.ReceivedAt.IsZero() {
		t.Fatalf("stored = %+v, %v", it, err)
	}
	if _, err := svc.InboxItem(ctx, id+1000); service.KindOf(err) != service.KindNotFound {
		t.Fatalf("missing item: %v, want not found", err)
	}
	if _, _, err := svc.ReceiveActivity(ctx, models.InboxItem{ActivityIRI: "x"}); service.KindOf(err) != service.KindInvalid {
		t.Fatalf("incomplete item: %v, want invalid", err)
	}
}

func TestReceiveActivityConcurrentDuplicates(t *testing.T) {
	ctx := context.Background()
	w := &inboxWaker{}
	svc := newInboxService(t, w, nil)
	const n = 10
	var wg sync.WaitGroup
	ids := make([]int64, n)
	news := make([]bool, n)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var err error
			ids[i], news[i], err = svc.ReceiveActivity(ctx, received("http://org-b.test/activities/race"))
			if err != nil {
				t.Errorf("receive: %v", err)
			}
		}()
	}
	wg.Wait()
	created := 0
	for i := range n {
		if news[i] {
			created++
		}
		if ids[i] != ids[0] {
			t.Fatalf("ids differ: %v", ids)
		}
	}
	if created != 1 || len(w.woken()) != 1 {
		t.Fatalf("created %d, woken %v; want one of each", created, w.woken())
	}
}

func TestReceiveActivityKeepsTheItemWhenTheQueueIsDown(t *testing.T) {
	ctx := context.Background()
	now := time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)
	w := &inboxWaker{fail: true}
	svc := newInboxService(t, w, func() time.Time { return now })
	id, created, err := svc.ReceiveActivity(ctx, received("http://org-b.test/activities/q"))
	if err != nil || !created {
		t.Fatalf("receive with the queue down = %v, %v; the row must be kept", created, err)
	}
	// The reconciler finds it once it has waited long enough.
	items, err := svc.UnprocessedInboxItems(ctx, time.Minute, 10)
	if err != nil || len(items) != 0 {
		t.Fatalf("too early: %v, %v", items, err)
	}
	now = now.Add(2 * time.Minute)
	items, err = svc.UnprocessedInboxItems(ctx, time.Minute, 10)
	if err != nil || len(items) != 1 || items[0].ID != id {
		t.Fatalf("unprocessed = %v, %v; want item %d", items, err, id)
	}
	if err := svc.MarkInboxItem(ctx, id, models.InboxProcessed, ""); err != nil {
		t.Fatal(err)
	}
	items, _ = svc.UnprocessedInboxItems(ctx, time.Minute, 10)
	if len(items) != 0 {
		t.Fatalf("processed item still listed: %v", items)
	}
	it, _ := svc.InboxItem(ctx, id)
	if it.ProcessedAt == nil || !it.ProcessedAt.Equal(now) || it.Attempts != 1 {
		t.Fatalf("marked = %+v", it)
	}
	if err := svc.MarkInboxItem(ctx, id+1000, models.InboxProcessed, ""); service.KindOf(err) != service.KindNotFound {
		t.Fatalf("mark missing: %v", err)
	}
}
