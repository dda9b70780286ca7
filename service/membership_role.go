package service

import (
	"context"

	"github.com/practica-social/practica/models"
)

// SetMemberRole appoints an accepted member of a local community as a
// moderator, or makes a moderator a plain member again.
//
// Only owners may: moderators approve and remove members, so a moderator
// who could appoint others would let one taken-over account multiply
// itself. Ownership is not handed over here. Only people of this server
// may be appointed: moderation happens through this server's web UI and
// API, and moderation activities from other servers are not acted on, so
// a remote moderator would hold a title they could not use.
//
// The public moderators collection changes with the role, which is how
// peers learn of it (they fetch it; nothing is sent).
func (s *Service) SetMemberRole(ctx context.Context, c *models.Community, ownerID, actorID int64, role models.Role) error {
	if !c.Local {
		return NotFound("community")
	}
	if role != models.RoleModerator && role != models.RoleMember {
		return Invalid("role: must be moderator or member")
	}
	owner, err := s.store.GetMember(ctx, c.ID, ownerID)
	if err != nil || owner.State != models.MemberAccepted || owner.Role != models.RoleOwner {
		return Forbidden("only the community's owner may appoint or dismiss moderators")
	}
	return s.store.WithTx(ctx, func(ctx context.Context) error {
		m, err := s.store.LockMember(ctx, c.ID, actorID)
		if err != nil {
			return storeErr(err, "member")
		}
		if m.State != models.MemberAccepted {
			return NotFound("member")
		}
		if m.Role == models.RoleOwner {
			return Forbidden("an owner's role cannot be changed")
		}
		if m.Role == role {
			return nil
		}
		if role == models.RoleModerator {
			who, err := s.store.GetActor(ctx, actorID)
			if err != nil {
				return storeErr(err, "member")
			}
			if !who.Local {
				return Invalid("only people of this server can moderate its communities")
			}
		}
		m.Role = role
		return storeErr(s.store.PutMember(ctx, m), "membership")
	})
}

// MemberActions says what a viewer may do to one member; the web UI shows
// a button for each. RemoveMember and SetMemberRole enforce the same
// rules on their own.
type MemberActions struct {
	Remove, Appoint, Dismiss bool
}

// ActionsOn returns what viewer (whose membership is vm) may do to m, an
// accepted member: moderators remove plain members, owners also
// moderators; owners appoint local members and dismiss moderators. Nobody
// acts on an owner or on themselves here (leaving is its own action).
func ActionsOn(viewerID int64, vm Membership, m *models.Member) MemberActions {
	if !vm.Moderates() || m.ActorID == viewerID || m.Role == models.RoleOwner || m.State != models.MemberAccepted {
		return MemberActions{}
	}
	owner := vm.Role == models.RoleOwner
	local := m.Actor != nil && m.Actor.Local
	return MemberActions{
		Remove:  m.Role == models.RoleMember || owner,
		Appoint: owner && local && m.Role == models.RoleMember,
		Dismiss: owner && m.Role == models.RoleModerator,
	}
}
