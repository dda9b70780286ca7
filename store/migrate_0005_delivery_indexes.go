package store

import "gorm.io/gorm"

// migrateDeliveryIndexes reshapes the indexes of the delivery queue so
// that no plan depends on fresh statistics. Before, the only index holding
// the state led with it (state, next_attempt_at); with statistics older
// than a burst of inserts (autovacuum off or not yet run) Postgres believed
// "state = 'pending'" matched one row, and used that index for statements
// that name a row by id ("id = ? AND state = ?") or claim one activity's
// rows: every such statement scanned every pending row, 20-180 ms each
// with 20,000 pending, minutes of CPU after an inbox burst. Now the due
// rows have a partial index that only a literal 'pending' can use, and
// the claim has its own index led by the activity. Plain SQL that both
// dialects accept, so the step is frozen as written.
func migrateDeliveryIndexes(tx *gorm.DB) error {
	for _, stmt := range []string{
		"CREATE INDEX IF NOT EXISTS idx_delivery_activity_due ON deliveries (activity_id, state, next_attempt_at)",
		"CREATE INDEX IF NOT EXISTS idx_delivery_pending_due ON deliveries (next_attempt_at, id) WHERE state = 'pending'",
		"DROP INDEX IF EXISTS idx_delivery_due",
	} {
		if err := tx.Exec(stmt).Error; err != nil {
			return err
		}
	}
	return nil
}
