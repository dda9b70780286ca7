package store

import (
	"context"
	"fmt"

	"github.com/practica-social/practica/models"
	"gorm.io/gorm"
	"gorm.io/gorm/clause"
)

// GetVisit returns an actor's bookmark of a thread or community.
func (s *Store) GetVisit(ctx context.Context, actorID int64, kind string, targetID int64) (*models.Visit, error) {
	var v models.Visit
	err := s.conn(ctx).Where("actor_id = ? AND kind = ? AND target_id = ?", actorID, kind, targetID).First(&v).Error
	if err != nil {
		return nil, translate(err, fmt.Sprintf("get %s visit %d of %d", kind, targetID, actorID))
	}
	return &v, nil
}

// PutVisit records a visit. The bookmark only moves forward: reading an
// older page must not mark newer posts as read.
func (s *Store) PutVisit(ctx context.Context, v *models.Visit) error {
	err := s.conn(ctx).Clauses(clause.OnConflict{
		Columns: []clause.Column{{Name: "actor_id"}, {Name: "kind"}, {Name: "target_id"}},
		DoUpdates: clause.Assignments(map[string]any{
			"seen_at":      v.SeenAt,
			"last_post_id": gorm.Expr("CASE WHEN excluded.last_post_id > visits.last_post_id THEN excluded.last_post_id ELSE visits.last_post_id END"),
		}),
	}).Create(v).Error
	return translate(err, fmt.Sprintf("put %s visit %d of %d", v.Kind, v.TargetID, v.ActorID))
}

// NewReplyCounts counts, for each of the given threads the actor has
// visited, the live replies posted after their bookmark. Threads never
// visited are absent from the map.
func (s *Store) NewReplyCounts(ctx context.Context, actorID int64, threadIDs []int64) (map[int64]int, error) {
	out := map[int64]int{}
	if len(threadIDs) == 0 {
		return out, nil
	}
	var rows []struct {
		ThreadID int64
		N        int
	}
	err := s.conn(ctx).Model(&models.Post{}).
		Select("posts.thread_id AS thread_id, COUNT(*) AS n").
		Joins("JOIN visits ON visits.actor_id = ? AND visits.kind = ? AND visits.target_id = posts.thread_id", actorID, models.VisitThread).
		Where("posts.thread_id IN ? AND posts.deleted_at IS NULL AND posts.id > visits.last_post_id", threadIDs).
		Group("posts.thread_id").Scan(&rows).Error
	if err != nil {
		return nil, translate(err, "new reply counts")
	}
	for _, r := range rows {
		out[r.ThreadID] = r.N
	}
	return out, nil
}

// LikedPostIDs returns which of the given posts the actor has liked.
func (s *Store) LikedPostIDs(ctx context.Context, actorID int64, postIDs []int64) (map[int64]bool, error) {
	out := map[int64]bool{}
	if len(postIDs) == 0 || actorID == 0 {
		return out, nil
	}
	var ids []int64
	err := s.conn(ctx).Model(&models.Like{}).Where("actor_id = ? AND post_id IN ?", actorID, postIDs).Pluck("post_id", &ids).Error
	if err != nil {
		return nil, translate(err, "liked posts")
	}
	for _, id := range ids {
		out[id] = true
	}
	return out, nil
}
