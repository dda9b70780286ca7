package workers_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/alicebob/miniredis/v2"
	"github.com/hibiken/asynq"
	"github.com/redis/go-redis/v9"

	"github.com/practica-social/practica/federation/signing"
	"github.com/practica-social/practica/models"
	"github.com/practica-social/practica/service"
	"github.com/practica-social/practica/store"
	"github.com/practica-social/practica/tasks"
	"github.com/practica-social/practica/testrig"
	"github.com/practica-social/practica/workers"
)

// nopPoster never gets called: these tests only enqueue.
type nopPoster struct{}

func (nopPoster) Post(context.Context, string, []byte, *signing.Signer) error { return nil }

// queueRig is a service on a fresh store and a Queue on the test Redis
// (miniredis unless PRACTICA_TEST_REDIS_URL is set), under a prefix of its
// own.
type queueRig struct {
	store  *store.Store
	svc    *service.Service
	actor  *models.Actor
	rdb    redis.UniversalClient
	queue  *workers.Queue
	insp   *asynq.Inspector
	prefix string
}

func newQueueRig(t *testing.T) *queueRig {
	t.Helper()
	url, prefix := testrig.RedisURL(t)
	if url == "" {
		url = "redis://" + miniredis.RunT(t).Addr()
	}
	opt, err := redis.ParseURL(url)
	if err != nil {
		t.Fatal(err)
	}
	rdb := redis.NewClient(opt)
	t.Cleanup(func() { _ = rdb.Close() })
	st := testrig.NewStore(t)
	svc := service.New(service.Deps{Store: st, URLs: service.NewURLs("http://org-a.test")})
	a, err := svc.InstanceActor(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return &queueRig{
		store: st, svc: svc, actor: a, rdb: rdb, prefix: prefix,
		queue: workers.NewQueue(asynq.NewClientFromRedisClient(rdb), prefix),
		insp:  asynq.NewInspectorFromRedisClient(rdb),
	}
}

func (q *queueRig) publish(t *testing.T, inboxes ...string) (*models.Activity, []models.Delivery) {
	t.Helper()
	ctx := context.Background()
	iri := "http://org-a.test/activities/" + testrig.RandomID()
	act := &models.Activity{IRI: iri, Type: "Create", ActorID: q.actor.ID, JSON: `{}`}
	if err := q.svc.PublishActivity(ctx, act, inboxes, service.PriorityBulk); err != nil {
		t.Fatal(err)
	}
	ds, err := q.svc.ActivityDeliveries(ctx, act.ID)
	if err != nil {
		t.Fatal(err)
	}
	return act, ds
}

func (q *queueRig) taskIDs(t *testing.T, queue string) []string {
	t.Helper()
	var ids []string
	for _, list := range []func(string, ...asynq.ListOption) ([]*asynq.TaskInfo, error){q.insp.ListPendingTasks, q.insp.ListScheduledTasks} {
		tis, err := list(q.prefix + queue)
		if errors.Is(err, asynq.ErrQueueNotFound) {
			continue
		}
		if err != nil {
			t.Fatal(err)
		}
		for _, ti := range tis {
			ids = append(ids, ti.ID)
		}
	}
	return ids
}

// TestReconcileEnqueuesOverdueRowsOnce: overdue rows get a fan-out per
// activity with several of them and the retry task a lone row should have
// had; rows within the grace period are left alone; a second run adds
// nothing.
func TestReconcileEnqueuesOverdueRowsOnce(t *testing.T) {
	q := newQueueRig(t)
	ctx := context.Background()
	many, manyRows := q.publish(t, "http://a.test/1", "http://a.test/2", "http://b.test/3")
	_, loneRows := q.publish(t, "http://c.test/1")
	_, freshRows := q.publish(t, "http://d.test/1")
	var overdue []int64
	for _, d := range append(manyRows, loneRows...) {
		overdue = append(overdue, d.ID)
	}
	if err := q.svc.RescheduleDeliveries(ctx, overdue, time.Now().Add(-time.Hour)); err != nil {
		t.Fatal(err)
	}
	w := workers.New(workers.Deps{Service: q.svc, Queue: q.queue, Poster: nopPoster{}, ReconcileGrace: time.Minute})
	mux := w.Mux()
	for range 2 {
		if err := mux.ProcessTask(ctx, asynq.NewTask(tasks.TypeDeliveryReconcile, nil)); err != nil {
			t.Fatal(err)
		}
	}
	if got, want := fmt.Sprint(q.taskIDs(t, tasks.QueueDefault)), fmt.Sprintf("[fanout:%d]", many.ID); got != want {
		t.Fatalf("default queue holds %s, want %s", got, want)
	}
	if got, want := fmt.Sprint(q.taskIDs(t, tasks.QueueBulk)), fmt.Sprintf("[delivery:%d:0]", loneRows[0].ID); got != want {
		t.Fatalf("bulk queue holds %s, want %s (nothing for row %d, due within the grace period)", got, want, freshRows[0].ID)
	}
}

// TestRunReconcilerOnePerPeriod runs the reconciler loop of two worker
// processes side by side: one run is queued per period, not two.
func TestRunReconcilerOnePerPeriod(t *testing.T) {
	q := newQueueRig(t)
	every := 200 * time.Millisecond
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{}, 2)
	for range 2 {
		w := workers.New(workers.Deps{Service: q.svc, Queue: q.queue, Poster: nopPoster{}, ReconcileEvery: every})
		go func() {
			w.RunReconciler(ctx)
			done <- struct{}{}
		}()
	}
	time.Sleep(5*every + every/2)
	cancel()
	<-done
	<-done
	n := len(q.taskIDs(t, tasks.QueueCritical))
	if n < 4 || n > 8 {
		t.Fatalf("%d reconciler runs queued over about 6 periods by 2 processes; want one per period", n)
	}
}

// nopInbox stands in for the inbox processor: these tests only enqueue.
type nopInbox struct{}

func (nopInbox) ProcessBatch(context.Context, []int64) error { return nil }

func (nopInbox) ProcessFetchingParents(context.Context, int64, bool) error { return nil }

// TestReconcileInboxEnqueuesStuckItemsInChunks: received activities no
// worker took (their wake-up was lost) are queued again in chunks, each the
// stuck items of one aligned block of ReconcileInboxChunk ids, every item
// once; a second run while those tasks wait adds nothing. Items within the
// grace period are left alone.
func TestReconcileInboxEnqueuesStuckItemsInChunks(t *testing.T) {
	q := newQueueRig(t)
	ctx := context.Background()
	// Stored an hour ago, with no dispatcher: nobody was woken.
	past := service.New(service.Deps{Store: q.store, URLs: service.NewURLs("http://org-a.test"),
		Now: func() time.Time { return time.Now().Add(-time.Hour) }})
	const stuck = workers.ReconcileInboxChunk + 5
	want := map[int64]bool{}
	for i := range stuck {
		id, _, err := past.ReceiveActivity(ctx, models.InboxItem{
			ActivityIRI: fmt.Sprintf("https://remote.test/activities/%d", i), ActorIRI: "https://remote.test/u/a",
			Type: "Create", Body: `{}`,
		})
		if err != nil {
			t.Fatal(err)
		}
		want[id] = true
	}
	if _, _, err := q.svc.ReceiveActivity(ctx, models.InboxItem{
		ActivityIRI: "https://remote.test/activities/fresh", ActorIRI: "https://remote.test/u/a", Type: "Create", Body: `{}`,
	}); err != nil {
		t.Fatal(err)
	}
	w := workers.New(workers.Deps{Service: q.svc, Queue: q.queue, Poster: nopPoster{}, Inbox: nopInbox{}, ReconcileGrace: time.Minute})
	var tis []*asynq.TaskInfo
	for range 2 {
		if err := w.Mux().ProcessTask(ctx, asynq.NewTask(tasks.TypeDeliveryReconcile, nil)); err != nil {
			t.Fatal(err)
		}
		var err error
		if tis, err = q.insp.ListPendingTasks(q.prefix + tasks.QueueInbox); err != nil {
			t.Fatal(err)
		}
		// 133 consecutive ids span two or three aligned blocks of 128.
		if len(tis) < 2 || len(tis) > 3 {
			t.Fatalf("%d inbox tasks for %d stuck items, want 2 or 3", len(tis), stuck)
		}
	}
	for _, ti := range tis {
		var p tasks.InboxProcess
		if err := json.Unmarshal(ti.Payload, &p); err != nil {
			t.Fatal(err)
		}
		ids := p.IDs()
		for _, id := range ids {
			if !want[id] {
				t.Fatalf("task %s carries item %d, not stuck or twice", ti.ID, id)
			}
			if id/workers.ReconcileInboxChunk != ids[0]/workers.ReconcileInboxChunk {
				t.Fatalf("task %s spans two blocks: %v", ti.ID, ids)
			}
			delete(want, id)
		}
	}
	if len(want) != 0 {
		t.Fatalf("items never queued again: %v", want)
	}
}
