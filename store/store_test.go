package store_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/practica-social/practica/models"
	"github.com/practica-social/practica/store"
	"github.com/practica-social/practica/testrig"
)

func newActor(iri, user string, typ models.ActorType, local bool) *models.Actor {
	return &models.Actor{IRI: iri, Type: typ, Username: user, Host: "org-a.test", Local: local, InboxURL: iri + "/inbox", Discoverable: true, Published: time.Now()}
}

func TestActorsAreUniqueByIRIAndHandlePerKind(t *testing.T) {
	ctx := context.Background()
	s := testrig.NewStore(t)
	if err := s.CreateActor(ctx, newActor("http://org-a.test/u/x", "x", models.ActorPerson, true)); err != nil {
		t.Fatal(err)
	}
	// A group may share a person's name (as on Lemmy) …
	if err := s.CreateActor(ctx, newActor("http://org-a.test/c/x", "x", models.ActorGroup, true)); err != nil {
		t.Fatalf("group sharing a person's name: %v", err)
	}
	// … but not another person's, nor an IRI.
	err := s.CreateActor(ctx, newActor("http://org-a.test/u/x2", "x", models.ActorPerson, true))
	if !errors.Is(err, store.ErrConflict) {
		t.Fatalf("duplicate handle: %v, want ErrConflict", err)
	}
	err = s.CreateActor(ctx, newActor("http://org-a.test/u/x", "y", models.ActorPerson, true))
	if !errors.Is(err, store.ErrConflict) {
		t.Fatalf("duplicate IRI: %v, want ErrConflict", err)
	}
	as, err := s.FindActorsByHandle(ctx, "X", "org-a.test")
	if err != nil || len(as) != 2 || as[0].Type != models.ActorPerson || as[1].Type != models.ActorGroup {
		t.Fatalf("FindActorsByHandle = %+v, %v; want person then group", as, err)
	}
	if _, err := s.GetActorByIRI(ctx, "http://nowhere/u/z"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("missing actor: %v, want ErrNotFound", err)
	}
}

func TestUpsertRemoteActorRefreshesButNeverOverwritesLocal(t *testing.T) {
	ctx := context.Background()
	s := testrig.NewStore(t)
	local := newActor("http://org-a.test/u/me", "me", models.ActorPerson, true)
	local.PrivateKeyPEM = "secret"
	if err := s.CreateActor(ctx, local); err != nil {
		t.Fatal(err)
	}
	evil := newActor("http://org-a.test/u/me", "me", models.ActorPerson, false)
	if err := s.UpsertRemoteActor(ctx, evil); !errors.Is(err, store.ErrConflict) {
		t.Fatalf("remote upsert over a local actor: %v, want ErrConflict", err)
	}
	r := newActor("http://org-b.test/u/bob", "bob", models.ActorPerson, false)
	r.Host, r.Name = "org-b.test", "Bob"
	if err := s.UpsertRemoteActor(ctx, r); err != nil {
		t.Fatal(err)
	}
	r2 := newActor("http://org-b.test/u/bob", "bob", models.ActorPerson, false)
	r2.Host, r2.Name = "org-b.test", "Bob B."
	if err := s.UpsertRemoteActor(ctx, r2); err != nil {
		t.Fatal(err)
	}
	got, err := s.GetActorByIRI(ctx, "http://org-b.test/u/bob")
	if err != nil || got.Name != "Bob B." || got.ID != r.ID {
		t.Fatalf("after refresh: %+v %v", got, err)
	}
}

func TestCreateDeliveriesIsIdempotent(t *testing.T) {
	ctx := context.Background()
	s := testrig.NewStore(t)
	a := newActor("http://org-a.test/c/g", "g", models.ActorGroup, true)
	if err := s.CreateActor(ctx, a); err != nil {
		t.Fatal(err)
	}
	act := &models.Activity{IRI: "http://org-a.test/activities/1", Type: "Announce", ActorID: a.ID, JSON: "{}"}
	if err := s.CreateActivity(ctx, act); err != nil {
		t.Fatal(err)
	}
	inboxes := []string{"http://b.test/inbox", "http://c.test/inbox", "http://b.test/inbox"}
	n, err := s.CreateDeliveries(ctx, act.ID, inboxes, 0, time.Now())
	if err != nil || n != 2 {
		t.Fatalf("first fan-out created %d, %v; want 2", n, err)
	}
	n, err = s.CreateDeliveries(ctx, act.ID, append(inboxes, "http://d.test/inbox"), 0, time.Now())
	if err != nil || n != 1 {
		t.Fatalf("second fan-out created %d, %v; want 1 (only the new inbox)", n, err)
	}
	if err := s.CreateActivity(ctx, &models.Activity{IRI: act.IRI, Type: "Announce", ActorID: a.ID, JSON: "{}"}); !errors.Is(err, store.ErrConflict) {
		t.Fatalf("duplicate activity: %v, want ErrConflict", err)
	}
}

func TestWithTxRollsBackAndRunsAfterCommitOnlyOnCommit(t *testing.T) {
	ctx := context.Background()
	s := testrig.NewStore(t)
	ran := 0
	boom := errors.New("boom")
	err := s.WithTx(ctx, func(ctx context.Context) error {
		if err := s.CreateActor(ctx, newActor("http://org-a.test/u/r", "r", models.ActorPerson, true)); err != nil {
			return err
		}
		store.AfterCommit(ctx, func() { ran++ })
		return boom
	})
	if !errors.Is(err, boom) || ran != 0 {
		t.Fatalf("rollback: err %v, hooks run %d", err, ran)
	}
	if _, err := s.GetActorByIRI(ctx, "http://org-a.test/u/r"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("rolled-back actor still there: %v", err)
	}
	err = s.WithTx(ctx, func(ctx context.Context) error {
		store.AfterCommit(ctx, func() { ran++ })
		return s.CreateActor(ctx, newActor("http://org-a.test/u/r", "r", models.ActorPerson, true))
	})
	if err != nil || ran != 1 {
		t.Fatalf("commit: err %v, hooks run %d", err, ran)
	}
}

func TestSettings(t *testing.T) {
	ctx := context.Background()
	s := testrig.NewStore(t)
	if v, err := s.GetSetting(ctx, "k", "def"); err != nil || v != "def" {
		t.Fatalf("unset: %q %v", v, err)
	}
	for _, v := range []string{"one", "two"} {
		if err := s.PutSetting(ctx, "k", v); err != nil {
			t.Fatal(err)
		}
		if got, err := s.GetSetting(ctx, "k", "def"); err != nil || got != v {
			t.Fatalf("got %q %v, want %q", got, err, v)
		}
	}
}

// GORM skips zero values of fields with a default on insert; a false must
// still be stored as false (a members-only community is not discoverable,
// a remote activity is not local).
func TestFalseBooleansAreStoredAsFalse(t *testing.T) {
	ctx := context.Background()
	s := testrig.NewStore(t)
	a := newActor("http://org-a.test/c/hidden", "hidden", models.ActorGroup, true)
	a.Discoverable = false
	if err := s.CreateActor(ctx, a); err != nil {
		t.Fatal(err)
	}
	got, err := s.GetActorByIRI(ctx, a.IRI)
	if err != nil || got.Discoverable {
		t.Fatalf("discoverable = %v (%v), want false", got.Discoverable, err)
	}
	act := &models.Activity{IRI: "http://org-b.test/act/1", Type: "Create", ActorID: a.ID, Local: false, JSON: "{}"}
	if err := s.CreateActivity(ctx, act); err != nil {
		t.Fatal(err)
	}
	if got, err := s.GetActivityByIRI(ctx, act.IRI); err != nil || got.Local {
		t.Fatalf("remote activity stored as local (%v)", err)
	}
}
