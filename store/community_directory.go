package store

import (
	"context"
	"strings"

	"github.com/practica-social/practica/models"
)

// CommunitySearch selects a page of the community directory.
type CommunitySearch struct {
	// Query matches, case-insensitively, part of the handle, the host, the
	// name or a topic; empty matches every community.
	Query string
	// ViewerActorID also lists the members-only or non-discoverable
	// communities this actor is an accepted member of; 0 lists only public,
	// discoverable ones.
	ViewerActorID int64
	// Before is a cursor: only communities with a smaller row id; 0 starts
	// at the newest.
	Before int64
	Limit  int
}

// CommunityDirectoryPage lists local and known remote communities, newest
// first, with their actors. Communities whose actor is gone are left out.
func (s *Store) CommunityDirectoryPage(ctx context.Context, q CommunitySearch) ([]models.Community, error) {
	var cs []models.Community
	db := s.conn(ctx).Preload("Actor").
		Joins("JOIN actors ON actors.id = communities.actor_id").
		Where("actors.gone_at IS NULL").
		// Visibility is checked besides the actor's flag: a members-only
		// community must never be listed to outsiders, whatever its actor says.
		Where("(communities.visibility = ? AND actors.discoverable = ?) OR communities.id IN (?)", models.VisibilityPublic, true,
			s.conn(ctx).Model(&models.Member{}).Select("community_id").
				Where("actor_id = ? AND state = ?", q.ViewerActorID, models.MemberAccepted))
	if q.Before > 0 {
		db = db.Where("communities.id < ?", q.Before)
	}
	if term := strings.TrimSpace(q.Query); term != "" {
		like := "%" + likeEscaper.Replace(strings.ToLower(term)) + "%"
		// Topics are stored as a JSON array in a text column: a substring
		// match on it finds a topic without a dialect-specific JSON query.
		db = db.Where(`LOWER(actors.username) LIKE ? ESCAPE '\' OR LOWER(actors.host) LIKE ? ESCAPE '\' OR LOWER(actors.name) LIKE ? ESCAPE '\' OR LOWER(communities.topics) LIKE ? ESCAPE '\'`, like, like, like, like)
	}
	err := db.Order("communities.id DESC").Limit(q.Limit).Find(&cs).Error
	return cs, translate(err, "community directory")
}
