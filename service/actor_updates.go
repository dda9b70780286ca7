package service

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"time"

	"github.com/practica-social/practica/models"
)

// actorUpdateDoc renders Update{actor}: the actor announcing its own
// changed profile, with the whole actor document embedded as object. The
// activity carries the actor documents' @context (security vocabulary and
// extension terms), because the embedded object has none of its own.
func actorUpdateDoc(id string, a *models.Actor, c *models.Community, to, cc []string, published time.Time) Doc {
	obj := ActorToAS(a, c)
	obj.Context = nil
	d := activityDoc(id, "Update", a.IRI, obj, to, cc)
	d["@context"] = actorContext
	d["published"] = formatTime(published)
	return d
}

// publishActorUpdate stores Update{a} and one delivery per inbox, in the
// caller's transaction. Peers that receive it refetch the actor from here
// (they do not trust the embedded copy), so what matters is that it
// reaches every server that keeps a copy of the actor.
func (s *Service) publishActorUpdate(ctx context.Context, a *models.Actor, c *models.Community, audience models.Audience, to, cc, inboxes []string) error {
	if len(inboxes) == 0 {
		// Nobody elsewhere holds a copy: no activity row to keep either.
		return nil
	}
	id := s.urls.Activity(newID())
	body, err := json.Marshal(actorUpdateDoc(id, a, c, to, cc, s.now()))
	if err != nil {
		return fmt.Errorf("service: render Update{%s}: %w", a.Type, err)
	}
	act := &models.Activity{
		IRI: id, Type: "Update", ActorID: a.ID, ObjectIRI: a.IRI, Audience: audience, Local: true, JSON: string(body),
	}
	if c != nil {
		act.CommunityID = &c.ID
	}
	return s.publish(ctx, act, inboxes, PriorityBulk)
}

// federateCommunityUpdate sends Update{Group} to the servers of the
// community's remote members. A public community addresses the Public
// collection (as its Group document is public anyway); a members-only one
// addresses its followers only, like everything else it publishes.
func (s *Service) federateCommunityUpdate(ctx context.Context, c *models.Community) error {
	inboxes, err := s.store.MemberInboxes(ctx, c.ID)
	if err != nil {
		return storeErr(err, "member inboxes")
	}
	to, cc, audience := []string{ASPublic}, []string{c.Actor.FollowersURL}, models.AudiencePublic
	if c.Visibility != models.VisibilityPublic {
		to, cc, audience = []string{c.Actor.FollowersURL}, []string{}, models.AudienceMembers
	}
	return s.publishActorUpdate(ctx, c.Actor, c, audience, to, cc, inboxes)
}

// federateProfileUpdate sends Update{Person} to the remote communities the
// person joined (or asked to join), and to the servers of the remote
// members of the local communities the person belongs to: all of them show
// the person's name on the posts the communities redistribute.
func (s *Service) federateProfileUpdate(ctx context.Context, person *models.Actor) error {
	followed, err := s.store.FollowedRemoteInboxes(ctx, person.ID)
	if err != nil {
		return storeErr(err, "followed inboxes")
	}
	fellows, err := s.store.FellowMemberInboxes(ctx, person.ID)
	if err != nil {
		return storeErr(err, "inboxes of fellow members")
	}
	inboxes := append(followed, fellows...)
	slices.Sort(inboxes)
	inboxes = slices.Compact(inboxes)
	return s.publishActorUpdate(ctx, person, nil, models.AudiencePublic, []string{ASPublic}, []string{person.FollowersURL}, inboxes)
}
