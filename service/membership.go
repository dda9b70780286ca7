package service

import (
	"context"
	"errors"

	"github.com/practica-social/practica/models"
	"github.com/practica-social/practica/store"
)

// followDoc is the Follow an Accept or Reject embeds: Mastodon matches the
// answer to its request by the embedded id, actor and object.
func followDoc(followIRI, follower, target string) Doc {
	return Doc{"id": followIRI, "type": "Follow", "actor": follower, "object": target}
}

// inboxOf is where to send something meant for one actor.
func inboxOf(a *models.Actor) string {
	if a.InboxURL != "" {
		return a.InboxURL
	}
	return a.SharedInboxURL
}

// ReceiveFollow handles a Follow of a local community: an open community
// accepts at once; one that approves members holds the request pending. It
// returns the membership state. A repeated Follow is answered the same way.
// A banned person's Follow is rejected (a local person is told why).
func (s *Service) ReceiveFollow(ctx context.Context, c *models.Community, follower *models.Actor, followIRI string) (models.MemberState, error) {
	if !c.Local {
		return "", NotFound("community")
	}
	if err := s.refuseBlockedServerNow(ctx, follower); err != nil {
		return "", err
	}
	var state models.MemberState
	err := s.store.WithTx(ctx, func(ctx context.Context) error {
		existing, err := s.store.LockMember(ctx, c.ID, follower.ID)
		switch {
		case err == nil && existing.State == models.MemberBanned:
			// Banned: refused, and the ban stays as it is.
			state = existing.State
			if follower.Local {
				return Forbidden("you are banned from this community")
			}
			return s.answerFollow(ctx, c, follower, followIRI, "Reject")
		case err == nil:
			state = existing.State
			if state == models.MemberRejected {
				// A refused person may ask again; a moderator decides anew.
				state = models.MemberPending
			}
		case errors.Is(err, store.ErrNotFound):
			state = models.MemberPending
			if c.JoinPolicy == models.JoinOpen {
				state = models.MemberAccepted
			}
		default:
			return storeErr(err, "membership")
		}
		m := &models.Member{CommunityID: c.ID, ActorID: follower.ID, Role: models.RoleMember, State: state, FollowIRI: followIRI}
		if existing != nil && err == nil {
			m.Role = existing.Role
		}
		if err := s.store.PutMember(ctx, m); err != nil {
			return storeErr(err, "membership")
		}
		if state == models.MemberAccepted && !follower.Local {
			return s.answerFollow(ctx, c, follower, followIRI, "Accept")
		}
		return nil
	})
	return state, err
}

// answerFollow publishes Accept or Reject of a remote actor's Follow.
func (s *Service) answerFollow(ctx context.Context, c *models.Community, follower *models.Actor, followIRI, typ string) error {
	if followIRI == "" {
		return nil
	}
	id := s.urls.Activity(newID())
	doc := activityDoc(id, typ, c.Actor.IRI, followDoc(followIRI, follower.IRI, c.Actor.IRI), []string{follower.IRI}, nil)
	body, err := marshal(doc)
	if err != nil {
		return err
	}
	act := &models.Activity{IRI: id, Type: typ, ActorID: c.ActorID, ObjectIRI: followIRI, CommunityID: &c.ID, Audience: models.AudienceDirect, Local: true, JSON: body}
	return s.publish(ctx, act, []string{inboxOf(follower)}, PriorityDirect)
}

// ReceiveUnfollow handles Undo{Follow}: the actor leaves the community.
// Owners keep their role on their own instance; a remote Undo never
// removes a local owner. A refused, removed or banned person's row stays: it is
// what makes their next request wait for a moderator, also in an open
// community, so leaving cannot wipe a removal.
func (s *Service) ReceiveUnfollow(ctx context.Context, c *models.Community, follower *models.Actor) error {
	return s.store.WithTx(ctx, func(ctx context.Context) error {
		m, err := s.store.LockMember(ctx, c.ID, follower.ID)
		if errors.Is(err, store.ErrNotFound) {
			return nil
		}
		if err != nil {
			return storeErr(err, "membership")
		}
		if m.State == models.MemberRejected || m.State == models.MemberBanned {
			return nil
		}
		if m.Role == models.RoleOwner && follower.Local {
			return Forbidden("the owner cannot leave; hand the community over first")
		}
		if err := s.store.DeleteMember(ctx, c.ID, follower.ID); err != nil {
			return storeErr(err, "membership")
		}
		if m.Role == models.RoleModerator && m.State == models.MemberAccepted && c.Local {
			// A moderator who leaves removes themselves from the
			// moderators, and peers that show them learn of it.
			return s.announceRoleChange(ctx, c, follower, follower, models.RoleMember)
		}
		return nil
	})
}

// DecideMember approves or refuses a pending membership. Only the
// community's owners and moderators may decide. A remote requester is sent
// Accept or Reject.
func (s *Service) DecideMember(ctx context.Context, c *models.Community, moderatorID, actorID int64, approve bool) error {
	if !c.Local {
		return NotFound("community")
	}
	// Someone who moderates nothing is refused before anyone's membership
	// is locked; the transaction checks again, under the lock.
	if err := s.requireModerator(ctx, c, moderatorID); err != nil {
		return err
	}
	return s.store.WithTx(ctx, func(ctx context.Context) error {
		_, m, err := s.lockModeratorAndMember(ctx, c, moderatorID, actorID, "membership request")
		if err != nil {
			return err
		}
		if m.State != models.MemberPending {
			return Conflict("this membership request was already decided")
		}
		m.State = models.MemberRejected
		typ := "Reject"
		if approve {
			m.State, typ = models.MemberAccepted, "Accept"
		}
		if err := s.store.PutMember(ctx, m); err != nil {
			return storeErr(err, "membership")
		}
		who, err := s.store.GetActor(ctx, actorID)
		if err != nil {
			return storeErr(err, "member")
		}
		if who.Local {
			return nil
		}
		return s.answerFollow(ctx, c, who, m.FollowIRI, typ)
	})
}

// requireModerator fails unless actorID moderates c. Nothing holds the
// answer: an action taken on it must confirm it in its own transaction
// with lockModerator, or a moderator dismissed meanwhile still acts.
func (s *Service) requireModerator(ctx context.Context, c *models.Community, actorID int64) error {
	_, err := moderatorOf(s.store.GetMember(ctx, c.ID, actorID))
	return err
}

// moderatorOf returns the membership a lookup found if it moderates its
// community, and Forbidden if it does not or there is none.
func moderatorOf(m *models.Member, err error) (*models.Member, error) {
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return nil, storeErr(err, "membership")
	}
	if err != nil || m.State != models.MemberAccepted || !m.Role.Moderates() {
		return nil, Forbidden("only the community's moderators may do this")
	}
	return m, nil
}

// lockModerator is requireModerator for a transaction that acts as the
// moderator, and returns their membership. The row stays locked FOR SHARE
// until the transaction ends, so a dismissal or a removal of the moderator
// (which lock it for a change) either commits first, and the action is
// refused here, or waits until the action has committed.
func (s *Service) lockModerator(ctx context.Context, c *models.Community, moderatorID int64) (*models.Member, error) {
	return moderatorOf(s.store.ShareMember(ctx, c.ID, moderatorID))
}

// lockModeratorAndMember locks the moderator's membership of c as
// lockModerator does and actorID's for a change (store.LockMember), and
// returns both; what names the latter in errors. The rows are locked in
// the order of their actor ids: an owner and a moderator acting on each
// other at once would otherwise each hold one row and wait for the other,
// a deadlock Postgres ends by failing one of them. Someone who moderates
// nothing is refused before being told whether actorID is a member.
func (s *Service) lockModeratorAndMember(ctx context.Context, c *models.Community, moderatorID, actorID int64, what string) (mod, m *models.Member, err error) {
	if moderatorID == actorID {
		// One row: locked once, for the change, since sharing it first
		// and then upgrading could deadlock with a twin request.
		m, err := moderatorOf(s.store.LockMember(ctx, c.ID, actorID))
		if err != nil {
			return nil, nil, err
		}
		self := *m
		return &self, m, nil
	}
	lockMod := func() (err error) {
		mod, err = s.lockModerator(ctx, c, moderatorID)
		return err
	}
	lockM := func() (err error) {
		m, err = s.store.LockMember(ctx, c.ID, actorID)
		return storeErr(err, what)
	}
	if moderatorID < actorID {
		if err := lockMod(); err != nil {
			return nil, nil, err
		}
		if err := lockM(); err != nil {
			return nil, nil, err
		}
		return mod, m, nil
	}
	errM := lockM()
	if errM != nil && KindOf(errM) != KindNotFound {
		return nil, nil, errM
	}
	if err := lockMod(); err != nil {
		return nil, nil, err
	}
	if errM != nil {
		return nil, nil, errM
	}
	return mod, m, nil
}

// Join makes a local person a member of a community. For a local community
// the membership is immediate (or pending approval); for a remote one a
// Follow is sent and the membership counts once the community accepts.
func (s *Service) Join(ctx context.Context, personID int64, c *models.Community) (string, error) {
	person, err := s.store.GetActor(ctx, personID)
	if err != nil {
		return "", storeErr(err, "person")
	}
	if !person.Local {
		return "", Forbidden("only local people can join from here")
	}
	if c.Local {
		st, err := s.ReceiveFollow(ctx, c, person, "")
		return string(st), err
	}
	if err := s.refuseBlockedServer(ctx, c.Actor); err != nil {
		return "", err
	}
	var state models.FollowState
	err = s.store.WithTx(ctx, func(ctx context.Context) error {
		if f, err := s.store.GetFollow(ctx, person.ID, c.ActorID); err == nil && f.State == models.FollowAccepted {
			state = f.State
			return nil
		}
		id := s.urls.Activity(newID())
		f := &models.Follow{ActorID: person.ID, TargetActorID: c.ActorID, State: models.FollowPending, ActivityIRI: id}
		if err := s.store.PutFollow(ctx, f); err != nil {
			return storeErr(err, "follow")
		}
		state = f.State
		body, err := marshal(activityDoc(id, "Follow", person.IRI, c.Actor.IRI, []string{c.Actor.IRI}, nil))
		if err != nil {
			return err
		}
		act := &models.Activity{IRI: id, Type: "Follow", ActorID: person.ID, ObjectIRI: c.Actor.IRI, CommunityID: &c.ID, Audience: models.AudienceDirect, Local: true, JSON: body}
		return s.publish(ctx, act, []string{inboxOf(c.Actor)}, PriorityDirect)
	})
	return string(state), err
}

// Leave ends a local person's membership; for a remote community it sends
// Undo{Follow}.
func (s *Service) Leave(ctx context.Context, personID int64, c *models.Community) error {
	person, err := s.store.GetActor(ctx, personID)
	if err != nil {
		return storeErr(err, "person")
	}
	if c.Local {
		return s.ReceiveUnfollow(ctx, c, person)
	}
	return s.store.WithTx(ctx, func(ctx context.Context) error {
		f, err := s.store.GetFollow(ctx, person.ID, c.ActorID)
		if errors.Is(err, store.ErrNotFound) {
			return nil
		}
		if err != nil {
			return storeErr(err, "follow")
		}
		if err := s.store.DeleteFollow(ctx, person.ID, c.ActorID); err != nil {
			return storeErr(err, "follow")
		}
		id := s.urls.Activity(newID())
		body, err := marshal(activityDoc(id, "Undo", person.IRI, followDoc(f.ActivityIRI, person.IRI, c.Actor.IRI), []string{c.Actor.IRI}, nil))
		if err != nil {
			return err
		}
		act := &models.Activity{IRI: id, Type: "Undo", ActorID: person.ID, ObjectIRI: f.ActivityIRI, CommunityID: &c.ID, Audience: models.AudienceDirect, Local: true, JSON: body}
		return s.publish(ctx, act, []string{inboxOf(c.Actor)}, PriorityDirect)
	})
}

// ReceiveFollowAnswer records a remote community's Accept or Reject of a
// local person's Follow, matched by the Follow's id, or by (person, group)
// when the remote embedded only a bare object.
func (s *Service) ReceiveFollowAnswer(ctx context.Context, from *models.Actor, followIRI string, followerIRI string, accepted bool) error {
	if followIRI == "" && followerIRI == "" {
		return Invalid("the answer names no follow")
	}
	var f *models.Follow
	var err error
	if followIRI != "" {
		f, err = s.store.GetFollowByActivity(ctx, followIRI)
	}
	if (followIRI == "" || errors.Is(err, store.ErrNotFound)) && followerIRI != "" {
		follower, ferr := s.store.GetActorByIRI(ctx, followerIRI)
		if ferr != nil {
			return storeErr(ferr, "follow")
		}
		f, err = s.store.GetFollow(ctx, follower.ID, from.ID)
	}
	if err != nil {
		return storeErr(err, "follow")
	}
	if f.TargetActorID != from.ID {
		return Forbidden("only the followed actor may answer a follow")
	}
	state := models.FollowRejected
	if accepted {
		state = models.FollowAccepted
	}
	return storeErr(s.store.SetFollowState(ctx, f.ID, state), "follow")
}
