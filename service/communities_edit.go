package service

import (
	"context"
	"strings"
	"unicode/utf8"

	"github.com/practica-social/practica/models"
	"github.com/practica-social/practica/service/content"
)

// CommunityEdit is a changed domain statement and policies. The handle
// never changes: it is part of the Group's id, which peers keep.
type CommunityEdit struct {
	Name string
	// Summary is Markdown.
	Summary    string
	Topics     []string
	Visibility models.Visibility
	JoinPolicy models.JoinPolicy
}

// UpdateCommunity changes a local community's domain statement and
// policies; only its owners and moderators may. A changed visibility
// applies to new posts: existing posts keep the audience they were
// published to, because peers already hold them under it. The change is
// federated as Update{Group} to the remote members' servers, in the same
// transaction, so a saved edit is never left unannounced.
func (s *Service) UpdateCommunity(ctx context.Context, actorID, communityID int64, in CommunityEdit) (*models.Community, error) {
	c, err := s.store.GetCommunity(ctx, communityID)
	if err != nil {
		return nil, storeErr(err, "community")
	}
	if !c.Local {
		return nil, Forbidden("a community on another server is edited there")
	}
	if err := s.requireModerator(ctx, c, actorID); err != nil {
		return nil, err
	}
	name := strings.TrimSpace(content.PlainText(in.Name))
	if name == "" {
		name = c.Actor.Username
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
	if !in.Visibility.Valid() {
		return nil, Invalid("visibility must be public or members")
	}
	if !in.JoinPolicy.Valid() {
		return nil, Invalid("join policy must be open, approval or invite")
	}
	c.Actor.Name = name
	c.Actor.SummarySource = in.Summary
	c.Actor.Summary = content.RenderMarkdown(in.Summary)
	c.Actor.ManuallyApprovesFollowers = in.JoinPolicy != models.JoinOpen
	c.Actor.Discoverable = in.Visibility == models.VisibilityPublic
	c.Topics, c.Visibility, c.JoinPolicy = topics, in.Visibility, in.JoinPolicy
	err = s.store.WithTx(ctx, func(ctx context.Context) error {
		if err := s.store.UpdateActorProfile(ctx, c.Actor); err != nil {
			return storeErr(err, "community")
		}
		if err := s.store.UpdateCommunity(ctx, c); err != nil {
			return storeErr(err, "community")
		}
		return s.federateCommunityUpdate(ctx, c)
	})
	if err != nil {
		return nil, err
	}
	return c, nil
}
