package store

import (
	"context"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/practica-social/practica/models"
	"gorm.io/gorm"
)

// The deliveries table is the queue of outgoing work. A worker claims rows
// by moving their NextAttemptAt forward to a lease: a claimed row is no
// longer due, so neither another worker nor the reconciler picks it up until
// the lease runs out. A worker that dies (kill -9) simply stops renewing its
// leases, and its rows come due again.

// idChunk bounds the ids in one "id IN (…)" list, well under every
// database's parameter limit.
const idChunk = 1000

// claimSQL claims due rows of some activities and returns them; the first %s
// is where Postgres takes its row locks, the last %s the outer statement's
// re-check of the state. FOR UPDATE SKIP LOCKED makes two concurrent
// claimers take disjoint rows, and a row another claimer moved meanwhile
// is re-checked against the WHERE and dropped; the lock then holds to the
// end of the statement, so Postgres needs no second check. (With one, and
// statistics older than a burst of inserts, the planner found the picked
// ids by scanning every pending row: 20-180 ms a claim with 20,000
// pending.) The pick is a materialized CTE because Postgres may re-run a
// subquery inside "id IN (…)" and, skipping different locked rows each
// time, claim more than the limit. SQLite has a single writer, so the
// statement without locks, re-checking the state, is atomic there.
const claimSQL = `WITH picked AS %s (
	SELECT id FROM deliveries
	WHERE activity_id IN ? AND state = ? AND next_attempt_at <= ?
	ORDER BY priority DESC, id
	LIMIT ?%s
)
UPDATE deliveries SET next_attempt_at = ?, updated_at = ?
WHERE id IN (SELECT id FROM picked)%s
RETURNING *`

// ClaimActivityDeliveries claims up to limit pending deliveries of an
// activity that are due at now, highest priority first, by moving their
// NextAttemptAt to leaseUntil. Only the caller that claimed a row may send
// it; it must record the outcome or renew the lease before leaseUntil.
func (s *Store) ClaimActivityDeliveries(ctx context.Context, activityID int64, now, leaseUntil time.Time, limit int) ([]models.Delivery, error) {
	return s.ClaimDeliveriesOf(ctx, []int64{activityID}, now, leaseUntil, limit)
}

// ClaimDeliveriesOf is ClaimActivityDeliveries for several activities at
// once (at most idChunk): up to limit of their due rows, highest priority
// first, in one statement.
func (s *Store) ClaimDeliveriesOf(ctx context.Context, activityIDs []int64, now, leaseUntil time.Time, limit int) ([]models.Delivery, error) {
	if len(activityIDs) == 0 {
		return nil, nil
	}
	if len(activityIDs) > idChunk {
		activityIDs = activityIDs[:idChunk]
	}
	materialized, lock, recheck := "", "", " AND state = ?"
	args := []any{activityIDs, models.DeliveryPending, now.UTC(), limit, leaseUntil.UTC(), s.db.NowFunc()}
	if s.dialect == DialectPostgres {
		materialized, lock, recheck = "MATERIALIZED", " FOR UPDATE SKIP LOCKED", ""
	} else {
		args = append(args, models.DeliveryPending)
	}
	var ds []models.Delivery
	err := s.conn(ctx).Raw(fmt.Sprintf(claimSQL, materialized, lock, recheck), args...).Find(&ds).Error
	if err != nil {
		return nil, translate(err, fmt.Sprintf("claim deliveries of %d activities", len(activityIDs)))
	}
	return ds, nil
}

// ClaimDelivery claims one delivery if it is pending and due at now, moving
// its NextAttemptAt to leaseUntil. ErrNotFound when it does not exist, is
// finished, or is not due (another worker holds it, or it was rescheduled).
func (s *Store) ClaimDelivery(ctx context.Context, id int64, now, leaseUntil time.Time) (*models.Delivery, error) {
	var ds []models.Delivery
	err := s.conn(ctx).Raw(`UPDATE deliveries SET next_attempt_at = ?, updated_at = ?
WHERE id = ? AND state = ? AND next_attempt_at <= ? RETURNING *`,
		leaseUntil.UTC(), s.db.NowFunc(), id, models.DeliveryPending, now.UTC(),
	).Find(&ds).Error
	if err != nil {
		return nil, translate(err, fmt.Sprintf("claim delivery %d", id))
	}
	if len(ds) == 0 {
		return nil, fmt.Errorf("store: claim delivery %d: %w", id, ErrNotFound)
	}
	return &ds[0], nil
}

// ReleaseLostLease makes due at at the pending deliveries whose lease ends
// exactly at leaseUntil, among those of activityIDs or the one deliveryID
// (when not zero): a claim that leased them committed, but its answer never
// reached the claimer, so nobody holds them. A lease is a timestamp taken
// by one claimer at one instant, so another claimer's rows match only if
// it claimed the same activity in the same microsecond. It returns how
// many rows changed.
func (s *Store) ReleaseLostLease(ctx context.Context, activityIDs []int64, deliveryID int64, leaseUntil, at time.Time) (int64, error) {
	q := s.conn(ctx).Model(&models.Delivery{}).
		Where("state = ? AND next_attempt_at = ?", models.DeliveryPending, leaseUntil.UTC())
	if deliveryID != 0 {
		q = q.Where("id = ?", deliveryID)
	} else {
		if len(activityIDs) > idChunk {
			activityIDs = activityIDs[:idChunk]
		}
		q = q.Where("activity_id IN ?", activityIDs)
	}
	res := q.Updates(map[string]any{"next_attempt_at": at.UTC()})
	if res.Error != nil {
		return 0, translate(res.Error, "release lost lease")
	}
	return res.RowsAffected, nil
}

// RescheduleDeliveries sets NextAttemptAt of the still-pending rows among
// ids to at: a later time renews a lease, the present releases it.
func (s *Store) RescheduleDeliveries(ctx context.Context, ids []int64, at time.Time) error {
	for start := 0; start < len(ids); start += idChunk {
		chunk := ids[start:min(start+idChunk, len(ids))]
		err := s.conn(ctx).Model(&models.Delivery{}).
			Where("id IN ? AND state = ?", chunk, models.DeliveryPending).
			Updates(map[string]any{"next_attempt_at": at.UTC()}).Error
		if err != nil {
			return translate(err, "reschedule deliveries")
		}
	}
	return nil
}

// MarkDeliveriesDone marks the still-pending rows among ids as delivered
// at at with HTTP status code status, counting the attempt. It returns how
// many rows changed.
func (s *Store) MarkDeliveriesDone(ctx context.Context, ids []int64, status int, at time.Time) (int64, error) {
	var n int64
	for start := 0; start < len(ids); start += idChunk {
		chunk := ids[start:min(start+idChunk, len(ids))]
		res := s.conn(ctx).Model(&models.Delivery{}).
			Where("id IN ? AND state = ?", chunk, models.DeliveryPending).
			Updates(map[string]any{
				"state": models.DeliveryDone, "delivered_at": at.UTC(), "last_status": status,
				"last_error": "", "attempts": gorm.Expr("attempts + 1"),
			})
		if res.Error != nil {
			return n, translate(res.Error, "mark deliveries done")
		}
		n += res.RowsAffected
	}
	return n, nil
}

// AbandonRetries ends the pending rows of the activities that were tried
// before and wait for a retry, as failed with reason, unsent (the activity
// was taken back meanwhile: a like undone while its server was down). A
// row being retried at that moment is pending too; its outcome, written on
// a row no longer pending, is then dropped, as for any row that changed
// meanwhile. It returns how many rows changed.
func (s *Store) AbandonRetries(ctx context.Context, activityIDs []int64, reason string, at time.Time) (int64, error) {
	if len(activityIDs) == 0 {
		return 0, nil
	}
	res := s.conn(ctx).Model(&models.Delivery{}).
		Where("activity_id IN ? AND state = ? AND attempts > 0", activityIDs, models.DeliveryPending).
		Updates(map[string]any{"state": models.DeliveryFailed, "last_error": reason, "next_attempt_at": at.UTC()})
	return res.RowsAffected, translate(res.Error, "abandon pending deliveries")
}

// DeliveryAttempt is the outcome of an attempt that did not deliver: a
// retry at NextAttemptAt, or a final failure.
type DeliveryAttempt struct {
	ID            int64
	State         models.DeliveryState
	Attempts      int
	NextAttemptAt time.Time
	LastStatus    int
	LastError     string
}

// RecordDeliveryAttempt saves an unsuccessful attempt on a row that is
// still pending. A row already done stays done: a duplicate send that
// failed must not undo one that succeeded. It reports whether the row
// changed.
func (s *Store) RecordDeliveryAttempt(ctx context.Context, a DeliveryAttempt) (bool, error) {
	msg := clip(a.LastError, 1000)
	res := s.conn(ctx).Model(&models.Delivery{}).
		Where("id = ? AND state = ?", a.ID, models.DeliveryPending).
		Updates(map[string]any{
			"state": a.State, "attempts": a.Attempts, "next_attempt_at": a.NextAttemptAt.UTC(),
			"last_status": a.LastStatus, "last_error": msg,
		})
	if res.Error != nil {
		return false, translate(res.Error, fmt.Sprintf("record attempt of delivery %d", a.ID))
	}
	return res.RowsAffected > 0, nil
}

// pendingLiteral is the state of rows still to send, written into SQL as
// a literal: only a literal lets the planner use the partial index of due
// rows (idx_delivery_pending_due), a parameter would not in a cached plan.
const pendingLiteral = "'" + string(models.DeliveryPending) + "'"

// attemptChunk bounds the rows of one RecordDeliveryAttempts statement:
// six parameters a row, well under every database's limit.
const attemptChunk = 500

// RecordDeliveryAttempts is RecordDeliveryAttempt for many rows in one
// statement per 500 (UPDATE … FROM VALUES): a fan-out postponing or
// retrying thousands of rows writes them together. Rows no longer
// pending are left alone. It returns how many rows changed.
func (s *Store) RecordDeliveryAttempts(ctx context.Context, as []DeliveryAttempt) (int64, error) {
	row := "(?, ?, ?, ?, ?, ?)"
	if s.dialect == DialectPostgres {
		// Postgres types a VALUES list from its first row; say it.
		row = "(CAST(? AS BIGINT), CAST(? AS TEXT), CAST(? AS BIGINT), CAST(? AS TIMESTAMPTZ), CAST(? AS BIGINT), CAST(? AS TEXT))"
	}
	var changed int64
	for start := 0; start < len(as); start += attemptChunk {
		chunk := as[start:min(start+attemptChunk, len(as))]
		var sb strings.Builder
		// A CTE names the VALUES columns in both dialects (SQLite has no
		// "AS v(…)" column list).
		sb.WriteString("WITH v (id, state, attempts, next_attempt_at, last_status, last_error) AS (VALUES ")
		args := make([]any, 0, 1+6*len(chunk))
		for i, a := range chunk {
			if i > 0 {
				sb.WriteString(", ")
			}
			sb.WriteString(row)
			args = append(args, a.ID, string(a.State), a.Attempts, a.NextAttemptAt.UTC(), a.LastStatus, clip(a.LastError, 1000))
		}
		sb.WriteString(") UPDATE deliveries SET state = v.state, attempts = v.attempts, next_attempt_at = v.next_attempt_at, " +
			"last_status = v.last_status, last_error = v.last_error, updated_at = ? FROM v " +
			"WHERE deliveries.id = v.id AND deliveries.state = " + pendingLiteral)
		args = append(args, s.db.NowFunc())
		res := s.conn(ctx).Exec(sb.String(), args...)
		if res.Error != nil {
			return changed, translate(res.Error, fmt.Sprintf("record %d delivery attempts", len(chunk)))
		}
		changed += res.RowsAffected
	}
	return changed, nil
}

// DueDeliveries lists pending deliveries whose NextAttemptAt is at or
// before olderThan, the longest overdue first.
func (s *Store) DueDeliveries(ctx context.Context, olderThan time.Time, limit int) ([]models.Delivery, error) {
	var ds []models.Delivery
	err := s.conn(ctx).Where("state = "+pendingLiteral+" AND next_attempt_at <= ?", olderThan.UTC()).
		Order("next_attempt_at, id").Limit(limit).Find(&ds).Error
	return ds, translate(err, "due deliveries")
}

// GetDelivery returns a delivery by row id.
func (s *Store) GetDelivery(ctx context.Context, id int64) (*models.Delivery, error) {
	var d models.Delivery
	if err := s.conn(ctx).First(&d, id).Error; err != nil {
		return nil, translate(err, fmt.Sprintf("get delivery %d", id))
	}
	return &d, nil
}

// ActivityDeliveries lists every delivery of an activity by row id.
func (s *Store) ActivityDeliveries(ctx context.Context, activityID int64) ([]models.Delivery, error) {
	var ds []models.Delivery
	err := s.conn(ctx).Where("activity_id = ?", activityID).Order("id").Find(&ds).Error
	return ds, translate(err, fmt.Sprintf("deliveries of activity %d", activityID))
}

// MarkActorsGoneByInbox marks the remote actors whose personal inbox is
// inbox as gone at at (the inbox answered 410). Shared inboxes are never
// matched: one actor's departure says nothing about its neighbours. It
// returns how many actors changed.
func (s *Store) MarkActorsGoneByInbox(ctx context.Context, inbox string, at time.Time) (int64, error) {
	res := s.conn(ctx).Model(&models.Actor{}).
		Where("inbox_url = ? AND local = ? AND gone_at IS NULL", inbox, false).
		Updates(map[string]any{"gone_at": at.UTC()})
	return res.RowsAffected, translate(res.Error, "mark actors gone by inbox")
}

// clip makes s storable in a bounded text column: valid UTF-8 without NUL
// (Postgres refuses both), at most n bytes, cut on a character boundary.
func clip(s string, n int) string {
	s = strings.ToValidUTF8(strings.ReplaceAll(s, "\x00", ""), "\uFFFD")
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}
