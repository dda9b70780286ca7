package service

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/practica-social/practica/models"
)

// maxReceiveBatch bounds the received activities stored by one statement.
const maxReceiveBatch = 128

// receiveFlushTimeout bounds one batch's insert, whoever's request runs it:
// the leader's own client going away must not fail the others' inserts.
const receiveFlushTimeout = 30 * time.Second

// groupCommit stores concurrently received activities together. The first
// caller to find no insert under way leads: it stores everything queued
// (up to maxReceiveBatch rows, one statement, one commit), answers each
// waiter, and hands the lead to the first caller still queued. Nothing
// waits for a timer, so a lone request is stored as fast as before, while
// under load one commit (and one task for the workers) serves many
// requests: the inbox's cost per activity falls as its load rises.
type groupCommit struct {
	mu       sync.Mutex
	queue    []*receiving
	flushing bool
}

// receiving is one caller's activity and, once stored, its outcome.
type receiving struct {
	it      models.InboxItem
	done    chan struct{}
	lead    bool // set before done closes: the caller leads the next batch
	id      int64
	created bool
	err     error
}

// submit stores it with whatever else is queued and returns its row.
func (g *groupCommit) submit(ctx context.Context, s *Service, it models.InboxItem) (int64, bool, error) {
	r := &receiving{it: it, done: make(chan struct{})}
	g.mu.Lock()
	g.queue = append(g.queue, r)
	if g.flushing {
		g.mu.Unlock()
		<-r.done
		if !r.lead {
			return r.id, r.created, r.err
		}
	} else {
		g.flushing = true
		g.mu.Unlock()
	}
	// Leading: store a batch (ours among it), then pass the lead on.
	g.mu.Lock()
	n := min(len(g.queue), maxReceiveBatch)
	batch := g.queue[:n:n]
	g.queue = g.queue[n:]
	g.mu.Unlock()

	fctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), receiveFlushTimeout)
	s.storeReceivedSafely(fctx, batch)
	cancel()

	g.mu.Lock()
	var next *receiving
	if len(g.queue) > 0 {
		next = g.queue[0]
		next.lead = true
	} else {
		g.flushing = false
	}
	g.mu.Unlock()
	for _, b := range batch {
		if b != r {
			close(b.done)
		}
	}
	if next != nil {
		close(next.done)
	}
	return r.id, r.created, r.err
}

// storeReceivedSafely is storeReceived that turns a panic into every
// waiter's error: the waiters and the lead must always be released, or
// the inbox would stop taking anything.
func (s *Service) storeReceivedSafely(ctx context.Context, batch []*receiving) {
	defer func() {
		if p := recover(); p != nil {
			s.log.Error("storing received activities panicked", "panic", p)
			err := &Error{Kind: KindInternal, Message: "could not store the activity", Err: fmt.Errorf("service: store received activities: panic: %v", p)}
			for _, b := range batch {
				if b.id == 0 && b.err == nil {
					b.err = err
				}
			}
		}
	}()
	s.storeReceived(ctx, batch)
}

// storeReceived inserts a batch and wakes one worker for its new rows.
func (s *Service) storeReceived(ctx context.Context, batch []*receiving) {
	items := make([]models.InboxItem, len(batch))
	for i, b := range batch {
		items[i] = b.it
	}
	ids, created, err := s.store.CreateInboxItems(ctx, items)
	if err != nil {
		err = storeErr(err, "received activity")
		for _, b := range batch {
			b.err = err
		}
		return
	}
	var fresh []int64
	for i, b := range batch {
		b.id, b.created = ids[i], created[i]
		if created[i] {
			fresh = append(fresh, ids[i])
		}
	}
	if len(fresh) > 0 && s.dispatch != nil {
		wctx, cancel := wakeContext(ctx)
		defer cancel()
		if err := s.dispatch.ProcessInbox(wctx, fresh...); err != nil {
			s.log.Warn("enqueue inbox processing failed; the reconciler will retry", "items", len(fresh), "err", err)
		}
	}
}
