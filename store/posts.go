package store

import (
	"context"
	"fmt"

	"github.com/practica-social/practica/models"
)

// CreatePost inserts a post. ErrConflict when its IRI exists.
func (s *Store) CreatePost(ctx context.Context, p *models.Post) error {
	return translate(s.conn(ctx).Omit("Author").Create(p).Error, "create post "+p.IRI)
}

// GetPostByIRI returns a post (live or tombstoned) by its id.
func (s *Store) GetPostByIRI(ctx context.Context, iri string) (*models.Post, error) {
	var p models.Post
	if err := s.conn(ctx).Preload("Author").Where("iri = ?", iri).First(&p).Error; err != nil {
		return nil, translate(err, "get post "+iri)
	}
	return &p, nil
}

// FeaturedPosts lists a community's pinned, live posts in the audiences given.
func (s *Store) FeaturedPosts(ctx context.Context, communityID int64, audiences []models.Audience, limit int) ([]models.Post, error) {
	var ps []models.Post
	err := s.conn(ctx).Preload("Author").
		Where("community_id = ? AND featured_at IS NOT NULL AND deleted_at IS NULL AND audience IN ?", communityID, audiences).
		Order("featured_at DESC").Limit(limit).Find(&ps).Error
	return ps, translate(err, fmt.Sprintf("featured posts of community %d", communityID))
}

// CountLocalPosts counts live local posts in the given audiences: NodeInfo
// passes only the public one, so private content is never counted.
func (s *Store) CountLocalPosts(ctx context.Context, audiences []models.Audience, threadsOnly bool) (int64, error) {
	var n int64
	q := s.conn(ctx).Model(&models.Post{}).Where("local = ? AND deleted_at IS NULL AND audience IN ?", true, audiences)
	if threadsOnly {
		q = q.Where("thread_id IS NULL")
	}
	err := q.Count(&n).Error
	return n, translate(err, "count local posts")
}
