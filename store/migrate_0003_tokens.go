package store

import (
	"time"

	"gorm.io/gorm"
)

// The frozen schema of migration 0003: personal access tokens for the JSON
// API. Like every step it names a frozen copy, never models.AccessToken.

type v3AccessToken struct {
	ID         int64      `gorm:"primaryKey"`
	AccountID  int64      `gorm:"not null;index"`
	Account    *v1Account `gorm:"constraint:OnDelete:CASCADE"`
	Name       string     `gorm:"size:100;not null"`
	TokenHash  string     `gorm:"size:64;not null;uniqueIndex"`
	Scopes     []string   `gorm:"serializer:json;type:text"`
	LastUsedAt *time.Time
	CreatedAt  time.Time
	RevokedAt  *time.Time
}

func (v3AccessToken) TableName() string { return "access_tokens" }

func migrateAccessTokens(tx *gorm.DB) error {
	return tx.Migrator().CreateTable(&v3AccessToken{})
}
