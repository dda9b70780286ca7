package workers

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/hibiken/asynq"

	"github.com/practica-social/practica/federation/delivery"
	"github.com/practica-social/practica/service"
	"github.com/practica-social/practica/tasks"
)

// Task limits. Fan-out and retries give up quickly on their own errors
// (the database down): the rows stay pending and the reconciler enqueues
// them again, so asynq's retries are only a shortcut.
const (
	taskMaxRetry = 3
	// fanoutTimeout bounds one fan-out task; a run cut short hands its
	// unsent claims back.
	fanoutTimeout = 30 * time.Minute
	// retryTimeout bounds one retry task: one send and its bookkeeping.
	retryTimeout = 2 * time.Minute
)

// Queue enqueues Practica's tasks on asynq, in the instance's prefixed
// queues. It is the service's Dispatcher and the delivery Scheduler. Every
// task carries a TaskID derived from the row it names, so enqueueing the
// same work twice is harmless.
type Queue struct {
	client *asynq.Client
	prefix string
}

var (
	_ service.Dispatcher = (*Queue)(nil)
	_ delivery.Scheduler = (*Queue)(nil)
)

// NewQueue returns a Queue on client using the queues named by
// tasks.Queues(prefix).
func NewQueue(client *asynq.Client, prefix string) *Queue {
	return &Queue{client: client, prefix: prefix}
}

// Deliver enqueues the fan-out of an activity's pending deliveries. While
// a fan-out of the activity is queued or running, another is not added.
func (q *Queue) Deliver(ctx context.Context, activityID int64) error {
	return q.enqueue(ctx, tasks.TypeDeliveryFanout, tasks.DeliveryFanout{ActivityID: activityID},
		asynq.Queue(q.prefix+tasks.QueueDefault), asynq.TaskID(fmt.Sprintf("fanout:%d", activityID)),
		asynq.MaxRetry(taskMaxRetry), asynq.Timeout(fanoutTimeout))
}

// ProcessInbox enqueues the processing of a received activity.
func (q *Queue) ProcessInbox(ctx context.Context, itemID int64) error {
	return q.enqueue(ctx, tasks.TypeInboxProcess, tasks.InboxProcess{ItemID: itemID},
		asynq.Queue(q.prefix+tasks.QueueDefault), asynq.TaskID(fmt.Sprintf("inbox:%d", itemID)))
}

// ScheduleRetry enqueues one delivery to run at r.At, in the critical
// queue for direct traffic and the bulk queue otherwise. The task id is
// "delivery:<id>:<attempt>", so the reconciler enqueueing the same retry
// adds nothing; a postponement, which makes no attempt, adds its due time.
func (q *Queue) ScheduleRetry(ctx context.Context, r delivery.Retry) error {
	id := fmt.Sprintf("delivery:%d:%d", r.DeliveryID, r.Attempt)
	if r.Postponed {
		id += fmt.Sprintf(":p%d", r.At.Unix())
	}
	// asynq keeps whole seconds; rounding up keeps the task from running
	// before its row is due (and before a Retry-After has passed).
	at := r.At.Truncate(time.Second)
	if at.Before(r.At) {
		at = at.Add(time.Second)
	}
	return q.enqueue(ctx, tasks.TypeDeliveryRetry, tasks.DeliveryRetry{DeliveryID: r.DeliveryID},
		asynq.Queue(q.queueFor(r.Priority)), asynq.TaskID(id), asynq.ProcessAt(at),
		asynq.MaxRetry(taskMaxRetry), asynq.Timeout(retryTimeout))
}

// enqueueReconcile enqueues the reconciler's run for the period starting
// at slot. The task id names the period and the finished task is kept for
// a period, so however many worker processes tick, one run happens.
func (q *Queue) enqueueReconcile(ctx context.Context, slot time.Time, every time.Duration) error {
	return q.enqueue(ctx, tasks.TypeDeliveryReconcile, tasks.DeliveryReconcile{},
		asynq.Queue(q.prefix+tasks.QueueCritical), asynq.TaskID(fmt.Sprintf("reconcile:%d", slot.UnixMilli())),
		asynq.MaxRetry(0), asynq.Retention(every), asynq.Timeout(max(every, time.Minute)))
}

// queueFor picks the queue of a delivery's priority.
func (q *Queue) queueFor(priority int) string {
	if priority >= service.PriorityDirect {
		return q.prefix + tasks.QueueCritical
	}
	return q.prefix + tasks.QueueBulk
}

// enqueue adds a task; a clash with a task of the same id means the work
// is already queued, which is success.
func (q *Queue) enqueue(ctx context.Context, typ string, payload any, opts ...asynq.Option) error {
	b, err := json.Marshal(payload)
	if err != nil {
		return fmt.Errorf("workers: encode %s: %w", typ, err)
	}
	_, err = q.client.EnqueueContext(ctx, asynq.NewTask(typ, b), opts...)
	if err != nil && !errors.Is(err, asynq.ErrTaskIDConflict) && !errors.Is(err, asynq.ErrDuplicateTask) {
		return fmt.Errorf("workers: enqueue %s: %w", typ, err)
	}
	return nil
}
