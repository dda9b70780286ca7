package workers

import (
	"context"
	"fmt"
	"time"

	"github.com/hibiken/asynq"

	"github.com/practica-social/practica/federation/delivery"
	"github.com/practica-social/practica/models"
)

// Reconciler defaults.
const (
	// DefaultReconcileEvery is how often the reconciler runs.
	DefaultReconcileEvery = time.Minute
	// DefaultReconcileGrace is how overdue a pending delivery must be
	// before the reconciler assumes its task was lost. A live task is
	// late by at most asynq's polling interval.
	DefaultReconcileGrace = time.Minute
	// DefaultReconcileBatch bounds the rows one run looks at; the next
	// run takes the next ones, since claimed rows stop being due.
	DefaultReconcileBatch = 1000
	// PruneSessionsEvery is how often a worker process deletes expired
	// sessions, with the reconciler's run.
	PruneSessionsEvery = time.Hour
)

// RunReconciler enqueues a reconciler run at once and then every
// ReconcileEvery, until ctx ends. Every worker process runs it; the runs'
// task ids let one per period through. Enqueue failures (Redis down) are
// logged and the next tick tries again.
func (w *Workers) RunReconciler(ctx context.Context) {
	if w.queue == nil {
		return
	}
	t := time.NewTicker(w.reconcileEvery)
	defer t.Stop()
	for {
		slot := w.now().Truncate(w.reconcileEvery)
		if err := w.queue.enqueueReconcile(ctx, slot, w.reconcileEvery); err != nil && ctx.Err() == nil {
			w.log.Warn("enqueue delivery reconciler", "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// handleReconcile re-enqueues deliveries that are overdue by more than the
// grace period: their task was lost (Redis flushed, a process killed, an
// enqueue failed after commit) or never existed. An activity with several
// such rows gets a fan-out, which sends them through the pipeline
// together; a lone row gets the retry task it should have had, whose id
// matches a surviving one.
func (w *Workers) handleReconcile(ctx context.Context, _ *asynq.Task) error {
	w.housekeep(ctx)
	if err := w.reconcileInbox(ctx); err != nil {
		return err
	}
	ds, err := w.svc.DueDeliveries(ctx, w.now().Add(-w.reconcileGrace), w.reconcileBatch)
	if err != nil {
		return fmt.Errorf("workers: reconcile: %w", err)
	}
	byActivity := map[int64][]models.Delivery{}
	var order []int64
	for _, d := range ds {
		if _, ok := byActivity[d.ActivityID]; !ok {
			order = append(order, d.ActivityID)
		}
		byActivity[d.ActivityID] = append(byActivity[d.ActivityID], d)
	}
	now := w.now()
	for _, id := range order {
		rows := byActivity[id]
		if len(rows) > 1 {
			err = w.queue.Deliver(ctx, rows[0].Priority, id)
		} else {
			d := rows[0]
			err = w.queue.ScheduleRetry(ctx, delivery.Retry{DeliveryID: d.ID, Attempt: d.Attempts, At: now, Priority: d.Priority})
		}
		if err != nil {
			return fmt.Errorf("workers: reconcile activity %d: %w", id, err)
		}
	}
	if len(ds) > 0 {
		w.log.Info("reconciler re-enqueued overdue deliveries", "deliveries", len(ds), "activities", len(order))
	}
	w.queueProbePeers(ctx)
	return nil
}
