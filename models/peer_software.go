package models

import "time"

// PeerSoftware is what a remote host says it runs, from its NodeInfo. A
// community's fan-out sends each host only the Announces its software
// processes (service/peer_software.go); a host without a row, or whose
// NodeInfo said nothing usable, gets every form.
//
// A row is written, never asked yet, when an actor of the host becomes an
// accepted member of a community, so that finding the hosts due for
// asking reads this table alone, by DueAt, and never the memberships.
type PeerSoftware struct {
	Host string `gorm:"primaryKey;size:255"`
	// Name is NodeInfo's software.name, lower-cased; empty when the host
	// has no usable NodeInfo or was never asked.
	Name    string `gorm:"size:64;not null;default:''"`
	Version string `gorm:"size:64;not null;default:''"`
	// CheckedAt is when the host was last asked, whatever the answer; the
	// zero time when it never was.
	CheckedAt time.Time `gorm:"not null;index"`
	// DueAt is when to ask the host again: the zero time for a host never
	// asked, so that those come first.
	DueAt time.Time `gorm:"not null;index"`
	// ActorIRI is an actor of the host, whose scheme says how to reach
	// it; empty when the row was not written for a member.
	ActorIRI string `gorm:"size:2048;not null;default:''"`
}

// TableName keeps the table's name singular, like the thing it holds.
func (PeerSoftware) TableName() string { return "peer_software" }
