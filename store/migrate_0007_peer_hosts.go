package store

import (
	"time"

	"gorm.io/gorm"
)

// The frozen schema of migration 0007: peer_software gains when each host
// is due for asking and an actor of it, and gets a row for every host of
// an accepted, present remote member, so that finding the hosts due reads
// this table alone instead of every membership each minute.

type v7PeerSoftware struct {
	Host      string    `gorm:"primaryKey;size:255"`
	Name      string    `gorm:"size:64;not null;default:''"`
	Version   string    `gorm:"size:64;not null;default:''"`
	CheckedAt time.Time `gorm:"not null;index"`
	// The default only lets the column be added to rows that exist; the
	// step sets every row's due time, and writes always name it.
	DueAt    time.Time `gorm:"not null;default:'1970-01-01 00:00:00+00:00';index"`
	ActorIRI string    `gorm:"size:2048;not null;default:''"`
}

func (v7PeerSoftware) TableName() string { return "peer_software" }

// The refresh periods of when this step was written (service's
// PeerSoftwareRefresh and PeerUnknownRetry), frozen here: existing rows
// become due when they would have been under the query this replaces.
const (
	v7KnownRefresh = 7 * 24 * time.Hour
	v7UnknownRetry = 24 * time.Hour
)

func migratePeerHosts(tx *gorm.DB) error {
	m := tx.Migrator()
	for _, col := range []string{"DueAt", "ActorIRI"} {
		if err := m.AddColumn(&v7PeerSoftware{}, col); err != nil {
			return err
		}
	}
	if err := m.CreateIndex(&v7PeerSoftware{}, "DueAt"); err != nil {
		return err
	}
	var rows []v7PeerSoftware
	if err := tx.Select("host", "name", "checked_at").Find(&rows).Error; err != nil {
		return err
	}
	for _, r := range rows {
		due := r.CheckedAt.Add(v7UnknownRetry)
		if r.Name != "" {
			due = r.CheckedAt.Add(v7KnownRefresh)
		}
		if err := tx.Model(&v7PeerSoftware{}).Where("host = ?", r.Host).Update("due_at", due.UTC()).Error; err != nil {
			return err
		}
	}
	// Hosts of accepted remote members (gone ones too: they may come
	// back), never asked yet; rows that exist keep their answer and gain
	// an actor if they had none.
	return tx.Exec(`INSERT INTO peer_software (host, name, version, checked_at, due_at, actor_iri)
SELECT actors.host, '', '', ?, ?, MIN(actors.iri) FROM members JOIN actors ON actors.id = members.actor_id
WHERE members.state = 'accepted' AND actors.local = ?
GROUP BY actors.host
ON CONFLICT (host) DO UPDATE SET actor_iri = excluded.actor_iri WHERE peer_software.actor_iri = ''`,
		time.Time{}, time.Time{}, false).Error
}
