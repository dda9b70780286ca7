package store

import (
	"context"

	"github.com/practica-social/practica/models"
)

// DirectReplies lists the live posts that answer the post iri, in order,
// after the cursor (a post row id; 0 for the start), with their authors.
func (s *Store) DirectReplies(ctx context.Context, iri string, after int64, limit int) ([]models.Post, error) {
	var ps []models.Post
	err := s.conn(ctx).Preload("Author").
		Where("in_reply_to = ? AND deleted_at IS NULL AND id > ?", iri, after).
		Order("id").Limit(limit).Find(&ps).Error
	return ps, translate(err, "replies to "+iri)
}
