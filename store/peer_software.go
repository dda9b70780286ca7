package store

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/practica-social/practica/models"
	"gorm.io/gorm/clause"
)

// PeerInbox is an inbox a community delivers to, with the software its
// host says it runs ("" when not known).
type PeerInbox struct {
	URL      string
	Software string
}

// MemberPeerInboxes is MemberInboxes with the software of each member's
// host. An inbox shared by actors of hosts that say different things (a
// shared inbox on another host than some of its actors) is listed once,
// with no software: it then gets every form of an Announce.
func (s *Store) MemberPeerInboxes(ctx context.Context, communityID int64) ([]PeerInbox, error) {
	// The distinct inboxes and hosts first, then their software: one
	// lookup per host instead of one per member.
	members := s.remoteMembers(ctx, communityID).Select("DISTINCT " + memberInbox + " AS url, actors.host AS host")
	var rows []PeerInbox
	err := s.conn(ctx).Table("(?) AS m", members).
		Select("m.url AS url, COALESCE(peer_software.name, '') AS software").
		Joins("LEFT JOIN peer_software ON peer_software.host = m.host").
		Scan(&rows).Error
	if err != nil {
		return nil, translate(err, fmt.Sprintf("member inboxes and software of community %d", communityID))
	}
	at := make(map[string]int, len(rows))
	out := rows[:0]
	for _, r := range rows {
		if i, ok := at[r.URL]; ok {
			if out[i].Software != r.Software {
				out[i].Software = ""
			}
			continue
		}
		at[r.URL] = len(out)
		out = append(out, r)
	}
	return out, nil
}

// PeerToProbe is a remote host to ask what software it runs, with the IRI
// of one of its actors (whose scheme says how to reach it).
type PeerToProbe struct {
	Host     string
	ActorIRI string
}

// PeersToProbe lists up to limit hosts of members of communities whose
// software was never asked, was learned before knownBefore, or was asked
// without a usable answer before unknownBefore; hosts never asked first.
func (s *Store) PeersToProbe(ctx context.Context, knownBefore, unknownBefore time.Time, limit int) ([]PeerToProbe, error) {
	var rows []PeerToProbe
	err := s.conn(ctx).Table("members").
		Select("actors.host AS host, MIN(actors.iri) AS actor_iri").
		Joins("JOIN actors ON actors.id = members.actor_id").
		Joins("LEFT JOIN peer_software ON peer_software.host = actors.host").
		Where("members.state = ? AND actors.local = ? AND actors.gone_at IS NULL", models.MemberAccepted, false).
		Where("peer_software.host IS NULL OR (peer_software.name <> '' AND peer_software.checked_at < ?) OR (peer_software.name = '' AND peer_software.checked_at < ?)",
			knownBefore.UTC(), unknownBefore.UTC()).
		Group("actors.host").
		Order("MAX(CASE WHEN peer_software.host IS NULL THEN 0 ELSE 1 END), actors.host").
		Limit(limit).
		Scan(&rows).Error
	return rows, translate(err, "peers to probe")
}

// PutPeerSoftware stores what a host said it runs (or that it said
// nothing usable), replacing what was stored.
func (s *Store) PutPeerSoftware(ctx context.Context, p *models.PeerSoftware) error {
	p.Host = strings.ToLower(p.Host)
	p.CheckedAt = p.CheckedAt.UTC()
	err := s.conn(ctx).Clauses(clause.OnConflict{
		Columns:   []clause.Column{{Name: "host"}},
		DoUpdates: clause.AssignmentColumns([]string{"name", "version", "checked_at"}),
	}).Create(p).Error
	return translate(err, "put software of "+p.Host)
}

// GetPeerSoftware returns what is stored of a host's software.
func (s *Store) GetPeerSoftware(ctx context.Context, host string) (*models.PeerSoftware, error) {
	var p models.PeerSoftware
	err := s.conn(ctx).Where("host = ?", strings.ToLower(host)).First(&p).Error
	if err != nil {
		return nil, translate(err, "get software of "+host)
	}
	return &p, nil
}
