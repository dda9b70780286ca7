package store

import (
	"context"
	"fmt"

	"github.com/practica-social/practica/models"
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
		Where("state = ?", models.MemberBanned).Find(&bans).Error
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
