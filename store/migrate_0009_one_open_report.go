package store

import (
	"time"

	"gorm.io/gorm"
)

// migrateOneOpenReport makes "a person's second report of a post while
// the first is open is the same report" a rule of the database: until
// now it was a read before the insert, and two reports sent at once (a
// double click, two tabs) both got in. A partial unique index holds one
// open report made here (no Flag id) per community, reporter and post;
// post_ids is the key for the post because a report made here always
// names one, written by the same JSON serializer ("[42]"). Reports that
// came as Flags are left out: the same server may report a post again.
//
// Duplicates already stored would make the index fail, so every open one
// but the oldest of each key is dismissed first, with no moderator named:
// by the rule they were the oldest one, which stays open, and dismissing
// rather than deleting keeps their comments readable among the closed
// reports. Plain SQL that both dialects accept, frozen as written.
func migrateOneOpenReport(tx *gorm.DB) error {
	err := tx.Exec(`UPDATE reports SET state = 'dismissed', resolved_at = ?
WHERE state = 'open' AND activity_iri IS NULL AND EXISTS (
	SELECT 1 FROM reports AS first
	WHERE first.community_id = reports.community_id AND first.reporter_id = reports.reporter_id
	AND first.post_ids = reports.post_ids AND first.state = 'open' AND first.activity_iri IS NULL
	AND first.id < reports.id)`, time.Now().UTC()).Error
	if err != nil {
		return err
	}
	return tx.Exec(`CREATE UNIQUE INDEX IF NOT EXISTS idx_report_open_here
ON reports (community_id, reporter_id, post_ids) WHERE state = 'open' AND activity_iri IS NULL`).Error
}
