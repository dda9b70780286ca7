package service

import (
	"context"
	"slices"
	"strings"
	"time"

	"github.com/practica-social/practica/models"
	"github.com/practica-social/practica/store"
)

// How often a remote host is asked again what software it runs: servers
// upgrade or change hands rarely, and a host that gave no usable answer
// (down, no NodeInfo) is asked again sooner. Until a host is known it
// gets every form of an Announce, so a stale or missing answer costs
// requests, never posts.
//
// A host none of whose actors is a member any more keeps its row (a
// member may come back) and is asked only every PeerFormerRefresh, so that
// hosts gone for good cost one request a month, not one a day.
const (
	PeerSoftwareRefresh = 7 * 24 * time.Hour
	PeerUnknownRetry    = 24 * time.Hour
	PeerFormerRefresh   = 30 * 24 * time.Hour
)

// announceReach is which of a community's Announces a peer's software
// processes (protocol.md §7).
type announceReach int

const (
	// reachBoth: software we know nothing of gets the Announce of the
	// activity (FEP-1b12) and, for a new top-level post, the boost.
	reachBoth announceReach = iota
	// reachBoostOnly: Mastodon drops an Announce whose object is an
	// activity; only the boost (Announce of the post's id) shows.
	reachBoostOnly
	// reachActivityOnly: FEP-1b12 software processes the Announce of the
	// activity; the boost would be the same post a second time.
	reachActivityOnly
)

// Software names as NodeInfo gives them (lower-cased), by what they do
// with Announces. Only software whose handling of both forms we know is
// listed; anything else gets both. From reading each one's inbox code
// (docs/FEDERATION.md has the sources): Misskey and its forks, Pleroma,
// Akkoma and GoToSocial, like Mastodon, take an Announce's object for a
// post and drop (or fail on, and retry) an Announce of a Create, so they
// get the boost only. Friendica and NodeBB process both forms and show
// the post once, so they get both, replies included.
var (
	boostOnlySoftware = []string{
		"mastodon", "hometown",
		"misskey", "sharkey", "firefish", "calckey", "iceshrimp", "iceshrimp.net", "catodon", "cherrypick",
		"pleroma", "akkoma", "gotosocial",
	}
	activityOnlySoftware = []string{"lemmy", "mbin", "kbin", "piefed", "practica"}
)

// reachOf classifies a NodeInfo software name.
func reachOf(software string) announceReach {
	switch {
	case software == "":
		return reachBoth
	case slices.Contains(boostOnlySoftware, software):
		return reachBoostOnly
	case slices.Contains(activityOnlySoftware, software):
		return reachActivityOnly
	}
	return reachBoth
}

// announceTargets is where a community's Announces go: activity gets the
// Announce of the activity, boost the Announce of a new top-level post.
type announceTargets struct {
	activity, boost []string
}

// splitTargets splits a community's member inboxes by the Announces their
// software processes.
func splitTargets(peers []store.PeerInbox) announceTargets {
	t := announceTargets{activity: make([]string, 0, len(peers)), boost: make([]string, 0, len(peers))}
	for _, p := range peers {
		r := reachOf(p.Software)
		if r != reachBoostOnly {
			t.activity = append(t.activity, p.URL)
		}
		if r != reachActivityOnly {
			t.boost = append(t.boost, p.URL)
		}
	}
	return t
}

// PeersToProbe lists up to limit hosts of community members whose
// software is due to be asked: never asked first, then those whose answer
// is older than PeerSoftwareRefresh, or PeerUnknownRetry without one.
func (s *Service) PeersToProbe(ctx context.Context, limit int) ([]store.PeerToProbe, error) {
	ps, err := s.store.PeersToProbe(ctx, s.now(), limit)
	return ps, storeErr(err, "peers to probe")
}

// RecordPeerSoftware stores what a host said it runs (NodeInfo's
// software.name and version) and when to ask again: after
// PeerSoftwareRefresh; after PeerUnknownRetry when the name is empty (it
// said nothing usable); after PeerFormerRefresh when no present actor of
// the host is a member any more.
func (s *Service) RecordPeerSoftware(ctx context.Context, host, name, version string) error {
	now := s.now()
	p := &models.PeerSoftware{
		Host: strings.ToLower(host), Name: truncateRunes(strings.ToLower(strings.TrimSpace(name)), 64),
		Version: truncateRunes(strings.TrimSpace(version), 64), CheckedAt: now, DueAt: now.Add(PeerSoftwareRefresh),
	}
	if p.Name == "" {
		p.DueAt = now.Add(PeerUnknownRetry)
	}
	if members, err := s.store.PeerHostHasMembers(ctx, p.Host); err != nil {
		return storeErr(err, "members of host")
	} else if !members {
		p.DueAt = now.Add(PeerFormerRefresh)
	}
	return storeErr(s.store.PutPeerSoftware(ctx, p), "peer software")
}
