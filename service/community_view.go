package service

import (
	"context"
	"errors"
	"strings"

	"github.com/practica-social/practica/models"
	"github.com/practica-social/practica/store"
)

// CommunityByHandle returns a community by its handle: "name" for a local
// one, "name@host" for a remote one we know of (we never fetch here).
func (s *Service) CommunityByHandle(ctx context.Context, handle string) (*models.Community, error) {
	handle = strings.ToLower(strings.TrimPrefix(strings.TrimSpace(handle), "@"))
	name, host, remote := strings.Cut(handle, "@")
	if !remote || host == s.urls.Host() {
		return s.LocalCommunity(ctx, name)
	}
	c, err := s.store.FindCommunityByHandle(ctx, name, host)
	return c, storeErr(err, "community")
}

// Membership is where a person stands with a community.
type Membership struct {
	// State is "" (not a member), pending, accepted, rejected or banned.
	// For a remote community it is the state of the person's Follow.
	State string
	Role  models.Role
}

// Member reports whether the membership is accepted.
func (m Membership) Member() bool { return m.State == string(models.MemberAccepted) }

// Moderates reports whether the person moderates the community.
func (m Membership) Moderates() bool { return m.Member() && m.Role.Moderates() }

// MembershipOf returns where actorID stands with c.
func (s *Service) MembershipOf(ctx context.Context, c *models.Community, actorID int64) (Membership, error) {
	if actorID == 0 {
		return Membership{}, nil
	}
	if !c.Local {
		f, err := s.store.GetFollow(ctx, actorID, c.ActorID)
		if errors.Is(err, store.ErrNotFound) {
			return Membership{}, nil
		}
		if err != nil {
			return Membership{}, storeErr(err, "membership")
		}
		return Membership{State: string(f.State), Role: models.RoleMember}, nil
	}
	m, err := s.store.GetMember(ctx, c.ID, actorID)
	if errors.Is(err, store.ErrNotFound) {
		return Membership{}, nil
	}
	if err != nil {
		return Membership{}, storeErr(err, "membership")
	}
	return Membership{State: string(m.State), Role: m.Role}, nil
}

// ThreadSummary is a thread as a community page lists it.
type ThreadSummary struct {
	Post models.Post
	// New is set when the thread started after the viewer's last visit.
	New bool
	// NewReplies counts replies since the viewer last read the thread.
	NewReplies int
}

// CommunityOverview is what a community's page shows.
type CommunityOverview struct {
	Community *models.Community
	// MemberCount is set only when ShowMemberCount is: of a members-only
	// community only insiders learn it (as from the API and followers).
	MemberCount     int64
	ShowMemberCount bool
	Moderators      []models.Member
	Threads         []ThreadSummary
	// Next is the cursor of the next page of threads, 0 at the end.
	Next       int64
	Membership Membership
	// PendingRequests counts membership requests, for moderators only.
	PendingRequests int
	// OpenReports counts reports waiting, for moderators only.
	OpenReports int64
	// Visited is set when the viewer had been here before, so "new" means
	// something.
	Visited bool
}

// CommunityOverview gathers a community page for v, one page of threads
// before the cursor, and records the visit so that the next one can mark
// what is new.
func (s *Service) CommunityOverview(ctx context.Context, c *models.Community, v Viewer, before int64, limit int) (*CommunityOverview, error) {
	o := &CommunityOverview{Community: c}
	var err error
	if o.Membership, err = s.MembershipOf(ctx, c, v.ActorID); err != nil {
		return nil, err
	}
	if c.Local {
		if o.MemberCount, o.ShowMemberCount, err = s.MemberCount(ctx, c, v); err != nil {
			return nil, err
		}
		mods, err := s.store.MemberPage(ctx, c.ID, []models.Role{models.RoleOwner, models.RoleModerator}, 0, 50)
		if err != nil {
			return nil, storeErr(err, "moderators")
		}
		o.Moderators = mods
		if o.Membership.Moderates() {
			pending, err := s.store.PendingMembers(ctx, c.ID, 100)
			if err != nil {
				return nil, storeErr(err, "membership requests")
			}
			o.PendingRequests = len(pending)
			if o.OpenReports, err = s.store.CountOpenReports(ctx, c.ID); err != nil {
				return nil, storeErr(err, "reports")
			}
		}
	}
	threads, err := s.threadsFor(ctx, c, v, before, limit)
	if err != nil {
		return nil, err
	}
	if len(threads) == limit {
		o.Next = threads[len(threads)-1].ID
	}
	var visit *models.Visit
	if v.ActorID != 0 {
		visit, err = s.store.GetVisit(ctx, v.ActorID, models.VisitCommunity, c.ID)
		if err != nil && !errors.Is(err, store.ErrNotFound) {
			return nil, storeErr(err, "visit")
		}
	}
	ids := make([]int64, len(threads))
	for i, p := range threads {
		ids[i] = p.ID
	}
	counts := map[int64]int{}
	if v.ActorID != 0 {
		if counts, err = s.store.NewReplyCounts(ctx, v.ActorID, ids); err != nil {
			return nil, storeErr(err, "new replies")
		}
	}
	o.Visited = visit != nil
	var newest int64
	for _, p := range threads {
		ts := ThreadSummary{Post: p, NewReplies: counts[p.ID]}
		ts.New = visit != nil && p.ID > visit.LastPostID
		o.Threads = append(o.Threads, ts)
		newest = max(newest, p.ID)
	}
	if v.ActorID != 0 {
		if err := s.store.PutVisit(ctx, &models.Visit{ActorID: v.ActorID, Kind: models.VisitCommunity, TargetID: c.ID, LastPostID: newest, SeenAt: s.now().UTC()}); err != nil {
			return nil, storeErr(err, "visit")
		}
	}
	return o, nil
}

// threadsFor lists threads as v may see them. A remote community's posts
// reached us because a local person follows it; they carry their own
// audience, so the viewer needs to follow it to see members-only ones.
func (s *Service) threadsFor(ctx context.Context, c *models.Community, v Viewer, before int64, limit int) ([]models.Post, error) {
	if c.Local {
		return s.Threads(ctx, c, v, before, limit)
	}
	audiences := []models.Audience{models.AudiencePublic}
	if v.ActorID != 0 {
		if f, err := s.store.GetFollow(ctx, v.ActorID, c.ActorID); err == nil && f.State == models.FollowAccepted {
			audiences = append(audiences, models.AudienceMembers)
		}
	}
	ps, err := s.store.ThreadPage(ctx, c.ID, audiences, before, limit)
	return ps, storeErr(err, "threads")
}

// PendingMembers lists a local community's membership requests; only its
// moderators may see them.
func (s *Service) PendingMembers(ctx context.Context, c *models.Community, moderatorID int64) ([]models.Member, error) {
	if !c.Local {
		return nil, NotFound("community")
	}
	if err := s.requireModerator(ctx, c, moderatorID); err != nil {
		return nil, err
	}
	ms, err := s.store.PendingMembers(ctx, c.ID, 200)
	return ms, storeErr(err, "membership requests")
}
