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
// The public moderators collection changes with the role, and the change
// is announced to the members' servers (announceRoleChange).
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
	ownerActor, err := s.store.GetActor(ctx, ownerID)
	if err != nil {
		return storeErr(err, "owner")
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
		who, err := s.store.GetActor(ctx, actorID)
		if err != nil {
			return storeErr(err, "member")
		}
		if role == models.RoleModerator && !who.Local {
			return Invalid("only people of this server can moderate its communities")
		}
		m.Role = role
		if err := s.store.PutMember(ctx, m); err != nil {
			return storeErr(err, "membership")
		}
		return s.announceRoleChange(ctx, c, ownerActor, who, role)
	})
}

// announceRoleChange publishes the owner's Add (appointed) or Remove
// (dismissed) of who to c's moderators collection, with c in audience,
// and c's Announce of it to its members' servers: the form Lemmy and Mbin
// send and take, so they show the community's moderators as they are
// without fetching the collection again. It is addressed as the
// community's own Update is: to the public for a public community, to its
// members only otherwise.
func (s *Service) announceRoleChange(ctx context.Context, c *models.Community, owner, who *models.Actor, role models.Role) error {
	typ := "Add"
	if role != models.RoleModerator {
		typ = "Remove"
	}
	to, cc, audience := []string{ASPublic}, []string{c.Actor.IRI}, models.AudiencePublic
	if c.Visibility != models.VisibilityPublic {
		to, cc, audience = []string{c.Actor.FollowersURL}, []string{c.Actor.IRI}, models.AudienceMembers
	}
	id := s.urls.Activity(newID())
	doc := activityDoc(id, typ, owner.IRI, who.IRI, to, cc)
	doc["target"] = c.Actor.ModeratorsURL
	doc["audience"] = c.Actor.IRI
	body, err := marshal(doc)
	if err != nil {
		return err
	}
	act := &models.Activity{IRI: id, Type: typ, ActorID: owner.ID, ObjectIRI: who.IRI, CommunityID: &c.ID, Audience: audience, Local: true, JSON: body}
	if err := s.store.CreateActivity(ctx, act); err != nil {
		return storeErr(err, "activity")
	}
	return s.redistribute(ctx, c, act, "")
}

// MemberActions says what a viewer may do to one member; the web UI shows
// a button for each. RemoveMember and SetMemberRole enforce the same
// rules on their own.
type MemberActions struct {
	Remove, Ban, Appoint, Dismiss bool
}

// ActionsOn returns what viewer (whose membership is vm) may do to m, an
// accepted member: moderators remove or ban plain members, owners also
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
		Ban:     m.Role == models.RoleMember || owner,
		Appoint: owner && local && m.Role == models.RoleMember,
		Dismiss: owner && m.Role == models.RoleModerator,
	}
}
