package store_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/practica-social/practica/models"
	"github.com/practica-social/practica/store"
	"github.com/practica-social/practica/testrig"
)

func inboxItem(iri string, at time.Time) *models.InboxItem {
	return &models.InboxItem{
		ActivityIRI: iri, ActorIRI: "http://org-b.test/u/bob", KeyID: "http://org-b.test/u/bob#main-key",
		Type: "Create", Body: `{"id":"` + iri + `"}`, ReceivedAt: at,
	}
}

func TestCreateInboxItemIsIdempotentOnActivityID(t *testing.T) {
	ctx := context.Background()
	s := testrig.NewStore(t)
	now := time.Now().UTC()
	first := inboxItem("http://org-b.test/activities/1", now)
	if err := s.CreateInboxItem(ctx, first); err != nil || first.ID == 0 {
		t.Fatalf("create: id %d, %v", first.ID, err)
	}
	if first.State != models.InboxReceived {
		t.Fatalf("state %q, want received", first.State)
	}
	again := inboxItem("http://org-b.test/activities/1", now)
	again.Body = `{"changed":true}`
	if err := s.CreateInboxItem(ctx, again); !errors.Is(err, store.ErrConflict) {
		t.Fatalf("duplicate: %v, want ErrConflict", err)
	}
	// Inside a transaction a clash must not poison what follows (Postgres
	// aborts a transaction on a failed statement).
	err := s.WithTx(ctx, func(ctx context.Context) error {
		if err := s.CreateInboxItem(ctx, inboxItem("http://org-b.test/activities/1", now)); !errors.Is(err, store.ErrConflict) {
			return fmt.Errorf("duplicate in tx: %v", err)
		}
		_, err := s.GetInboxItemByActivityIRI(ctx, "http://org-b.test/activities/1")
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	got, err := s.GetInboxItem(ctx, first.ID)
	if err != nil || got.Body != first.Body || got.ActorIRI != first.ActorIRI {
		t.Fatalf("get = %+v, %v; the first body must win", got, err)
	}
	if _, err := s.GetInboxItem(ctx, first.ID+100); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("missing: %v, want ErrNotFound", err)
	}
}

func TestCreateInboxItemConcurrentDuplicatesStoreOne(t *testing.T) {
	ctx := context.Background()
	s := testrig.NewStore(t)
	const n = 12
	var wg sync.WaitGroup
	var mu sync.Mutex
	created, conflicts := 0, 0
	for range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			err := s.CreateInboxItem(ctx, inboxItem("http://org-b.test/activities/race", time.Now().UTC()))
			mu.Lock()
			defer mu.Unlock()
			switch {
			case err == nil:
				created++
			case errors.Is(err, store.ErrConflict):
				conflicts++
			default:
				t.Errorf("create: %v", err)
			}
		}()
	}
	wg.Wait()
	if created != 1 || conflicts != n-1 {
		t.Fatalf("created %d, conflicts %d; want 1 and %d", created, conflicts, n-1)
	}
}

func TestMarkInboxItem(t *testing.T) {
	ctx := context.Background()
	s := testrig.NewStore(t)
	it := inboxItem("http://org-b.test/activities/m", time.Now().UTC())
	if err := s.CreateInboxItem(ctx, it); err != nil {
		t.Fatal(err)
	}
	at := time.Now().UTC().Truncate(time.Second)
	if err := s.MarkInboxItem(ctx, it.ID, models.InboxFailed, "remote down", at); err != nil {
		t.Fatal(err)
	}
	got, _ := s.GetInboxItem(ctx, it.ID)
	if got.State != models.InboxFailed || got.Error != "remote down" || got.Attempts != 1 || got.ProcessedAt != nil {
		t.Fatalf("after failure: %+v", got)
	}
	long := strings.Repeat("é", 600) + "\x00\xff" // 1200 bytes of two-byte runes, a NUL, invalid UTF-8
	if err := s.MarkInboxItem(ctx, it.ID, models.InboxRefused, long, at); err != nil {
		t.Fatal(err)
	}
	got, _ = s.GetInboxItem(ctx, it.ID)
	if got.State != models.InboxRefused || got.Attempts != 2 || got.ProcessedAt == nil || !got.ProcessedAt.Equal(at) {
		t.Fatalf("after refusal: %+v", got)
	}
	if len(got.Error) > 1024 || !utf8.ValidString(got.Error) || strings.ContainsRune(got.Error, 0) {
		t.Fatalf("error not fitted to its column: %d bytes, valid %v", len(got.Error), utf8.ValidString(got.Error))
	}
	if err := s.MarkInboxItem(ctx, it.ID+100, models.InboxProcessed, "", at); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("mark missing: %v, want ErrNotFound", err)
	}
	// A final state stays: a try that fails after another worker handled
	// the item does not undo it.
	if err := s.MarkInboxItem(ctx, it.ID, models.InboxFailed, "late failure", at); err != nil {
		t.Fatal(err)
	}
	if got, _ = s.GetInboxItem(ctx, it.ID); got.State != models.InboxRefused || got.Attempts != 2 {
		t.Fatalf("a late failure changed a refused item: %+v", got)
	}
}

func TestUnprocessedInboxItems(t *testing.T) {
	ctx := context.Background()
	s := testrig.NewStore(t)
	base := time.Now().UTC().Add(-time.Hour).Truncate(time.Second)
	var ids []int64
	for i := range 4 {
		it := inboxItem(fmt.Sprintf("http://org-b.test/activities/u%d", i), base.Add(time.Duration(i)*time.Minute))
		if err := s.CreateInboxItem(ctx, it); err != nil {
			t.Fatal(err)
		}
		ids = append(ids, it.ID)
	}
	// Processed items are not the reconciler's business; failed ones are
	// (their retry lives only in Redis) until they failed too often.
	if err := s.MarkInboxItem(ctx, ids[1], models.InboxProcessed, "", base); err != nil {
		t.Fatal(err)
	}
	if err := s.MarkInboxItem(ctx, ids[2], models.InboxFailed, "x", base); err != nil {
		t.Fatal(err)
	}
	got, err := s.UnprocessedInboxItems(ctx, base.Add(10*time.Minute), base, 10)
	if err != nil || len(got) != 3 || got[0].ID != ids[0] || got[1].ID != ids[2] || got[2].ID != ids[3] {
		t.Fatalf("unprocessed = %v, %v; want items %d, %d and %d", got, err, ids[0], ids[2], ids[3])
	}
	for range store.MaxInboxAttempts - 1 {
		if err := s.MarkInboxItem(ctx, ids[2], models.InboxFailed, "x", base); err != nil {
			t.Fatal(err)
		}
	}
	got, err = s.UnprocessedInboxItems(ctx, base.Add(10*time.Minute), base, 10)
	if err != nil || len(got) != 2 || got[0].ID != ids[0] || got[1].ID != ids[3] {
		t.Fatalf("after %d failures = %v, %v; want items %d and %d", store.MaxInboxAttempts, got, err, ids[0], ids[3])
	}
	// Too young to be stuck: only the first.
	got, err = s.UnprocessedInboxItems(ctx, base.Add(time.Minute), base, 10)
	if err != nil || len(got) != 1 || got[0].ID != ids[0] {
		t.Fatalf("older than base+1m = %v, %v", got, err)
	}
	// An item waiting in the fetch pool has a grace of its own.
	if err := s.MarkInboxItem(ctx, ids[3], models.InboxWaiting, "waiting", base); err != nil {
		t.Fatal(err)
	}
	got, err = s.UnprocessedInboxItems(ctx, base.Add(10*time.Minute), base, 10)
	if err != nil || len(got) != 1 || got[0].ID != ids[0] {
		t.Fatalf("with item %d waiting, not for long = %v, %v; want item %d", ids[3], got, err, ids[0])
	}
	got, err = s.UnprocessedInboxItems(ctx, base.Add(10*time.Minute), base.Add(10*time.Minute), 10)
	if err != nil || len(got) != 2 || got[0].ID != ids[0] || got[1].ID != ids[3] {
		t.Fatalf("with item %d waiting for long = %v, %v; want items %d and %d", ids[3], got, err, ids[0], ids[3])
	}
	got, err = s.UnprocessedInboxItems(ctx, base.Add(time.Hour), base, 1)
	if err != nil || len(got) != 1 || got[0].ID != ids[0] {
		t.Fatalf("limit 1 = %v, %v", got, err)
	}
}
