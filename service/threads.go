package service

import (
	"context"
	"errors"

	"github.com/practica-social/practica/models"
	"github.com/practica-social/practica/store"
)

// ThreadItem is a reply on a thread page, with the replies to it nested
// one level deep: a reply to a reply to a reply is shown under the reply
// that started the branch, so a long exchange stays readable on a phone.
type ThreadItem struct {
	Post models.Post
	// New is set for posts since the viewer's last visit.
	New bool
	// Liked is set when the viewer liked it.
	Liked bool
	// ReplyToEarlier is set when the post answers a reply on an earlier
	// page rather than the first post.
	ReplyToEarlier bool
	Children       []ThreadItem
}

// ThreadView is one page of a thread as a viewer sees it.
type ThreadView struct {
	Community *models.Community
	Root      ThreadItem
	Items     []ThreadItem
	// Next is the cursor of the next page of replies, 0 at the end.
	Next int64
	// Membership is the viewer's standing in the community (to offer the
	// reply form).
	Membership Membership
}

// ThreadPage returns the thread whose first post is rootID in community c,
// with one page of replies after the cursor, and records the visit.
// Members-only threads answer "not found" to outsiders, as missing ones do.
func (s *Service) ThreadPage(ctx context.Context, c *models.Community, rootID int64, v Viewer, after int64, limit int) (*ThreadView, error) {
	root, err := s.visiblePost(ctx, c, rootID, v)
	if err != nil {
		return nil, err
	}
	if root.ThreadID != nil {
		return nil, NotFound("thread")
	}
	replies, err := s.store.Replies(ctx, root.ID, after, limit)
	if err != nil {
		return nil, storeErr(err, "replies")
	}
	tv := &ThreadView{Community: c}
	if tv.Membership, err = s.MembershipOf(ctx, c, v.ActorID); err != nil {
		return nil, err
	}
	if len(replies) == limit {
		tv.Next = replies[len(replies)-1].ID
	}
	ids := []int64{root.ID}
	for _, r := range replies {
		ids = append(ids, r.ID)
	}
	liked, err := s.store.LikedPostIDs(ctx, v.ActorID, ids)
	if err != nil {
		return nil, storeErr(err, "likes")
	}
	var seen int64 = -1
	if v.ActorID != 0 {
		visit, err := s.store.GetVisit(ctx, v.ActorID, models.VisitThread, root.ID)
		switch {
		case err == nil:
			seen = visit.LastPostID
		case !errors.Is(err, store.ErrNotFound):
			return nil, storeErr(err, "visit")
		}
	}
	isNew := func(id int64) bool { return seen >= 0 && id > seen }
	tv.Root = ThreadItem{Post: *root, Liked: liked[root.ID]}
	tv.Items = nest(root, replies, liked, isNew)
	if v.ActorID != 0 {
		last := root.ID
		if len(replies) > 0 {
			last = replies[len(replies)-1].ID
		}
		if err := s.store.PutVisit(ctx, &models.Visit{ActorID: v.ActorID, Kind: models.VisitThread, TargetID: root.ID, LastPostID: last, SeenAt: s.now().UTC()}); err != nil {
			return nil, storeErr(err, "visit")
		}
	}
	return tv, nil
}

// nest arranges a page of replies (in posting order) one level deep: a
// reply to the first post, or to a post not on this page, starts a branch;
// any other reply joins the branch its parent is in.
func nest(root *models.Post, replies []models.Post, liked map[int64]bool, isNew func(int64) bool) []ThreadItem {
	var items []ThreadItem
	branch := map[string]int{} // post IRI -> index of its branch in items
	byIRI := map[string]*models.Post{}
	for i := range replies {
		byIRI[replies[i].IRI] = &replies[i]
	}
	for _, r := range replies {
		it := ThreadItem{Post: r, New: isNew(r.ID), Liked: liked[r.ID]}
		if b, ok := branch[r.InReplyTo]; ok && r.InReplyTo != root.IRI {
			items[b].Children = append(items[b].Children, it)
			branch[r.IRI] = b
			continue
		}
		if r.InReplyTo != root.IRI && byIRI[r.InReplyTo] == nil {
			// The parent is on an earlier page; say so.
			it.ReplyToEarlier = true
		}
		items = append(items, it)
		branch[r.IRI] = len(items) - 1
	}
	return items
}

// visiblePost returns a live post of community c by row id, as v may see
// it: members-only posts are "not found" to outsiders.
func (s *Service) visiblePost(ctx context.Context, c *models.Community, postID int64, v Viewer) (*models.Post, error) {
	p, err := s.store.GetPost(ctx, postID)
	if err != nil {
		return nil, storeErr(err, "post")
	}
	if p.DeletedAt != nil || p.CommunityID == nil || *p.CommunityID != c.ID {
		return nil, NotFound("post")
	}
	if p.Audience != models.AudiencePublic {
		ok, err := s.mayReadMembersOnly(ctx, c, v)
		if err != nil {
			return nil, err
		}
		if !ok && v.ActorID != p.AuthorID {
			return nil, NotFound("post")
		}
	}
	return p, nil
}

// mayReadMembersOnly reports whether v may read members-only posts of c:
// an insider of a local community, or an accepted follower of a remote one.
func (s *Service) mayReadMembersOnly(ctx context.Context, c *models.Community, v Viewer) (bool, error) {
	if c.Local {
		return s.IsInsider(ctx, c, v)
	}
	if v.ActorID == 0 {
		return false, nil
	}
	f, err := s.store.GetFollow(ctx, v.ActorID, c.ActorID)
	if errors.Is(err, store.ErrNotFound) {
		return false, nil
	}
	if err != nil {
		return false, storeErr(err, "membership")
	}
	return f.State == models.FollowAccepted, nil
}

// PostInCommunity returns a live post of c as v may see it (the post a
// reply answers or quotes, or one to edit), and the id of its thread.
func (s *Service) PostInCommunity(ctx context.Context, c *models.Community, postID int64, v Viewer) (*models.Post, int64, error) {
	p, err := s.visiblePost(ctx, c, postID, v)
	if err != nil {
		return nil, 0, err
	}
	return p, *threadOf(p), nil
}

// PostLocation returns the community and thread of a live post as v may
// see it, so that a page can send the reader to the thread.
func (s *Service) PostLocation(ctx context.Context, postID int64, v Viewer) (*models.Community, *models.Post, int64, error) {
	p, err := s.store.GetPost(ctx, postID)
	if err != nil {
		return nil, nil, 0, storeErr(err, "post")
	}
	if p.CommunityID == nil || p.DeletedAt != nil {
		return nil, nil, 0, NotFound("post")
	}
	c, err := s.store.GetCommunity(ctx, *p.CommunityID)
	if err != nil {
		return nil, nil, 0, storeErr(err, "post")
	}
	if _, err := s.visiblePost(ctx, c, postID, v); err != nil {
		return nil, nil, 0, err
	}
	return c, p, *threadOf(p), nil
}

// PostLocationByIRI is PostLocation for a post's ActivityPub id, so the
// HTML side of /objects/ID can send a browser to the thread page.
func (s *Service) PostLocationByIRI(ctx context.Context, iri string, v Viewer) (*models.Community, *models.Post, int64, error) {
	p, err := s.store.GetPostByIRI(ctx, iri)
	if err != nil {
		return nil, nil, 0, storeErr(err, "post")
	}
	return s.PostLocation(ctx, p.ID, v)
}
