package service

import (
	"context"
	"errors"
	"strings"

	"github.com/practica-social/practica/models"
	"github.com/practica-social/practica/store"
)

// MemberByHandle returns the membership, in any state, that the actor
// named by handle holds in local community c: "user" or "user@host" for
// people of this server, "user@host" for others. Only the community's
// moderators may look: to anyone else whether someone asked to join is
// not known.
func (s *Service) MemberByHandle(ctx context.Context, c *models.Community, moderatorID int64, handle string) (*models.Member, error) {
	if !c.Local {
		return nil, NotFound("community")
	}
	if err := s.requireModerator(ctx, c, moderatorID); err != nil {
		return nil, err
	}
	actors, err := s.actorsByHandle(ctx, handle)
	if err != nil {
		return nil, err
	}
	for i := range actors {
		m, err := s.store.GetMember(ctx, c.ID, actors[i].ID)
		if errors.Is(err, store.ErrNotFound) {
			continue
		}
		if err != nil {
			return nil, storeErr(err, "member")
		}
		m.Actor = &actors[i]
		return m, nil
	}
	return nil, NotFound("member")
}

// actorsByHandle finds the actors a member handle names ("bob" on this
// server, "bob@org-b.example" elsewhere, an "@" before it or not): a
// person and a community may share one.
func (s *Service) actorsByHandle(ctx context.Context, handle string) ([]models.Actor, error) {
	handle = strings.ToLower(strings.TrimPrefix(strings.TrimSpace(handle), "@"))
	name, host, ok := strings.Cut(handle, "@")
	if !ok {
		host = s.urls.Host()
	}
	if name == "" || host == "" {
		return nil, Invalid("member: give a handle such as name@host")
	}
	actors, err := s.store.FindActorsByHandle(ctx, name, host)
	return actors, storeErr(err, "member")
}

// MemberToRemove returns the accepted member actorID of local community
// c, with its actor, when moderatorID may remove them (ActionsOn): the web
// UI's confirmation page shows only removals RemoveMember would make.
// Someone who is not a member is "not found"; a member the moderator may
// not remove (an owner, a fellow moderator, themselves) is forbidden.
func (s *Service) MemberToRemove(ctx context.Context, c *models.Community, moderatorID, actorID int64) (*models.Member, error) {
	return s.memberToActOn(ctx, c, moderatorID, actorID, func(a MemberActions) bool { return a.Remove },
		"you may not remove this member: owners stay, only an owner removes a moderator, and leaving is how one goes oneself")
}

// MemberToBan is MemberToRemove for the ban confirmation page: a member
// moderatorID may ban (ActionsOn), with its actor.
func (s *Service) MemberToBan(ctx context.Context, c *models.Community, moderatorID, actorID int64) (*models.Member, error) {
	return s.memberToActOn(ctx, c, moderatorID, actorID, func(a MemberActions) bool { return a.Ban },
		"you may not ban this member: owners cannot be banned, only an owner bans a moderator, and nobody bans themselves")
}

// memberToActOn finds an accepted member of c that moderatorID may act on
// as may says, or refuses with refusal.
func (s *Service) memberToActOn(ctx context.Context, c *models.Community, moderatorID, actorID int64, may func(MemberActions) bool, refusal string) (*models.Member, error) {
	if !c.Local {
		return nil, NotFound("community")
	}
	if err := s.requireModerator(ctx, c, moderatorID); err != nil {
		return nil, err
	}
	m, err := s.store.GetMember(ctx, c.ID, actorID)
	if err != nil {
		return nil, storeErr(err, "member")
	}
	if m.State != models.MemberAccepted {
		return nil, NotFound("member")
	}
	if m.Actor, err = s.store.GetActor(ctx, actorID); err != nil {
		return nil, storeErr(err, "member")
	}
	vm, err := s.MembershipOf(ctx, c, moderatorID)
	if err != nil {
		return nil, err
	}
	if !may(ActionsOn(moderatorID, vm, m)) {
		return nil, Forbidden(refusal)
	}
	return m, nil
}
