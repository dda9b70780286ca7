package store

import (
	"time"

	"gorm.io/gorm"
)

// The frozen schema of migration 0010: servers the admins block. Like
// every step it names a frozen copy, never models.DomainBlock.

type v10DomainBlock struct {
	ID          int64  `gorm:"primaryKey"`
	Host        string `gorm:"size:255;not null;uniqueIndex"`
	Reason      string `gorm:"size:1000;not null;default:''"`
	CreatedByID *int64 `gorm:"index"`
	CreatedAt   time.Time
}

func (v10DomainBlock) TableName() string { return "domain_blocks" }

func migrateDomainBlocks(tx *gorm.DB) error {
	return tx.Migrator().CreateTable(&v10DomainBlock{})
}
