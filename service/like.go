package service

import (
	"context"
	"encoding/json"
	"errors"

	"github.com/practica-social/practica/models"
	"github.com/practica-social/practica/store"
)

// likeTarget loads what a local person's like or unlike of a post needs:
// the post, its community and the person. A post the person may not see
// is not found, as when reading it.
func (s *Service) likeTarget(ctx context.Context, actorID, postID int64) (*models.Post, *models.Community, *models.Actor, error) {
	p, err := s.store.GetPost(ctx, postID)
	if err != nil || p.DeletedAt != nil || p.CommunityID == nil {
		return nil, nil, nil, NotFound("post")
	}
	c, err := s.store.GetCommunity(ctx, *p.CommunityID)
	if err != nil {
		return nil, nil, nil, storeErr(err, "community")
	}
	actor, err := s.store.GetActor(ctx, actorID)
	if err != nil {
		return nil, nil, nil, storeErr(err, "person")
	}
	if p.Audience != models.AudiencePublic {
		if ok, err := s.mayReadMembersOnly(ctx, c, Viewer{ActorID: actorID}); err != nil || !ok {
			return nil, nil, nil, NotFound("post")
		}
	}
	return p, c, actor, nil
}

// LikePost records a local person's like of a post and federates it: to
// the community, which announces it.
func (s *Service) LikePost(ctx context.Context, actorID, postID int64) error {
	p, c, actor, err := s.likeTarget(ctx, actorID, postID)
	if err != nil {
		return err
	}
	if err := s.refuseBanned(ctx, c, actor); err != nil {
		return err
	}
	if err := s.refuseBlockedServer(ctx, c.Actor); err != nil {
		return err
	}
	return s.store.WithTx(ctx, func(ctx context.Context) error {
		id := s.urls.Activity(newID())
		created, err := s.store.PutLike(ctx, &models.Like{PostID: p.ID, ActorID: actorID, ActivityIRI: id})
		if err != nil || !created {
			return storeErr(err, "like")
		}
		body, err := marshal(likeDoc(id, actor, p, c))
		if err != nil {
			return err
		}
		act := &models.Activity{IRI: id, Type: "Like", ActorID: actorID, ObjectIRI: p.IRI, CommunityID: &c.ID, Audience: p.Audience, Local: true, JSON: body}
		return s.federateReaction(ctx, c, act)
	})
}

// UnlikePost takes back a local person's like of a post and federates the
// Undo{Like} the way the like went, so that the community and the servers
// it announced the like to count it no more. Unliking a post not liked is
// not an error.
func (s *Service) UnlikePost(ctx context.Context, actorID, postID int64) error {
	p, c, actor, err := s.likeTarget(ctx, actorID, postID)
	if err != nil {
		return err
	}
	undone := ""
	err = s.store.WithTx(ctx, func(ctx context.Context) error {
		like, err := s.store.GetLike(ctx, p.ID, actorID)
		if errors.Is(err, store.ErrNotFound) {
			return nil
		}
		if err != nil {
			return storeErr(err, "like")
		}
		// Two unlikes at once both find the like; only the one that
		// deletes it sends the Undo.
		if deleted, err := s.store.DeleteLike(ctx, p.ID, actorID); err != nil || !deleted {
			return storeErr(err, "like")
		}
		undone = like.ActivityIRI
		// The Undo embeds the Like as it was sent, so that receivers can
		// check it is the actor's own; a like stored without its activity
		// (none should be) is described again from the row.
		var liked any = likeDoc(like.ActivityIRI, actor, p, c)
		if a, err := s.store.GetActivityByIRI(ctx, like.ActivityIRI); err == nil && a.Type == "Like" && a.JSON != "" {
			liked = json.RawMessage(a.JSON)
		}
		id := s.urls.Activity(newID())
		to, cc := addressing(c, p.Audience)
		doc := activityDoc(id, "Undo", actor.IRI, liked, to, cc)
		doc["audience"] = c.Actor.IRI
		body, err := marshal(doc)
		if err != nil {
			return err
		}
		act := &models.Activity{IRI: id, Type: "Undo", ActorID: actorID, ObjectIRI: like.ActivityIRI, CommunityID: &c.ID, Audience: p.Audience, Local: true, JSON: body}
		return s.federateReaction(ctx, c, act)
	})
	if err != nil || undone == "" {
		return err
	}
	// After the commit, in statements of their own: the sender may be
	// writing outcomes of these rows, and the unlike must neither hold
	// their locks while it publishes nor fail when it loses that race.
	if err := s.abandonLikeDeliveries(ctx, c, undone); err != nil {
		s.log.Warn("end the unsent deliveries of a like taken back", "like", undone, "err", err)
	}
	return nil
}

// abandonLikeDeliveries ends the deliveries of a like taken back that
// failed before and wait for a retry (a server down, say): the Like's and
// the community's Announce's of it. Sent after the Undo, they would count
// the like again where the Undo found nothing to take back; the Undo goes
// everywhere, and where no like arrived it does nothing. Rows never tried
// are left: they are the fan-out under way, about to go, and may be in a
// sender's hands already.
func (s *Service) abandonLikeDeliveries(ctx context.Context, c *models.Community, likeIRI string) error {
	var ids []int64
	if a, err := s.store.GetActivityByIRI(ctx, likeIRI); err == nil {
		ids = append(ids, a.ID)
	} else if !errors.Is(err, store.ErrNotFound) {
		return storeErr(err, "like")
	}
	if c.Local {
		if a, err := s.store.LatestActivityOf(ctx, c.ActorID, "Announce", likeIRI); err == nil {
			ids = append(ids, a.ID)
		} else if !errors.Is(err, store.ErrNotFound) {
			return storeErr(err, "announce of like")
		}
	}
	_, err := s.store.AbandonRetries(ctx, ids, "not sent: the like was taken back first", s.now())
	return storeErr(err, "deliveries of like")
}

// likeDoc is the Like of post p by actor in community c.
func likeDoc(id string, actor *models.Actor, p *models.Post, c *models.Community) Doc {
	to, cc := addressing(c, p.Audience)
	doc := activityDoc(id, "Like", actor.IRI, p.IRI, to, cc)
	doc["audience"] = c.Actor.IRI
	return doc
}

// federateReaction sends a local person's like or its Undo: to a remote
// community's inbox, which announces it to its members; in a local
// community it is stored and announced here.
func (s *Service) federateReaction(ctx context.Context, c *models.Community, act *models.Activity) error {
	if !c.Local {
		return s.publish(ctx, act, []string{inboxOf(c.Actor)}, PriorityBulk)
	}
	if err := s.store.CreateActivity(ctx, act); err != nil {
		return storeErr(err, "activity")
	}
	return s.redistribute(ctx, c, act, "")
}
