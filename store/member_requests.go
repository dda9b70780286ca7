package store

import (
	"context"
	"fmt"

	"github.com/practica-social/practica/models"
)

// PendingMembers lists a community's membership requests waiting for a
// moderator, oldest first, with their actors.
func (s *Store) PendingMembers(ctx context.Context, communityID int64, limit int) ([]models.Member, error) {
	var ms []models.Member
	err := s.conn(ctx).Preload("Actor").
		Where("community_id = ? AND state = ?", communityID, models.MemberPending).
		Order("created_at, id").Limit(limit).Find(&ms).Error
	return ms, translate(err, fmt.Sprintf("pending members of community %d", communityID))
}

// FindCommunityByHandle returns the community whose Group actor is
// username@host, local or remote.
func (s *Store) FindCommunityByHandle(ctx context.Context, username, host string) (*models.Community, error) {
	var c models.Community
	err := s.conn(ctx).Preload("Actor").Joins("JOIN actors ON actors.id = communities.actor_id").
		Where("LOWER(actors.username) = ? AND actors.host = ? AND actors.kind = ?", username, host, models.KindGroup).
		First(&c).Error
	if err != nil {
		return nil, translate(err, "find community "+username+"@"+host)
	}
	return &c, nil
}
