package store_test

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/practica-social/practica/models"
	"github.com/practica-social/practica/store"
	"github.com/practica-social/practica/testrig"
)

// seedDeliveries stores an activity and n deliveries to distinct inboxes,
// due at due, and returns the activity id and the rows.
func seedDeliveries(t *testing.T, s *store.Store, n, priority int, due time.Time) (int64, []models.Delivery) {
	t.Helper()
	ctx := context.Background()
	act := &models.Activity{IRI: "https://org-a.test/activities/" + testrig.RandomID(), Type: "Create", ActorID: 1, JSON: `{}`}
	if err := s.CreateActivity(ctx, act); err != nil {
		t.Fatal(err)
	}
	inboxes := make([]string, n)
	for i := range inboxes {
		inboxes[i] = fmt.Sprintf("https://h%d.test/inbox", i)
	}
	if _, err := s.CreateDeliveries(ctx, act.ID, inboxes, priority, due); err != nil {
		t.Fatal(err)
	}
	ds, err := s.ActivityDeliveries(ctx, act.ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(ds) != n {
		t.Fatalf("seeded %d deliveries, want %d", len(ds), n)
	}
	return act.ID, ds
}

func TestClaimActivityDeliveriesLeasesDueRows(t *testing.T) {
	s := testrig.NewStore(t)
	ctx := context.Background()
	now := time.Now().UTC().Truncate(time.Second)
	actID, ds := seedDeliveries(t, s, 5, 0, now.Add(-time.Minute))
	// One row is not due yet and one is finished: neither may be claimed.
	if err := s.RescheduleDeliveries(ctx, []int64{ds[3].ID}, now.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	if _, err := s.MarkDeliveriesDone(ctx, []int64{ds[4].ID}, 202, now); err != nil {
		t.Fatal(err)
	}
	lease := now.Add(5 * time.Minute)
	got, err := s.ClaimActivityDeliveries(ctx, actID, now, lease, 2)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 {
		t.Fatalf("claimed %d rows with limit 2", len(got))
	}
	for _, d := range got {
		if !d.NextAttemptAt.Equal(lease) {
			t.Errorf("claimed row %d has NextAttemptAt %v, want the lease %v", d.ID, d.NextAttemptAt, lease)
		}
		if d.InboxURL == "" || d.ActivityID != actID {
			t.Errorf("claimed row not fully read back: %+v", d)
		}
	}
	rest, err := s.ClaimActivityDeliveries(ctx, actID, now, lease, 100)
	if err != nil {
		t.Fatal(err)
	}
	if len(rest) != 1 || rest[0].ID != ds[2].ID {
		t.Fatalf("second claim got %v, want only row %d", ids(rest), ds[2].ID)
	}
	if again, _ := s.ClaimActivityDeliveries(ctx, actID, now, lease, 100); len(again) != 0 {
		t.Fatalf("leased rows claimed twice: %v", ids(again))
	}
	// Once the lease has run out the rows are due again: a dead worker's
	// claims come back.
	later, err := s.ClaimActivityDeliveries(ctx, actID, lease, lease.Add(time.Minute), 100)
	if err != nil {
		t.Fatal(err)
	}
	if len(later) != 3 {
		t.Fatalf("after the lease expired claimed %v, want the 3 leased rows", ids(later))
	}
}

func TestClaimActivityDeliveriesHighestPriorityFirst(t *testing.T) {
	s := testrig.NewStore(t)
	ctx := context.Background()
	now := time.Now().UTC()
	actID, _ := seedDeliveries(t, s, 3, 0, now)
	if _, err := s.CreateDeliveries(ctx, actID, []string{"https://direct.test/inbox"}, 10, now); err != nil {
		t.Fatal(err)
	}
	got, err := s.ClaimActivityDeliveries(ctx, actID, now, now.Add(time.Minute), 1)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 || got[0].Priority != 10 {
		t.Fatalf("first claim got %+v, want the priority-10 row", got)
	}
}

func TestClaimActivityDeliveriesConcurrentClaimersTakeDisjointRows(t *testing.T) {
	s := testrig.NewStore(t)
	ctx := context.Background()
	now := time.Now().UTC()
	actID, _ := seedDeliveries(t, s, 200, 0, now)
	var (
		mu   sync.Mutex
		seen = map[int64]int{}
		wg   sync.WaitGroup
	)
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				got, err := s.ClaimActivityDeliveries(ctx, actID, now, now.Add(time.Hour), 7)
				if err != nil {
					t.Error(err)
					return
				}
				if len(got) == 0 {
					return
				}
				mu.Lock()
				for _, d := range got {
					seen[d.ID]++
				}
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	if len(seen) != 200 {
		t.Fatalf("claimed %d distinct rows, want 200", len(seen))
	}
	for id, n := range seen {
		if n != 1 {
			t.Fatalf("row %d claimed %d times", id, n)
		}
	}
}

func TestClaimDelivery(t *testing.T) {
	s := testrig.NewStore(t)
	ctx := context.Background()
	now := time.Now().UTC()
	_, ds := seedDeliveries(t, s, 1, 0, now)
	d, err := s.ClaimDelivery(ctx, ds[0].ID, now, now.Add(time.Minute))
	if err != nil {
		t.Fatal(err)
	}
	if d.ID != ds[0].ID || d.InboxURL != ds[0].InboxURL {
		t.Fatalf("claimed %+v", d)
	}
	if _, err := s.ClaimDelivery(ctx, ds[0].ID, now, now.Add(time.Minute)); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("claiming a leased row: err %v, want ErrNotFound", err)
	}
	if _, err := s.ClaimDelivery(ctx, 999999, now, now.Add(time.Minute)); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("claiming a missing row: err %v, want ErrNotFound", err)
	}
}

func TestMarkDeliveriesDoneAndAttemptsNeverUndoDone(t *testing.T) {
	s := testrig.NewStore(t)
	ctx := context.Background()
	now := time.Now().UTC().Truncate(time.Second)
	_, ds := seedDeliveries(t, s, 2, 0, now)
	n, err := s.MarkDeliveriesDone(ctx, []int64{ds[0].ID}, 202, now)
	if err != nil || n != 1 {
		t.Fatalf("MarkDeliveriesDone = %d, %v", n, err)
	}
	// A duplicate send that failed must not turn a delivered row back.
	changed, err := s.RecordDeliveryAttempt(ctx, store.DeliveryAttempt{
		ID: ds[0].ID, State: models.DeliveryPending, Attempts: 5, NextAttemptAt: now.Add(time.Hour), LastStatus: 500, LastError: "boom",
	})
	if err != nil || changed {
		t.Fatalf("RecordDeliveryAttempt on a done row = %v, %v; want no change", changed, err)
	}
	d, _ := s.GetDelivery(ctx, ds[0].ID)
	if d.State != models.DeliveryDone || d.Attempts != 1 || d.LastStatus != 202 || d.DeliveredAt == nil || !d.DeliveredAt.Equal(now) {
		t.Fatalf("done row is %+v", d)
	}
	if n, _ := s.MarkDeliveriesDone(ctx, []int64{ds[0].ID}, 200, now); n != 0 {
		t.Fatalf("marking a done row again changed %d rows", n)
	}

	changed, err = s.RecordDeliveryAttempt(ctx, store.DeliveryAttempt{
		ID: ds[1].ID, State: models.DeliveryFailed, Attempts: 1, NextAttemptAt: now, LastStatus: 400, LastError: strings.Repeat("é", 1500) + "\x00",
	})
	if err != nil || !changed {
		t.Fatalf("RecordDeliveryAttempt = %v, %v", changed, err)
	}
	d, _ = s.GetDelivery(ctx, ds[1].ID)
	if d.State != models.DeliveryFailed || d.LastStatus != 400 || d.Attempts != 1 || len(d.LastError) != 1000 {
		t.Fatalf("failed row is %+v (error length %d)", d, len(d.LastError))
	}
}

func TestDueDeliveriesOldestFirst(t *testing.T) {
	s := testrig.NewStore(t)
	ctx := context.Background()
	now := time.Now().UTC().Truncate(time.Second)
	_, ds := seedDeliveries(t, s, 4, 0, now)
	if err := s.RescheduleDeliveries(ctx, []int64{ds[0].ID}, now.Add(-time.Hour)); err != nil {
		t.Fatal(err)
	}
	if err := s.RescheduleDeliveries(ctx, []int64{ds[1].ID}, now.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	if _, err := s.MarkDeliveriesDone(ctx, []int64{ds[2].ID}, 200, now); err != nil {
		t.Fatal(err)
	}
	got, err := s.DueDeliveries(ctx, now, 10)
	if err != nil {
		t.Fatal(err)
	}
	if want := []int64{ds[0].ID, ds[3].ID}; fmt.Sprint(ids(got)) != fmt.Sprint(want) {
		t.Fatalf("due = %v, want %v", ids(got), want)
	}
	if got, _ := s.DueDeliveries(ctx, now.Add(-time.Minute), 10); len(got) != 1 {
		t.Fatalf("due an hour ago: %v, want only the overdue row", ids(got))
	}
}

func TestMarkActorsGoneByInbox(t *testing.T) {
	s := testrig.NewStore(t)
	ctx := context.Background()
	mk := func(name, inbox string, local bool) *models.Actor {
		a := &models.Actor{
			IRI: "https://r.test/u/" + name, Type: models.ActorPerson, Username: name, Host: "r.test", Local: local,
			InboxURL: inbox, SharedInboxURL: "https://r.test/inbox",
		}
		if err := s.CreateActor(ctx, a); err != nil {
			t.Fatal(err)
		}
		return a
	}
	alice := mk("alice", "https://r.test/u/alice/inbox", false)
	bob := mk("bob", "https://r.test/u/bob/inbox", false)
	now := time.Now().UTC().Truncate(time.Second)
	if n, err := s.MarkActorsGoneByInbox(ctx, "https://r.test/inbox", now); err != nil || n != 0 {
		t.Fatalf("shared inbox marked %d actors gone (err %v)", n, err)
	}
	if n, err := s.MarkActorsGoneByInbox(ctx, alice.InboxURL, now); err != nil || n != 1 {
		t.Fatalf("MarkActorsGoneByInbox = %d, %v", n, err)
	}
	a, _ := s.GetActor(ctx, alice.ID)
	b, _ := s.GetActor(ctx, bob.ID)
	if a.GoneAt == nil || b.GoneAt != nil {
		t.Fatalf("alice gone %v, bob gone %v", a.GoneAt, b.GoneAt)
	}
}

func ids(ds []models.Delivery) []int64 {
	out := make([]int64, len(ds))
	for i, d := range ds {
		out[i] = d.ID
	}
	sort.Slice(out, func(i, j int) bool { return out[i] < out[j] })
	return out
}

func TestRecordDeliveryAttemptsInOneStatement(t *testing.T) {
	s := testrig.NewStore(t)
	ctx := context.Background()
	now := time.Now().UTC().Truncate(time.Millisecond)
	_, ds := seedDeliveries(t, s, 3, 0, now)
	if _, err := s.MarkDeliveriesDone(ctx, []int64{ds[0].ID}, 202, now); err != nil {
		t.Fatal(err)
	}
	later := now.Add(90 * time.Minute)
	n, err := s.RecordDeliveryAttempts(ctx, []store.DeliveryAttempt{
		// Done already: must stay done.
		{ID: ds[0].ID, State: models.DeliveryPending, Attempts: 9, NextAttemptAt: later, LastStatus: 500, LastError: "late failure"},
		{ID: ds[1].ID, State: models.DeliveryPending, Attempts: 2, NextAttemptAt: later, LastStatus: 503, LastError: "try later"},
		{ID: ds[2].ID, State: models.DeliveryFailed, Attempts: 1, NextAttemptAt: now, LastStatus: 400, LastError: strings.Repeat("é", 1500) + "\x00"},
	})
	if err != nil || n != 2 {
		t.Fatalf("RecordDeliveryAttempts = %d, %v; want 2 rows changed", n, err)
	}
	d0, _ := s.GetDelivery(ctx, ds[0].ID)
	if d0.State != models.DeliveryDone || d0.LastStatus != 202 {
		t.Fatalf("done row changed: %+v", d0)
	}
	d1, _ := s.GetDelivery(ctx, ds[1].ID)
	if d1.State != models.DeliveryPending || d1.Attempts != 2 || d1.LastStatus != 503 || d1.LastError != "try later" || !d1.NextAttemptAt.Equal(later) {
		t.Fatalf("retried row is %+v, want next attempt %v", d1, later)
	}
	d2, _ := s.GetDelivery(ctx, ds[2].ID)
	if d2.State != models.DeliveryFailed || d2.LastStatus != 400 || len(d2.LastError) != 1000 {
		t.Fatalf("failed row is %+v (error length %d)", d2, len(d2.LastError))
	}
	// The retried row is due again at its new time, not before.
	due, err := s.DueDeliveries(ctx, later.Add(-time.Second), 10)
	if err != nil || len(due) != 0 {
		t.Fatalf("due before the retry time: %v, %v", due, err)
	}
	if due, _ := s.DueDeliveries(ctx, later, 10); len(due) != 1 || due[0].ID != ds[1].ID {
		t.Fatalf("due at the retry time: %v", due)
	}
}
