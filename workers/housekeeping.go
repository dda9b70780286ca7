package workers

import "context"

// housekeep does the periodic chores that ride on the reconciler's run,
// which one process of the cluster gets each period: each chore at most
// once per its period in this process. A chore that fails is logged and
// tried again on a later run; it never fails the reconciler.
func (w *Workers) housekeep(ctx context.Context) {
	now := w.now()
	w.chores.Lock()
	due := now.Sub(w.lastPrune) >= PruneSessionsEvery
	if due {
		w.lastPrune = now
	}
	w.chores.Unlock()
	if !due {
		return
	}
	// Expired sessions are refused when read; deleting them only keeps the
	// table (and its token index) from growing with every login.
	n, err := w.svc.PruneSessions(ctx)
	if err != nil {
		w.log.Warn("delete expired sessions; will try again", "err", err)
		w.chores.Lock()
		w.lastPrune = now.Add(-PruneSessionsEvery) // due again next run
		w.chores.Unlock()
		return
	}
	if n > 0 {
		w.log.Info("deleted expired sessions", "count", n)
	}
}
