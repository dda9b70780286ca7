package models

import "time"

// ReportState is where a report stands.
type ReportState string

// Report states.
const (
	// ReportOpen waits for a moderator.
	ReportOpen ReportState = "open"
	// ReportResolved was acted upon.
	ReportResolved ReportState = "resolved"
	// ReportDismissed needed nothing done.
	ReportDismissed ReportState = "dismissed"
)

// Report asks a community's moderators to look at posts or a person: made
// by a person here, or received as a Flag from another server. A Flag
// naming posts of several of our communities becomes one report in each.
//
// A report made here names one post, and a person has at most one open
// report of a post in a community: a partial unique index on community,
// reporter and post ids, for open reports with no ActivityIRI (migration
// 0009), so that two sent at once are one. A person's report of a post in
// a community on another server is a row too, the record of the Flag sent
// there: no queue here lists it and no one here closes it, and its
// CreatedAt is when the Flag was last sent, so that a repeat soon after
// sends nothing (service.FlagRepeatAfter).
type Report struct {
	ID          int64      `gorm:"primaryKey"`
	CommunityID int64      `gorm:"not null;index:idx_report_queue,priority:1;uniqueIndex:idx_report_flag,priority:2"`
	Community   *Community `gorm:"constraint:OnDelete:CASCADE"`
	// ReporterID is who reported: a person here, or the actor that sent the
	// Flag (Mastodon sends its instance actor, keeping the person private).
	ReporterID int64  `gorm:"not null;index"`
	Reporter   *Actor `gorm:"constraint:OnDelete:CASCADE"`
	// SubjectID is the person reported, when one is known: the author of
	// the reported posts, or the account a Flag names.
	SubjectID *int64 `gorm:"index"`
	Subject   *Actor `gorm:"constraint:OnDelete:SET NULL"`
	// PostIDs are the reported posts of the community that we hold.
	PostIDs []int64 `gorm:"serializer:json;type:text"`
	// ObjectIRIs are what a Flag named, as sent, for what we do not hold.
	ObjectIRIs []string `gorm:"column:object_iris;serializer:json;type:text"`
	// Comment is the reporter's text, plain.
	Comment string `gorm:"size:1000;not null;default:''"`
	// ActivityIRI is the Flag's id for a received report, so that a
	// redelivery is not a second report; nil for a report made here,
	// including one sent to another server as a Flag.
	ActivityIRI *string     `gorm:"size:2048;uniqueIndex:idx_report_flag,priority:1"`
	State       ReportState `gorm:"size:16;not null;default:'open';index:idx_report_queue,priority:2"`
	// ResolvedByID is the moderator who closed the report.
	ResolvedByID *int64 `gorm:"index"`
	ResolvedBy   *Actor `gorm:"constraint:OnDelete:SET NULL"`
	ResolvedAt   *time.Time
	CreatedAt    time.Time
}
