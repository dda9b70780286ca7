package store

import (
	"time"

	"gorm.io/gorm"
)

// The frozen schema of migration 0008: reports to a community's
// moderators. Like every step it names a frozen copy, never
// models.Report.

type v8Report struct {
	ID           int64        `gorm:"primaryKey"`
	CommunityID  int64        `gorm:"not null;index:idx_report_queue,priority:1;uniqueIndex:idx_report_flag,priority:2"`
	Community    *v1Community `gorm:"constraint:OnDelete:CASCADE"`
	ReporterID   int64        `gorm:"not null;index"`
	Reporter     *v1Actor     `gorm:"constraint:OnDelete:CASCADE"`
	SubjectID    *int64       `gorm:"index"`
	Subject      *v1Actor     `gorm:"constraint:OnDelete:SET NULL"`
	PostIDs      []int64      `gorm:"serializer:json;type:text"`
	ObjectIRIs   []string     `gorm:"column:object_iris;serializer:json;type:text"`
	Comment      string       `gorm:"size:1000;not null;default:''"`
	ActivityIRI  *string      `gorm:"size:2048;uniqueIndex:idx_report_flag,priority:1"`
	State        string       `gorm:"size:16;not null;default:'open';index:idx_report_queue,priority:2"`
	ResolvedByID *int64       `gorm:"index"`
	ResolvedBy   *v1Actor     `gorm:"constraint:OnDelete:SET NULL"`
	ResolvedAt   *time.Time
	CreatedAt    time.Time
}

func (v8Report) TableName() string { return "reports" }

func migrateReports(tx *gorm.DB) error {
	return tx.Migrator().CreateTable(&v8Report{})
}
