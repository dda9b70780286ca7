package workers

import (
	"context"
	"time"
)

// PeerProber learns what software the hosts of community members run
// (federation/resolve.Resolver.ProbePeers).
type PeerProber interface {
	// ProbePeers asks up to limit hosts whose software is due, parallel
	// at a time, records the answers and says how many it asked.
	ProbePeers(ctx context.Context, limit, parallel int) (int, error)
}

// Bounds of one run's probing, which rides on the reconciler's run: a
// minute's worth of new member hosts is learned within the next minute,
// and a run never holds the reconciler for long, however slow the hosts.
const (
	probePeersPerRun   = 64
	probePeersParallel = 16
	probePeersBudget   = 30 * time.Second
)

// probePeers asks the hosts of new (or long unasked) members what
// software they run. Until a host is known it gets every form of an
// Announce, so a failed or skipped run costs requests, never posts: it is
// logged and left to the next run.
func (w *Workers) probePeers(ctx context.Context) {
	if w.peers == nil {
		return
	}
	ctx, cancel := context.WithTimeout(ctx, probePeersBudget)
	defer cancel()
	n, err := w.peers.ProbePeers(ctx, probePeersPerRun, probePeersParallel)
	if err != nil {
		w.log.Warn("learn peers' software; will try again", "err", err)
		return
	}
	if n > 0 {
		w.log.Debug("asked peers what software they run", "hosts", n)
	}
}
