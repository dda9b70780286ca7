package service

import (
	"context"

	"github.com/practica-social/practica/models"
)

// Viewer is who asks to see something: a proven actor (from a login, a
// token or an HTTP signature), or nobody (ActorID 0).
type Viewer struct {
	ActorID int64
}

// Anonymous is the viewer of an unsigned, logged-out request.
var Anonymous = Viewer{}

// IsInsider reports whether v may see a community's members-only content:
// the community itself, an accepted member, or the instance actor of a
// server that holds an accepted member (protocol.md §8). Such a server
// is sent every members-only post already, at its shared inbox; it
// fetches with its instance actor, as Mastodon and our own resolver do,
// when it needs a post it missed (the parent of a reply) or a
// collection. A person of that server who is not a member is not let in
// by their own signature, and once the server's last member is gone, so
// is its access.
func (s *Service) IsInsider(ctx context.Context, c *models.Community, v Viewer) (bool, error) {
	if v.ActorID == 0 {
		return false, nil
	}
	if v.ActorID == c.ActorID {
		return true, nil
	}
	ok, err := s.store.IsMember(ctx, c.ID, v.ActorID)
	if ok || err != nil || !c.Local {
		return ok, storeErr(err, "membership")
	}
	a, err := s.store.GetActor(ctx, v.ActorID)
	if err != nil {
		return false, storeErr(err, "viewer")
	}
	if a.Local || a.Kind != models.KindInstance || a.GoneAt != nil {
		return false, nil
	}
	ok, err = s.store.CommunityHasMemberOn(ctx, c.ID, a.Host)
	return ok, storeErr(err, "membership")
}

// audiencesFor lists the audiences v may see in c.
func (s *Service) audiencesFor(ctx context.Context, c *models.Community, v Viewer) ([]models.Audience, error) {
	insider, err := s.IsInsider(ctx, c, v)
	if err != nil {
		return nil, err
	}
	if insider {
		return []models.Audience{models.AudiencePublic, models.AudienceMembers}, nil
	}
	return []models.Audience{models.AudiencePublic}, nil
}

// Page is one page of a collection.
type Page[T any] struct {
	Items []T
	// Total is the size of the whole collection as the viewer may know it.
	Total int64
	// Next is the cursor of the next page, 0 when there is none.
	Next int64
}

// Outbox returns one page of an actor's outbox as v may see it. before is a
// cursor (0 for the newest).
func (s *Service) Outbox(ctx context.Context, actor *models.Actor, v Viewer, before int64, limit int) (Page[models.Activity], error) {
	audiences := []models.Audience{models.AudiencePublic}
	if actor.Type == models.ActorGroup {
		c, err := s.store.GetCommunityByActorID(ctx, actor.ID)
		if err != nil {
			return Page[models.Activity]{}, storeErr(err, "community")
		}
		if audiences, err = s.audiencesFor(ctx, c, v); err != nil {
			return Page[models.Activity]{}, err
		}
	} else if v.ActorID == actor.ID {
		audiences = append(audiences, models.AudienceMembers)
	}
	total, err := s.store.CountOutbox(ctx, actor.ID, audiences)
	if err != nil {
		return Page[models.Activity]{}, storeErr(err, "outbox")
	}
	items, err := s.store.OutboxPage(ctx, actor.ID, audiences, before, limit)
	if err != nil {
		return Page[models.Activity]{}, storeErr(err, "outbox")
	}
	p := Page[models.Activity]{Items: items, Total: total}
	if len(items) == limit {
		p.Next = items[len(items)-1].ID
	}
	return p, nil
}

// Members returns one page of a community's accepted members, and whether v
// may see the items at all: outsiders learn only the count, and of a
// members-only community nothing (CanSee false).
func (s *Service) Members(ctx context.Context, c *models.Community, v Viewer, roles []models.Role, after int64, limit int) (page Page[models.Member], showItems bool, err error) {
	insider, err := s.IsInsider(ctx, c, v)
	if err != nil {
		return page, false, err
	}
	if !insider && c.Visibility == models.VisibilityMembers && len(roles) == 0 {
		return page, false, NotFound("collection")
	}
	if len(roles) > 0 {
		// The moderators list is public: peers check moderation rights
		// against it.
		insider = true
	}
	var total int64
	if len(roles) == 0 {
		if total, err = s.store.CountMembers(ctx, c.ID); err != nil {
			return page, false, storeErr(err, "members")
		}
	}
	if !insider {
		return Page[models.Member]{Total: total}, false, nil
	}
	items, err := s.store.MemberPage(ctx, c.ID, roles, after, limit)
	if err != nil {
		return page, false, storeErr(err, "members")
	}
	if len(roles) > 0 {
		total = int64(len(items))
	}
	page = Page[models.Member]{Items: items, Total: total}
	if len(items) == limit {
		page.Next = items[len(items)-1].ID
	}
	return page, true, nil
}

// Featured returns a community's pinned posts as v may see them.
func (s *Service) Featured(ctx context.Context, c *models.Community, v Viewer) ([]models.Post, error) {
	audiences, err := s.audiencesFor(ctx, c, v)
	if err != nil {
		return nil, err
	}
	ps, err := s.store.FeaturedPosts(ctx, c.ID, audiences, 50)
	return ps, storeErr(err, "featured posts")
}

// Usage is what NodeInfo reports. Private content is never counted.
type Usage struct {
	Users, LocalPosts, LocalComments, Communities int64
}

// Usage counts the instance's public activity for NodeInfo.
func (s *Service) Usage(ctx context.Context) (Usage, error) {
	var u Usage
	var err error
	pub := []models.Audience{models.AudiencePublic}
	if u.Users, err = s.store.CountAccounts(ctx); err != nil {
		return u, storeErr(err, "usage")
	}
	if u.LocalPosts, err = s.store.CountLocalPosts(ctx, pub, true); err != nil {
		return u, storeErr(err, "usage")
	}
	all, err := s.store.CountLocalPosts(ctx, pub, false)
	if err != nil {
		return u, storeErr(err, "usage")
	}
	u.LocalComments = all - u.LocalPosts
	if u.Communities, err = s.store.CountLocalCommunities(ctx, true); err != nil {
		return u, storeErr(err, "usage")
	}
	return u, nil
}

// ActivityByIRI returns a local activity as v may see it: public ones to
// anyone; members-only ones to the community's insiders; direct ones
// (Follow, Accept …) to their actor only. Others get "not found".
func (s *Service) ActivityByIRI(ctx context.Context, iri string, v Viewer) (*models.Activity, error) {
	a, err := s.store.GetActivityByIRI(ctx, iri)
	if err != nil {
		return nil, storeErr(err, "activity")
	}
	if !a.Local {
		return nil, NotFound("activity")
	}
	switch a.Audience {
	case models.AudiencePublic:
		return a, nil
	case models.AudienceMembers:
		if a.CommunityID != nil {
			c, err := s.store.GetCommunity(ctx, *a.CommunityID)
			if err != nil {
				return nil, storeErr(err, "activity")
			}
			if ok, err := s.IsInsider(ctx, c, v); err != nil {
				return nil, err
			} else if ok {
				return a, nil
			}
		}
	}
	if v.ActorID != 0 && v.ActorID == a.ActorID {
		return a, nil
	}
	return nil, NotFound("activity")
}
