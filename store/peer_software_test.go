package store_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/practica-social/practica/models"
	"github.com/practica-social/practica/store"
	"github.com/practica-social/practica/testrig"
)

// peerFixture is a local community with members on four hosts: one on
// mastodon.test, two on lemmy.test, one gone on gone.test and one pending
// on pending.test.
func peerFixture(t *testing.T) (*store.Store, *models.Community) {
	t.Helper()
	ctx := context.Background()
	s := testrig.NewStore(t)
	group := newActor("http://org-a.test/c/g", "g", models.ActorGroup, true)
	if err := s.CreateActor(ctx, group); err != nil {
		t.Fatal(err)
	}
	c := &models.Community{ActorID: group.ID, Local: true, Topics: []string{}}
	if err := s.CreateCommunity(ctx, c); err != nil {
		t.Fatal(err)
	}
	gone := time.Now()
	var as []models.Actor
	for i, host := range []string{"mastodon.test", "lemmy.test", "lemmy.test", "gone.test", "pending.test"} {
		iri := fmt.Sprintf("https://%s/u/p%d", host, i)
		a := models.Actor{IRI: iri, Type: models.ActorPerson, Username: fmt.Sprintf("p%d", i), Host: host,
			InboxURL: iri + "/inbox", SharedInboxURL: "https://" + host + "/inbox", Published: time.Now()}
		if host == "gone.test" {
			a.GoneAt = &gone
		}
		as = append(as, a)
	}
	if err := s.CreateActors(ctx, as); err != nil {
		t.Fatal(err)
	}
	var ms []models.Member
	for _, a := range as {
		state := models.MemberAccepted
		if a.Host == "pending.test" {
			state = models.MemberPending
		}
		ms = append(ms, models.Member{CommunityID: c.ID, ActorID: a.ID, Role: models.RoleMember, State: state})
	}
	if err := s.CreateMembers(ctx, ms); err != nil {
		t.Fatal(err)
	}
	return s, c
}

func TestPeersToProbeAndMemberPeerInboxes(t *testing.T) {
	ctx := context.Background()
	s, c := peerFixture(t)
	now := time.Now().UTC()
	hostsOf := func(ps []store.PeerToProbe) []string {
		var hs []string
		for _, p := range ps {
			hs = append(hs, p.Host)
		}
		return hs
	}

	// Never asked: both hosts of accepted, present members, each once,
	// with an actor of it to take the scheme from.
	ps, err := s.PeersToProbe(ctx, now.Add(-7*24*time.Hour), now.Add(-24*time.Hour), 10)
	if err != nil {
		t.Fatal(err)
	}
	if got := hostsOf(ps); !slices.Equal(got, []string{"lemmy.test", "mastodon.test"}) {
		t.Fatalf("peers to probe = %v, want lemmy.test and mastodon.test", got)
	}
	if ps[0].ActorIRI != "https://lemmy.test/u/p1" {
		t.Fatalf("actor of lemmy.test = %q", ps[0].ActorIRI)
	}

	// Mastodon answered an hour ago; Lemmy said nothing usable two days
	// ago: only Lemmy is due (unknown hosts are asked again after a day).
	if err := s.PutPeerSoftware(ctx, &models.PeerSoftware{Host: "Mastodon.test", Name: "mastodon", Version: "4.3.0", CheckedAt: now.Add(-time.Hour)}); err != nil {
		t.Fatal(err)
	}
	if err := s.PutPeerSoftware(ctx, &models.PeerSoftware{Host: "lemmy.test", CheckedAt: now.Add(-48 * time.Hour)}); err != nil {
		t.Fatal(err)
	}
	ps, err = s.PeersToProbe(ctx, now.Add(-7*24*time.Hour), now.Add(-24*time.Hour), 10)
	if err != nil {
		t.Fatal(err)
	}
	if got := hostsOf(ps); !slices.Equal(got, []string{"lemmy.test"}) {
		t.Fatalf("peers to probe = %v, want lemmy.test only", got)
	}
	// A later answer replaces the earlier one.
	if err := s.PutPeerSoftware(ctx, &models.PeerSoftware{Host: "lemmy.test", Name: "lemmy", Version: "0.19.5", CheckedAt: now}); err != nil {
		t.Fatal(err)
	}
	if p, err := s.GetPeerSoftware(ctx, "LEMMY.test"); err != nil || p.Name != "lemmy" || p.Version != "0.19.5" {
		t.Fatalf("software of lemmy.test = %+v, %v", p, err)
	}
	ps, err = s.PeersToProbe(ctx, now.Add(-7*24*time.Hour), now.Add(-24*time.Hour), 10)
	if err != nil || len(ps) != 0 {
		t.Fatalf("peers to probe = %v, %v; want none", ps, err)
	}

	in, err := s.MemberPeerInboxes(ctx, c.ID)
	if err != nil {
		t.Fatal(err)
	}
	slices.SortFunc(in, func(a, b store.PeerInbox) int { return strings.Compare(a.URL, b.URL) })
	want := []store.PeerInbox{{URL: "https://lemmy.test/inbox", Software: "lemmy"}, {URL: "https://mastodon.test/inbox", Software: "mastodon"}}
	if !slices.Equal(in, want) {
		t.Fatalf("member inboxes = %+v, want %+v", in, want)
	}
}

// Hosts never asked come before hosts due again, whatever their names.
func TestPeersToProbeNeverAskedFirst(t *testing.T) {
	ctx := context.Background()
	s, _ := peerFixture(t)
	now := time.Now().UTC()
	if err := s.PutPeerSoftware(ctx, &models.PeerSoftware{Host: "lemmy.test", Name: "lemmy", CheckedAt: now.Add(-8 * 24 * time.Hour)}); err != nil {
		t.Fatal(err)
	}
	ps, err := s.PeersToProbe(ctx, now.Add(-7*24*time.Hour), now.Add(-24*time.Hour), 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(ps) != 2 || ps[0].Host != "mastodon.test" || ps[1].Host != "lemmy.test" {
		t.Fatalf("peers to probe = %+v, want mastodon.test (never asked) before lemmy.test (due again)", ps)
	}
	if ps, err := s.PeersToProbe(ctx, now.Add(-7*24*time.Hour), now.Add(-24*time.Hour), 1); err != nil || len(ps) != 1 || ps[0].Host != "mastodon.test" {
		t.Fatalf("the first peer to probe = %+v, %v; want mastodon.test", ps, err)
	}
}
