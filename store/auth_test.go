package store_test

import (
	"context"
	"testing"
	"time"

	"github.com/practica-social/practica/models"
	"github.com/practica-social/practica/testrig"
)

func TestInvitesAreUsedAtomically(t *testing.T) {
	ctx := context.Background()
	s := testrig.NewStore(t)
	now := time.Now().UTC()
	exp := now.Add(time.Hour)
	if err := s.CreateInvite(ctx, &models.Invite{Code: "abc", CreatedByID: 1, MaxUses: 2, ExpiresAt: &exp}); err != nil {
		t.Fatal(err)
	}
	for i, want := range []bool{true, true, false} {
		ok, err := s.UseInvite(ctx, "abc", now)
		if err != nil || ok != want {
			t.Fatalf("use %d: %v, %v; want %v", i, ok, err, want)
		}
	}
	if err := s.CreateInvite(ctx, &models.Invite{Code: "old", CreatedByID: 1, MaxUses: 9, ExpiresAt: &now}); err != nil {
		t.Fatal(err)
	}
	if ok, _ := s.UseInvite(ctx, "old", now.Add(time.Second)); ok {
		t.Fatal("an expired invite was used")
	}
	if ok, _ := s.UseInvite(ctx, "missing", now); ok {
		t.Fatal("a missing invite was used")
	}
}

func TestVisitBookmarkOnlyMovesForward(t *testing.T) {
	ctx := context.Background()
	s := testrig.NewStore(t)
	put := func(last int64) {
		if err := s.PutVisit(ctx, &models.Visit{ActorID: 7, Kind: models.VisitThread, TargetID: 3, LastPostID: last, SeenAt: time.Now().UTC()}); err != nil {
			t.Fatal(err)
		}
	}
	put(10)
	put(4)
	v, err := s.GetVisit(ctx, 7, models.VisitThread, 3)
	if err != nil || v.LastPostID != 10 {
		t.Fatalf("bookmark %+v, %v; want 10", v, err)
	}
	put(12)
	if v, _ := s.GetVisit(ctx, 7, models.VisitThread, 3); v.LastPostID != 12 {
		t.Fatalf("bookmark %d, want 12", v.LastPostID)
	}
}

func TestSearchCommunitiesEscapesWildcards(t *testing.T) {
	ctx := context.Background()
	s := testrig.NewStore(t)
	for i, name := range []string{"100% Organic", "Plain"} {
		a := &models.Actor{IRI: "http://x.test/c/" + string(rune('a'+i)), Type: models.ActorGroup, Username: string(rune('a' + i)), Host: "x.test", Name: name, Discoverable: true, Published: time.Now()}
		if err := s.UpsertRemoteActor(ctx, a); err != nil {
			t.Fatal(err)
		}
		if err := s.CreateCommunity(ctx, &models.Community{ActorID: a.ID, Topics: []string{"t_" + name}}); err != nil {
			t.Fatal(err)
		}
	}
	for q, want := range map[string]int{"": 2, "%": 1, "_": 2, "organic": 1, "T_PLAIN": 1, "zzz": 0, "x.test": 2} {
		cs, err := s.SearchCommunities(ctx, q, false, 10)
		if err != nil || len(cs) != want {
			t.Errorf("search %q: %d results, %v; want %d", q, len(cs), err, want)
		}
	}
}
