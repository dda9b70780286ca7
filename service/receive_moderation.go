package service

import (
	"context"
	"errors"

	"github.com/practica-social/practica/models"
	"github.com/practica-social/practica/store"
)

// ReceiveAnnouncedDelete handles a Delete that a remote community we
// follow announced. Its author's Delete is ReceiveDelete's. Anyone else's
// is a moderator's removal (protocol.md §9, as Lemmy sends it), taken
// only from the community itself or an actor of its own server (where
// its moderators are: a Practica community has only local moderators),
// and only for a post of that community. Other servers' moderators of a
// Lemmy community are not checked against its moderators collection:
// their removals are dropped.
//
// The post leaves the community here, without a tombstone: the decision
// is the community's, not the author's, and says nothing of the post
// elsewhere. A post by one of our own people is left alone: it is theirs,
// served from here, and another server's moderator does not delete it.
func (s *Service) ReceiveAnnouncedDelete(ctx context.Context, via *models.Community, actor *models.Actor, objectIRI, activityIRI, raw string) error {
	p, err := s.store.GetPostByIRI(ctx, objectIRI)
	if errors.Is(err, store.ErrNotFound) || (err == nil && p.AuthorID == actor.ID) {
		return s.ReceiveDelete(ctx, actor, objectIRI, activityIRI, raw)
	}
	if err != nil {
		return storeErr(err, "post")
	}
	if via.Local || p.DeletedAt != nil || p.CommunityID == nil || *p.CommunityID != via.ID {
		return ErrDropped
	}
	if actor.ID != via.ActorID && !sameHost(actor.IRI, via.Actor.IRI) {
		return ErrDropped
	}
	if author, err := s.store.GetActor(ctx, p.AuthorID); err != nil {
		return storeErr(err, "author")
	} else if author.Local {
		return ErrDropped
	}
	if err := s.store.RemovePostFromCommunity(ctx, p, s.now().UTC()); errors.Is(err, store.ErrNotFound) {
		return ErrDropped
	} else if err != nil {
		return storeErr(err, "post")
	}
	return nil
}
