package workers

import (
	"context"
	"time"

	"github.com/hibiken/asynq"
)

// PeerProber learns what software the hosts of community members run
// (federation/resolve.Resolver.ProbePeers).
type PeerProber interface {
	// ProbePeers asks up to limit hosts whose software is due, parallel
	// at a time, records the answers and says how many it asked.
	ProbePeers(ctx context.Context, limit, parallel int) (int, error)
}

// Bounds of one probing run, queued by the reconciler's run: a minute's
// worth of new member hosts is learned within the next minute. Each probe
// has a deadline of its own (resolve.DefaultProbeTimeout), so a run takes
// at most limit ÷ parallel of them, 40 s, however slow the hosts.
const (
	probePeersPerRun   = 64
	probePeersParallel = 16
	probePeersTimeout  = 2 * time.Minute
)

// queueProbePeers queues this reconciler slot's probing run. Until a host
// is known it gets every form of an Announce, so a run that is not queued
// (Redis down) costs requests, never posts: it is logged and the next
// slot queues one.
func (w *Workers) queueProbePeers(ctx context.Context) {
	if w.peers == nil || w.queue == nil {
		return
	}
	if err := w.queue.enqueueProbePeers(ctx, w.now().Truncate(w.reconcileEvery), w.reconcileEvery); err != nil {
		w.log.Warn("queue the peer prober; the next run will", "err", err)
	}
}

// handleProbePeers asks the hosts of new (or long unasked) members what
// software they run. A failure is logged and left to the next run: the
// task is never retried.
func (w *Workers) handleProbePeers(ctx context.Context, _ *asynq.Task) error {
	n, err := w.peers.ProbePeers(ctx, probePeersPerRun, probePeersParallel)
	if err != nil {
		w.log.Warn("learn peers' software; will try again", "err", err)
		return nil
	}
	if n > 0 {
		w.log.Debug("asked peers what software they run", "hosts", n)
	}
	return nil
}
