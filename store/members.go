package store

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/practica-social/practica/models"
	"gorm.io/gorm"
	"gorm.io/gorm/clause"
)

// PutMember inserts a membership or, when the (community, actor) pair
// exists, updates its role, state and follow id.
func (s *Store) PutMember(ctx context.Context, m *models.Member) error {
	return s.WithTx(ctx, func(ctx context.Context) error {
		existing, err := s.GetMember(ctx, m.CommunityID, m.ActorID)
		switch {
		case err == nil:
			m.ID = existing.ID
			m.CreatedAt = existing.CreatedAt
			fields := []any{"role", "state", "follow_iri", "ban_reason", "updated_at"}
			if existing.State == models.MemberRejected && m.State != models.MemberRejected {
				// A new request after a refusal or a removal: it dates
				// from now, and so does the membership it may become.
				m.CreatedAt = time.Now().UTC()
				fields = append(fields, "created_at")
			}
			err = translate(s.conn(ctx).Model(&models.Member{ID: existing.ID}).
				Select(fields[0], fields[1:]...).Updates(m).Error, "update member")
		case isNotFound(err):
			err = translate(s.conn(ctx).Omit("Actor").Create(m).Error, "create member")
		}
		if err != nil || m.State != models.MemberAccepted {
			return err
		}
		return s.notePeerHosts(ctx, []int64{m.ActorID})
	})
}

// GetMember returns an actor's membership of a community.
func (s *Store) GetMember(ctx context.Context, communityID, actorID int64) (*models.Member, error) {
	var m models.Member
	err := s.conn(ctx).Where("community_id = ? AND actor_id = ?", communityID, actorID).First(&m).Error
	if err != nil {
		return nil, translate(err, fmt.Sprintf("get member %d of community %d", actorID, communityID))
	}
	return &m, nil
}

// LockMember is GetMember for a transaction that will change the
// membership: on Postgres the row stays locked until the transaction ends,
// so two moderators deciding about the same person at once cannot both
// act on the state they read (two Accepts sent; a removal undone by a
// role change that read the member as still accepted).
func (s *Store) LockMember(ctx context.Context, communityID, actorID int64) (*models.Member, error) {
	var m models.Member
	err := s.conn(ctx).Clauses(clause.Locking{Strength: "UPDATE"}).
		Where("community_id = ? AND actor_id = ?", communityID, actorID).First(&m).Error
	if err != nil {
		return nil, translate(err, fmt.Sprintf("lock member %d of community %d", actorID, communityID))
	}
	return &m, nil
}

// ShareMember is GetMember for a transaction that acts on the strength of
// the membership, as a moderator's decision does on the moderator's role:
// on Postgres the row is locked FOR SHARE until the transaction ends, so a
// change of it (LockMember) waits for the decision, or the decision for
// the change, while decisions by the same moderator do not wait for each
// other.
func (s *Store) ShareMember(ctx context.Context, communityID, actorID int64) (*models.Member, error) {
	var m models.Member
	err := s.conn(ctx).Clauses(clause.Locking{Strength: clause.LockingStrengthShare}).
		Where("community_id = ? AND actor_id = ?", communityID, actorID).First(&m).Error
	if err != nil {
		return nil, translate(err, fmt.Sprintf("share member %d of community %d", actorID, communityID))
	}
	return &m, nil
}

// DeleteMember removes a membership; absent is not an error.
func (s *Store) DeleteMember(ctx context.Context, communityID, actorID int64) error {
	err := s.conn(ctx).Where("community_id = ? AND actor_id = ?", communityID, actorID).Delete(&models.Member{}).Error
	return translate(err, fmt.Sprintf("delete member %d of community %d", actorID, communityID))
}

// MemberPage lists accepted members of a community in id order after the
// cursor (a member row id; 0 for the start), with their actors.
func (s *Store) MemberPage(ctx context.Context, communityID int64, roles []models.Role, after int64, limit int) ([]models.Member, error) {
	var ms []models.Member
	q := s.conn(ctx).Preload("Actor").
		Where("community_id = ? AND state = ? AND id > ?", communityID, models.MemberAccepted, after)
	if len(roles) > 0 {
		q = q.Where("role IN ?", roles)
	}
	err := q.Order("id").Limit(limit).Find(&ms).Error
	return ms, translate(err, fmt.Sprintf("list members of community %d", communityID))
}

// CountMembers counts accepted members of a community.
func (s *Store) CountMembers(ctx context.Context, communityID int64) (int64, error) {
	var n int64
	err := s.conn(ctx).Model(&models.Member{}).
		Where("community_id = ? AND state = ?", communityID, models.MemberAccepted).Count(&n).Error
	return n, translate(err, fmt.Sprintf("count members of community %d", communityID))
}

// IsMember reports whether the actor is an accepted member of the community.
func (s *Store) IsMember(ctx context.Context, communityID, actorID int64) (bool, error) {
	var n int64
	err := s.conn(ctx).Model(&models.Member{}).
		Where("community_id = ? AND actor_id = ? AND state = ?", communityID, actorID, models.MemberAccepted).Count(&n).Error
	return n > 0, translate(err, "is member")
}

// CommunityHasMemberOn reports whether a community has an accepted,
// present member on host.
func (s *Store) CommunityHasMemberOn(ctx context.Context, communityID int64, host string) (bool, error) {
	var found bool
	err := s.conn(ctx).Raw(`SELECT EXISTS (SELECT 1 FROM members JOIN actors ON actors.id = members.actor_id
WHERE members.community_id = ? AND members.state = ? AND actors.host = ? AND actors.local = ? AND actors.gone_at IS NULL)`,
		communityID, models.MemberAccepted, strings.ToLower(host), false).Row().Scan(&found)
	return found, translate(err, fmt.Sprintf("members of community %d on %s", communityID, host))
}

// MemberInboxes returns the distinct inboxes to deliver a community's
// activities to: each remote member's shared inbox when it has one, else its
// own inbox. Local members need no delivery.
func (s *Store) MemberInboxes(ctx context.Context, communityID int64) ([]string, error) {
	var inboxes []string
	err := s.remoteMembers(ctx, communityID).Distinct().Pluck(memberInbox, &inboxes).Error
	return inboxes, translate(err, fmt.Sprintf("member inboxes of community %d", communityID))
}

// FellowMemberInboxes returns the distinct inboxes of the remote members
// of every local community actorID is an accepted member of: the servers
// that show the actor's posts there and keep a copy of the actor.
func (s *Store) FellowMemberInboxes(ctx context.Context, actorID int64) ([]string, error) {
	mine := s.conn(ctx).Table("members AS mine").Select("mine.community_id").
		Joins("JOIN communities ON communities.id = mine.community_id").
		Where("mine.actor_id = ? AND mine.state = ? AND communities.local = ?", actorID, models.MemberAccepted, true)
	var inboxes []string
	err := s.conn(ctx).Table("members").
		Joins("JOIN actors ON actors.id = members.actor_id").
		Where("members.community_id IN (?) AND members.state = ? AND actors.local = ? AND actors.gone_at IS NULL", mine, models.MemberAccepted, false).
		Distinct().Pluck(memberInbox, &inboxes).Error
	return inboxes, translate(err, fmt.Sprintf("inboxes of fellow members of actor %d", actorID))
}

// memberInbox is the inbox a member's deliveries go to: its server's
// shared inbox when it has one.
const memberInbox = "CASE WHEN actors.shared_inbox_url <> '' THEN actors.shared_inbox_url ELSE actors.inbox_url END"

// remoteMembers selects a community's accepted members on other servers
// that are not gone, joined with their actors.
func (s *Store) remoteMembers(ctx context.Context, communityID int64) *gorm.DB {
	return s.conn(ctx).Table("members").
		Joins("JOIN actors ON actors.id = members.actor_id").
		Where("members.community_id = ? AND members.state = ? AND actors.local = ? AND actors.gone_at IS NULL", communityID, models.MemberAccepted, false)
}
