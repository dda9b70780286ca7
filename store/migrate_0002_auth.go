package store

import (
	"time"

	"gorm.io/gorm"
)

// The frozen schema of migration 0002: browser sessions, invite links and
// read bookmarks (visits). See migrate_0001_initial.go for why copies.

type v2Session struct {
	ID        int64      `gorm:"primaryKey"`
	TokenHash string     `gorm:"size:64;not null;uniqueIndex"`
	AccountID int64      `gorm:"not null;index"`
	Account   *v1Account `gorm:"constraint:OnDelete:CASCADE"`
	CSRFToken string     `gorm:"size:64;not null"`
	ExpiresAt time.Time  `gorm:"not null;index"`
	CreatedAt time.Time
}

type v2Invite struct {
	ID          int64  `gorm:"primaryKey"`
	Code        string `gorm:"size:64;not null;uniqueIndex"`
	CreatedByID int64  `gorm:"not null;index"`
	MaxUses     int    `gorm:"not null;default:1"`
	Uses        int    `gorm:"not null;default:0"`
	ExpiresAt   *time.Time
	CreatedAt   time.Time
}

type v2Visit struct {
	ActorID    int64     `gorm:"primaryKey;autoIncrement:false"`
	Kind       string    `gorm:"primaryKey;size:16"`
	TargetID   int64     `gorm:"primaryKey;autoIncrement:false"`
	LastPostID int64     `gorm:"not null;default:0"`
	SeenAt     time.Time `gorm:"not null"`
}

func (v2Session) TableName() string { return "sessions" }
func (v2Invite) TableName() string  { return "invites" }
func (v2Visit) TableName() string   { return "visits" }

func migrateAuth(tx *gorm.DB) error {
	return tx.Migrator().CreateTable(&v2Session{}, &v2Invite{}, &v2Visit{})
}
