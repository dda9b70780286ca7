package service

import (
	"context"
	"errors"
	"time"

	"github.com/practica-social/practica/models"
	"github.com/practica-social/practica/store"
)

// ReceiveActivity stores an activity whose signature the inbox has
// verified, idempotently on its id, and wakes a worker to process it once
// the row has committed. A second delivery of the same id stores nothing
// and wakes nobody: it returns the first row's id with created false.
// Failing to wake a worker (Redis down) is logged, not returned: the row is
// safe, and the reconciler finds it through UnprocessedInboxItems.
//
// Concurrent calls share their insert (a group commit, inbox_batch.go):
// each returns once its own row has committed, never before.
func (s *Service) ReceiveActivity(ctx context.Context, it models.InboxItem) (id int64, created bool, err error) {
	if it.ActivityIRI == "" || it.ActorIRI == "" || it.Body == "" {
		return 0, false, Invalid("an activity needs an id, an actor and a body")
	}
	it.ID = 0
	it.State = models.InboxReceived
	it.Error, it.Attempts, it.ProcessedAt = "", 0, nil
	it.ReceivedAt = s.now().UTC()
	if len(it.Type) > 32 {
		it.Type = it.Type[:32]
	}
	if !store.InTx(ctx) {
		return s.received.submit(ctx, s, it)
	}
	// One statement, committed on its own: no transaction is needed (nor
	// its two extra round trips, on the inbox's hot path).
	err = s.store.CreateInboxItem(ctx, &it)
	if errors.Is(err, store.ErrConflict) {
		prev, err := s.store.GetInboxItemByActivityIRI(ctx, it.ActivityIRI)
		if err != nil {
			return 0, false, storeErr(err, "received activity")
		}
		return prev.ID, false, nil
	}
	if err != nil {
		return 0, false, storeErr(err, "received activity")
	}
	id = it.ID
	if s.dispatch != nil {
		// At once, unless the caller holds a transaction: then once it
		// commits.
		store.AfterCommit(ctx, func() {
			wctx, cancel := wakeContext(ctx)
			defer cancel()
			if err := s.dispatch.ProcessInbox(wctx, id); err != nil {
				s.log.Warn("enqueue inbox processing failed; the reconciler will retry", "item", id, "err", err)
			}
		})
	}
	return id, true, nil
}

// InboxItem returns a received activity by row id.
func (s *Service) InboxItem(ctx context.Context, id int64) (*models.InboxItem, error) {
	it, err := s.store.GetInboxItem(ctx, id)
	return it, storeErr(err, "received activity")
}

// MarkInboxItem records how processing a received activity ended: state
// processed or refused is final, failed may be retried; errMsg says why.
func (s *Service) MarkInboxItem(ctx context.Context, id int64, state models.InboxState, errMsg string) error {
	return storeErr(s.store.MarkInboxItem(ctx, id, state, errMsg, s.now().UTC()), "received activity")
}

// InboxWaitingGrace is how long a received activity handed to the fetch
// pool (models.InboxWaiting) may wait before the reconciler hands it back
// to the inbox: longer than the pool's tries and their waits together
// (five tries of at most 2 minutes, about 8 minutes apart in all), so
// that only an item whose task was lost comes back.
const InboxWaitingGrace = 30 * time.Minute

// UnprocessedInboxItems lists up to limit received activities that have
// waited longer than olderThan for a worker, oldest first, for the
// reconciler to enqueue again.
// Items waiting in the fetch pool are listed only after InboxWaitingGrace.
func (s *Service) UnprocessedInboxItems(ctx context.Context, olderThan time.Duration, limit int) ([]models.InboxItem, error) {
	now := s.now().UTC()
	items, err := s.store.UnprocessedInboxItems(ctx, now.Add(-olderThan), now.Add(-max(olderThan, InboxWaitingGrace)), limit)
	return items, storeErr(err, "received activities")
}

// InboxItems returns received activities by row id, in id order; ids with
// no row are left out.
func (s *Service) InboxItems(ctx context.Context, ids []int64) ([]models.InboxItem, error) {
	items, err := s.store.GetInboxItems(ctx, ids)
	return items, storeErr(err, "received activities")
}

// MarkInboxItemsProcessed records that received activities were
// processed, in one statement.
func (s *Service) MarkInboxItemsProcessed(ctx context.Context, ids []int64) error {
	return storeErr(s.store.MarkInboxItemsProcessed(ctx, ids, s.now().UTC()), "received activities")
}

// Atomically runs fn in one transaction: every service call made with
// the context fn receives commits with it or not at all, and what they
// would do after their commit (waking workers) waits for this one. A
// worker handling a batch of received activities so pays for one commit.
func (s *Service) Atomically(ctx context.Context, fn func(ctx context.Context) error) error {
	return s.store.WithTx(ctx, fn)
}
