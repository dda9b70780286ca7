package workers

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"hash/fnv"
	"time"

	"github.com/hibiken/asynq"

	"github.com/practica-social/practica/federation/delivery"
	"github.com/practica-social/practica/federation/inbox"
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
	// FetchParentsMaxRetry is how often the fetching of a reply's thread
	// is tried again when its origin does not answer usefully (down,
	// 5xx, 429, too slow), on FetchParentsRetryDelay's schedule; after
	// the last try the reply is refused.
	FetchParentsMaxRetry = 4
	// fetchParentsTimeout bounds one try as asynq sees it. The handler
	// gives the work fetchParentsWork of it, so that a try that runs out
	// of time still records its failure (asynq would archive the task
	// without waiting for it).
	fetchParentsTimeout = 2 * time.Minute
	fetchParentsWork    = 100 * time.Second
)

// DefaultFetchParentsRetryBase is the wait before the first retry of a
// thread's fetching; each later one waits twice as long as the one
// before: 30 s, 1, 2 and 4 minutes, so an origin has about 8 minutes to
// come back.
const DefaultFetchParentsRetryBase = 30 * time.Second

// FetchParentsRetryDelay is the fetch pool's asynq RetryDelayFunc: base,
// doubled at each retry (n is how many retries came before).
func FetchParentsRetryDelay(base time.Duration) asynq.RetryDelayFunc {
	return func(n int, _ error, _ *asynq.Task) time.Duration {
		return base << min(n, 10)
	}
}

// Queue enqueues Practica's tasks on asynq, in the instance's prefixed
// queues. It is the service's Dispatcher and the delivery Scheduler. Every
// task carries a TaskID derived from the row it names, so enqueueing the
// same work twice is harmless.
type Queue struct {
	client *asynq.Client
	prefix string
	// inspect finds what holds a task id that is taken (WithInspector).
	inspect *asynq.Inspector
}

var (
	_ service.Dispatcher     = (*Queue)(nil)
	_ delivery.Scheduler     = (*Queue)(nil)
	_ inbox.ParentFetchQueue = (*Queue)(nil)
)

// NewQueue returns a Queue on client using the queues named by
// tasks.Queues(prefix).
func NewQueue(client *asynq.Client, prefix string) *Queue {
	return &Queue{client: client, prefix: prefix}
}

// WithInspector lets FetchParents replace a task of the same id that is
// finished (archived by asynq after a timeout or a crash, or kept
// completed) instead of taking it for one still queued. It returns q.
func (q *Queue) WithInspector(i *asynq.Inspector) *Queue {
	q.inspect = i
	return q
}

// Deliver enqueues the fan-out of activities' pending deliveries, in one
// task: in the critical queue for direct traffic (membership answers,
// follows, reports), so that it does not wait behind bulk fan-outs, and
// in the default queue otherwise. While a fan-out of the same activities
// is queued or running, another is not added.
func (q *Queue) Deliver(ctx context.Context, priority int, activityIDs ...int64) error {
	if len(activityIDs) == 0 {
		return nil
	}
	payload := tasks.DeliveryFanout{ActivityID: activityIDs[0]}
	if len(activityIDs) > 1 {
		payload = tasks.DeliveryFanout{ActivityIDs: activityIDs}
	}
	queue := q.prefix + tasks.QueueDefault
	if priority >= service.PriorityDirect {
		queue = q.prefix + tasks.QueueCritical
	}
	return q.enqueue(ctx, tasks.TypeDeliveryFanout, payload,
		asynq.Queue(queue), asynq.TaskID("fanout:"+idsKey(activityIDs)),
		asynq.MaxRetry(taskMaxRetry), asynq.Timeout(fanoutTimeout))
}

// ProcessInbox enqueues the processing of received activities, in one
// task that takes them in order.
func (q *Queue) ProcessInbox(ctx context.Context, itemIDs ...int64) error {
	if len(itemIDs) == 0 {
		return nil
	}
	payload := tasks.InboxProcess{ItemID: itemIDs[0]}
	if len(itemIDs) > 1 {
		payload = tasks.InboxProcess{ItemIDs: itemIDs}
	}
	return q.enqueue(ctx, tasks.TypeInboxProcess, payload,
		asynq.Queue(q.prefix+tasks.QueueInbox), asynq.TaskID("inbox:"+idsKey(itemIDs)))
}

// FetchParents enqueues the fetching of the thread above a received reply
// (item itemID) and the reply's processing, on the fetch pool's queue.
// While a fetch for the item is queued, waiting to be retried or running,
// another is not added.
//
// A task of the same id that asynq archived (its last try ran out of time,
// or its process died) or kept completed would hold the id for months,
// and the reply, handed back by the reconciler, would wait for nothing: it
// is deleted, and the new task queued.
func (q *Queue) FetchParents(ctx context.Context, itemID int64, then []int64) error {
	queue, id := q.prefix+tasks.QueueFetch, fmt.Sprintf("fetch-parents:%d", itemID)
	payload := tasks.InboxFetchParents{ItemID: itemID, Then: then}
	opts := []asynq.Option{asynq.Queue(queue), asynq.TaskID(id), asynq.MaxRetry(FetchParentsMaxRetry), asynq.Timeout(fetchParentsTimeout)}
	err := q.add(ctx, tasks.TypeInboxFetchParents, payload, opts...)
	if errors.Is(err, asynq.ErrTaskIDConflict) && q.inspect != nil {
		info, ierr := q.inspect.GetTaskInfo(queue, id)
		if ierr == nil && (info.State == asynq.TaskStateArchived || info.State == asynq.TaskStateCompleted) {
			if derr := q.inspect.DeleteTask(queue, id); derr != nil && !errors.Is(derr, asynq.ErrTaskNotFound) {
				return fmt.Errorf("workers: replace finished %s: %w", id, derr)
			}
			err = q.add(ctx, tasks.TypeInboxFetchParents, payload, opts...)
		}
	}
	if alreadyQueued(err) {
		return nil
	}
	return err
}

// idsKey names a task by its rows: "7" for one, "7+3" for the three rows
// 7, 8 and 9. Rows stored together get consecutive ids, so the key is
// unique in practice; a clash would only merge two wake-ups of the same
// rows. Rows that are not consecutive (a reconciler's chunk of stuck
// ones) add a hash of all of them, so that their task never passes for
// one of a group commit's that holds some of them.
func idsKey(ids []int64) string {
	if len(ids) == 1 {
		return fmt.Sprint(ids[0])
	}
	key := fmt.Sprintf("%d+%d", ids[0], len(ids))
	for i, id := range ids {
		if id != ids[0]+int64(i) {
			h := fnv.New64a()
			for _, id := range ids {
				_ = binary.Write(h, binary.LittleEndian, id)
			}
			return fmt.Sprintf("%s~%x", key, h.Sum64())
		}
	}
	return key
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

// enqueueProbePeers queues a run of the peer prober for the reconciler's
// slot, on the bulk queue: it waits on remote servers, and must not hold
// a worker that direct deliveries need. One per slot in the cluster.
func (q *Queue) enqueueProbePeers(ctx context.Context, slot time.Time, every time.Duration) error {
	return q.enqueue(ctx, tasks.TypePeersProbe, tasks.PeersProbe{},
		asynq.Queue(q.prefix+tasks.QueueBulk), asynq.TaskID(fmt.Sprintf("probe-peers:%d", slot.UnixMilli())),
		asynq.MaxRetry(0), asynq.Retention(every), asynq.Timeout(probePeersTimeout))
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
	if err := q.add(ctx, typ, payload, opts...); !alreadyQueued(err) {
		return err
	}
	return nil
}

// add adds a task and returns asynq's error, wrapped, clashes included.
func (q *Queue) add(ctx context.Context, typ string, payload any, opts ...asynq.Option) error {
	b, err := json.Marshal(payload)
	if err != nil {
		return fmt.Errorf("workers: encode %s: %w", typ, err)
	}
	if _, err := q.client.EnqueueContext(ctx, asynq.NewTask(typ, b), opts...); err != nil {
		return fmt.Errorf("workers: enqueue %s: %w", typ, err)
	}
	return nil
}

// alreadyQueued reports an error of add that says a task of the same id
// or payload is there.
func alreadyQueued(err error) bool {
	return errors.Is(err, asynq.ErrTaskIDConflict) || errors.Is(err, asynq.ErrDuplicateTask)
}
