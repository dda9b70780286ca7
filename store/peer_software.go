package store

import (
	"context"
	"fmt"
	"slices"
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

// notePeerHosts makes sure every remote actor of actorIDs (a membership
// or two being accepted) has its host in peer_software: see putPeerHosts.
// Gone actors count too, since a gone actor that is fetched again comes
// back with its memberships.
func (s *Store) notePeerHosts(ctx context.Context, actorIDs []int64) error {
	var found []peerHost
	err := s.conn(ctx).Model(&models.Actor{}).Select("host", "iri").
		Where("id IN ? AND local = ?", actorIDs, false).Find(&found).Error
	if err != nil {
		return translate(err, "hosts of members")
	}
	return s.putPeerHosts(ctx, found)
}

// noteCommunityPeerHosts is notePeerHosts for every accepted remote member
// of the communities, for memberships written in bulk. It reads the
// memberships by community, in one pass, rather than the actors by a
// list of thousands of ids: on a table whose statistics are stale (never
// analysed, autovacuum off) Postgres reads such a list by scanning every
// actor and comparing each with the whole list.
func (s *Store) noteCommunityPeerHosts(ctx context.Context, communityIDs []int64) error {
	var found []peerHost
	err := s.conn(ctx).Table("members").
		Select("actors.host AS host, MIN(actors.iri) AS iri").
		Joins("JOIN actors ON actors.id = members.actor_id").
		Where("members.community_id IN ? AND members.state = ? AND actors.local = ?", communityIDs, models.MemberAccepted, false).
		Group("actors.host").Find(&found).Error
	if err != nil {
		return translate(err, "hosts of members")
	}
	return s.putPeerHosts(ctx, found)
}

// peerHost is a remote host with one of its actors.
type peerHost struct{ Host, IRI string }

// putPeerHosts writes a never-asked row for each host that has none, and
// gives an actor to rows that have none (written by a probe before the
// host had members): of each host's actors, the first IRI. The INSERT does
// nothing on a conflict and the UPDATE runs only for rows without an
// actor, so that on Postgres a membership's transaction does not lock a
// host's row that is complete (and with it every other accept from that
// host) until it commits; only the first accepts of a new host wait for
// each other. Both go in host order, so that two transactions wait on
// each other in one order instead of deadlocking.
func (s *Store) putPeerHosts(ctx context.Context, found []peerHost) error {
	actorOf := make(map[string]string, len(found))
	for _, a := range found {
		if cur, ok := actorOf[a.Host]; !ok || a.IRI < cur {
			actorOf[a.Host] = a.IRI
		}
	}
	if len(actorOf) == 0 {
		return nil
	}
	rows := make([]models.PeerSoftware, 0, len(actorOf))
	hosts := make([]string, 0, len(actorOf))
	for host, iri := range actorOf {
		rows = append(rows, models.PeerSoftware{Host: host, ActorIRI: iri})
		hosts = append(hosts, host)
	}
	slices.SortFunc(rows, func(a, b models.PeerSoftware) int { return strings.Compare(a.Host, b.Host) })
	err := s.conn(ctx).Clauses(clause.OnConflict{DoNothing: true}).CreateInBatches(rows, bulkBatch).Error
	if err != nil {
		return translate(err, "note hosts of members")
	}
	var bare []string
	for start := 0; start < len(hosts); start += idChunk {
		var some []string
		err := s.conn(ctx).Model(&models.PeerSoftware{}).
			Where("host IN ? AND actor_iri = ''", hosts[start:min(start+idChunk, len(hosts))]).Pluck("host", &some).Error
		if err != nil {
			return translate(err, "hosts without an actor")
		}
		bare = append(bare, some...)
	}
	slices.Sort(bare)
	for _, host := range bare {
		err := s.conn(ctx).Model(&models.PeerSoftware{}).Where("host = ? AND actor_iri = ''", host).
			Update("actor_iri", actorOf[host]).Error
		if err != nil {
			return translate(err, "note an actor of "+host)
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
