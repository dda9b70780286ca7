package store

import (
	"context"
	"fmt"
	"time"

	"github.com/practica-social/practica/models"
	"gorm.io/gorm"
	"gorm.io/gorm/clause"
)

// CreatePost inserts a post. ErrConflict when its IRI exists.
func (s *Store) CreatePost(ctx context.Context, p *models.Post) error {
	return translate(s.conn(ctx).Omit("Author").Create(p).Error, "create post "+p.IRI)
}

// CreatePosts inserts posts in one statement and sets their ids.
func (s *Store) CreatePosts(ctx context.Context, ps []*models.Post) error {
	if len(ps) == 0 {
		return nil
	}
	return translate(s.conn(ctx).Omit("Author").Create(ps).Error, fmt.Sprintf("create %d posts (%s…)", len(ps), ps[0].IRI))
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

// GetPost returns a post by row id, with its author.
func (s *Store) GetPost(ctx context.Context, id int64) (*models.Post, error) {
	var p models.Post
	if err := s.conn(ctx).Preload("Author").First(&p, id).Error; err != nil {
		return nil, translate(err, fmt.Sprintf("get post %d", id))
	}
	return &p, nil
}

// UpdatePostContent saves an edit of a post's title and content.
func (s *Store) UpdatePostContent(ctx context.Context, p *models.Post) error {
	err := s.conn(ctx).Model(&models.Post{ID: p.ID}).
		Select("title", "content", "source", "sensitive", "edited_at", "updated_at").Updates(p).Error
	return translate(err, fmt.Sprintf("update post %d", p.ID))
}

// TombstonePost marks a post deleted, blanks its content, and remembers its
// id so a late Create is dropped.
func (s *Store) TombstonePost(ctx context.Context, p *models.Post, at time.Time) error {
	return s.takeDown(ctx, p, at, true)
}

// RemovePostFromCommunity takes a post out of its community, as
// TombstonePost does, but keeps no tombstone: a remote community's
// moderator removed it there, which says nothing of the post itself.
func (s *Store) RemovePostFromCommunity(ctx context.Context, p *models.Post, at time.Time) error {
	return s.takeDown(ctx, p, at, false)
}

// takeDown empties a live post and marks it deleted, in one statement
// that only a live post passes: two takedowns at once count once, and the
// second is ErrNotFound.
func (s *Store) takeDown(ctx context.Context, p *models.Post, at time.Time, tombstone bool) error {
	return s.WithTx(ctx, func(ctx context.Context) error {
		res := s.conn(ctx).Model(&models.Post{}).Where("id = ? AND deleted_at IS NULL", p.ID).
			Updates(map[string]any{"deleted_at": at, "content": "", "source": "", "title": "", "featured_at": nil})
		if res.Error != nil {
			return translate(res.Error, fmt.Sprintf("tombstone post %d", p.ID))
		}
		if res.RowsAffected == 0 {
			return fmt.Errorf("store: tombstone post %d: already deleted: %w", p.ID, ErrNotFound)
		}
		if p.ThreadID != nil {
			if err := s.conn(ctx).Model(&models.Post{}).Where("id = ? AND reply_count > 0", *p.ThreadID).
				UpdateColumn("reply_count", gorm.Expr("reply_count - 1")).Error; err != nil {
				return translate(err, "decrement replies")
			}
		}
		if !tombstone {
			return nil
		}
		return s.PutTombstone(ctx, p.IRI, p.Type, at)
	})
}

// PutTombstone remembers that iri was deleted.
func (s *Store) PutTombstone(ctx context.Context, iri, formerType string, at time.Time) error {
	err := s.conn(ctx).Clauses(clause.OnConflict{DoNothing: true}).
		Create(&models.Tombstone{IRI: iri, FormerType: formerType, DeletedAt: at}).Error
	return translate(err, "put tombstone "+iri)
}

// IsTombstoned reports whether iri was deleted.
func (s *Store) IsTombstoned(ctx context.Context, iri string) (bool, error) {
	var n int64
	err := s.conn(ctx).Model(&models.Tombstone{}).Where("iri = ?", iri).Count(&n).Error
	return n > 0, translate(err, "tombstone "+iri)
}

// KnownObjectIRIs returns which of iris name a stored post or a
// tombstone: a batch of received posts learns in one query which of them
// may be new.
func (s *Store) KnownObjectIRIs(ctx context.Context, iris []string) (map[string]bool, error) {
	known := map[string]bool{}
	for start := 0; start < len(iris); start += idChunk {
		chunk := iris[start:min(start+idChunk, len(iris))]
		var found []string
		if err := s.conn(ctx).Model(&models.Post{}).Where("iri IN ?", chunk).Pluck("iri", &found).Error; err != nil {
			return nil, translate(err, "known posts")
		}
		var gone []string
		if err := s.conn(ctx).Model(&models.Tombstone{}).Where("iri IN ?", chunk).Pluck("iri", &gone).Error; err != nil {
			return nil, translate(err, "known tombstones")
		}
		for _, iri := range append(found, gone...) {
			known[iri] = true
		}
	}
	return known, nil
}

// IncrementReplies counts a new reply on its thread.
func (s *Store) IncrementReplies(ctx context.Context, threadID int64) error {
	err := s.conn(ctx).Model(&models.Post{}).Where("id = ?", threadID).
		UpdateColumn("reply_count", gorm.Expr("reply_count + 1")).Error
	return translate(err, fmt.Sprintf("increment replies of %d", threadID))
}

// ThreadPage lists a community's live threads, newest first, before the
// cursor (a post id; 0 for the newest), in the audiences given.
func (s *Store) ThreadPage(ctx context.Context, communityID int64, audiences []models.Audience, before int64, limit int) ([]models.Post, error) {
	var ps []models.Post
	q := s.conn(ctx).Preload("Author").
		Where("community_id = ? AND thread_id IS NULL AND deleted_at IS NULL AND audience IN ?", communityID, audiences)
	if before > 0 {
		q = q.Where("id < ?", before)
	}
	err := q.Order("id DESC").Limit(limit).Find(&ps).Error
	return ps, translate(err, fmt.Sprintf("threads of community %d", communityID))
}

// Replies lists a thread's live replies in order.
func (s *Store) Replies(ctx context.Context, threadID int64, after int64, limit int) ([]models.Post, error) {
	var ps []models.Post
	err := s.conn(ctx).Preload("Author").
		Where("thread_id = ? AND deleted_at IS NULL AND id > ?", threadID, after).
		Order("id").Limit(limit).Find(&ps).Error
	return ps, translate(err, fmt.Sprintf("replies of %d", threadID))
}

// PutLike records a like once; it reports whether it was new.
func (s *Store) PutLike(ctx context.Context, l *models.Like) (bool, error) {
	var created bool
	err := s.WithTx(ctx, func(ctx context.Context) error {
		res := s.conn(ctx).Clauses(clause.OnConflict{DoNothing: true}).Create(l)
		if res.Error != nil {
			return translate(res.Error, "put like")
		}
		created = res.RowsAffected > 0
		if created {
			return translate(s.conn(ctx).Model(&models.Post{}).Where("id = ?", l.PostID).
				UpdateColumn("like_count", gorm.Expr("like_count + 1")).Error, "count like")
		}
		return nil
	})
	return created, err
}

// DeleteLike removes a like; it reports whether one existed.
func (s *Store) DeleteLike(ctx context.Context, postID, actorID int64) (bool, error) {
	var deleted bool
	err := s.WithTx(ctx, func(ctx context.Context) error {
		res := s.conn(ctx).Where("post_id = ? AND actor_id = ?", postID, actorID).Delete(&models.Like{})
		if res.Error != nil {
			return translate(res.Error, "delete like")
		}
		deleted = res.RowsAffected > 0
		if deleted {
			return translate(s.conn(ctx).Model(&models.Post{}).Where("id = ? AND like_count > 0", postID).
				UpdateColumn("like_count", gorm.Expr("like_count - 1")).Error, "uncount like")
		}
		return nil
	})
	return deleted, err
}

// GetLike returns actor's like of a post.
func (s *Store) GetLike(ctx context.Context, postID, actorID int64) (*models.Like, error) {
	var l models.Like
	err := s.conn(ctx).Where("post_id = ? AND actor_id = ?", postID, actorID).First(&l).Error
	return &l, translate(err, "get like")
}
