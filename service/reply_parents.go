package service

import (
	"context"
	"errors"

	"github.com/practica-social/practica/models"
	"github.com/practica-social/practica/store"
)

// ReplyParent is what this server holds of the post a received reply
// names in inReplyTo. The inbox asks before it fetches a missing parent
// from its origin: a held parent needs no fetch, and a deleted one must
// not be brought back by one.
type ReplyParent struct {
	// Held is set when a post with this id is stored (deleted or not).
	Held bool
	// CommunityID is the held post's community; 0 when it has none.
	CommunityID int64
	// Gone is set when no post is stored but a tombstone is: its author
	// deleted it before we ever had it.
	Gone bool
}

// ReplyParentOf says whether the post iri is held, and in which community.
// No viewer applies: the answer decides what the inbox fetches, and is
// never shown to anyone.
func (s *Service) ReplyParentOf(ctx context.Context, iri string) (ReplyParent, error) {
	p, err := s.store.GetPostByIRI(ctx, iri)
	if err == nil {
		rp := ReplyParent{Held: true}
		if p.CommunityID != nil {
			rp.CommunityID = *p.CommunityID
		}
		return rp, nil
	}
	if !errors.Is(err, store.ErrNotFound) {
		return ReplyParent{}, storeErr(err, "post")
	}
	gone, err := s.store.IsTombstoned(ctx, iri)
	if err != nil {
		return ReplyParent{}, storeErr(err, "tombstone")
	}
	return ReplyParent{Gone: gone}, nil
}

// KnownObjects returns which of iris name a stored post or a tombstone: a
// batch of received replies learns in one go which of their parents would
// have to be fetched (and so which replies must be handled outside the
// batch's transaction).
func (s *Service) KnownObjects(ctx context.Context, iris []string) (map[string]bool, error) {
	if len(iris) == 0 {
		return map[string]bool{}, nil
	}
	known, err := s.store.KnownObjectIRIs(ctx, iris)
	if err != nil {
		return nil, storeErr(err, "posts")
	}
	return known, nil
}

// lateCreate handles a Create of a post we already hold, which is usually
// a duplicate: ErrDropped. But a post fetched as the missing parent of a
// reply (federation/inbox/parents.go) is stored without an activity, so
// when a reply overtakes its parent on the way to a local community, the
// parent's own Create arrives after it was fetched. The community then
// redistributes it as it would have, once: only while no Create of the
// post is recorded, for its author, in the community it is stored in.
func (s *Service) lateCreate(ctx context.Context, c *models.Community, author *models.Actor, rp RemotePost, p *models.Post) error {
	if !c.Local || rp.ActivityType != "Create" || rp.ActivityIRI == "" || rp.ActivityJSON == "" ||
		p.CommunityID == nil || *p.CommunityID != c.ID || p.AuthorID != author.ID || p.DeletedAt != nil {
		return ErrDropped
	}
	if _, err := s.store.LatestActivityOf(ctx, author.ID, "Create", p.IRI); err == nil {
		return ErrDropped
	} else if !errors.Is(err, store.ErrNotFound) {
		return storeErr(err, "activity")
	}
	// The Create is taken as ReceivePost would take it now: addressed as
	// the community takes posts, from someone it takes them from (a
	// member removed since the post was fetched is not announced).
	if (c.Visibility == models.VisibilityMembers) == rp.Public {
		return ErrDropped
	}
	if err := s.mayReceive(ctx, c, author, p.ThreadID == nil); err != nil {
		return ErrDropped
	}
	boost := ""
	if p.ThreadID == nil {
		boost = p.IRI
	}
	return s.store.WithTx(ctx, func(ctx context.Context) error {
		return s.redistributeRemote(ctx, c, author, rp.ActivityIRI, rp.ActivityType, p.IRI, rp.ActivityJSON, p.Audience, boost)
	})
}

// CheckReply applies to a received reply the rules ReceivePost would
// apply to it that do not need its parent: its id on its author's host,
// not deleted, not held already, addressed as c takes posts, and by
// someone c takes replies from. The inbox calls it before fetching the
// posts missing above the reply (federation/inbox/parents.go), so that a
// reply refused anyway makes us fetch nothing.
func (s *Service) CheckReply(ctx context.Context, c *models.Community, author *models.Actor, rp RemotePost) error {
	if !sameHost(rp.IRI, author.IRI) {
		return Invalid("the object's id is not on its author's host")
	}
	if gone, err := s.store.IsTombstoned(ctx, rp.IRI); err != nil {
		return storeErr(err, "tombstone")
	} else if gone {
		return ErrDropped
	}
	if _, err := s.store.GetPostByIRI(ctx, rp.IRI); err == nil {
		return ErrDropped
	} else if !errors.Is(err, store.ErrNotFound) {
		return storeErr(err, "post")
	}
	if !c.Local {
		return nil
	}
	switch {
	case c.Visibility == models.VisibilityMembers && rp.Public:
		return Invalid("a members-only community does not take public posts")
	case c.Visibility != models.VisibilityMembers && !rp.Public:
		return Invalid("a public community takes only public posts")
	}
	return s.mayReceive(ctx, c, author, false)
}
