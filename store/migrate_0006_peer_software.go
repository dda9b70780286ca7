package store

import (
	"time"

	"gorm.io/gorm"
)

// The frozen schema of migration 0006: what software each remote host
// runs, learned from its NodeInfo. Like every step it names a frozen copy,
// never models.PeerSoftware.

type v6PeerSoftware struct {
	Host      string    `gorm:"primaryKey;size:255"`
	Name      string    `gorm:"size:64;not null;default:''"`
	Version   string    `gorm:"size:64;not null;default:''"`
	CheckedAt time.Time `gorm:"not null;index"`
}

func (v6PeerSoftware) TableName() string { return "peer_software" }

func migratePeerSoftware(tx *gorm.DB) error {
	return tx.Migrator().CreateTable(&v6PeerSoftware{})
}
