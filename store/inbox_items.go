package store

import (
	"context"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/practica-social/practica/models"
	"gorm.io/gorm"
	"gorm.io/gorm/clause"
)

// maxInboxErrorBytes is the size of inbox_items.error.
const maxInboxErrorBytes = 1024

// CreateInboxItem stores a received activity. It is idempotent on the
// activity id: when that id is stored already it changes nothing and
// returns ErrConflict. The insert skips the clash instead of failing on it,
// so two deliveries of one activity racing each other never abort the
// caller's transaction (Postgres would) and exactly one row wins.
func (s *Store) CreateInboxItem(ctx context.Context, it *models.InboxItem) error {
	if it.State == "" {
		it.State = models.InboxReceived
	}
	res := s.conn(ctx).Clauses(clause.OnConflict{Columns: []clause.Column{{Name: "activity_iri"}}, DoNothing: true}).Create(it)
	if res.Error != nil {
		return translate(res.Error, "create inbox item "+it.ActivityIRI)
	}
	if res.RowsAffected == 0 {
		it.ID = 0
		return fmt.Errorf("store: create inbox item %s: %w", it.ActivityIRI, ErrConflict)
	}
	return nil
}

// GetInboxItem returns the received activity with the given row id.
func (s *Store) GetInboxItem(ctx context.Context, id int64) (*models.InboxItem, error) {
	var it models.InboxItem
	if err := s.conn(ctx).First(&it, id).Error; err != nil {
		return nil, translate(err, fmt.Sprintf("get inbox item %d", id))
	}
	return &it, nil
}

// GetInboxItemByActivityIRI returns the received activity whose id is iri.
func (s *Store) GetInboxItemByActivityIRI(ctx context.Context, iri string) (*models.InboxItem, error) {
	var it models.InboxItem
	if err := s.conn(ctx).Where("activity_iri = ?", iri).First(&it).Error; err != nil {
		return nil, translate(err, "get inbox item "+iri)
	}
	return &it, nil
}

// MarkInboxItem records the outcome of one processing attempt: the new
// state, why (errMsg, cut to the column's size), one more attempt, and for
// final states (processed, refused) when. ErrNotFound when no row has id.
func (s *Store) MarkInboxItem(ctx context.Context, id int64, state models.InboxState, errMsg string, at time.Time) error {
	updates := map[string]any{
		"state":    state,
		"error":    cutUTF8(errMsg, maxInboxErrorBytes),
		"attempts": gorm.Expr("attempts + 1"),
	}
	if state == models.InboxProcessed || state == models.InboxRefused {
		updates["processed_at"] = at
	}
	res := s.conn(ctx).Model(&models.InboxItem{}).Where("id = ?", id).Updates(updates)
	if res.Error != nil {
		return translate(res.Error, fmt.Sprintf("mark inbox item %d", id))
	}
	if res.RowsAffected == 0 {
		return fmt.Errorf("store: mark inbox item %d: %w", id, ErrNotFound)
	}
	return nil
}

// MaxInboxAttempts bounds how often a received activity whose processing
// keeps failing (its origin down, our database down) is handed back to a
// worker by the reconciler; it matches the queue's own retry limit.
const MaxInboxAttempts = 25

// UnprocessedInboxItems returns up to limit items that arrived before
// olderThan and still wait for a worker, oldest first: those never
// processed (state received) and those whose processing failed fewer than
// MaxInboxAttempts times. The reconciler re-enqueues them when Redis lost
// their tasks — a failed item's retry lives only in Redis — or an enqueue
// failed after the commit. While a task for the item still exists the
// re-enqueue is a no-op (task ids are unique).
func (s *Store) UnprocessedInboxItems(ctx context.Context, olderThan time.Time, limit int) ([]models.InboxItem, error) {
	if limit <= 0 {
		limit = 100
	}
	var items []models.InboxItem
	err := s.conn(ctx).
		Where("(state = ? OR (state = ? AND attempts < ?)) AND received_at < ?",
			models.InboxReceived, models.InboxFailed, MaxInboxAttempts, olderThan).
		Order("id").Limit(limit).Find(&items).Error
	if err != nil {
		return nil, translate(err, "unprocessed inbox items")
	}
	return items, nil
}

// cutUTF8 makes s valid UTF-8 without NUL bytes and shortens it to at most
// n bytes without splitting a character, so Postgres accepts the result.
func cutUTF8(s string, n int) string {
	s = strings.ReplaceAll(strings.ToValidUTF8(s, "\uFFFD"), "\x00", "")
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}
