package service

import (
	"context"
	"sync"

	"github.com/practica-social/practica/models"
)

// batchMemo remembers, for the length of one batch, lookups that every
// item of the batch repeats: the community a post is addressed to and the
// inboxes of its members. A batch lasts a fraction of a second and reads
// as one moment, as one transaction would; a member joining during it is
// served from the next batch on.
type batchMemo struct {
	mu          sync.Mutex
	communities map[string]*models.Community
	targets     map[int64]announceTargets
	// actors are the batch's senders, loaded together.
	actors map[string]*models.Actor
	// fresh are object ids no post or tombstone had when the batch was
	// loaded and no item of it has stored since.
	fresh map[string]bool
}

type batchMemoKey struct{}

// WithBatchMemo returns a context under which the service answers the
// lookups a batch of received activities repeats once per batch.
func WithBatchMemo(ctx context.Context) context.Context {
	m := &batchMemo{}
	m.reset()
	return context.WithValue(ctx, batchMemoKey{}, m)
}

func (m *batchMemo) reset() {
	m.communities, m.targets = map[string]*models.Community{}, map[int64]announceTargets{}
	m.actors, m.fresh = map[string]*models.Actor{}, map[string]bool{}
}

// ForgetBatchMemo empties the memo of ctx: something was done outside the
// batch's assumptions (an activity handled on its own may have changed
// members, actors or posts).
func ForgetBatchMemo(ctx context.Context) {
	if m := memoOf(ctx); m != nil {
		m.mu.Lock()
		m.reset()
		m.mu.Unlock()
	}
}

// PreloadBatch loads, for the memo of ctx, the senders among actorIRIs in
// one query and learns which of objectIRIs no post or tombstone names yet.
// Without a memo it does nothing.
func (s *Service) PreloadBatch(ctx context.Context, actorIRIs, objectIRIs []string) error {
	m := memoOf(ctx)
	if m == nil {
		return nil
	}
	actors, err := s.store.GetActorsByIRI(ctx, actorIRIs)
	if err != nil {
		return storeErr(err, "actors")
	}
	known, err := s.store.KnownObjectIRIs(ctx, objectIRIs)
	if err != nil {
		return storeErr(err, "posts")
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	for i := range actors {
		m.actors[actors[i].IRI] = &actors[i]
	}
	for _, iri := range objectIRIs {
		if !known[iri] {
			m.fresh[iri] = true
		}
	}
	return nil
}

// memoActor is a preloaded actor (a copy: callers may change theirs).
func memoActor(ctx context.Context, iri string) (*models.Actor, bool) {
	m := memoOf(ctx)
	if m == nil {
		return nil, false
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	a, ok := m.actors[iri]
	if !ok {
		return nil, false
	}
	cp := *a
	return &cp, true
}

// setMemoActor records a stored or refreshed actor, or forgets one (nil).
func setMemoActor(ctx context.Context, iri string, a *models.Actor) {
	if m := memoOf(ctx); m != nil {
		m.mu.Lock()
		if a == nil {
			delete(m.actors, iri)
		} else {
			cp := *a
			m.actors[iri] = &cp
		}
		m.mu.Unlock()
	}
}

// takeFresh reports whether iri was new when the batch was loaded, and
// forgets it: a second item with the same object must look it up.
func takeFresh(ctx context.Context, iri string) bool {
	m := memoOf(ctx)
	if m == nil {
		return false
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.fresh[iri] {
		delete(m.fresh, iri)
		return true
	}
	return false
}

func memoOf(ctx context.Context) *batchMemo {
	m, _ := ctx.Value(batchMemoKey{}).(*batchMemo)
	return m
}

// announceTargetsOf is the inboxes of a community's members split by the
// Announces their software processes, once per batch.
func (s *Service) announceTargetsOf(ctx context.Context, communityID int64) (announceTargets, error) {
	m := memoOf(ctx)
	if m != nil {
		m.mu.Lock()
		t, ok := m.targets[communityID]
		m.mu.Unlock()
		if ok {
			return t, nil
		}
	}
	peers, err := s.store.MemberPeerInboxes(ctx, communityID)
	if err != nil {
		return announceTargets{}, err
	}
	t := splitTargets(peers)
	if m != nil {
		m.mu.Lock()
		m.targets[communityID] = t
		m.mu.Unlock()
	}
	return t, nil
}
