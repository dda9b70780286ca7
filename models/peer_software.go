package models

import "time"

// PeerSoftware is what a remote host says it runs, from its NodeInfo. A
// community's fan-out sends each host only the Announces its software
// processes (service/peer_software.go); a host without a row, or whose
// NodeInfo said nothing usable, gets every form.
type PeerSoftware struct {
	Host string `gorm:"primaryKey;size:255"`
	// Name is NodeInfo's software.name, lower-cased; empty when the host
	// has no usable NodeInfo.
	Name    string `gorm:"size:64;not null;default:''"`
	Version string `gorm:"size:64;not null;default:''"`
	// CheckedAt is when the host was last asked, whatever the answer.
	CheckedAt time.Time `gorm:"not null;index"`
}

// TableName keeps the table's name singular, like the thing it holds.
func (PeerSoftware) TableName() string { return "peer_software" }
