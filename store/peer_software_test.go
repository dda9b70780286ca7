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

	// Never asked: the hosts of accepted members (a gone one too: it may
	// come back), each once, with an actor of it to take the scheme from.
	ps, err := s.PeersToProbe(ctx, now, 10)
	if err != nil {
		t.Fatal(err)
	}
	if got := hostsOf(ps); !slices.Equal(got, []string{"gone.test", "lemmy.test", "mastodon.test"}) {
		t.Fatalf("peers to probe = %v, want gone.test, lemmy.test and mastodon.test", got)
	}
	if ps[1].ActorIRI != "https://lemmy.test/u/p1" {
		t.Fatalf("actor of lemmy.test = %q", ps[1].ActorIRI)
	}
	if err := s.PutPeerSoftware(ctx, &models.PeerSoftware{Host: "gone.test", CheckedAt: now, DueAt: now.Add(30 * 24 * time.Hour)}); err != nil {
		t.Fatal(err)
	}

	// Mastodon answered an hour ago and is due in a week; Lemmy said
	// nothing usable two days ago and was due a day later: only Lemmy.
	if err := s.PutPeerSoftware(ctx, &models.PeerSoftware{Host: "Mastodon.test", Name: "mastodon", Version: "4.3.0",
		CheckedAt: now.Add(-time.Hour), DueAt: now.Add(7*24*time.Hour - time.Hour)}); err != nil {
		t.Fatal(err)
	}
	if err := s.PutPeerSoftware(ctx, &models.PeerSoftware{Host: "lemmy.test", CheckedAt: now.Add(-48 * time.Hour), DueAt: now.Add(-24 * time.Hour)}); err != nil {
		t.Fatal(err)
	}
	ps, err = s.PeersToProbe(ctx, now, 10)
	if err != nil {
		t.Fatal(err)
	}
	if got := hostsOf(ps); !slices.Equal(got, []string{"lemmy.test"}) {
		t.Fatalf("peers to probe = %v, want lemmy.test only", got)
	}
	// A later answer replaces the earlier one and keeps the actor.
	if err := s.PutPeerSoftware(ctx, &models.PeerSoftware{Host: "lemmy.test", Name: "lemmy", Version: "0.19.5", CheckedAt: now, DueAt: now.Add(time.Hour)}); err != nil {
		t.Fatal(err)
	}
	p, err := s.GetPeerSoftware(ctx, "LEMMY.test")
	if err != nil || p.Name != "lemmy" || p.Version != "0.19.5" || p.ActorIRI != "https://lemmy.test/u/p1" {
		t.Fatalf("software of lemmy.test = %+v, %v", p, err)
	}
	ps, err = s.PeersToProbe(ctx, now, 10)
	if err != nil || len(ps) != 0 {
		t.Fatalf("peers to probe = %v, %v; want none", ps, err)
	}
	if ps, err = s.PeersToProbe(ctx, now.Add(2*time.Hour), 10); err != nil || !slices.Equal(hostsOf(ps), []string{"lemmy.test"}) {
		t.Fatalf("peers to probe in two hours = %v, %v; want lemmy.test", ps, err)
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

// hostsOf lists the hosts of peers to probe, in order.
func hostsOf(ps []store.PeerToProbe) []string {
	var hs []string
	for _, p := range ps {
		hs = append(hs, p.Host)
	}
	return hs
}

// Hosts never asked come before hosts due again, whatever their names.
func TestPeersToProbeNeverAskedFirst(t *testing.T) {
	ctx := context.Background()
	s, _ := peerFixture(t)
	now := time.Now().UTC()
	if err := s.PutPeerSoftware(ctx, &models.PeerSoftware{Host: "lemmy.test", Name: "lemmy", CheckedAt: now.Add(-8 * 24 * time.Hour), DueAt: now.Add(-24 * time.Hour)}); err != nil {
		t.Fatal(err)
	}
	ps, err := s.PeersToProbe(ctx, now, 10)
	if err != nil {
		t.Fatal(err)
	}
	if got := hostsOf(ps); !slices.Equal(got, []string{"gone.test", "mastodon.test", "lemmy.test"}) {
		t.Fatalf("peers to probe = %v, want gone.test and mastodon.test (never asked) before lemmy.test (due again)", got)
	}
	if ps, err := s.PeersToProbe(ctx, now, 1); err != nil || len(ps) != 1 || ps[0].Host != "gone.test" {
		t.Fatalf("the first peer to probe = %+v, %v; want gone.test", ps, err)
	}
}

// A membership accepted one at a time (PutMember) notes its host like the
// bulk path does, a gone actor's too (fetched again, it comes back with its
// memberships); a pending one and a local one do not. A host already noted
// keeps the actor it was noted with.
func TestAcceptedMembersNoteTheirHosts(t *testing.T) {
	ctx := context.Background()
	s, c := peerFixture(t)
	now := time.Now().UTC()
	// misskey.test was asked before it had members (no actor known).
	if err := s.PutPeerSoftware(ctx, &models.PeerSoftware{Host: "misskey.test", Name: "misskey", CheckedAt: now, DueAt: now.Add(time.Hour)}); err != nil {
		t.Fatal(err)
	}
	gone := now
	var as []models.Actor
	for i, host := range []string{"misskey.test", "akkoma.test", "gone2.test", "org-a.test"} {
		iri := fmt.Sprintf("https://%s/users/q%d", host, i)
		a := models.Actor{IRI: iri, Type: models.ActorPerson, Username: fmt.Sprintf("q%d", i), Host: host,
			InboxURL: iri + "/inbox", Published: now, Local: host == "org-a.test"}
		if host == "gone2.test" {
			a.GoneAt = &gone
		}
		as = append(as, a)
	}
	if err := s.CreateActors(ctx, as); err != nil {
		t.Fatal(err)
	}
	put := func(a models.Actor, state models.MemberState) {
		t.Helper()
		if err := s.PutMember(ctx, &models.Member{CommunityID: c.ID, ActorID: a.ID, Role: models.RoleMember, State: state}); err != nil {
			t.Fatal(err)
		}
	}
	put(as[1], models.MemberPending)
	for _, a := range []models.Actor{as[0], as[2], as[3]} {
		put(a, models.MemberAccepted)
	}
	due := func() []string {
		t.Helper()
		ps, err := s.PeersToProbe(ctx, now, 10)
		if err != nil {
			t.Fatal(err)
		}
		return hostsOf(ps)
	}
	if got := due(); !slices.Equal(got, []string{"gone.test", "gone2.test", "lemmy.test", "mastodon.test"}) {
		t.Fatalf("peers to probe = %v, want gone2.test and the fixture's hosts", got)
	}
	p, err := s.GetPeerSoftware(ctx, "misskey.test")
	if err != nil || p.Name != "misskey" || p.DueAt.Sub(now.Add(time.Hour)).Abs() > time.Millisecond || p.ActorIRI != as[0].IRI {
		t.Fatalf("misskey.test = %+v, %v; want its answer kept and its actor noted", p, err)
	}
	// Accepting the pending member makes its host due.
	put(as[1], models.MemberAccepted)
	if got := due(); !slices.Equal(got, []string{"akkoma.test", "gone.test", "gone2.test", "lemmy.test", "mastodon.test"}) {
		t.Fatalf("peers to probe = %v, want akkoma.test too", got)
	}
	// A second member on misskey.test, with an IRI that sorts first:
	// the host keeps the actor it has.
	second := models.Actor{IRI: "https://misskey.test/a/first", Type: models.ActorPerson, Username: "first", Host: "misskey.test", InboxURL: "https://misskey.test/a/first/inbox", Published: now}
	if err := s.CreateActor(ctx, &second); err != nil {
		t.Fatal(err)
	}
	put(second, models.MemberAccepted)
	if p, err := s.GetPeerSoftware(ctx, "misskey.test"); err != nil || p.ActorIRI != as[0].IRI || p.Name != "misskey" {
		t.Fatalf("misskey.test after a second member = %+v, %v; want its first actor and answer kept", p, err)
	}
}

// Migration 7 gives every host of an accepted member a row, never asked,
// and the rows there a due time from their answer.
func TestMigration7NotesMemberHostsAndDueTimes(t *testing.T) {
	ctx := context.Background()
	s, raw := testrig.NewStoreAt(t, 6)
	group := newActor("http://org-a.test/c/g", "g", models.ActorGroup, true)
	if err := s.CreateActor(ctx, group); err != nil {
		t.Fatal(err)
	}
	c := &models.Community{ActorID: group.ID, Local: true, Topics: []string{}}
	if err := s.CreateCommunity(ctx, c); err != nil {
		t.Fatal(err)
	}
	now := time.Now().UTC().Truncate(time.Second)
	var as []models.Actor
	for i, host := range []string{"new.test", "new.test", "known.test", "unknown.test", "pending.test"} {
		iri := fmt.Sprintf("https://%s/u/m%d", host, i)
		as = append(as, models.Actor{IRI: iri, Type: models.ActorPerson, Username: fmt.Sprintf("m%d", i), Host: host, InboxURL: iri + "/inbox", Published: now})
	}
	if err := s.CreateActors(ctx, as); err != nil {
		t.Fatal(err)
	}
	for _, a := range as {
		state := models.MemberAccepted
		if a.Host == "pending.test" {
			state = models.MemberPending
		}
		err := raw.Exec("INSERT INTO members (community_id, actor_id, role, state, follow_iri, created_at, updated_at) VALUES (?, ?, ?, ?, '', ?, ?)",
			c.ID, a.ID, models.RoleMember, state, now, now).Error
		if err != nil {
			t.Fatal(err)
		}
	}
	for _, r := range []struct {
		host, name string
		checked    time.Time
	}{{"known.test", "mastodon", now.Add(-time.Hour)}, {"unknown.test", "", now.Add(-time.Hour)}, {"former.test", "lemmy", now.Add(-8 * 24 * time.Hour)}} {
		if err := raw.Exec("INSERT INTO peer_software (host, name, version, checked_at) VALUES (?, ?, '', ?)", r.host, r.name, r.checked).Error; err != nil {
			t.Fatal(err)
		}
	}
	if err := s.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	ps, err := s.PeersToProbe(ctx, now, 10)
	if err != nil {
		t.Fatal(err)
	}
	// new.test never asked comes first; former.test (no member any more)
	// was due a day ago; known.test and unknown.test are not due.
	if got := hostsOf(ps); !slices.Equal(got, []string{"new.test", "former.test"}) {
		t.Fatalf("peers to probe after migration 7 = %v, want new.test then former.test", got)
	}
	if ps[0].ActorIRI != "https://new.test/u/m0" {
		t.Fatalf("actor of new.test = %q", ps[0].ActorIRI)
	}
	for host, due := range map[string]time.Time{"known.test": now.Add(-time.Hour + 7*24*time.Hour), "unknown.test": now.Add(23 * time.Hour)} {
		p, err := s.GetPeerSoftware(ctx, host)
		if err != nil || !p.DueAt.Equal(due) || p.ActorIRI != fmt.Sprintf("https://%s/u/m%d", host, map[string]int{"known.test": 2, "unknown.test": 3}[host]) {
			t.Fatalf("%s after migration 7 = %+v, %v; want due %s with its member as actor", host, p, err, due)
		}
	}
}

// On Postgres a membership's transaction must not lock its host's
// peer_software row: with one accept from lemmy.test still open, another
// accept from that host and a probe answer for it go through at once.
func TestNotingAHostDoesNotLockItsRow(t *testing.T) {
	ctx := context.Background()
	s, c := peerFixture(t)
	if s.Dialect() != store.DialectPostgres {
		t.Skip("SQLite has one writer: every write waits for an open transaction")
	}
	now := time.Now().UTC()
	var as []models.Actor
	for i := range 2 {
		iri := fmt.Sprintf("https://lemmy.test/u/late%d", i)
		as = append(as, models.Actor{IRI: iri, Type: models.ActorPerson, Username: fmt.Sprintf("late%d", i), Host: "lemmy.test", InboxURL: iri + "/inbox", Published: now})
	}
	if err := s.CreateActors(ctx, as); err != nil {
		t.Fatal(err)
	}
	held, release, done := make(chan struct{}), make(chan struct{}), make(chan error, 1)
	go func() {
		done <- s.WithTx(ctx, func(ctx context.Context) error {
			if err := s.PutMember(ctx, &models.Member{CommunityID: c.ID, ActorID: as[0].ID, Role: models.RoleMember, State: models.MemberAccepted}); err != nil {
				return err
			}
			close(held)
			<-release
			return nil
		})
	}()
	<-held
	defer func() {
		close(release)
		if err := <-done; err != nil {
			t.Error(err)
		}
	}()
	quick, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	if err := s.PutMember(quick, &models.Member{CommunityID: c.ID, ActorID: as[1].ID, Role: models.RoleMember, State: models.MemberAccepted}); err != nil {
		t.Fatalf("a second accept from the host while the first is open: %v", err)
	}
	if err := s.PutPeerSoftware(quick, &models.PeerSoftware{Host: "lemmy.test", Name: "lemmy", CheckedAt: now, DueAt: now.Add(time.Hour)}); err != nil {
		t.Fatalf("a probe answer for the host while an accept is open: %v", err)
	}
}
