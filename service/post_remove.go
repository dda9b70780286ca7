package service

import (
	"context"
	"errors"
	"strings"
	"unicode/utf8"

	"github.com/practica-social/practica/models"
	"github.com/practica-social/practica/store"
)

// maxRemovalReason bounds a moderator's reason for a removal.
const maxRemovalReason = 500

// PostToRemove returns a live post of a local community that moderatorID
// moderates, with its community and thread, for the web UI's removal
// page. A post of a community on another server is moderated there.
func (s *Service) PostToRemove(ctx context.Context, moderatorID, postID int64) (*models.Post, *models.Community, int64, error) {
	c, p, threadID, err := s.PostLocation(ctx, postID, Viewer{ActorID: moderatorID})
	if err != nil {
		return nil, nil, 0, err
	}
	if !c.Local {
		return nil, nil, 0, Forbidden("this community is moderated on its own server")
	}
	if err := s.requireModerator(ctx, c, moderatorID); err != nil {
		return nil, nil, 0, err
	}
	// As with members (RemoveMember): the posts of an owner or a
	// moderator are removed only by an owner, or by their author.
	if p.AuthorID != moderatorID {
		author, err := s.store.GetMember(ctx, c.ID, p.AuthorID)
		if err != nil && !errors.Is(err, store.ErrNotFound) {
			return nil, nil, 0, storeErr(err, "membership")
		}
		if err == nil && author.State == models.MemberAccepted && author.Role.Moderates() {
			mod, err := s.store.GetMember(ctx, c.ID, moderatorID)
			if err != nil || mod.Role != models.RoleOwner {
				return nil, nil, 0, Forbidden("only an owner may remove the posts of an owner or a moderator")
			}
		}
	}
	return p, c, threadID, nil
}

// RemovePost takes a post out of a local community on a moderator's
// decision: the post (a whole thread, for a first post) is tombstoned
// here and a Delete by the moderator, with the reason as its summary, is
// announced to the members, as Lemmy announces a moderator's removal; a
// boost of the thread is undone for servers that were sent it. Authors
// delete their own posts with DeletePost.
func (s *Service) RemovePost(ctx context.Context, moderatorID, postID int64, reason string) error {
	reason = strings.TrimSpace(reason)
	if utf8.RuneCountInString(reason) > maxRemovalReason {
		return Invalid("reason: at most %d characters", maxRemovalReason)
	}
	p, c, _, err := s.PostToRemove(ctx, moderatorID, postID)
	if err != nil {
		return err
	}
	mod, err := s.store.GetActor(ctx, moderatorID)
	if err != nil {
		return storeErr(err, "moderator")
	}
	return s.store.WithTx(ctx, func(ctx context.Context) error {
		// PostToRemove's checks hold nothing: a moderator dismissed since,
		// or an author appointed since, is refused here, or the change
		// waits for this removal.
		membership, err := s.lockModerator(ctx, c, moderatorID)
		if err != nil {
			return err
		}
		if p.AuthorID != moderatorID && membership.Role != models.RoleOwner {
			author, err := s.store.ShareMember(ctx, c.ID, p.AuthorID)
			if err != nil && !errors.Is(err, store.ErrNotFound) {
				return storeErr(err, "membership")
			}
			if err == nil && author.State == models.MemberAccepted && author.Role.Moderates() {
				return Forbidden("only an owner may remove the posts of an owner or a moderator")
			}
		}
		if err := s.store.TombstonePost(ctx, p, s.now().UTC()); err != nil {
			return storeErr(err, "post")
		}
		to, cc := addressing(c, p.Audience)
		id := s.urls.Activity(newID())
		doc := activityDoc(id, "Delete", mod.IRI, Doc{"id": p.IRI, "type": "Tombstone"}, to, cc)
		doc["audience"] = c.Actor.IRI
		if reason != "" {
			doc["summary"] = reason
		}
		body, err := marshal(doc)
		if err != nil {
			return err
		}
		act := &models.Activity{IRI: id, Type: "Delete", ActorID: mod.ID, ObjectIRI: p.IRI, CommunityID: &c.ID, Audience: p.Audience, Local: true, JSON: body}
		if err := s.store.CreateActivity(ctx, act); err != nil {
			return storeErr(err, "activity")
		}
		return s.redistribute(ctx, c, act, "")
	})
}
