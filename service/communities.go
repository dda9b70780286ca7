package service

import (
	"context"
	"strings"
	"unicode/utf8"

	"github.com/practica-social/practica/models"
	"github.com/practica-social/practica/service/content"
)

// NewCommunity is the domain statement and policies of a new community.
type NewCommunity struct {
	// Handle is the community's user name: @handle@domain.
	Handle string
	// Name is the human name of the community's domain.
	Name string
	// Summary describes the domain, in Markdown.
	Summary string
	// Topics are the key issues of the domain.
	Topics     []string
	Visibility models.Visibility
	JoinPolicy models.JoinPolicy
	// OwnerID is the local person who becomes owner; 0 for none (CLI).
	OwnerID int64
}

// Limits on a community's domain statement.
const (
	maxNameLen    = 100
	maxSummaryLen = 5000
	maxTopics     = 20
	maxTopicLen   = 50
)

// CreateCommunity creates a local community: its Group actor with keys, its
// domain statement, and the owner's membership, in one transaction.
func (s *Service) CreateCommunity(ctx context.Context, in NewCommunity) (*models.Community, error) {
	handle, err := NormalizeUsername(in.Handle)
	if err != nil {
		return nil, err
	}
	name := strings.TrimSpace(content.PlainText(in.Name))
	if name == "" {
		name = handle
	}
	if utf8.RuneCountInString(name) > maxNameLen {
		return nil, Invalid("the name may have at most %d characters", maxNameLen)
	}
	if utf8.RuneCountInString(in.Summary) > maxSummaryLen {
		return nil, Invalid("the summary may have at most %d characters", maxSummaryLen)
	}
	topics, err := normalizeTopics(in.Topics)
	if err != nil {
		return nil, err
	}
	if in.Visibility == "" {
		in.Visibility = models.VisibilityPublic
	}
	if !in.Visibility.Valid() {
		return nil, Invalid("visibility must be public or members")
	}
	if in.JoinPolicy == "" {
		in.JoinPolicy = models.JoinOpen
	}
	if !in.JoinPolicy.Valid() {
		return nil, Invalid("join policy must be open, approval or invite")
	}
	actor, err := s.newLocalActor(models.ActorGroup, s.urls.Group(handle), handle, name)
	if err != nil {
		return nil, err
	}
	actor.SummarySource = in.Summary
	actor.Summary = content.RenderMarkdown(in.Summary)
	actor.ManuallyApprovesFollowers = in.JoinPolicy != models.JoinOpen
	actor.Discoverable = in.Visibility == models.VisibilityPublic
	c := &models.Community{
		Local: true, Topics: topics, Visibility: in.Visibility, JoinPolicy: in.JoinPolicy,
	}
	err = s.store.WithTx(ctx, func(ctx context.Context) error {
		if err := s.store.CreateActor(ctx, actor); err != nil {
			return storeErr(err, "a community with the handle "+handle)
		}
		c.ActorID = actor.ID
		if err := s.store.CreateCommunity(ctx, c); err != nil {
			return storeErr(err, "community")
		}
		if in.OwnerID != 0 {
			owner, err := s.store.GetActor(ctx, in.OwnerID)
			if err != nil {
				return storeErr(err, "owner")
			}
			if !owner.Local || owner.Type != models.ActorPerson {
				return Invalid("the owner must be a local person")
			}
			m := &models.Member{CommunityID: c.ID, ActorID: owner.ID, Role: models.RoleOwner, State: models.MemberAccepted}
			if err := s.store.PutMember(ctx, m); err != nil {
				return storeErr(err, "owner membership")
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	c.Actor = actor
	return c, nil
}

func normalizeTopics(in []string) ([]string, error) {
	seen := map[string]bool{}
	out := []string{}
	for _, t := range in {
		t = strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(content.PlainText(t)), "#"))
		if t == "" || seen[strings.ToLower(t)] {
			continue
		}
		if utf8.RuneCountInString(t) > maxTopicLen {
			return nil, Invalid("a topic may have at most %d characters", maxTopicLen)
		}
		seen[strings.ToLower(t)] = true
		out = append(out, t)
	}
	if len(out) > maxTopics {
		return nil, Invalid("a community may list at most %d topics", maxTopics)
	}
	return out, nil
}

// LocalCommunity returns the local community with the given handle.
func (s *Service) LocalCommunity(ctx context.Context, handle string) (*models.Community, error) {
	a, err := s.store.GetLocalActor(ctx, models.KindGroup, handle)
	if err != nil {
		return nil, storeErr(err, "community")
	}
	c, err := s.store.GetCommunityByActorID(ctx, a.ID)
	return c, storeErr(err, "community")
}

// ListLocalCommunities lists local communities, newest first.
func (s *Service) ListLocalCommunities(ctx context.Context, limit int) ([]models.Community, error) {
	cs, err := s.store.ListLocalCommunities(ctx, limit)
	return cs, storeErr(err, "communities")
}

// CommunityByActorIRI returns the community (local, or remote and known)
// whose Group actor has the given id.
func (s *Service) CommunityByActorIRI(ctx context.Context, iri string) (*models.Community, error) {
	// One query (none within a batch that asked already): the inbox asks
	// this for every activity it processes.
	m := memoOf(ctx)
	if m != nil {
		m.mu.Lock()
		c, ok := m.communities[iri]
		m.mu.Unlock()
		if ok {
			return c, nil
		}
	}
	c, err := s.store.GetCommunityByActorIRI(ctx, iri)
	if err != nil {
		return nil, storeErr(err, "community")
	}
	if c.Actor == nil || c.Actor.Type != models.ActorGroup {
		return nil, NotFound("community")
	}
	if m != nil {
		m.mu.Lock()
		m.communities[iri] = c
		m.mu.Unlock()
	}
	return c, nil
}

// EnsureRemoteCommunity records a remote Group actor as a community we know
// of, so that local people can join it and its posts have a home.
func (s *Service) EnsureRemoteCommunity(ctx context.Context, group *models.Actor) (*models.Community, error) {
	if group.Local || group.Type != models.ActorGroup {
		return nil, Invalid("not a remote community")
	}
	c, err := s.store.GetCommunityByActorID(ctx, group.ID)
	if err == nil {
		return c, nil
	}
	c = &models.Community{
		ActorID: group.ID, Local: false, Topics: []string{}, Visibility: models.VisibilityPublic,
		JoinPolicy: models.JoinOpen,
	}
	if group.ManuallyApprovesFollowers {
		c.JoinPolicy = models.JoinApproval
	}
	if err := s.store.CreateCommunity(ctx, c); err != nil {
		if existing, gerr := s.store.GetCommunityByActorID(ctx, group.ID); gerr == nil {
			return existing, nil
		}
		return nil, storeErr(err, "community")
	}
	c.Actor = group
	return c, nil
}

// LocalMembersFollow reports whether any local person follows a remote
// community: only then do we take its announcements.
func (s *Service) LocalMembersFollow(ctx context.Context, c *models.Community) (bool, error) {
	ids, err := s.store.LocalFollowersOf(ctx, c.ActorID)
	return len(ids) > 0, storeErr(err, "followers")
}
