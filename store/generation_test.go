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

// TestGenerationChangesOnlyOnceAChangeCommits: a write on its own counts
// at once; one in a transaction only once the transaction commits, never
// after a rollback; writes to the work-in-progress tables do not count.
func TestGenerationChangesOnlyOnceAChangeCommits(t *testing.T) {
	ctx := context.Background()
	s := testrig.NewStore(t)
	g := s.Generation()
	a := newActor("http://org-a.test/u/gen", "gen", models.ActorPerson, true)
	if err := s.CreateActor(ctx, a); err != nil {
		t.Fatal(err)
	}
	if s.Generation() == g {
		t.Fatal("a committed insert left the generation alone")
	}

	g = s.Generation()
	a.Name = "Renamed"
	var inside uint64
	err := s.WithTx(ctx, func(ctx context.Context) error {
		if err := s.UpdateActor(ctx, a); err != nil {
			return err
		}
		inside = s.Generation()
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if inside != g {
		t.Fatal("the generation changed before the transaction committed")
	}
	if s.Generation() == g {
		t.Fatal("a committed transaction left the generation alone")
	}

	g = s.Generation()
	boom := errors.New("boom")
	err = s.WithTx(ctx, func(ctx context.Context) error {
		a.Name = "Rolled back"
		if err := s.UpdateActor(ctx, a); err != nil {
			return err
		}
		return boom
	})
	if !errors.Is(err, boom) {
		t.Fatal(err)
	}
	if s.Generation() != g {
		t.Fatal("a rolled-back transaction changed the generation")
	}

	// Work in progress: queued deliveries and received activities.
	act := &models.Activity{IRI: "http://org-a.test/activities/gen", Type: "Create", ActorID: a.ID, Local: true, JSON: "{}"}
	if err := s.CreateActivity(ctx, act); err != nil {
		t.Fatal(err)
	}
	g = s.Generation()
	if _, err := s.CreateDeliveries(ctx, act.ID, []string{"http://org-b.test/inbox"}, 0, time.Now()); err != nil {
		t.Fatal(err)
	}
	it := &models.InboxItem{ActivityIRI: "http://org-b.test/a/1", ActorIRI: "http://org-b.test/u/b", Body: "{}", ReceivedAt: time.Now()}
	if err := s.CreateInboxItem(ctx, it); err != nil {
		t.Fatal(err)
	}
	if err := s.MarkInboxItem(ctx, it.ID, models.InboxProcessed, "", time.Now()); err != nil {
		t.Fatal(err)
	}
	if s.Generation() != g {
		t.Fatal("writes to deliveries and inbox items changed the generation")
	}
	if !errors.Is(s.CreateActor(ctx, a), store.ErrConflict) || s.Generation() != g {
		t.Fatal("a failed insert changed the generation")
	}
}
