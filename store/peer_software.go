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

// PeersToProbe lists up to limit hosts due for asking at now: hosts never
// asked first (their DueAt is the zero time), then the longest due. It
// reads peer_software alone, by its due_at index: notePeerHosts keeps a
// row for every host of an accepted member.
func (s *Store) PeersToProbe(ctx context.Context, now time.Time, limit int) ([]PeerToProbe, error) {
	var rows []PeerToProbe
	err := s.conn(ctx).Model(&models.PeerSoftware{}).
		Select("host", "actor_iri").
		Where("due_at <= ?", now.UTC()).
		Order("due_at, host").
		Limit(limit).
		Scan(&rows).Error
	return rows, translate(err, "peers to probe")
}

// notePeerHostsChunk bounds the actor ids of one statement, well under
// both databases' limits on bound parameters.
const notePeerHostsChunk = 1000

// notePeerHosts makes sure every remote actor of actorIDs has its host in
// peer_software, never asked if it was not there, so that the prober finds
// it without reading memberships; gone actors too, since a gone actor that
// is fetched again comes back with its memberships. A row that exists
// keeps its answer and gains an actor if it had none. The INSERT does
// nothing on a conflict and the UPDATE touches only rows without an actor,
// so that on Postgres a membership's transaction does not lock its host's
// row (and with it every other accept from that host) until it commits.
func (s *Store) notePeerHosts(ctx context.Context, actorIDs []int64) error {
	for len(actorIDs) > 0 {
		chunk := actorIDs[:min(len(actorIDs), notePeerHostsChunk)]
		actorIDs = actorIDs[len(chunk):]
		err := s.conn(ctx).Exec(`INSERT INTO peer_software (host, name, version, checked_at, due_at, actor_iri)
SELECT host, '', '', ?, ?, MIN(iri) FROM actors
WHERE id IN ? AND local = ?
GROUP BY host
ON CONFLICT (host) DO NOTHING`,
			time.Time{}, time.Time{}, chunk, false).Error
		if err != nil {
			return translate(err, "note hosts of members")
		}
		err = s.conn(ctx).Exec(`UPDATE peer_software
SET actor_iri = (SELECT MIN(iri) FROM actors WHERE actors.host = peer_software.host AND actors.id IN ?)
WHERE actor_iri = '' AND host IN (SELECT host FROM actors WHERE id IN ? AND local = ?)`,
			chunk, chunk, false).Error
		if err != nil {
			return translate(err, "note actors of member hosts")
		}
	}
	return nil
}

// PeerHostHasMembers reports whether any present actor of host is an
// accepted member of a community.
func (s *Store) PeerHostHasMembers(ctx context.Context, host string) (bool, error) {
	var found bool
	err := s.conn(ctx).Raw(`SELECT EXISTS (SELECT 1 FROM actors JOIN members ON members.actor_id = actors.id
WHERE actors.host = ? AND actors.local = ? AND actors.gone_at IS NULL AND members.state = ?)`,
		strings.ToLower(host), false, models.MemberAccepted).Row().Scan(&found)
	return found, translate(err, "members of host "+host)
}

// PutPeerSoftware stores what a host said it runs (or that it said
// nothing usable) and when to ask again, replacing what was stored but the
// actor to reach it by.
func (s *Store) PutPeerSoftware(ctx context.Context, p *models.PeerSoftware) error {
	p.Host = strings.ToLower(p.Host)
	p.CheckedAt = p.CheckedAt.UTC()
	p.DueAt = p.DueAt.UTC()
	err := s.conn(ctx).Clauses(clause.OnConflict{
		Columns:   []clause.Column{{Name: "host"}},
		DoUpdates: clause.AssignmentColumns([]string{"name", "version", "checked_at", "due_at"}),
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
