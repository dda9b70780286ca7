package service_test

import (
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/practica-social/practica/models"
	"github.com/practica-social/practica/store"
)

// Unliking sends one Undo, to where the like went, and ends the like's
// deliveries that failed and wait for a retry, so that a late Like cannot
// count again after the Undo; a delivery never tried (the fan-out under
// way) is left to go. Unliking again, or at the same moment, sends
// nothing more.
func TestUnlikeUndoesOnceAndAbandonsTheLikesUnsentDeliveries(t *testing.T) {
	f := newFixture(t)
	owner, eve := f.person("owner"), f.person("eve")
	c := f.community("pub", owner, models.VisibilityPublic, models.JoinOpen)
	if _, err := f.svc.Join(f.ctx, eve.ID, c); err != nil {
		t.Fatal(err)
	}
	for _, far := range []*models.Actor{f.remote("r.test", "rita"), f.remote("s.test", "sam")} {
		if _, err := f.svc.ReceiveFollow(f.ctx, c, far, far.IRI+"#f"); err != nil {
			t.Fatal(err)
		}
	}
	p := f.post(owner, c, "Seeds", nil)
	f.sentSince()

	if err := f.svc.LikePost(f.ctx, eve.ID, p.ID); err != nil {
		t.Fatal(err)
	}
	liked := f.sentSince()
	if len(liked) != 1 || liked[0].doc["type"] != "Announce" || len(liked[0].inboxes) != 2 {
		t.Fatalf("like: sent %+v, want one Announce to r.test and s.test", liked)
	}
	announce, err := f.store.GetActivityByIRI(f.ctx, liked[0].doc["id"].(string))
	if err != nil {
		t.Fatal(err)
	}
	// r.test is down: its delivery failed once and waits for a retry.
	ds, err := f.store.ActivityDeliveries(f.ctx, announce.ID)
	if err != nil || len(ds) != 2 {
		t.Fatalf("deliveries of the Announce of the Like: %+v, %v", ds, err)
	}
	down := ds[0].ID
	if ds[1].Host == "r.test" {
		down = ds[1].ID
	}
	if _, err := f.store.RecordDeliveryAttempt(f.ctx, store.DeliveryAttempt{ID: down, State: models.DeliveryPending, Attempts: 1,
		NextAttemptAt: time.Now().Add(time.Hour), LastStatus: 503, LastError: "503 Service Unavailable"}); err != nil {
		t.Fatal(err)
	}

	// Eight unlikes at once: one Undo, announced once.
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			if err := f.svc.UnlikePost(f.ctx, eve.ID, p.ID); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	undone := f.sentSince()
	if len(undone) != 1 || undone[0].doc["type"] != "Announce" {
		t.Fatalf("unlike: sent %d activities, want one Announce of the Undo", len(undone))
	}
	inner, _ := undone[0].doc["object"].(map[string]any)
	if liked, _ := inner["object"].(map[string]any); inner["type"] != "Undo" || liked["type"] != "Like" || liked["actor"] != eve.IRI {
		t.Fatalf("the announced Undo = %v, want the Undo of eve's Like embedding it", inner)
	}
	if ds, err = f.store.ActivityDeliveries(f.ctx, announce.ID); err != nil || len(ds) != 2 {
		t.Fatalf("deliveries of the Announce of the Like: %+v, %v", ds, err)
	}
	for _, d := range ds {
		switch {
		case d.ID == down && (d.State != models.DeliveryFailed || !strings.Contains(d.LastError, "taken back")):
			t.Errorf("the retry to r.test after unliking: %s %q, want failed, not sent", d.State, d.LastError)
		case d.ID != down && d.State != models.DeliveryPending:
			t.Errorf("the delivery to s.test never tried: %s, want it left to go", d.State)
		}
	}
	if got, err := f.store.GetPost(f.ctx, p.ID); err != nil || got.LikeCount != 0 {
		t.Fatalf("like count after unliking: %+v, %v", got, err)
	}
	if err := f.svc.UnlikePost(f.ctx, eve.ID, p.ID); err != nil {
		t.Fatal(err)
	}
	if got := f.sentSince(); len(got) != 0 {
		t.Fatalf("unliking a post not liked sent %d activities", len(got))
	}
}
