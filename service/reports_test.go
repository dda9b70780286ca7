package service_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/practica-social/practica/models"
	"github.com/practica-social/practica/service"
	"github.com/practica-social/practica/store"
)

func TestReportingAPostHere(t *testing.T) {
	f := newFixture(t)
	owner, ada, bob, eve := f.person("owner"), f.person("ada"), f.person("bob"), f.person("eve")
	c := f.community("garden", owner, models.VisibilityMembers, models.JoinOpen)
	for _, p := range []*models.Actor{ada, bob} {
		if _, err := f.svc.Join(f.ctx, p.ID, c); err != nil {
			t.Fatal(err)
		}
	}
	post := f.post(bob, c, "Cheap seeds", nil)

	r, err := f.svc.ReportPost(f.ctx, ada.ID, post.ID, "  Advertising  ")
	if err != nil {
		t.Fatal(err)
	}
	if r.SubjectID == nil || *r.SubjectID != bob.ID || len(r.PostIDs) != 1 || r.PostIDs[0] != post.ID || r.Comment != "Advertising" {
		t.Fatalf("report %+v", r)
	}
	again, err := f.svc.ReportPost(f.ctx, ada.ID, post.ID, "still")
	if err != nil || again.ID != r.ID {
		t.Fatalf("reporting twice: %+v %v, want the same report", again, err)
	}
	for name, tc := range map[string]struct {
		by   *models.Actor
		text string
		kind service.Kind
	}{
		"one's own post":     {bob, "", service.KindInvalid},
		"an outsider":        {eve, "", service.KindNotFound},
		"a comment too long": {ada, strings.Repeat("x", 1001), service.KindInvalid},
	} {
		if _, err := f.svc.ReportPost(f.ctx, tc.by.ID, post.ID, tc.text); service.KindOf(err) != tc.kind {
			t.Errorf("%s: %v, want kind %v", name, err, tc.kind)
		}
	}

	if _, err := f.svc.Reports(f.ctx, c, ada.ID, true, 0, 10); service.KindOf(err) != service.KindForbidden {
		t.Fatalf("a member lists reports: %v", err)
	}
	if n, _ := f.svc.OpenReportCount(f.ctx, c, ada.ID); n != 0 {
		t.Fatalf("a member is told of %d reports", n)
	}
	if n, _ := f.svc.OpenReportCount(f.ctx, c, owner.ID); n != 1 {
		t.Fatalf("the owner is told of %d reports, want 1", n)
	}
	open, err := f.svc.Reports(f.ctx, c, owner.ID, true, 0, 10)
	if err != nil || len(open) != 1 || len(open[0].Posts) != 1 || open[0].Posts[0].Title != "Cheap seeds" || open[0].Reporter.ID != ada.ID {
		t.Fatalf("open reports: %+v %v", open, err)
	}
	if err := f.svc.CloseReport(f.ctx, c, ada.ID, r.ID, true); service.KindOf(err) != service.KindForbidden {
		t.Fatalf("a member closes a report: %v", err)
	}
	if err := f.svc.CloseReport(f.ctx, c, owner.ID, r.ID, true); err != nil {
		t.Fatal(err)
	}
	if err := f.svc.CloseReport(f.ctx, c, owner.ID, r.ID, false); service.KindOf(err) != service.KindNotFound {
		t.Fatalf("closing a closed report: %v", err)
	}
	closed, err := f.svc.Reports(f.ctx, c, owner.ID, false, 0, 10)
	if err != nil || len(closed) != 1 || closed[0].State != models.ReportDismissed || closed[0].ResolvedBy == nil || closed[0].ResolvedBy.ID != owner.ID {
		t.Fatalf("closed reports: %+v %v", closed, err)
	}
	if open, _ := f.svc.Reports(f.ctx, c, owner.ID, true, 0, 10); len(open) != 0 {
		t.Fatalf("%d open reports after closing", len(open))
	}
	// A new report after the first was closed is a new one.
	if r2, err := f.svc.ReportPost(f.ctx, ada.ID, post.ID, ""); err != nil || r2.ID == r.ID {
		t.Fatalf("reporting after closing: %+v %v", r2, err)
	}
}

// TestReportingAPostElsewhereSendsAFlag: a post of a community on another
// server is reported to that server.
func TestReportingAPostElsewhereSendsAFlag(t *testing.T) {
	f := newFixture(t)
	ada := f.person("ada")
	bob := f.remote("org-b.test", "bob")
	rc, err := f.svc.EnsureRemoteCommunity(f.ctx, f.remoteGroup("org-z.test", "elsewhere", ""))
	if err != nil {
		t.Fatal(err)
	}
	p, err := f.svc.ReceivePost(f.ctx, rc, bob, service.RemotePost{IRI: "http://org-b.test/p/1", Type: "Page", Name: "Over there", ContentHTML: "<p>hi</p>", Public: true})
	if err != nil {
		t.Fatal(err)
	}
	f.published()
	if r, err := f.svc.ReportPost(f.ctx, ada.ID, p.ID, "Spam"); err != nil || r != nil {
		t.Fatalf("report: %+v %v, want none for the queues here", r, err)
	}
	acts := f.published()
	if len(acts) != 1 || acts[0]["type"] != "Flag" || acts[0]["actor"] != ada.IRI || acts[0]["object"] != p.IRI || acts[0]["summary"] != "Spam" {
		t.Fatalf("published %v, want a Flag of the post", acts)
	}
	if to, _ := acts[0]["to"].([]any); len(to) != 1 || to[0] != rc.Actor.IRI {
		t.Fatalf("Flag addressed to %v, want the community", acts[0]["to"])
	}
}

// TestReportingAPostElsewhereTwiceSendsOneFlag: the same person reporting
// the same post of a community elsewhere again soon after is the same
// report, and its server is not sent a second Flag; someone else's report
// is sent, and so is the same person's once the first is old.
func TestReportingAPostElsewhereTwiceSendsOneFlag(t *testing.T) {
	f := newFixture(t)
	ada, cy := f.person("ada"), f.person("cy")
	bob := f.remote("org-b.test", "bob")
	rc, err := f.svc.EnsureRemoteCommunity(f.ctx, f.remoteGroup("org-z.test", "elsewhere", ""))
	if err != nil {
		t.Fatal(err)
	}
	p, err := f.svc.ReceivePost(f.ctx, rc, bob, service.RemotePost{IRI: "http://org-b.test/p/1", Type: "Page", Name: "Over there", ContentHTML: "<p>hi</p>", Public: true})
	if err != nil {
		t.Fatal(err)
	}
	f.published()
	flags := func(who string) int {
		t.Helper()
		n := 0
		for _, a := range f.published() {
			if a["type"] != "Flag" {
				t.Fatalf("%s: published %v", who, a)
			}
			n++
		}
		return n
	}
	for i, comment := range []string{"Spam", "Spam!"} {
		if _, err := f.svc.ReportPost(f.ctx, ada.ID, p.ID, comment); err != nil {
			t.Fatal(err)
		}
		if n, want := flags("ada"), 1-i; n != want {
			t.Fatalf("report %d by ada sent %d Flags, want %d", i+1, n, want)
		}
	}
	if _, err := f.svc.ReportPost(f.ctx, cy.ID, p.ID, ""); err != nil {
		t.Fatal(err)
	}
	if n := flags("cy"); n != 1 {
		t.Fatalf("another person's report sent %d Flags, want 1", n)
	}
	later := service.New(service.Deps{Store: f.store, URLs: f.svc.URLs(), InstanceName: "A", Dispatch: f.rec,
		Now: func() time.Time { return time.Now().Add(service.FlagRepeatAfter + time.Minute) }})
	for i := range 2 {
		if _, err := later.ReportPost(f.ctx, ada.ID, p.ID, "Still there"); err != nil {
			t.Fatal(err)
		}
		if n, want := flags("ada later"), 1-i; n != want {
			t.Fatalf("report %d by ada a while later sent %d Flags, want %d", i+1, n, want)
		}
	}
}

// TestReportingAPostAtOnce: a person sends the same report several times
// at the same moment (a double click, two tabs): a post here gets one
// open report, a post elsewhere one Flag.
func TestReportingAPostAtOnce(t *testing.T) {
	f := newFixture(t)
	if f.store.Dialect() != store.DialectPostgres {
		t.Skip("SQLite has one writer: the reports cannot overlap")
	}
	owner, ada, bob := f.person("owner"), f.person("ada"), f.person("bob")
	c := f.community("garden", owner, models.VisibilityPublic, models.JoinOpen)
	for _, p := range []*models.Actor{ada, bob} {
		if _, err := f.svc.Join(f.ctx, p.ID, c); err != nil {
			t.Fatal(err)
		}
	}
	rc, err := f.svc.EnsureRemoteCommunity(f.ctx, f.remoteGroup("org-z.test", "elsewhere", ""))
	if err != nil {
		t.Fatal(err)
	}
	remoteBob := f.remote("org-b.test", "bob")
	f.published()
	const n = 8
	for round := range 5 {
		here := f.post(bob, c, fmt.Sprintf("Here %d", round), nil)
		there, err := f.svc.ReceivePost(f.ctx, rc, remoteBob, service.RemotePost{IRI: fmt.Sprintf("http://org-b.test/p/%d", round),
			Type: "Page", Name: "There", ContentHTML: "<p>hi</p>", Public: true})
		if err != nil {
			t.Fatal(err)
		}
		f.published()
		type result struct {
			r   *models.Report
			err error
		}
		results := make(chan result, 2*n)
		start := make(chan struct{})
		for i := range 2 * n {
			post := here
			if i%2 == 1 {
				post = there
			}
			go func() {
				<-start
				r, err := f.svc.ReportPost(f.ctx, ada.ID, post.ID, "Spam")
				results <- result{r, err}
			}()
		}
		close(start)
		var id int64
		for range 2 * n {
			res := <-results
			if res.err != nil {
				t.Fatalf("round %d: %v", round, res.err)
			}
			if res.r == nil {
				continue // the post elsewhere
			}
			if id == 0 {
				id = res.r.ID
			} else if res.r.ID != id {
				t.Fatalf("round %d: reports %d and %d of the same post by the same person", round, id, res.r.ID)
			}
		}
		if got, err := f.svc.OpenReportCount(f.ctx, c, owner.ID); err != nil || got != int64(round+1) {
			t.Fatalf("round %d: %d open reports (%v), want %d", round, got, err, round+1)
		}
		if acts := f.published(); len(acts) != 1 || acts[0]["type"] != "Flag" {
			t.Errorf("round %d: published %d activities, want one Flag", round, len(acts))
		}
	}
}

func TestReceiveFlag(t *testing.T) {
	f := newFixture(t)
	owner, bob := f.person("owner"), f.person("bob")
	garden := f.community("garden", owner, models.VisibilityPublic, models.JoinOpen)
	guild := f.community("guild", owner, models.VisibilityPublic, models.JoinOpen)
	for _, c := range []*models.Community{garden, guild} {
		if _, err := f.svc.Join(f.ctx, bob.ID, c); err != nil {
			t.Fatal(err)
		}
	}
	p1, p2 := f.post(bob, garden, "One", nil), f.post(bob, guild, "Two", nil)
	masto := f.remote("mastodon.test", "actor")

	// Mastodon's form: [account, posts…] from its instance actor.
	n, err := f.svc.ReceiveFlag(f.ctx, masto, service.ReceivedFlag{ActivityIRI: "http://mastodon.test/flags/1",
		Objects: []string{bob.IRI, p1.IRI, p2.IRI, "http://elsewhere.test/x"}, Comment: "<p>Please look</p>"})
	if err != nil || n != 2 {
		t.Fatalf("filed %d (%v), want one report in each community", n, err)
	}
	for _, c := range []*models.Community{garden, guild} {
		rs, err := f.svc.Reports(f.ctx, c, owner.ID, true, 0, 10)
		if err != nil || len(rs) != 1 {
			t.Fatalf("%s: %+v %v", c.Actor.Username, rs, err)
		}
		r := rs[0]
		if r.SubjectID == nil || *r.SubjectID != bob.ID || len(r.Posts) != 1 || r.Comment != "Please look" || r.Reporter.ID != masto.ID ||
			len(r.ObjectIRIs) != 1 || r.ObjectIRIs[0] != "http://elsewhere.test/x" {
			t.Fatalf("%s: report %+v", c.Actor.Username, r.Report)
		}
	}
	// Delivered again: nothing new.
	if n, err := f.svc.ReceiveFlag(f.ctx, masto, service.ReceivedFlag{ActivityIRI: "http://mastodon.test/flags/1",
		Objects: []string{bob.IRI, p1.IRI, p2.IRI}}); err != nil || n != 0 {
		t.Fatalf("redelivery filed %d (%v)", n, err)
	}
	// Lemmy's form: a post we do not hold, the community addressed.
	lemmy := f.remote("lemmy.test", "alpha")
	if n, err := f.svc.ReceiveFlag(f.ctx, lemmy, service.ReceivedFlag{ActivityIRI: "http://lemmy.test/flags/1",
		Objects: []string{"http://lemmy.test/post/7"}, Addressed: []string{garden.Actor.IRI}, Comment: "report this post"}); err != nil || n != 1 {
		t.Fatalf("Lemmy's form filed %d (%v)", n, err)
	}
	// Nothing of ours: refused.
	if _, err := f.svc.ReceiveFlag(f.ctx, lemmy, service.ReceivedFlag{ActivityIRI: "http://lemmy.test/flags/2",
		Objects: []string{"http://lemmy.test/post/8"}, Addressed: []string{"http://lemmy.test/c/main"}}); service.KindOf(err) != service.KindInvalid {
		t.Fatalf("a Flag about nothing here: %v", err)
	}
	if n, _ := f.svc.OpenReportCount(f.ctx, garden, owner.ID); n != 2 {
		t.Fatalf("garden has %d open reports, want 2", n)
	}
}

// TestReceiveFlagIsBounded: a Flag addressed to many of our communities,
// to other servers and naming long or odd IRIs files a few small reports.
func TestReceiveFlagIsBounded(t *testing.T) {
	f := newFixture(t)
	owner := f.person("owner")
	var addressed []string
	for i := range 8 {
		c := f.community(fmt.Sprintf("c%d", i), owner, models.VisibilityPublic, models.JoinOpen)
		addressed = append(addressed, c.Actor.IRI, c.Actor.IRI)
	}
	addressed = append(addressed, "http://elsewhere.test/c/x")
	objects := []string{"javascript:alert(1)", "http://elsewhere.test/" + strings.Repeat("x", 3000)}
	for i := range 20 {
		objects = append(objects, fmt.Sprintf("http://elsewhere.test/p/%d", i))
	}
	spammer := f.remote("spam.test", "spammer")
	n, err := f.svc.ReceiveFlag(f.ctx, spammer, service.ReceivedFlag{ActivityIRI: "http://spam.test/flags/1", Objects: objects, Addressed: addressed})
	if err != nil || n != 5 {
		t.Fatalf("filed %d (%v), want 5", n, err)
	}
	rs, err := f.svc.Reports(f.ctx, f.community("last", owner, models.VisibilityPublic, models.JoinOpen), owner.ID, true, 0, 10)
	if err != nil || len(rs) != 0 {
		t.Fatalf("an unaddressed community got %d reports (%v)", len(rs), err)
	}
	c0, err := f.svc.CommunityByHandle(f.ctx, "c0")
	if err != nil {
		t.Fatal(err)
	}
	rs, err = f.svc.Reports(f.ctx, c0, owner.ID, true, 0, 10)
	if err != nil || len(rs) != 1 {
		t.Fatalf("c0: %d reports (%v)", len(rs), err)
	}
	if got := rs[0].ObjectIRIs; len(got) != 10 || got[0] != "http://elsewhere.test/p/0" {
		t.Fatalf("kept IRIs %v, want the first 10 http(s) ones of a sane length", got)
	}
}
