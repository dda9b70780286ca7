package service

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"

	"github.com/practica-social/practica/models"
)

// deferredWrites holds the rows of the new top-level posts of one batch
// run until the run ends, to write them in three statements (the posts,
// their activities, their deliveries) instead of three per post. A run
// is one transaction, so nothing is visible to anyone else before the
// flush anyway; inside the run, whatever might read those rows (a reply,
// a Like, an Update, a post that is not new) flushes them first.
type deferredWrites struct {
	mu     sync.Mutex
	posts  []*models.Post
	acts   []*models.Activity
	groups map[int64]*deferredGroup
	order  []int64
}

// deferredGroup is what one community sends: the activities to deliver,
// by the set of its members' inboxes each goes to.
type deferredGroup struct {
	buckets []deferredBucket
}

// deferredBucket is activities to deliver to the same inboxes.
type deferredBucket struct {
	inboxes []string
	send    []*models.Activity
}

type deferredKey struct{}

// ErrDeferredWrite marks a failure to write the kept rows. The run must
// be rolled back whatever the cause: the rows kept for other items are
// gone from the buffer, so the run cannot go on as if only the item at
// hand had failed.
var ErrDeferredWrite = errors.New("service: writing a batch run's new posts failed")

// WithDeferredWrites returns a context under which ReceivePost keeps the
// rows of new top-level posts for FlushDeferred instead of writing them
// at once. The caller must call FlushDeferred before its transaction
// commits.
func WithDeferredWrites(ctx context.Context) context.Context {
	return context.WithValue(ctx, deferredKey{}, &deferredWrites{groups: map[int64]*deferredGroup{}})
}

func deferredOf(ctx context.Context) *deferredWrites {
	d, _ := ctx.Value(deferredKey{}).(*deferredWrites)
	return d
}

// add keeps a post, the activities stored with it, and those of them the
// community sends, send[i] to the inboxes to[i].
func (d *deferredWrites) add(c *models.Community, p *models.Post, store, send []*models.Activity, to [][]string) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.posts = append(d.posts, p)
	d.acts = append(d.acts, store...)
	g := d.groups[c.ID]
	if g == nil {
		g = &deferredGroup{}
		d.groups[c.ID] = g
		d.order = append(d.order, c.ID)
	}
	for i, a := range send {
		j := slices.IndexFunc(g.buckets, func(b deferredBucket) bool { return sameInboxes(b.inboxes, to[i]) })
		if j < 0 {
			g.buckets = append(g.buckets, deferredBucket{inboxes: to[i]})
			j = len(g.buckets) - 1
		}
		g.buckets[j].send = append(g.buckets[j].send, a)
	}
}

// take empties d and returns what it held.
func (d *deferredWrites) take() (posts []*models.Post, acts []*models.Activity, groups []*deferredGroup) {
	d.mu.Lock()
	defer d.mu.Unlock()
	posts, acts = d.posts, d.acts
	for _, id := range d.order {
		groups = append(groups, d.groups[id])
	}
	d.posts, d.acts, d.groups, d.order = nil, nil, map[int64]*deferredGroup{}, nil
	return posts, acts, groups
}

// FlushDeferred writes the rows kept under ctx (WithDeferredWrites): the
// posts in one statement, their activities in one, and the deliveries of
// each community's activities in one, then wakes the senders once the
// transaction commits. Without deferred rows it does nothing.
func (s *Service) FlushDeferred(ctx context.Context) error {
	d := deferredOf(ctx)
	if d == nil {
		return nil
	}
	posts, acts, groups := d.take()
	if len(posts) == 0 && len(acts) == 0 {
		return nil
	}
	err := s.store.WithTx(ctx, func(ctx context.Context) error {
		if err := s.store.CreatePosts(ctx, posts); err != nil {
			return storeErr(err, "posts")
		}
		if err := s.store.CreateActivities(ctx, acts); err != nil {
			return storeErr(err, "activities")
		}
		var dg []deliveryGroup
		for _, g := range groups {
			for _, b := range g.buckets {
				ids := make([]int64, len(b.send))
				for i, a := range b.send {
					ids[i] = a.ID
				}
				dg = append(dg, deliveryGroup{ids: ids, inboxes: b.inboxes})
			}
		}
		return s.queueDeliveryGroups(ctx, dg, PriorityBulk)
	})
	if err != nil {
		return fmt.Errorf("%w: %w", ErrDeferredWrite, err)
	}
	return nil
}
