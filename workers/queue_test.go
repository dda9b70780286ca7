package workers

import (
	"context"
	"testing"
	"time"

	"github.com/alicebob/miniredis/v2"
	"github.com/hibiken/asynq"
	"github.com/redis/go-redis/v9"

	"github.com/practica-social/practica/federation/delivery"
	"github.com/practica-social/practica/service"
	"github.com/practica-social/practica/tasks"
)

// newTestQueue returns a Queue on a fresh miniredis and an inspector of it.
func newTestQueue(t *testing.T) (*Queue, *asynq.Inspector) {
	t.Helper()
	m := miniredis.RunT(t)
	rdb := redis.NewClient(&redis.Options{Addr: m.Addr()})
	t.Cleanup(func() { _ = rdb.Close() })
	client := asynq.NewClientFromRedisClient(rdb)
	insp := asynq.NewInspectorFromRedisClient(rdb)
	return NewQueue(client, "t-"), insp
}

func count(t *testing.T, insp *asynq.Inspector, queue string) (pending, scheduled int) {
	t.Helper()
	info, err := insp.GetQueueInfo(queue)
	if err != nil {
		t.Fatalf("queue %s: %v", queue, err)
	}
	return info.Pending, info.Scheduled
}

func TestQueueDeduplicatesByRow(t *testing.T) {
	q, insp := newTestQueue(t)
	ctx := context.Background()
	for range 3 {
		if err := q.Deliver(ctx, service.PriorityBulk, 42); err != nil {
			t.Fatal(err)
		}
	}
	if err := q.Deliver(ctx, service.PriorityBulk, 43); err != nil {
		t.Fatal(err)
	}
	if p, _ := count(t, insp, "t-"+tasks.QueueDefault); p != 2 {
		t.Fatalf("%d fan-out tasks for 2 activities", p)
	}

	at := time.Now().Add(time.Hour)
	retry := delivery.Retry{DeliveryID: 7, Attempt: 2, At: at, Priority: service.PriorityBulk}
	for range 3 {
		if err := q.ScheduleRetry(ctx, retry); err != nil {
			t.Fatal(err)
		}
	}
	// The next attempt, and a postponement of the same attempt, are new.
	if err := q.ScheduleRetry(ctx, delivery.Retry{DeliveryID: 7, Attempt: 3, At: at, Priority: service.PriorityBulk}); err != nil {
		t.Fatal(err)
	}
	if err := q.ScheduleRetry(ctx, delivery.Retry{DeliveryID: 7, Attempt: 2, At: at.Add(time.Minute), Postponed: true}); err != nil {
		t.Fatal(err)
	}
	if _, s := count(t, insp, "t-"+tasks.QueueBulk); s != 3 {
		t.Fatalf("%d scheduled bulk retries, want 3", s)
	}
	if err := q.ScheduleRetry(ctx, delivery.Retry{DeliveryID: 8, Attempt: 1, At: at, Priority: service.PriorityDirect}); err != nil {
		t.Fatal(err)
	}
	if _, s := count(t, insp, "t-"+tasks.QueueCritical); s != 1 {
		t.Fatalf("direct retry not in the critical queue (%d scheduled)", s)
	}
	ti, err := insp.GetTaskInfo("t-"+tasks.QueueBulk, "delivery:7:2")
	if err != nil {
		t.Fatal(err)
	}
	if ti.Type != tasks.TypeDeliveryRetry || string(ti.Payload) != `{"delivery_id":7}` ||
		ti.NextProcessAt.Before(at) || ti.NextProcessAt.Sub(at) >= time.Second {
		t.Fatalf("retry task: %s %s at %v", ti.Type, ti.Payload, ti.NextProcessAt)
	}

	slot := time.Now().Truncate(time.Minute)
	for range 3 {
		if err := q.enqueueReconcile(ctx, slot, time.Minute); err != nil {
			t.Fatal(err)
		}
	}
	if p, _ := count(t, insp, "t-"+tasks.QueueCritical); p != 1 {
		t.Fatalf("%d reconciler runs queued for one period", p)
	}
}

func TestQueueProcessInbox(t *testing.T) {
	q, insp := newTestQueue(t)
	for range 2 {
		if err := q.ProcessInbox(context.Background(), 5); err != nil {
			t.Fatal(err)
		}
	}
	ti, err := insp.GetTaskInfo("t-"+tasks.QueueInbox, "inbox:5")
	if err != nil {
		t.Fatal(err)
	}
	if ti.Type != tasks.TypeInboxProcess || string(ti.Payload) != `{"item_id":5}` {
		t.Fatalf("inbox task: %s %s", ti.Type, ti.Payload)
	}
	if p, _ := count(t, insp, "t-"+tasks.QueueInbox); p != 1 {
		t.Fatalf("%d inbox tasks for one item", p)
	}
}

// Rows that are not consecutive (a reconciler's chunk, or a group commit
// whose insert skipped a duplicate) get a task of their own: it must not
// pass for a task of other rows that starts at the same row and has as
// many.
func TestQueueProcessInboxKeysEveryRow(t *testing.T) {
	q, insp := newTestQueue(t)
	ctx := context.Background()
	for _, ids := range [][]int64{{7, 8}, {7, 9}, {7, 9}} {
		if err := q.ProcessInbox(ctx, ids...); err != nil {
			t.Fatal(err)
		}
	}
	if p, _ := count(t, insp, "t-"+tasks.QueueInbox); p != 2 {
		t.Fatalf("%d inbox tasks for the rows 7+8 and (twice) 7+9, want 2", p)
	}
	if _, err := insp.GetTaskInfo("t-"+tasks.QueueInbox, "inbox:7+2"); err != nil {
		t.Fatalf("consecutive rows keep their key: %v", err)
	}
}

// TestDirectFanOutsAreCritical: the fan-out of direct traffic (a
// membership answer) is queued in the critical queue, ahead of bulk
// fan-outs in the default one.
func TestDirectFanOutsAreCritical(t *testing.T) {
	q, insp := newTestQueue(t)
	ctx := context.Background()
	if err := q.Deliver(ctx, service.PriorityDirect, 44); err != nil {
		t.Fatal(err)
	}
	if err := q.Deliver(ctx, service.PriorityBulk, 45); err != nil {
		t.Fatal(err)
	}
	if p, _ := count(t, insp, "t-"+tasks.QueueCritical); p != 1 {
		t.Errorf("%d fan-out tasks in the critical queue, want the direct one", p)
	}
	if p, _ := count(t, insp, "t-"+tasks.QueueDefault); p != 1 {
		t.Errorf("%d fan-out tasks in the default queue, want the bulk one", p)
	}
}
