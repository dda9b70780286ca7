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

// reportFixture is a community and two people to report in it.
func reportFixture(t *testing.T, s *store.Store) (c *models.Community, ada, bob *models.Actor) {
	t.Helper()
	ctx := context.Background()
	group := newActor("http://org-a.test/c/g", "g", models.ActorGroup, true)
	ada = newActor("http://org-a.test/u/ada", "ada", models.ActorPerson, true)
	bob = newActor("http://org-a.test/u/bob", "bob", models.ActorPerson, true)
	for _, a := range []*models.Actor{group, ada, bob} {
		if err := s.CreateActor(ctx, a); err != nil {
			t.Fatal(err)
		}
	}
	c = &models.Community{ActorID: group.ID, Local: true, Topics: []string{}}
	if err := s.CreateCommunity(ctx, c); err != nil {
		t.Fatal(err)
	}
	return c, ada, bob
}

func openReport(c *models.Community, by *models.Actor, postID int64, comment string) *models.Report {
	return &models.Report{CommunityID: c.ID, ReporterID: by.ID, PostIDs: []int64{postID}, ObjectIRIs: []string{},
		Comment: comment, State: models.ReportOpen}
}

// A person's open report of a post is one row, whatever inserts it: the
// database refuses a second, and FileReport returns the first.
func TestFileReportKeepsOneOpenReportPerPost(t *testing.T) {
	ctx := context.Background()
	s := testrig.NewStore(t)
	c, ada, bob := reportFixture(t, s)

	first, created, err := s.FileReport(ctx, openReport(c, ada, 7, "first"))
	if err != nil || !created {
		t.Fatalf("first report: %v, created %v", err, created)
	}
	again, created, err := s.FileReport(ctx, openReport(c, ada, 7, "again"))
	if err != nil || created || again.ID != first.ID || again.Comment != "first" {
		t.Fatalf("second report: %+v, created %v, %v; want report %d", again, created, err, first.ID)
	}
	if err := s.CreateReport(ctx, openReport(c, ada, 7, "raw")); !errors.Is(err, store.ErrConflict) {
		t.Fatalf("a second open report inserted directly: %v, want ErrConflict", err)
	}
	// Another person, another post, a received Flag: other reports.
	for name, r := range map[string]*models.Report{"bob's": openReport(c, bob, 7, ""), "of another post": openReport(c, ada, 8, "")} {
		if _, created, err := s.FileReport(ctx, r); err != nil || !created {
			t.Fatalf("report %s: %v, created %v", name, err, created)
		}
	}
	flag := openReport(c, ada, 7, "")
	iri := "http://org-b.test/flags/1"
	flag.ActivityIRI = &iri
	if err := s.CreateReport(ctx, flag); err != nil {
		t.Fatalf("a received Flag of the post: %v", err)
	}
	if n, err := s.CountOpenReports(ctx, c.ID); err != nil || n != 4 {
		t.Fatalf("%d open reports (%v), want 4", n, err)
	}
	// Closed, the report no longer stands for the next.
	if err := s.CloseReport(ctx, c.ID, first.ID, bob.ID, models.ReportDismissed, time.Now()); err != nil {
		t.Fatal(err)
	}
	next, created, err := s.FileReport(ctx, openReport(c, ada, 7, "next"))
	if err != nil || !created || next.ID == first.ID {
		t.Fatalf("report after closing: %+v, created %v, %v; want a new one", next, created, err)
	}
}

// RenewReport moves a report's time only when it is older than asked, so
// that of two renewals at once one succeeds.
func TestRenewReport(t *testing.T) {
	ctx := context.Background()
	s := testrig.NewStore(t)
	c, ada, _ := reportFixture(t, s)
	sent := time.Now().UTC().Add(-2 * time.Hour).Truncate(time.Second)
	r := openReport(c, ada, 7, "first")
	r.CreatedAt = sent
	if _, _, err := s.FileReport(ctx, r); err != nil {
		t.Fatal(err)
	}
	if ok, err := s.RenewReport(ctx, r.ID, "too soon", sent, sent.Add(time.Hour)); err != nil || ok {
		t.Fatalf("renewing a report sent at the limit: %v, %v; want false", ok, err)
	}
	now := sent.Add(2 * time.Hour)
	if ok, err := s.RenewReport(ctx, r.ID, "again", sent.Add(time.Hour), now); err != nil || !ok {
		t.Fatalf("renewing an older report: %v, %v; want true", ok, err)
	}
	if ok, err := s.RenewReport(ctx, r.ID, "twice", sent.Add(time.Hour), now); err != nil || ok {
		t.Fatalf("renewing it twice: %v, %v; want false", ok, err)
	}
	got, err := s.OpenReportOf(ctx, c.ID, ada.ID, 7)
	if err != nil || got.Comment != "again" || !got.CreatedAt.Equal(now) {
		t.Fatalf("renewed report %+v, %v; want comment again at %s", got, err, now)
	}
}

// Migration 9 dismisses the open duplicates of a report made here that
// the read before the insert let in, keeping the oldest, before its index
// forbids them.
func TestMigration9DismissesDuplicateOpenReports(t *testing.T) {
	ctx := context.Background()
	s, raw := testrig.NewStoreAt(t, 8)
	c, ada, bob := reportFixture(t, s)
	now := time.Now().UTC().Truncate(time.Second)
	insert := func(by *models.Actor, postIDs, state string, flag *string) int64 {
		t.Helper()
		var id int64
		err := raw.Raw(`INSERT INTO reports (community_id, reporter_id, post_ids, object_iris, comment, activity_iri, state, created_at)
VALUES (?, ?, ?, '[]', '', ?, ?, ?) RETURNING id`, c.ID, by.ID, postIDs, flag, state, now).Scan(&id).Error
		if err != nil {
			t.Fatal(err)
		}
		return id
	}
	flag := func(i int) *string { s := fmt.Sprintf("http://org-b.test/flags/%d", i); return &s }
	kept := insert(ada, "[7]", "open", nil)
	dups := []int64{insert(ada, "[7]", "open", nil), insert(ada, "[7]", "open", nil)}
	untouched := map[int64]models.ReportState{
		insert(ada, "[7]", "resolved", nil): models.ReportResolved,
		insert(bob, "[7]", "open", nil):     models.ReportOpen,
		insert(ada, "[8]", "open", nil):     models.ReportOpen,
		insert(ada, "[7]", "open", flag(1)): models.ReportOpen,
		insert(ada, "[7]", "open", flag(2)): models.ReportOpen,
	}
	if err := s.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	if !s.HasIndex("reports", "idx_report_open_here") {
		t.Fatal("index idx_report_open_here missing")
	}
	state := func(id int64) (st models.ReportState, resolved bool) {
		t.Helper()
		var row struct {
			State      string
			ResolvedAt *time.Time
		}
		if err := raw.Raw("SELECT state, resolved_at FROM reports WHERE id = ?", id).Scan(&row).Error; err != nil {
			t.Fatal(err)
		}
		return models.ReportState(row.State), row.ResolvedAt != nil
	}
	if st, _ := state(kept); st != models.ReportOpen {
		t.Fatalf("the oldest report is %s, want open", st)
	}
	for _, id := range dups {
		if st, resolved := state(id); st != models.ReportDismissed || !resolved {
			t.Fatalf("duplicate %d is %s (closed at a time: %v), want dismissed", id, st, resolved)
		}
	}
	for id, want := range untouched {
		if st, _ := state(id); st != want {
			t.Fatalf("report %d is %s, want %s", id, st, want)
		}
	}
	if r, err := s.OpenReportOf(ctx, c.ID, ada.ID, 7); err != nil || r.ID != kept {
		t.Fatalf("open report of post 7 by ada: %+v, %v; want %d", r, err, kept)
	}
}
