package store

import (
	"context"
	"strings"

	"github.com/practica-social/practica/models"
)

// likeEscaper escapes LIKE's wildcards, so a search for "50%" finds "50%"
// and not everything.
var likeEscaper = strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`)

// SearchCommunities finds discoverable communities, local and remote, whose
// name, handle, host or topics contain query (case-insensitively; every
// community when query is empty), at most limit of them: local ones first,
// then by name. Members-only and undiscoverable communities, and those gone
// from their servers, are left out.
func (s *Store) SearchCommunities(ctx context.Context, query string, localOnly bool, limit int) ([]models.Community, error) {
	var cs []models.Community
	q := s.conn(ctx).Preload("Actor").Joins("JOIN actors ON actors.id = communities.actor_id").
		Where("actors.discoverable = ? AND actors.gone_at IS NULL AND communities.visibility = ?", true, models.VisibilityPublic)
	if localOnly {
		q = q.Where("communities.local = ?", true)
	}
	if query = strings.ToLower(strings.TrimSpace(query)); query != "" {
		pat := "%" + likeEscaper.Replace(query) + "%"
		q = q.Where(`LOWER(actors.name) LIKE ? ESCAPE '\' OR LOWER(actors.username) LIKE ? ESCAPE '\' OR LOWER(actors.host) LIKE ? ESCAPE '\' OR LOWER(communities.topics) LIKE ? ESCAPE '\'`,
			pat, pat, pat, pat)
	}
	err := q.Order("communities.local DESC").Order("LOWER(actors.name)").Order("communities.id").Limit(limit).Find(&cs).Error
	return cs, translate(err, "search communities")
}
