package workers

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/hibiken/asynq"

	"github.com/practica-social/practica/tasks"
)

// handleFanout sends the pending, due deliveries of a task's activities.
func (w *Workers) handleFanout(ctx context.Context, t *asynq.Task) error {
	var p tasks.DeliveryFanout
	if err := json.Unmarshal(t.Payload(), &p); err != nil {
		return w.giveUp(ctx, t, fmt.Errorf("workers: %s payload: %w", t.Type(), err))
	}
	// The activities of one transaction go out together: loaded and
	// claimed in one statement each, their hosts interleaved by the
	// sender's pipeline.
	ids := p.IDs()
	sum, err := w.sender.DeliverActivities(ctx, ids)
	w.log.Debug("fan-out done", "activities", ids, "delivered", sum.Delivered,
		"retrying", sum.Retrying, "failed", sum.Failed, "postponed", sum.Postponed, "err", err)
	if err != nil {
		return w.giveUp(ctx, t, fmt.Errorf("workers: fan-out of activities %v: %w", ids, err))
	}
	return nil
}

// handleRetry sends one delivery again if it is still due.
func (w *Workers) handleRetry(ctx context.Context, t *asynq.Task) error {
	var p tasks.DeliveryRetry
	if err := json.Unmarshal(t.Payload(), &p); err != nil {
		return w.giveUp(ctx, t, fmt.Errorf("workers: %s payload: %w", t.Type(), err))
	}
	if _, err := w.sender.DeliverOne(ctx, p.DeliveryID); err != nil {
		return w.giveUp(ctx, t, fmt.Errorf("workers: retry of delivery %d: %w", p.DeliveryID, err))
	}
	return nil
}

// giveUp returns err while asynq may still retry the task, and nil on its
// last try. A delivery task must never be archived: an archived task keeps
// its id, and the reconciler re-enqueueing the same work would clash with
// it forever. The rows stay pending, so the reconciler takes over.
func (w *Workers) giveUp(ctx context.Context, t *asynq.Task, err error) error {
	n, ok1 := asynq.GetRetryCount(ctx)
	limit, ok2 := asynq.GetMaxRetry(ctx)
	if ok1 && ok2 && n < limit {
		return err
	}
	w.log.Warn("delivery task failed; leaving it to the reconciler", "type", t.Type(), "err", err)
	return nil
}
