package store

import (
	"context"
	"fmt"

	"github.com/practica-social/practica/models"
)

// CreateCommunity inserts a community row; its Group actor must exist.
func (s *Store) CreateCommunity(ctx context.Context, c *models.Community) error {
	return translate(s.conn(ctx).Create(c).Error, fmt.Sprintf("create community of actor %d", c.ActorID))
}

// UpdateCommunity saves every field of c (not its actor).
func (s *Store) UpdateCommunity(ctx context.Context, c *models.Community) error {
	return translate(s.conn(ctx).Omit("Actor").Save(c).Error, fmt.Sprintf("update community %d", c.ID))
}

// GetCommunityByActorID returns the community of a Group actor, with the actor.
func (s *Store) GetCommunityByActorID(ctx context.Context, actorID int64) (*models.Community, error) {
	var c models.Community
	if err := s.conn(ctx).Preload("Actor").Where("actor_id = ?", actorID).First(&c).Error; err != nil {
		return nil, translate(err, fmt.Sprintf("get community of actor %d", actorID))
	}
	return &c, nil
}

// GetCommunityByActorIRI returns the community whose actor has the id
// iri, with its actor, in one query.
func (s *Store) GetCommunityByActorIRI(ctx context.Context, iri string) (*models.Community, error) {
	var c models.Community
	if err := s.conn(ctx).Joins("Actor").Where(`"Actor"."iri" = ?`, iri).First(&c).Error; err != nil {
		return nil, translate(err, "get community of actor "+iri)
	}
	return &c, nil
}

// GetCommunity returns a community by row id, with its actor.
func (s *Store) GetCommunity(ctx context.Context, id int64) (*models.Community, error) {
	var c models.Community
	if err := s.conn(ctx).Preload("Actor").First(&c, id).Error; err != nil {
		return nil, translate(err, fmt.Sprintf("get community %d", id))
	}
	return &c, nil
}

// ListLocalCommunities returns local communities, newest first.
func (s *Store) ListLocalCommunities(ctx context.Context, limit int) ([]models.Community, error) {
	var cs []models.Community
	err := s.conn(ctx).Preload("Actor").Where("local = ?", true).Order("id DESC").Limit(limit).Find(&cs).Error
	return cs, translate(err, "list local communities")
}

// CountLocalCommunities counts local communities, optionally public only.
func (s *Store) CountLocalCommunities(ctx context.Context, publicOnly bool) (int64, error) {
	var n int64
	q := s.conn(ctx).Model(&models.Community{}).Where("local = ?", true)
	if publicOnly {
		q = q.Where("visibility = ?", models.VisibilityPublic)
	}
	err := q.Count(&n).Error
	return n, translate(err, "count communities")
}
