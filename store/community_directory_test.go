package store_test

import (
	"context"
	"strings"
	"testing"

	"github.com/practica-social/practica/models"
	"github.com/practica-social/practica/store"
	"github.com/practica-social/practica/testrig"
)

func TestCommunityDirectoryPage(t *testing.T) {
	ctx := context.Background()
	s := testrig.NewStore(t)
	mk := func(host, name string, local bool, vis models.Visibility, topics ...string) *models.Community {
		t.Helper()
		a := newActor("http://"+host+"/c/"+name, name, models.ActorGroup, local)
		a.Host, a.Name = host, strings.ToUpper(name)
		if err := s.CreateActor(ctx, a); err != nil {
			t.Fatal(err)
		}
		c := &models.Community{ActorID: a.ID, Local: local, Topics: topics, Visibility: vis, JoinPolicy: models.JoinOpen}
		if err := s.CreateCommunity(ctx, c); err != nil {
			t.Fatal(err)
		}
		return c
	}
	soil := mk("org-a.test", "soil", true, models.VisibilityPublic, "compost", "50%_off")
	birds := mk("org-b.test", "birds", false, models.VisibilityPublic, "owls")
	secret := mk("org-a.test", "secret", true, models.VisibilityMembers)
	gone := mk("org-c.test", "gone", false, models.VisibilityPublic)
	if err := s.MarkActorGone(ctx, gone.ActorID, gone.CreatedAt); err != nil {
		t.Fatal(err)
	}
	member := newActor("http://org-a.test/u/m", "m", models.ActorPerson, true)
	if err := s.CreateActor(ctx, member); err != nil {
		t.Fatal(err)
	}
	if err := s.PutMember(ctx, &models.Member{CommunityID: secret.ID, ActorID: member.ID, Role: models.RoleMember, State: models.MemberAccepted}); err != nil {
		t.Fatal(err)
	}

	names := func(q store.CommunitySearch) string {
		t.Helper()
		if q.Limit == 0 {
			q.Limit = 10
		}
		cs, err := s.CommunityDirectoryPage(ctx, q)
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, c := range cs {
			if c.Actor == nil {
				t.Fatal("actor not loaded")
			}
			out = append(out, c.Actor.Username)
		}
		return strings.Join(out, " ")
	}
	for _, c := range []struct {
		q    store.CommunitySearch
		want string
	}{
		{store.CommunitySearch{}, "birds soil"},
		{store.CommunitySearch{ViewerActorID: member.ID}, "secret birds soil"},
		{store.CommunitySearch{Limit: 1}, "birds"},
		{store.CommunitySearch{Before: birds.ID}, "soil"},
		{store.CommunitySearch{Before: soil.ID}, ""},
		{store.CommunitySearch{Query: "OWL"}, "birds"},
		{store.CommunitySearch{Query: "org-b"}, "birds"},
		{store.CommunitySearch{Query: "Soi"}, "soil"},
		{store.CommunitySearch{Query: "50%_"}, "soil"},
		{store.CommunitySearch{Query: "5_%"}, ""},
		{store.CommunitySearch{Query: "gone"}, ""},
		{store.CommunitySearch{Query: "secret"}, ""},
	} {
		if got := names(c.q); got != c.want {
			t.Errorf("%+v: %q, want %q", c.q, got, c.want)
		}
	}
}
