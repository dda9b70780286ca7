package store

import "gorm.io/gorm"

// migrateMemberBans gives a membership the reason of a ban (the state
// "banned" needs no change: states are strings), and indexes the banned
// rows alone, which every process reads every few seconds to answer "is
// this author banned here?" from memory. Plain SQL that both dialects
// accept, frozen as written.
func migrateMemberBans(tx *gorm.DB) error {
	if err := tx.Exec(`ALTER TABLE members ADD COLUMN ban_reason VARCHAR(1000) NOT NULL DEFAULT ''`).Error; err != nil {
		return err
	}
	return tx.Exec(`CREATE INDEX IF NOT EXISTS idx_member_banned ON members (community_id, actor_id) WHERE state = 'banned'`).Error
}
