package workers

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/hibiken/asynq"

	"github.com/practica-social/practica/tasks"
)

// InboxProcessor handles stored inbox items (federation/inbox's
// Processor). It returns an error only when a retry may succeed.
type InboxProcessor interface {
	// ProcessBatch handles items in order; items already handled are
	// skipped, so a retried batch redoes only what failed.
	ProcessBatch(ctx context.Context, itemIDs []int64) error
	// ProcessFetchingParents handles a reply whose thread must first be
	// fetched from other servers. Before the last try, an origin that
	// does not answer usefully is an error to retry; on the last, the
	// reply is refused.
	ProcessFetchingParents(ctx context.Context, itemID int64, lastTry bool) error
}

// handleInbox processes a received activity. asynq retries it on error
// (a dependency down); refusals are recorded by the processor and final.
func (w *Workers) handleInbox(ctx context.Context, t *asynq.Task) error {
	var p tasks.InboxProcess
	if err := json.Unmarshal(t.Payload(), &p); err != nil {
		return fmt.Errorf("workers: inbox payload: %w: %w", err, asynq.SkipRetry)
	}
	return w.inbox.ProcessBatch(ctx, p.IDs())
}

// handleFetchParents fetches the thread above a received reply, in the
// fetch pool, and processes the reply. asynq retries it, on
// FetchParentsRetryDelay's schedule, while the origin does not answer.
func (w *Workers) handleFetchParents(ctx context.Context, t *asynq.Task) error {
	var p tasks.InboxFetchParents
	if err := json.Unmarshal(t.Payload(), &p); err != nil {
		return fmt.Errorf("workers: fetch parents payload: %w: %w", err, asynq.SkipRetry)
	}
	retried, _ := asynq.GetRetryCount(ctx)
	maxRetry, _ := asynq.GetMaxRetry(ctx)
	last := retried >= maxRetry
	work, cancel := context.WithTimeout(ctx, fetchParentsWork)
	defer cancel()
	err := w.inbox.ProcessFetchingParents(work, p.ItemID, last)
	if err == nil && len(p.Then) > 0 {
		// The reply is stored, or refused for good: what waited for it
		// is handled now, in order, as the inbox would have.
		err = w.inbox.ProcessBatch(work, p.Then)
	}
	if err != nil && last {
		// What fails on the last try is ours (the origin's silence is a
		// refusal by then): the item is marked failed, and the
		// reconciler hands it back to the inbox, which queues a new
		// fetch, until its attempts run out. The task is not left to be
		// archived, which FetchParents would have to clear first.
		w.log.Warn("fetch parents: giving the item back to the reconciler", "item", p.ItemID, "err", err)
		return nil
	}
	return err
}

// reconcileInbox re-enqueues received items that no worker has taken in
// the grace period: Redis lost their task, or enqueueing failed after the
// item was stored (the receiver still answered 202).
func (w *Workers) reconcileInbox(ctx context.Context) error {
	if w.inbox == nil {
		return nil
	}
	items, err := w.svc.UnprocessedInboxItems(ctx, w.reconcileGrace, w.reconcileBatch)
	if err != nil {
		return fmt.Errorf("workers: reconcile inbox: %w", err)
	}
	// In chunks of at most a group commit's size, so that a backlog (Redis
	// was down while thousands were received) is processed by the batched
	// path, runs of posts in one transaction, rather than as thousands of
	// tasks of one item. A chunk is the stuck items of one aligned block
	// of ids, not a slice of this run's list: a block whose items are all
	// still stuck gets the same task key in the next run, so a chunk still
	// queued then is not queued twice, however the rest of the list moved.
	for start := 0; start < len(items); {
		block := items[start].ID / ReconcileInboxChunk
		end := start + 1
		for end < len(items) && items[end].ID/ReconcileInboxChunk == block {
			end++
		}
		chunk := make([]int64, 0, end-start)
		for _, it := range items[start:end] {
			chunk = append(chunk, it.ID)
		}
		if err := w.queue.ProcessInbox(ctx, chunk...); err != nil {
			return fmt.Errorf("workers: reconcile %d inbox items from %d: %w", len(chunk), chunk[0], err)
		}
		start = end
	}
	return nil
}

// ReconcileInboxChunk is the most stuck received activities one reconciler
// task carries (as many as one group commit stores), and the size of the
// aligned blocks of ids its chunks are cut from.
const ReconcileInboxChunk = 128
