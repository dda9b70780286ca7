package service

import (
	"context"
	"net/url"
	"slices"
	"strings"

	"github.com/practica-social/practica/models"
	"github.com/practica-social/practica/store"
)

// Dispatcher wakes the background workers. It is only ever called after
// the rows it names have committed; if a call fails (Redis down), the
// reconciler finds the rows later, so failure is logged, not returned.
type Dispatcher interface {
	// Deliver asks for the pending deliveries of activities to be sent;
	// priority is theirs (PriorityDirect goes before bulk fan-out).
	Deliver(ctx context.Context, priority int, activityIDs ...int64) error
	// ProcessInbox asks for received activities to be processed, in order.
	ProcessInbox(ctx context.Context, itemIDs ...int64) error
}

// Delivery priorities: membership and direct traffic goes before bulk
// fan-out, and is still sent to hosts marked unavailable.
const (
	PriorityBulk   = 0
	PriorityDirect = 10
)

// publish stores an activity (unless it already has a row) and one
// delivery per remote inbox, in the caller's transaction, and wakes the
// workers once it commits.
func (s *Service) publish(ctx context.Context, act *models.Activity, inboxes []string, priority int) error {
	return s.store.WithTx(ctx, func(ctx context.Context) error {
		if act.ID == 0 {
			if err := s.store.CreateActivity(ctx, act); err != nil {
				return storeErr(err, "activity")
			}
		}
		return s.queueDeliveries(ctx, []int64{act.ID}, inboxes, priority)
	})
}

// publishEach is publish for several new activities, each with its own
// recipients: one statement stores the activities, and one per distinct
// set of recipients the deliveries of acts[from:] (to[i] for
// acts[from+i]; the activities before from are stored only).
func (s *Service) publishEach(ctx context.Context, acts []*models.Activity, from int, to [][]string, priority int) error {
	return s.store.WithTx(ctx, func(ctx context.Context) error {
		if err := s.store.CreateActivities(ctx, acts); err != nil {
			return storeErr(err, "activities")
		}
		groups := make([]deliveryGroup, 0, len(acts)-from)
		for i, a := range acts[from:] {
			groups = append(groups, deliveryGroup{ids: []int64{a.ID}, inboxes: to[i]})
		}
		return s.queueDeliveryGroups(ctx, groups, priority)
	})
}

// deliveryGroup is stored activities that go to the same inboxes.
type deliveryGroup struct {
	ids     []int64
	inboxes []string
}

// queueDeliveryGroups is queueDeliveries for each group, with one
// statement for all the groups that have the same inboxes.
func (s *Service) queueDeliveryGroups(ctx context.Context, groups []deliveryGroup, priority int) error {
	var merged []deliveryGroup
	for _, g := range groups {
		i := slices.IndexFunc(merged, func(m deliveryGroup) bool { return sameInboxes(m.inboxes, g.inboxes) })
		if i < 0 {
			merged = append(merged, deliveryGroup{ids: slices.Clone(g.ids), inboxes: g.inboxes})
			continue
		}
		merged[i].ids = append(merged[i].ids, g.ids...)
	}
	for _, g := range merged {
		if err := s.queueDeliveries(ctx, g.ids, g.inboxes, priority); err != nil {
			return err
		}
	}
	return nil
}

// sameInboxes compares two inbox lists, at once when they are the same
// slice (a batch's lists come from one lookup per community).
func sameInboxes(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	if len(a) == 0 || &a[0] == &b[0] {
		return true
	}
	return slices.Equal(a, b)
}

// queueDeliveries writes one delivery per remote inbox for each stored
// activity of activityIDs, in the caller's transaction, and wakes the
// senders after it commits: one fan-out task for every activity the
// transaction stores (a worker's batch of received posts, each with two
// Announces, wakes them once).
func (s *Service) queueDeliveries(ctx context.Context, activityIDs []int64, inboxes []string, priority int) error {
	remote := make([]string, 0, len(inboxes))
	own := s.urls.Host()
	for _, in := range inboxes {
		if u, err := url.Parse(in); err == nil && u.Host != "" && strings.ToLower(u.Host) != own {
			remote = append(remote, in)
		}
	}
	if len(remote) == 0 || len(activityIDs) == 0 {
		return nil
	}
	n, err := s.store.CreateDeliveriesOf(ctx, activityIDs, remote, priority, s.now().UTC())
	if err != nil {
		return storeErr(err, "deliveries")
	}
	if n == 0 || s.dispatch == nil {
		return nil
	}
	// One wake-up per priority: a direct answer stored with bulk
	// announcements (a batch of received activities) is not queued
	// behind them.
	key := "deliver"
	if priority >= PriorityDirect {
		key = "deliver-direct"
	}
	for _, id := range activityIDs {
		store.AfterCommitIDs(ctx, key, id, func(ids []int64) {
			wctx, cancel := wakeContext(ctx)
			defer cancel()
			if err := s.dispatch.Deliver(wctx, priority, ids...); err != nil {
				s.log.Warn("enqueue delivery failed; the reconciler will retry", "activities", ids, "err", err)
			}
		})
	}
	return nil
}
