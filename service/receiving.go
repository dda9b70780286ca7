package service

import (
	"context"
	"sync"
	"sync/atomic"
	"time"
)

// Inbound activities are answered before received ones are processed.
// A peer waits on every POST to our inbox and times out and retries when
// we are slow (a retry costs both sides more than the first attempt);
// processing what is already stored can wait, durably, a few seconds.
// So while the inbox is busy — more requests in flight than the cores
// could serve without queueing — the processing of stored activities
// runs one batch at a time and pauses after each batch for
// receivePauseRatio times as long as the batch took, leaving most of the
// machine to the requests. It never stops: under a sustained flood it
// still gets 1/(1+receivePauseRatio) of its time, and once the flood
// ends it runs at full speed again. Only the process answering the
// inbox sees its own load, so this applies where web and workers share
// a process (the default); separate worker processes are governed by
// the operating system's scheduler (docs/BENCHMARKS.md).
const (
	// busyReceiving is the number of inbound requests in flight from
	// which the inbox counts as busy. By Little's law requests pile up
	// in flight when answers slow down, that is, when the cores are
	// saturated; a handful in flight is ordinary traffic. (Requests
	// waiting on a first fetch of their signer's key count too: a burst
	// of first contacts paces processing for as long as those fetches
	// take, which costs little.)
	busyReceiving = 8
	// busyFor is how long the inbox counts as busy after it last had
	// busyReceiving requests in flight. Requests answered by one group
	// commit (inbox_batch.go) finish together, so the count dips to
	// nothing between waves of a flood; the flood is still on.
	busyFor = 100 * time.Millisecond
	// receivePauseRatio is how long processing pauses after a batch
	// while the inbox is busy, as a multiple of the batch's own time.
	receivePauseRatio = 3
	// maxReceivePause bounds one pause, whatever a batch took.
	maxReceivePause = time.Second
	// receivingPoll is how often a paused batch looks again whether
	// the inbox is still busy.
	receivingPoll = 5 * time.Millisecond
)

// receivingGauge counts inbound requests and paces background
// processing against them.
type receivingGauge struct {
	inFlight atomic.Int64
	// epoch carries Go's monotonic clock; busyAt is when inFlight was
	// last at busyReceiving or more, in nanoseconds since epoch (a wall
	// clock stepped back must not make the inbox look busy for long).
	epoch  time.Time
	busyAt atomic.Int64
	// slot is held by the one batch allowed to run while busy.
	slot chan struct{}
	mu   sync.Mutex
	// resumeAt is when the next batch may start while busy.
	resumeAt time.Time
}

func newReceivingGauge() *receivingGauge {
	return &receivingGauge{slot: make(chan struct{}, 1), epoch: time.Now()}
}

// busy reports whether the inbox had enough requests in flight, now or
// within busyFor, to pace processing.
func (g *receivingGauge) busy() bool {
	if g.inFlight.Load() >= busyReceiving {
		return true
	}
	return time.Since(g.epoch)-time.Duration(g.busyAt.Load()) < busyFor
}

// markBusy records that the inbox is busy now.
func (g *receivingGauge) markBusy() { g.busyAt.Store(int64(time.Since(g.epoch))) }

// Receiving counts one inbound request until the returned func is
// called. The inbox receiver calls it for every POST, refused or not.
func (s *Service) Receiving() (done func()) {
	g := s.receiving
	if g.inFlight.Add(1) >= busyReceiving {
		g.markBusy()
	}
	var once sync.Once
	return func() {
		once.Do(func() {
			// Busy until the last of a busy stretch is answered, and
			// busyFor after.
			if g.inFlight.Add(-1)+1 >= busyReceiving {
				g.markBusy()
			}
		})
	}
}

// ReceivingInFlight is the number of inbound requests being answered.
func (s *Service) ReceivingInFlight() int64 { return s.receiving.inFlight.Load() }

// YieldToReceiving is called by the inbox processor before it processes a
// batch of stored activities in one transaction (the database work; items
// that wait on remote servers are not paced); it calls the returned func
// when the batch is done.
// While the inbox is not busy it returns at once. While it is busy, the
// batch waits for its turn (one batch at a time) and for the pause owed
// by the previous batch, and returns early if the inbox stops being busy.
// It fails only when ctx ends (the worker shutting down).
func (s *Service) YieldToReceiving(ctx context.Context) (done func(), err error) {
	g := s.receiving
	if !g.busy() {
		return func() {}, nil
	}
	tick := time.NewTicker(receivingPoll)
	defer tick.Stop()
	// Wait for the slot, unless the inbox quiets down first.
	for held := false; !held; {
		select {
		case g.slot <- struct{}{}:
			held = true
		case <-tick.C:
			if !g.busy() {
				return func() {}, nil
			}
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
	release := func() { <-g.slot }
	for {
		g.mu.Lock()
		wait := time.Until(g.resumeAt)
		g.mu.Unlock()
		if wait <= 0 || !g.busy() {
			break
		}
		select {
		case <-tick.C:
		case <-ctx.Done():
			release()
			return nil, ctx.Err()
		}
	}
	start := time.Now()
	var once sync.Once
	return func() {
		once.Do(func() {
			took := time.Since(start)
			g.mu.Lock()
			g.resumeAt = time.Now().Add(min(receivePauseRatio*took, maxReceivePause))
			g.mu.Unlock()
			release()
		})
	}, nil
}
