package store

import "gorm.io/gorm"

// migrateInboxIndexes indexes actors by inbox: a 410 from an inbox marks
// the actors behind it gone, and fan-out groups members by shared inbox.
// Plain SQL that both dialects accept, so the step is frozen as written.
func migrateInboxIndexes(tx *gorm.DB) error {
	for _, stmt := range []string{
		"CREATE INDEX IF NOT EXISTS idx_actors_inbox_url ON actors (inbox_url)",
		"CREATE INDEX IF NOT EXISTS idx_actors_shared_inbox_url ON actors (shared_inbox_url)",
	} {
		if err := tx.Exec(stmt).Error; err != nil {
			return err
		}
	}
	return nil
}
