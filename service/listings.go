package service

import (
	"context"
	"strings"
	"unicode/utf8"

	"github.com/practica-social/practica/models"
	"github.com/practica-social/practica/store"
)

// The listings below serve clients that page with cursors (the JSON API):
// each reads one row more than asked, so Next is set only when another
// page really exists, and none of them records visits — reading through a
// client is not the person opening a page.

// maxSearchLen bounds a directory search term.
const maxSearchLen = 200

// PostPage is one page of posts with what the viewer did to them.
type PostPage struct {
	Items []models.Post
	// Next is the cursor of the next page, 0 when there is none.
	Next int64
	// Liked holds the ids of the posts the viewer liked.
	Liked map[int64]bool
}

// CommunityDirectory lists local and known remote communities, newest
// first, before the cursor (a community id; 0 for the newest). The query
// matches part of a handle, host, name or topic. Communities that do not
// want to be discovered (members-only ones) are listed only to their
// members.
func (s *Service) CommunityDirectory(ctx context.Context, query string, v Viewer, before int64, limit int) (Page[models.Community], error) {
	query = strings.TrimSpace(query)
	if utf8.RuneCountInString(query) > maxSearchLen {
		return Page[models.Community]{}, Invalid("q: a search may have at most %d characters", maxSearchLen)
	}
	cs, err := s.store.CommunityDirectoryPage(ctx, store.CommunitySearch{Query: query, ViewerActorID: v.ActorID, Before: before, Limit: limit + 1})
	if err != nil {
		return Page[models.Community]{}, storeErr(err, "communities")
	}
	p := Page[models.Community]{Items: cs}
	if len(cs) > limit {
		p.Items = cs[:limit]
		p.Next = cs[limit-1].ID
	}
	return p, nil
}

// CommunityThreads lists a community's threads as v may see them, newest
// first, before the cursor (a post id; 0 for the newest). The threads of a
// members-only community answer "not found" to outsiders, so a client
// cannot tell an empty private space from a forbidden one.
func (s *Service) CommunityThreads(ctx context.Context, c *models.Community, v Viewer, before int64, limit int) (PostPage, error) {
	if c.Visibility == models.VisibilityMembers {
		ok, err := s.mayReadMembersOnly(ctx, c, v)
		if err != nil {
			return PostPage{}, err
		}
		if !ok {
			return PostPage{}, NotFound("threads")
		}
	}
	ps, err := s.threadsFor(ctx, c, v, before, limit+1)
	if err != nil {
		return PostPage{}, err
	}
	return s.postPage(ctx, v, ps, limit)
}

// PostView is a post with one page of its replies.
type PostView struct {
	Community *models.Community
	Post      *models.Post
	// ThreadID is the id of the thread's first post (the post's own id
	// when it starts the thread).
	ThreadID int64
	// Liked says whether the viewer liked the post.
	Liked bool
	// Replies are the whole thread's replies, oldest first, for a first
	// post; the direct answers for a reply.
	Replies PostPage
}

// PostWithReplies returns a live post as v may see it (members-only posts
// are "not found" to outsiders) and one page of its replies after the
// cursor (a post id; 0 for the start).
func (s *Service) PostWithReplies(ctx context.Context, postID int64, v Viewer, after int64, limit int) (*PostView, error) {
	c, p, threadID, err := s.PostLocation(ctx, postID, v)
	if err != nil {
		return nil, err
	}
	var rs []models.Post
	if p.ThreadID == nil {
		rs, err = s.store.Replies(ctx, p.ID, after, limit+1)
	} else {
		rs, err = s.store.DirectReplies(ctx, p.IRI, after, limit+1)
	}
	if err != nil {
		return nil, storeErr(err, "replies")
	}
	// Replies share the audience of their thread, which v may see.
	page, err := s.postPage(ctx, v, rs, limit)
	if err != nil {
		return nil, err
	}
	liked, err := s.store.LikedPostIDs(ctx, v.ActorID, []int64{p.ID})
	if err != nil {
		return nil, storeErr(err, "likes")
	}
	return &PostView{Community: c, Post: p, ThreadID: threadID, Liked: liked[p.ID], Replies: page}, nil
}

// postPage trims a list read with one extra row to limit, sets the cursor
// and marks what v liked.
func (s *Service) postPage(ctx context.Context, v Viewer, ps []models.Post, limit int) (PostPage, error) {
	page := PostPage{Items: ps}
	if len(ps) > limit {
		page.Items = ps[:limit]
		page.Next = ps[limit-1].ID
	}
	ids := make([]int64, len(page.Items))
	for i, p := range page.Items {
		ids[i] = p.ID
	}
	liked, err := s.store.LikedPostIDs(ctx, v.ActorID, ids)
	if err != nil {
		return PostPage{}, storeErr(err, "likes")
	}
	page.Liked = liked
	return page, nil
}

// MembersPage returns one page of a community's accepted members after the
// cursor (a membership id; 0 for the start), optionally of some roles only,
// and whether v may see the members at all: the rules are those of
// Members (outsiders learn only the count, and of a members-only community
// nothing). Total counts all accepted members; it is 0 when roles are
// given, as only then is the list public and a count per role not kept.
func (s *Service) MembersPage(ctx context.Context, c *models.Community, v Viewer, roles []models.Role, after int64, limit int) (Page[models.Member], bool, error) {
	for _, r := range roles {
		if !r.Valid() {
			return Page[models.Member]{}, false, Invalid("role: must be owner, moderator or member")
		}
	}
	page, show, err := s.Members(ctx, c, v, roles, after, limit+1)
	if err != nil {
		return page, false, err
	}
	page.Next = 0
	if len(roles) > 0 {
		page.Total = 0
	}
	if len(page.Items) > limit {
		page.Items = page.Items[:limit]
		page.Next = page.Items[limit-1].ID
	}
	return page, show, nil
}

// MemberCount returns how many accepted members a local community has, and
// whether v may know it: anyone of a public community, only insiders of a
// members-only one. A remote community's members are counted on its own
// server, so ok is false for it.
func (s *Service) MemberCount(ctx context.Context, c *models.Community, v Viewer) (n int64, ok bool, err error) {
	if !c.Local {
		return 0, false, nil
	}
	if c.Visibility == models.VisibilityMembers {
		if insider, err := s.IsInsider(ctx, c, v); err != nil || !insider {
			return 0, false, err
		}
	}
	n, err = s.store.CountMembers(ctx, c.ID)
	if err != nil {
		return 0, false, storeErr(err, "members")
	}
	return n, true, nil
}
