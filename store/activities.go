package store

import (
	"context"
	"fmt"

	"github.com/practica-social/practica/models"
	"gorm.io/gorm/clause"
)

// CreateActivity inserts an activity. ErrConflict when its IRI exists.
func (s *Store) CreateActivity(ctx context.Context, a *models.Activity) error {
	// A clash is skipped, not failed: in Postgres a failed statement
	// would spoil the caller's transaction, and callers take ErrConflict
	// as "stored already" and go on.
	res := s.conn(ctx).Clauses(clause.OnConflict{Columns: []clause.Column{{Name: "iri"}}, DoNothing: true}).Create(a)
	if res.Error != nil {
		return translate(res.Error, "create activity "+a.IRI)
	}
	if res.RowsAffected == 0 {
		a.ID = 0
		return fmt.Errorf("store: create activity %s: %w", a.IRI, ErrConflict)
	}
	return nil
}

// CreateActivities stores new activities in one statement, setting their
// ids.
func (s *Store) CreateActivities(ctx context.Context, as []*models.Activity) error {
	if len(as) == 0 {
		return nil
	}
	return translate(s.conn(ctx).Create(as).Error, fmt.Sprintf("create %d activities (%s…)", len(as), as[0].IRI))
}

// GetActivities returns the activities with the given row ids; ids with
// no row are left out.
func (s *Store) GetActivities(ctx context.Context, ids []int64) ([]models.Activity, error) {
	var out []models.Activity
	for start := 0; start < len(ids); start += idChunk {
		var as []models.Activity
		if err := s.conn(ctx).Where("id IN ?", ids[start:min(start+idChunk, len(ids))]).Find(&as).Error; err != nil {
			return nil, translate(err, fmt.Sprintf("get %d activities", len(ids)))
		}
		out = append(out, as...)
	}
	return out, nil
}

// GetActivity returns an activity by row id.
func (s *Store) GetActivity(ctx context.Context, id int64) (*models.Activity, error) {
	var a models.Activity
	if err := s.conn(ctx).First(&a, id).Error; err != nil {
		return nil, translate(err, fmt.Sprintf("get activity %d", id))
	}
	return &a, nil
}

// GetActivityByIRI returns an activity by its id.
func (s *Store) GetActivityByIRI(ctx context.Context, iri string) (*models.Activity, error) {
	var a models.Activity
	if err := s.conn(ctx).Where("iri = ?", iri).First(&a).Error; err != nil {
		return nil, translate(err, "get activity "+iri)
	}
	return &a, nil
}

// LatestActivityOf returns an actor's newest activity of a type about an
// object (the community's boost of a post, say).
func (s *Store) LatestActivityOf(ctx context.Context, actorID int64, typ, objectIRI string) (*models.Activity, error) {
	var a models.Activity
	err := s.conn(ctx).Where("object_iri = ? AND actor_id = ? AND type = ?", objectIRI, actorID, typ).Order("id DESC").First(&a).Error
	if err != nil {
		return nil, translate(err, fmt.Sprintf("get %s of %s by actor %d", typ, objectIRI, actorID))
	}
	return &a, nil
}

// OutboxPage lists an actor's outbox activities newest first, before the
// cursor (a row id; 0 for the newest), limited to the given audiences.
func (s *Store) OutboxPage(ctx context.Context, actorID int64, audiences []models.Audience, before int64, limit int) ([]models.Activity, error) {
	var as []models.Activity
	q := s.conn(ctx).Where("actor_id = ? AND in_outbox = ? AND audience IN ?", actorID, true, audiences)
	if before > 0 {
		q = q.Where("id < ?", before)
	}
	err := q.Order("id DESC").Limit(limit).Find(&as).Error
	return as, translate(err, fmt.Sprintf("outbox of actor %d", actorID))
}

// CountOutbox counts an actor's outbox activities in the given audiences.
func (s *Store) CountOutbox(ctx context.Context, actorID int64, audiences []models.Audience) (int64, error) {
	var n int64
	err := s.conn(ctx).Model(&models.Activity{}).
		Where("actor_id = ? AND in_outbox = ? AND audience IN ?", actorID, true, audiences).Count(&n).Error
	return n, translate(err, fmt.Sprintf("count outbox of actor %d", actorID))
}
