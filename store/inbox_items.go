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

// CreateInboxItems stores received activities in one statement, skipping
// those whose activity id is stored already (or repeated in items), and
// returns the row id of every item: created[i] says whether items[i] made
// a new row. Each id is stored once: of two items with one activity id,
// the first creates and the second gets its row.
func (s *Store) CreateInboxItems(ctx context.Context, items []models.InboxItem) (ids []int64, created []bool, err error) {
	if len(items) == 0 {
		return nil, nil, nil
	}
	var sb strings.Builder
	sb.WriteString("INSERT INTO inbox_items (activity_iri, actor_iri, key_id, type, body, state, error, attempts, received_at) VALUES ")
	args := make([]any, 0, 9*len(items))
	for i, it := range items {
		if i > 0 {
			sb.WriteString(", ")
		}
		sb.WriteString("(?, ?, ?, ?, ?, ?, ?, ?, ?)")
		state := it.State
		if state == "" {
			state = models.InboxReceived
		}
		args = append(args, it.ActivityIRI, it.ActorIRI, it.KeyID, it.Type, it.Body, state, it.Error, it.Attempts, it.ReceivedAt)
	}
	sb.WriteString(" ON CONFLICT (activity_iri) DO NOTHING RETURNING id, activity_iri")
	var rows []struct {
		ID          int64
		ActivityIRI string
	}
	if err := s.conn(ctx).Raw(sb.String(), args...).Find(&rows).Error; err != nil {
		return nil, nil, translate(err, fmt.Sprintf("create %d inbox items", len(items)))
	}
	made := make(map[string]int64, len(rows))
	for _, r := range rows {
		made[r.ActivityIRI] = r.ID
	}
	var missing []string
	for _, it := range items {
		if _, ok := made[it.ActivityIRI]; !ok {
			missing = append(missing, it.ActivityIRI)
		}
	}
	existing := map[string]int64{}
	for start := 0; start < len(missing); start += idChunk {
		var prev []models.InboxItem
		chunk := missing[start:min(start+idChunk, len(missing))]
		if err := s.conn(ctx).Select("id", "activity_iri").Where("activity_iri IN ?", chunk).Find(&prev).Error; err != nil {
			return nil, nil, translate(err, "existing inbox items")
		}
		for _, p := range prev {
			existing[p.ActivityIRI] = p.ID
		}
	}
	ids, created = make([]int64, len(items)), make([]bool, len(items))
	for i, it := range items {
		if id, ok := made[it.ActivityIRI]; ok {
			ids[i], created[i] = id, true
			delete(made, it.ActivityIRI) // a repeat in items finds it below
			existing[it.ActivityIRI] = id
			continue
		}
		id, ok := existing[it.ActivityIRI]
		if !ok {
			return nil, nil, fmt.Errorf("store: create inbox items: %s neither stored nor found", it.ActivityIRI)
		}
		ids[i] = id
	}
	return ids, created, nil
}

// GetInboxItems returns the received activities with the given row ids,
// by id; ids with no row are left out.
func (s *Store) GetInboxItems(ctx context.Context, ids []int64) ([]models.InboxItem, error) {
	var out []models.InboxItem
	for start := 0; start < len(ids); start += idChunk {
		var items []models.InboxItem
		chunk := ids[start:min(start+idChunk, len(ids))]
		if err := s.conn(ctx).Where("id IN ?", chunk).Order("id").Find(&items).Error; err != nil {
			return nil, translate(err, fmt.Sprintf("get %d inbox items", len(chunk)))
		}
		out = append(out, items...)
	}
	return out, nil
}

// MarkInboxItemsProcessed records that the items among ids were processed
// at at: the final state, one more attempt, no error. One statement for a
// batch a worker handled in one transaction.
func (s *Store) MarkInboxItemsProcessed(ctx context.Context, ids []int64, at time.Time) error {
	for start := 0; start < len(ids); start += idChunk {
		chunk := ids[start:min(start+idChunk, len(ids))]
		err := s.conn(ctx).Model(&models.InboxItem{}).Where("id IN ?", chunk).Updates(map[string]any{
			"state": models.InboxProcessed, "error": "", "attempts": gorm.Expr("attempts + 1"), "processed_at": at,
		}).Error
		if err != nil {
			return translate(err, fmt.Sprintf("mark %d inbox items processed", len(chunk)))
		}
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
// final states (processed, refused) when. An item already in a final state
// keeps it: a try that ends after another worker handled the item (the
// inbox and the fetch pool both may) must not undo that. ErrNotFound when
// no row has id.
func (s *Store) MarkInboxItem(ctx context.Context, id int64, state models.InboxState, errMsg string, at time.Time) error {
	updates := map[string]any{
		"state":    state,
		"error":    cutUTF8(errMsg, maxInboxErrorBytes),
		"attempts": gorm.Expr("attempts + 1"),
	}
	if state == models.InboxProcessed || state == models.InboxRefused {
		updates["processed_at"] = at
	}
	res := s.conn(ctx).Model(&models.InboxItem{}).
		Where("id = ? AND state NOT IN ?", id, []models.InboxState{models.InboxProcessed, models.InboxRefused}).Updates(updates)
	if res.Error != nil {
		return translate(res.Error, fmt.Sprintf("mark inbox item %d", id))
	}
	if res.RowsAffected == 0 {
		if _, err := s.GetInboxItem(ctx, id); err != nil {
			return fmt.Errorf("store: mark inbox item %d: %w", id, err)
		}
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
//
// Items waiting in the fetch pool (state waiting) are returned only once
// they arrived before waitingOlderThan: their task is retried for minutes
// on its own, and handing them to the inbox meanwhile would only repeat
// work, or take an activity that waits for a reply before the reply.
func (s *Store) UnprocessedInboxItems(ctx context.Context, olderThan, waitingOlderThan time.Time, limit int) ([]models.InboxItem, error) {
	if limit <= 0 {
		limit = 100
	}
	var items []models.InboxItem
	err := s.conn(ctx).
		Where("((state = ? OR (state = ? AND attempts < ?)) AND received_at < ?) OR (state = ? AND attempts < ? AND received_at < ?)",
			models.InboxReceived, models.InboxFailed, MaxInboxAttempts, olderThan,
			models.InboxWaiting, MaxInboxAttempts, waitingOlderThan).
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
