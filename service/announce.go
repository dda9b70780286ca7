package service

import (
	"context"
	"encoding/json"
	"errors"

	"github.com/practica-social/practica/models"
	"github.com/practica-social/practica/store"
)

// redistribute is FEP-1b12: the community wraps an accepted activity,
// unchanged, in an Announce to its members. For a new top-level post in a
// public community it also announces the object itself, which Mastodon
// shows as a boost (Mastodon ignores Announce{Create}). Replies are not
// boosted, so Mastodon followers are not flooded with every comment. Each
// member's host gets only the forms its software processes, where its
// NodeInfo said what it runs (peer_software.go), and both otherwise.
func (s *Service) redistribute(ctx context.Context, c *models.Community, inner *models.Activity, boostObject string) error {
	return s.announce(ctx, c, inner, boostObject, false)
}

// announce is redistribute; with storeInner the inner activity has no row
// yet and is stored by the same statement as the Announces.
func (s *Service) announce(ctx context.Context, c *models.Community, inner *models.Activity, boostObject string, storeInner bool) error {
	if !c.Local {
		return nil
	}
	acts, to, err := s.announcements(ctx, c, inner, boostObject)
	if err != nil {
		return err
	}
	// Both Announces (and the inner activity when it is new) in one
	// statement, their deliveries in one more per set of recipients.
	if storeInner {
		return s.publishEach(ctx, append([]*models.Activity{inner}, acts...), 1, to, PriorityBulk)
	}
	return s.publishEach(ctx, acts, 0, to, PriorityBulk)
}

// announcements builds the Announces of inner by the local community c,
// unstored, and returns them with the inboxes each goes to (inboxes[i]
// for acts[i]).
func (s *Service) announcements(ctx context.Context, c *models.Community, inner *models.Activity, boostObject string) (acts []*models.Activity, inboxes [][]string, err error) {
	targets, err := s.announceTargetsOf(ctx, c.ID)
	if err != nil {
		return nil, nil, storeErr(err, "member inboxes")
	}
	to, cc := addressing(c, inner.Audience)
	to = to[1:] // the group does not address itself
	if inner.Audience != models.AudiencePublic {
		to = []string{c.Actor.FollowersURL}
	}
	id := s.urls.Activity(newID())
	doc := activityDoc(id, "Announce", c.Actor.IRI, json.RawMessage(inner.JSON), to, cc)
	doc["audience"] = c.Actor.IRI
	body, err := marshal(doc)
	if err != nil {
		return nil, nil, err
	}
	acts = []*models.Activity{{
		IRI: id, Type: "Announce", ActorID: c.ActorID, ObjectIRI: inner.IRI, CommunityID: &c.ID,
		Audience: inner.Audience, Local: true, InOutbox: true, JSON: body,
	}}
	inboxes = [][]string{targets.activity}
	if boostObject != "" && inner.Audience == models.AudiencePublic {
		bid := s.urls.Activity(newID())
		bdoc := activityDoc(bid, "Announce", c.Actor.IRI, boostObject, to, cc)
		bdoc["audience"] = c.Actor.IRI
		bbody, err := marshal(bdoc)
		if err != nil {
			return nil, nil, err
		}
		acts = append(acts, &models.Activity{
			IRI: bid, Type: "Announce", ActorID: c.ActorID, ObjectIRI: boostObject, CommunityID: &c.ID,
			Audience: inner.Audience, Local: true, JSON: bbody,
		})
		inboxes = append(inboxes, targets.boost)
	}
	if inner.Type == "Delete" && inner.ObjectIRI != "" && len(targets.boost) > 0 {
		undo, err := s.undoBoost(ctx, c, inner, to, cc)
		if err != nil {
			return nil, nil, err
		}
		if undo != nil {
			acts = append(acts, undo)
			inboxes = append(inboxes, targets.boost)
		}
	}
	return acts, inboxes, nil
}

// undoBoost builds the Undo of the community's boost of the post that
// del deletes, or returns nil when it was never boosted. Mastodon drops
// an Announce of the Delete; the Undo takes the boost off its timelines.
func (s *Service) undoBoost(ctx context.Context, c *models.Community, del *models.Activity, to, cc []string) (*models.Activity, error) {
	boost, err := s.store.LatestActivityOf(ctx, c.ActorID, "Announce", del.ObjectIRI)
	if errors.Is(err, store.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, storeErr(err, "boost")
	}
	id := s.urls.Activity(newID())
	doc := activityDoc(id, "Undo", c.Actor.IRI, json.RawMessage(boost.JSON), to, cc)
	doc["audience"] = c.Actor.IRI
	body, err := marshal(doc)
	if err != nil {
		return nil, err
	}
	return &models.Activity{
		IRI: id, Type: "Undo", ActorID: c.ActorID, ObjectIRI: boost.IRI, CommunityID: &c.ID,
		Audience: del.Audience, Local: true, JSON: body,
	}, nil
}
