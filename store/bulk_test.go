package store_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/practica-social/practica/models"
	"github.com/practica-social/practica/store"
	"github.com/practica-social/practica/testrig"
)

func TestCreateActorsAndMembersInBulk(t *testing.T) {
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
	// More than one batch, on two hosts.
	const n = 1203
	as := make([]models.Actor, n)
	for i := range as {
		host := fmt.Sprintf("h%d.test", i%2)
		iri := fmt.Sprintf("http://%s/u/p%d", host, i)
		as[i] = models.Actor{IRI: iri, Type: models.ActorPerson, Username: fmt.Sprintf("p%d", i), Host: host,
			InboxURL: iri + "/inbox", SharedInboxURL: "http://" + host + "/inbox", Published: time.Now()}
	}
	if err := s.CreateActors(ctx, as); err != nil {
		t.Fatal(err)
	}
	ms := make([]models.Member, n)
	for i := range as {
		if as[i].ID == 0 || as[i].Kind != models.KindPerson {
			t.Fatalf("actor %d: id %d kind %q", i, as[i].ID, as[i].Kind)
		}
		ms[i] = models.Member{CommunityID: c.ID, ActorID: as[i].ID, Role: models.RoleMember, State: models.MemberAccepted}
	}
	if err := s.CreateMembers(ctx, ms); err != nil {
		t.Fatal(err)
	}
	if got, err := s.CountMembers(ctx, c.ID); err != nil || got != n {
		t.Fatalf("members = %d, %v; want %d", got, err, n)
	}
	inboxes, err := s.MemberInboxes(ctx, c.ID)
	if err != nil || len(inboxes) != 2 {
		t.Fatalf("member inboxes = %v, %v; want the two shared inboxes", inboxes, err)
	}
	got, err := s.GetActorByIRI(ctx, as[n-1].IRI)
	if err != nil || got.ID != as[n-1].ID || got.Local {
		t.Fatalf("stored actor = %+v, %v", got, err)
	}
	// A clash fails the whole call and stores nothing of it.
	dup := []models.Actor{{IRI: "http://h0.test/u/new", Type: models.ActorPerson, Username: "new", Host: "h0.test", Published: time.Now()}, as[0]}
	dup[1].ID = 0
	if err := s.CreateActors(ctx, dup); !errors.Is(err, store.ErrConflict) {
		t.Fatalf("duplicate actor: %v, want ErrConflict", err)
	}
	if _, err := s.GetActorByIRI(ctx, "http://h0.test/u/new"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("actor of a failed batch stored: %v", err)
	}
}

func TestGetCommunityByActorIRI(t *testing.T) {
	ctx := context.Background()
	s := testrig.NewStore(t)
	group := newActor("http://org-a.test/c/g", "g", models.ActorGroup, true)
	person := newActor("http://org-a.test/u/p", "p", models.ActorPerson, true)
	for _, a := range []*models.Actor{group, person} {
		if err := s.CreateActor(ctx, a); err != nil {
			t.Fatal(err)
		}
	}
	c := &models.Community{ActorID: group.ID, Local: true, Topics: []string{"soil"}, Visibility: models.VisibilityMembers}
	if err := s.CreateCommunity(ctx, c); err != nil {
		t.Fatal(err)
	}
	got, err := s.GetCommunityByActorIRI(ctx, group.IRI)
	if err != nil {
		t.Fatal(err)
	}
	if got.ID != c.ID || !got.Local || got.Visibility != models.VisibilityMembers || len(got.Topics) != 1 {
		t.Fatalf("community = %+v", got)
	}
	if got.Actor == nil || got.Actor.ID != group.ID || got.Actor.IRI != group.IRI || got.Actor.Type != models.ActorGroup || got.Actor.InboxURL != group.InboxURL {
		t.Fatalf("community's actor = %+v", got.Actor)
	}
	for _, iri := range []string{person.IRI, "http://org-a.test/c/none"} {
		if _, err := s.GetCommunityByActorIRI(ctx, iri); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("%s: %v, want ErrNotFound", iri, err)
		}
	}
}
