package store

import (
	"context"
	"fmt"

	"github.com/practica-social/practica/models"
	"gorm.io/gorm/clause"
)

// MemberBan is one ban: who is banned from which community.
type MemberBan struct {
	CommunityID, ActorID int64
}

// AllBans lists every ban of every community (the partial index
// idx_member_banned holds them alone).
func (s *Store) AllBans(ctx context.Context) ([]MemberBan, error) {
	var bans []MemberBan
	err := s.conn(ctx).Model(&models.Member{}).Select("community_id, actor_id").
		Where("state = 'banned'").Find(&bans).Error // a literal, so that Postgres may use the partial index whatever the plan
	return bans, translate(err, "list bans")
}

// CommunityBans lists the bans of a community with the banned actors,
// newest first.
func (s *Store) CommunityBans(ctx context.Context, communityID int64) ([]models.Member, error) {
	var ms []models.Member
	err := s.conn(ctx).Preload("Actor").Where("community_id = ? AND state = ?", communityID, models.MemberBanned).
		Order("updated_at DESC, id DESC").Find(&ms).Error
	return ms, translate(err, fmt.Sprintf("list bans of community %d", communityID))
}

// InsertMemberIfAbsent inserts m unless (community, actor) has a row
// already, and reports whether it did: a ban of a stranger must not
// overwrite a membership written a moment before, unseen.
func (s *Store) InsertMemberIfAbsent(ctx context.Context, m *models.Member) (bool, error) {
	res := s.conn(ctx).Omit("Actor").Clauses(clause.OnConflict{DoNothing: true}).Create(m)
	if res.Error != nil {
		return false, translate(res.Error, "insert member")
	}
	return res.RowsAffected == 1, nil
}

// LatestCommunityActivity returns a community's newest activity of a type
// about an object, whoever sent it (a moderator's Block of a person).
func (s *Store) LatestCommunityActivity(ctx context.Context, communityID int64, typ, objectIRI string) (*models.Activity, error) {
	var a models.Activity
	err := s.conn(ctx).Where("object_iri = ? AND community_id = ? AND type = ?", objectIRI, communityID, typ).Order("id DESC").First(&a).Error
	if err != nil {
		return nil, translate(err, fmt.Sprintf("get %s of %s in community %d", typ, objectIRI, communityID))
	}
	return &a, nil
}
