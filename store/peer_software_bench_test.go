package store_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/practica-social/practica/models"
	"github.com/practica-social/practica/store"
	"github.com/practica-social/practica/testrig"
)

// seedPeers stores a local community with members remote actors on
// hosts hosts, every host known (asked now, due in an hour).
func seedPeers(b *testing.B, members, hosts int) (*store.Store, *models.Community, time.Time) {
	b.Helper()
	ctx := context.Background()
	s := testrig.NewStore(b)
	group := newActor("http://org-a.test/c/g", "g", models.ActorGroup, true)
	if err := s.CreateActor(ctx, group); err != nil {
		b.Fatal(err)
	}
	c := &models.Community{ActorID: group.ID, Local: true, Topics: []string{}}
	if err := s.CreateCommunity(ctx, c); err != nil {
		b.Fatal(err)
	}
	as := make([]models.Actor, members)
	for i := range as {
		host := fmt.Sprintf("h%d.test", i%hosts)
		iri := fmt.Sprintf("https://%s/u/p%d", host, i)
		as[i] = models.Actor{IRI: iri, Type: models.ActorPerson, Username: fmt.Sprintf("p%d", i), Host: host,
			InboxURL: iri + "/inbox", SharedInboxURL: "https://" + host + "/inbox", Published: time.Now()}
	}
	if err := s.CreateActors(ctx, as); err != nil {
		b.Fatal(err)
	}
	ms := make([]models.Member, members)
	for i, a := range as {
		ms[i] = models.Member{CommunityID: c.ID, ActorID: a.ID, Role: models.RoleMember, State: models.MemberAccepted}
	}
	if err := s.CreateMembers(ctx, ms); err != nil {
		b.Fatal(err)
	}
	now := time.Now()
	for i := range hosts {
		p := &models.PeerSoftware{Host: fmt.Sprintf("h%d.test", i), Name: "mastodon", CheckedAt: now, DueAt: now.Add(time.Hour)}
		if err := s.PutPeerSoftware(ctx, p); err != nil {
			b.Fatal(err)
		}
	}
	return s, c, now
}

// The prober's query each minute, for a community of 50,000 members on
// 5,000 hosts, none due: it reads peer_software by due time, never the
// memberships. go test ./store -run '^$' -bench PeersToProbe
func BenchmarkPeersToProbe50k(b *testing.B) {
	s, _, now := seedPeers(b, 50000, 5000)
	ctx := context.Background()
	for b.Loop() {
		if ps, err := s.PeersToProbe(ctx, now, 64); err != nil || len(ps) != 0 {
			b.Fatalf("peers to probe = %v, %v", ps, err)
		}
	}
}

// The inboxes of a 50,000-member community with their software, read once
// per announce (or batch of announces).
// go test ./store -run '^$' -bench MemberPeerInboxes
func BenchmarkMemberPeerInboxes50k(b *testing.B) {
	s, c, _ := seedPeers(b, 50000, 5000)
	ctx := context.Background()
	for b.Loop() {
		if in, err := s.MemberPeerInboxes(ctx, c.ID); err != nil || len(in) != 5000 {
			b.Fatalf("member inboxes = %d, %v", len(in), err)
		}
	}
}
