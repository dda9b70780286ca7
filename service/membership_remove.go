package service

import (
	"context"

	"github.com/practica-social/practica/models"
)

// RemoveMember ends someone's membership of a local community on a
// moderator's decision (checklist row 18). The membership is kept as
// rejected, so that a new Follow from the same person waits for a
// moderator again, also in an open community. A remote member is sent
// Reject{Follow} with the id of their original Follow, which is how
// Mastodon removes a follower: their server then stops showing them the
// community's members-only posts, and the community stops delivering to
// them at once (only accepted members are delivered to).
//
// Owners cannot be removed; only an owner may remove a moderator.
// Removing someone who is not a member is "not found"; removing a pending
// request refuses it, as DecideMember would.
func (s *Service) RemoveMember(ctx context.Context, c *models.Community, moderatorID, actorID int64) error {
	if !c.Local {
		return NotFound("community")
	}
	// Someone who moderates nothing is refused before anyone's membership
	// is locked; the transaction checks again, under the lock.
	if err := s.requireModerator(ctx, c, moderatorID); err != nil {
		return err
	}
	return s.store.WithTx(ctx, func(ctx context.Context) error {
		mod, m, err := s.lockModeratorAndMember(ctx, c, moderatorID, actorID, "member")
		if err != nil {
			return err
		}
		if m.State == models.MemberRejected || m.State == models.MemberBanned {
			return NotFound("member")
		}
		switch m.Role {
		case models.RoleOwner:
			return Forbidden("an owner cannot be removed; hand the community over first")
		case models.RoleModerator:
			if mod.Role != models.RoleOwner {
				return Forbidden("only an owner may remove a moderator")
			}
		}
		wasModerator := m.Role == models.RoleModerator
		m.State, m.Role = models.MemberRejected, models.RoleMember
		if err := s.store.PutMember(ctx, m); err != nil {
			return storeErr(err, "membership")
		}
		who, err := s.store.GetActor(ctx, actorID)
		if err != nil {
			return storeErr(err, "member")
		}
		if wasModerator {
			// Peers that show the moderators learn of it as of a dismissal.
			remover, err := s.store.GetActor(ctx, moderatorID)
			if err != nil {
				return storeErr(err, "moderator")
			}
			if err := s.announceRoleChange(ctx, c, remover, who, models.RoleMember); err != nil {
				return err
			}
		}
		if who.Local {
			return nil
		}
		return s.answerFollow(ctx, c, who, m.FollowIRI, "Reject")
	})
}
