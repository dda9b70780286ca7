package service

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/practica-social/practica/models"
	"github.com/practica-social/practica/store"
)

// MaxBanReasonRunes bounds the reason a moderator gives for a ban.
const MaxBanReasonRunes = 1000

// BanListRefresh is how often each process reads the bans again: the
// process where a moderator bans or unbans applies it at once, the
// others within this.
const BanListRefresh = 5 * time.Second

// BanMember bans someone from a local community on a moderator's
// decision: a member, or anyone else, such as a stranger posting to a
// public community by mentioning it (removing a member does not stop
// that, since a public community takes posts from anyone). A banned
// person may not post, reply, edit or like in the community, and their
// requests to join are refused, until a moderator unbans them; they may
// still delete their posts.
//
// A member's membership ends as with RemoveMember (a remote member is sent
// Reject{Follow}; a moderator is announced as dismissed). The moderator's
// Block{object: person, target: community, summary: reason} is sent to the
// person's server and announced to the members' servers: Lemmy's form of
// a community ban. Moderators ban plain members and strangers, owners also
// moderators; nobody bans an owner or themselves.
func (s *Service) BanMember(ctx context.Context, c *models.Community, moderatorID, actorID int64, reason string) error {
	if !c.Local {
		return NotFound("community")
	}
	reason = cleanReason(reason)
	if utf8.RuneCountInString(reason) > MaxBanReasonRunes {
		return Invalid("the reason is too long (at most %d characters)", MaxBanReasonRunes)
	}
	if moderatorID == actorID {
		return Forbidden("you cannot ban yourself")
	}
	if err := s.requireModerator(ctx, c, moderatorID); err != nil {
		return err
	}
	who, err := s.store.GetActor(ctx, actorID)
	if err != nil {
		return storeErr(err, "person")
	}
	if who.Kind != models.KindPerson {
		return Invalid("only people can be banned")
	}
	err = s.store.WithTx(ctx, func(ctx context.Context) error {
		ban := &models.Member{CommunityID: c.ID, ActorID: actorID, Role: models.RoleMember, State: models.MemberBanned, BanReason: reason}
		mod, m, err := s.lockModeratorAndMember(ctx, c, moderatorID, actorID, "member")
		if KindOf(err) == KindNotFound {
			// A stranger: nothing of theirs to lock, the moderator still.
			if mod, err = s.lockModerator(ctx, c, moderatorID); err != nil {
				return err
			}
			// A Follow may have written their row since: the ban is
			// inserted only where there is none, or judged on that row.
			inserted, err := s.store.InsertMemberIfAbsent(ctx, ban)
			if err != nil {
				return storeErr(err, "ban")
			}
			if !inserted {
				if m, err = s.store.LockMember(ctx, c.ID, actorID); err != nil {
					return storeErr(err, "member")
				}
			}
		} else if err != nil {
			return err
		}
		if m != nil {
			switch {
			case m.State == models.MemberBanned:
				return Conflict("this person is banned already")
			case m.Role == models.RoleOwner:
				return Forbidden("an owner cannot be banned")
			case m.Role == models.RoleModerator && m.State == models.MemberAccepted && mod.Role != models.RoleOwner:
				return Forbidden("only an owner may ban a moderator")
			}
			ban.FollowIRI = m.FollowIRI
			if err := s.store.PutMember(ctx, ban); err != nil {
				return storeErr(err, "ban")
			}
		}
		banner, err := s.store.GetActor(ctx, moderatorID)
		if err != nil {
			return storeErr(err, "moderator")
		}
		if m != nil && m.State == models.MemberAccepted && m.Role == models.RoleModerator {
			if err := s.announceRoleChange(ctx, c, banner, who, models.RoleMember); err != nil {
				return err
			}
		}
		if m != nil && (m.State == models.MemberAccepted || m.State == models.MemberPending) && !who.Local {
			// A member's server stops counting them in; a request's
			// server stops waiting for an answer no one will give.
			if err := s.answerFollow(ctx, c, who, m.FollowIRI, "Reject"); err != nil {
				return err
			}
		}
		return s.publishBan(ctx, c, banner, who, s.banDoc(c, banner, who, reason))
	})
	if err != nil {
		return err
	}
	s.bans.reload(ctx, s.now())
	return nil
}

// UnbanMember lifts a ban: the person is a stranger again, who may join
// (and must, to post in a members-only community). The Undo{Block} is
// sent as the moderator who banned, embedding their Block as sent, where
// the Block went: Mastodon keeps a Block as "this moderator blocks this
// person" and undoes only that one, whoever lifts the ban here.
func (s *Service) UnbanMember(ctx context.Context, c *models.Community, moderatorID, actorID int64) error {
	if !c.Local {
		return NotFound("community")
	}
	if err := s.requireModerator(ctx, c, moderatorID); err != nil {
		return err
	}
	who, err := s.store.GetActor(ctx, actorID)
	if err != nil {
		return storeErr(err, "person")
	}
	err = s.store.WithTx(ctx, func(ctx context.Context) error {
		_, m, err := s.lockModeratorAndMember(ctx, c, moderatorID, actorID, "ban")
		if err != nil {
			return err
		}
		if m.State != models.MemberBanned {
			return NotFound("ban")
		}
		if err := s.store.DeleteMember(ctx, c.ID, actorID); err != nil {
			return storeErr(err, "ban")
		}
		banner, block, err := s.sentBlock(ctx, c, moderatorID, who, m.BanReason)
		if err != nil {
			return err
		}
		to, cc := []string{ASPublic}, []string{c.Actor.IRI}
		if c.Visibility != models.VisibilityPublic {
			to = []string{c.Actor.FollowersURL}
		}
		undo := activityDoc(s.urls.Activity(newID()), "Undo", banner.IRI, block, to, cc)
		undo["audience"] = c.Actor.IRI
		return s.publishBan(ctx, c, banner, who, undo)
	})
	if err != nil {
		return err
	}
	s.bans.reload(ctx, s.now())
	return nil
}

// sentBlock returns the Block that banned who from c, as sent, with the
// moderator who sent it; for a ban whose Block is not found, a new one by
// moderatorID.
func (s *Service) sentBlock(ctx context.Context, c *models.Community, moderatorID int64, who *models.Actor, reason string) (*models.Actor, any, error) {
	if act, err := s.store.LatestCommunityActivity(ctx, c.ID, "Block", who.IRI); err == nil {
		if banner, err := s.store.GetActor(ctx, act.ActorID); err == nil {
			return banner, json.RawMessage(act.JSON), nil
		}
	} else if !errors.Is(err, store.ErrNotFound) {
		return nil, nil, storeErr(err, "ban")
	}
	banner, err := s.store.GetActor(ctx, moderatorID)
	if err != nil {
		return nil, nil, storeErr(err, "moderator")
	}
	return banner, s.banDoc(c, banner, who, reason), nil
}

// cleanReason trims a moderator's or an admin's reason and drops what no
// database column takes (NUL, invalid UTF-8): Postgres refuses a NUL in
// text, which would turn a typing slip into a failed request.
func cleanReason(reason string) string {
	return strings.TrimSpace(strings.ToValidUTF8(strings.ReplaceAll(reason, "\x00", ""), ""))
}

// Bans lists a community's bans, newest first, with the banned people;
// for its moderators only.
func (s *Service) Bans(ctx context.Context, c *models.Community, viewerID int64) ([]models.Member, error) {
	if !c.Local {
		return nil, NotFound("community")
	}
	if err := s.requireModerator(ctx, c, viewerID); err != nil {
		return nil, err
	}
	bans, err := s.store.CommunityBans(ctx, c.ID)
	return bans, storeErr(err, "bans")
}

// Banned reports whether actorID is banned from community communityID,
// from this process's copy of the bans (read again every
// BanListRefresh): every received post and like asks.
func (s *Service) Banned(ctx context.Context, communityID, actorID int64) bool {
	bans, ok := s.bans.get(ctx, s.now())
	if !ok {
		return false
	}
	_, banned := bans[store.MemberBan{CommunityID: communityID, ActorID: actorID}]
	return banned
}

// readBans reads every ban from the database.
func (s *Service) readBans(ctx context.Context) (map[store.MemberBan]struct{}, error) {
	list, err := s.store.AllBans(ctx)
	if err != nil {
		s.log.Warn("reading the bans failed", "err", err)
		return nil, err
	}
	bans := make(map[store.MemberBan]struct{}, len(list))
	for _, b := range list {
		bans[b] = struct{}{}
	}
	return bans, nil
}

// refuseBanned fails when actor is banned from c.
func (s *Service) refuseBanned(ctx context.Context, c *models.Community, actor *models.Actor) error {
	if c.Local && s.Banned(ctx, c.ID, actor.ID) {
		if actor.Local {
			return Forbidden("you are banned from this community")
		}
		return Forbidden("the author is banned from this community")
	}
	return nil
}

// banDoc is the moderator's Block of who in c, addressed as the
// community's own Update is: the public for a public community, its
// members otherwise, with the community in cc and audience as Lemmy does.
func (s *Service) banDoc(c *models.Community, moderator, who *models.Actor, reason string) Doc {
	to, cc := []string{ASPublic}, []string{c.Actor.IRI}
	if c.Visibility != models.VisibilityPublic {
		to = []string{c.Actor.FollowersURL}
	}
	doc := activityDoc(s.urls.Activity(newID()), "Block", moderator.IRI, who.IRI, to, cc)
	doc["target"] = c.Actor.IRI
	doc["audience"] = c.Actor.IRI
	if reason != "" {
		doc["summary"] = reason
	}
	return doc
}

// publishBan stores doc (a Block or its Undo) by moderator, sends it to
// who's server when who is remote, and has c announce it to its members'
// servers.
func (s *Service) publishBan(ctx context.Context, c *models.Community, moderator, who *models.Actor, doc Doc) error {
	body, err := marshal(doc)
	if err != nil {
		return err
	}
	audience := models.AudiencePublic
	if c.Visibility != models.VisibilityPublic {
		audience = models.AudienceMembers
	}
	act := &models.Activity{IRI: doc["id"].(string), Type: doc["type"].(string), ActorID: moderator.ID, ObjectIRI: who.IRI,
		CommunityID: &c.ID, Audience: audience, Local: true, JSON: body}
	if who.Local {
		if err := s.store.CreateActivity(ctx, act); err != nil {
			return storeErr(err, "activity")
		}
	} else if err := s.publish(ctx, act, []string{inboxOf(who)}, PriorityDirect); err != nil {
		return err
	}
	return s.redistribute(ctx, c, act, "")
}

// BanCandidate finds whom a moderator of c names for a ban: by handle
// ("bob", "bob@org-b.example") or by actor id, anyone this server knows,
// member or not, since a stranger posting by mention is who most needs
// banning. Moderators only; NotFound("member") when nobody matches.
func (s *Service) BanCandidate(ctx context.Context, c *models.Community, moderatorID int64, ref string) (*models.Actor, error) {
	if !c.Local {
		return nil, NotFound("community")
	}
	if err := s.requireModerator(ctx, c, moderatorID); err != nil {
		return nil, err
	}
	ref = strings.TrimSpace(ref)
	if strings.HasPrefix(ref, "https://") || strings.HasPrefix(ref, "http://") {
		a, err := s.store.GetActorByIRI(ctx, ref)
		if err != nil {
			return nil, storeErr(err, "member")
		}
		return a, nil
	}
	actors, err := s.actorsByHandle(ctx, ref)
	if err != nil {
		return nil, err
	}
	// A person and a community may share a handle: the person is meant.
	for i := range actors {
		if actors[i].Kind == models.KindPerson {
			return &actors[i], nil
		}
	}
	return nil, NotFound("member")
}
