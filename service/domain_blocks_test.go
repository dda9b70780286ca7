package service_test

import (
	"context"
	"testing"
	"time"

	"github.com/practica-social/practica/models"
	"github.com/practica-social/practica/service"
	"github.com/practica-social/practica/testrig"
)

func TestNormalizeServerHost(t *testing.T) {
	for in, want := range map[string]string{
		"example.org":                    "example.org",
		"  Example.ORG. ":                "example.org",
		"https://spam.example/u/x?y=1":   "spam.example",
		"http://spam.example:8080/inbox": "spam.example",
		"@alice@Mastodon.Example":        "mastodon.example",
		"alice@mastodon.example":         "mastodon.example",
		"spam.example:443":               "spam.example",
		"xn--bcher-kva.example":          "xn--bcher-kva.example",
		"bücher.example":                 "xn--bcher-kva.example",
		"Ｓｐａｍ。example":                   "spam.example",
	} {
		if got, err := service.NormalizeServerHost(in); err != nil || got != want {
			t.Errorf("NormalizeServerHost(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	for _, in := range []string{"", "com", "localhost", "spam_host.example", "-spam.example", "spam.example/x",
		"sp am.example", "%.example", "a..example", "https://", "@alice@"} {
		if got, err := service.NormalizeServerHost(in); service.KindOf(err) != service.KindInvalid {
			t.Errorf("NormalizeServerHost(%q) = %q, %v; want invalid", in, got, err)
		}
	}
}

// TestBlockServerEndsItsRelations: blocking a server ends, at once and in
// one go, every membership, join request and follow between its actors
// (subdomains too) and ours, and the deliveries waiting for it; other
// servers, and a host that merely ends with the same letters, keep theirs.
func TestBlockServerEndsItsRelations(t *testing.T) {
	f := newFixture(t)
	admin := f.admin()
	owner := f.person("owner")
	open := f.community("open", owner, models.VisibilityPublic, models.JoinOpen)
	closed := f.community("closed", owner, models.VisibilityMembers, models.JoinApproval)
	spammer := f.remote("spam.example", "spammer")
	sub := f.remote("eu.spam.example", "sub")
	ported := f.remote("spam.example:8443", "ported")
	dotted := f.remote("spam.example.", "dotted")
	lookalike := f.remote("notspam.example", "lookalike")
	friend := f.remote("org-b.test", "friend")
	for _, who := range []*models.Actor{spammer, sub, ported, dotted, lookalike, friend} {
		if _, err := f.svc.ReceiveFollow(f.ctx, open, who, who.IRI+"#follow-open"); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := f.svc.ReceiveFollow(f.ctx, closed, spammer, spammer.IRI+"#follow-closed"); err != nil {
		t.Fatal(err)
	}
	// One of our people in a community of the blocked server.
	group := &models.Actor{IRI: "http://spam.example/c/deals", Type: models.ActorGroup, Username: "deals", Host: "spam.example",
		InboxURL: "http://spam.example/c/deals/inbox", Published: time.Now()}
	if err := f.store.UpsertRemoteActor(f.ctx, group); err != nil {
		t.Fatal(err)
	}
	deals, err := f.svc.EnsureRemoteCommunity(f.ctx, group)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.svc.Join(f.ctx, owner.ID, deals); err != nil {
		t.Fatal(err)
	}
	if err := f.store.PutFollow(f.ctx, &models.Follow{ActorID: friend.ID, TargetActorID: spammer.ID, State: models.FollowAccepted, ActivityIRI: friend.IRI + "#f"}); err != nil {
		t.Fatal(err)
	}
	if err := f.store.PutFollow(f.ctx, &models.Follow{ActorID: spammer.ID, TargetActorID: owner.ID, State: models.FollowAccepted, ActivityIRI: spammer.IRI + "#f"}); err != nil {
		t.Fatal(err)
	}
	ids := f.rec.take()
	if len(ids) == 0 {
		t.Fatal("nothing published to hang deliveries on")
	}
	inboxes := []string{"http://spam.example/inbox", "http://eu.spam.example/inbox", "https://spam.example:8443/inbox",
		"http://notspam.example/inbox", "http://org-b.test/inbox"}
	if _, err := f.store.CreateDeliveries(f.ctx, ids[0], inboxes, 0, time.Now()); err != nil {
		t.Fatal(err)
	}

	// Who may block what.
	if _, err := f.svc.BlockServer(f.ctx, owner.ID, "spam.example", ""); service.KindOf(err) != service.KindForbidden {
		t.Fatalf("a non-admin blocked a server: %v", err)
	}
	for _, own := range []string{"org-a.test", "https://org-a.test/u/x"} {
		if _, err := f.svc.BlockServer(f.ctx, admin.ID, own, ""); service.KindOf(err) != service.KindInvalid {
			t.Fatalf("blocking our own host %q: %v, want invalid", own, err)
		}
	}
	if f.svc.HostBlocked(f.ctx, "spam.example") {
		t.Fatal("blocked before any block")
	}

	out, err := f.svc.BlockServer(f.ctx, admin.ID, "https://Spam.Example/about", "  sells\x00 things  ")
	if err != nil {
		t.Fatal(err)
	}
	if out.Block.Host != "spam.example" || out.Block.Reason != "sells things" || out.Block.CreatedByID == nil || *out.Block.CreatedByID != admin.ID {
		t.Fatalf("block %+v", out.Block)
	}
	// Memberships: spammer's two, sub's, ported's and dotted's. Follows: friend's
	// of spammer, spammer's of owner, owner's of deals (a person's
	// membership in a remote community is a follow). Deliveries: the
	// three above, the Accepts to spammer, sub, ported and dotted, the
	// Follow to deals.
	if out.Members != 5 || out.Follows != 3 || out.Deliveries != 8 {
		t.Fatalf("ended %d memberships, %d follows, %d deliveries; want 5, 3, 8", out.Members, out.Follows, out.Deliveries)
	}
	for _, gone := range []struct{ c, a int64 }{{open.ID, spammer.ID}, {closed.ID, spammer.ID}, {open.ID, sub.ID}, {open.ID, ported.ID}, {open.ID, dotted.ID}} {
		if m, err := f.store.GetMember(f.ctx, gone.c, gone.a); err == nil {
			t.Errorf("membership %+v survived the block", m)
		}
	}
	if fl, err := f.store.GetFollow(f.ctx, owner.ID, group.ID); err == nil {
		t.Errorf("owner's membership of deals survived the block: %+v", fl)
	}
	for _, kept := range []*models.Actor{lookalike, friend} {
		if m, err := f.store.GetMember(f.ctx, open.ID, kept.ID); err != nil || m.State != models.MemberAccepted {
			t.Errorf("%s lost their membership: %+v, %v", kept.Host, m, err)
		}
	}
	kept := 0
	for _, id := range ids {
		ds, err := f.store.ActivityDeliveries(f.ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		for _, d := range ds {
			blocked := d.Host != "notspam.example" && d.Host != "org-b.test"
			if blocked != (d.State == models.DeliveryFailed) || (blocked && d.LastError == "") {
				t.Errorf("delivery to %s: %s %q", d.Host, d.State, d.LastError)
			}
			if !blocked {
				kept++
			}
		}
	}
	if kept < 2 {
		t.Fatalf("%d deliveries to other servers; the test needs some", kept)
	}

	for host, want := range map[string]bool{
		"spam.example": true, "SPAM.example": true, "eu.spam.example": true, "spam.example:8443": true, "spam.example.": true,
		"ｓｐａｍ.example": true, "spam。example": true, "ＥＵ.spam.example:443": true,
		"notspam.example": false, "example": false, "org-b.test": false, "spam.example.org": false,
	} {
		if got := f.svc.HostBlocked(f.ctx, host); got != want {
			t.Errorf("HostBlocked(%q) = %v, want %v", host, got, want)
		}
	}

	// Its people may not join again, nor ours join its communities.
	if _, err := f.svc.ReceiveFollow(f.ctx, open, spammer, spammer.IRI+"#again"); service.KindOf(err) != service.KindForbidden {
		t.Fatalf("a Follow from the blocked server: %v, want forbidden", err)
	}
	if _, err := f.svc.Join(f.ctx, owner.ID, deals); service.KindOf(err) != service.KindForbidden {
		t.Fatalf("joining a community of the blocked server: %v, want forbidden", err)
	}

	// Again, or a subdomain of it: nothing more to do.
	if _, err := f.svc.BlockServer(f.ctx, admin.ID, "spam.example", ""); service.KindOf(err) != service.KindConflict {
		t.Fatalf("blocking it twice: %v, want conflict", err)
	}
	if _, err := f.svc.BlockServer(f.ctx, admin.ID, "eu.spam.example", ""); service.KindOf(err) != service.KindConflict {
		t.Fatalf("blocking a subdomain of a blocked server: %v, want conflict", err)
	}
	list, err := f.svc.BlockedServers(f.ctx)
	if err != nil || len(list) != 1 || list[0].Host != "spam.example" {
		t.Fatalf("blocked servers %+v, %v", list, err)
	}

	if err := f.svc.UnblockServer(f.ctx, owner.ID, "spam.example"); service.KindOf(err) != service.KindForbidden {
		t.Fatalf("a non-admin unblocked a server: %v", err)
	}
	if err := f.svc.UnblockServer(f.ctx, admin.ID, "eu.spam.example"); service.KindOf(err) != service.KindNotFound {
		t.Fatalf("unblocking a subdomain that has no block of its own: %v, want not found", err)
	}
	if err := f.svc.UnblockServer(f.ctx, admin.ID, "spam.example"); err != nil {
		t.Fatal(err)
	}
	if f.svc.HostBlocked(f.ctx, "spam.example") || f.svc.HostBlocked(f.ctx, "eu.spam.example") {
		t.Fatal("still blocked after the unblock")
	}
	if m, err := f.store.GetMember(f.ctx, open.ID, spammer.ID); err == nil {
		t.Fatalf("the unblock brought a membership back: %+v", m)
	}
}

// TestABlockReachesOtherProcesses: a process other than the one where
// the admin blocked a server (a worker; another web process) learns of it
// within BlockListRefresh, and of the unblock likewise.
func TestABlockReachesOtherProcesses(t *testing.T) {
	f := newFixture(t)
	admin := f.admin()
	now := time.Now()
	clock := func() time.Time { return now }
	worker := service.New(service.Deps{Store: f.store, URLs: service.NewURLs("http://org-a.test"), Now: clock})
	if worker.HostBlocked(f.ctx, "spam.example") {
		t.Fatal("blocked before any block")
	}
	if _, err := f.svc.BlockServer(f.ctx, admin.ID, "spam.example", ""); err != nil {
		t.Fatal(err)
	}
	if worker.HostBlocked(f.ctx, "spam.example") {
		t.Fatal("the other process re-read the list before BlockListRefresh; want its copy used")
	}
	now = now.Add(service.BlockListRefresh)
	if !worker.HostBlocked(f.ctx, "spam.example") {
		t.Fatal("the other process does not see the block after BlockListRefresh")
	}
	if err := f.svc.UnblockServer(f.ctx, admin.ID, "spam.example"); err != nil {
		t.Fatal(err)
	}
	now = now.Add(service.BlockListRefresh)
	if worker.HostBlocked(f.ctx, "spam.example") {
		t.Fatal("the other process does not see the unblock after BlockListRefresh")
	}
}

// TestBlockedServersAreReadOnceInAWhile: the question every received
// and every outgoing request asks is answered from memory; the database
// is read again only after BlockListRefresh.
func TestBlockedServersAreReadOnceInAWhile(t *testing.T) {
	st, stmts := testrig.NewCountingStore(t)
	now := time.Now()
	svc := service.New(service.Deps{Store: st, URLs: service.NewURLs("http://org-a.test"), Now: func() time.Time { return now }})
	ctx := context.Background()
	stmts.Reset()
	for range 1000 {
		if svc.HostBlocked(ctx, "spam.example") {
			t.Fatal("blocked")
		}
	}
	if n := stmts.Count("SELECT * FROM domain_blocks"); n != 1 {
		t.Fatalf("1,000 questions read the list %d times; want once", n)
	}
	now = now.Add(service.BlockListRefresh)
	for range 1000 {
		svc.HostBlocked(ctx, "spam.example")
	}
	if n := stmts.Count("SELECT * FROM domain_blocks"); n != 2 {
		t.Fatalf("after BlockListRefresh the list was read %d times in all; want twice", n)
	}
}

// TestAFirstReadOfTheBlockedServersWaitsForNoOne: on SQLite the store has
// one connection. A caller inside a transaction (an inbox batch run) and
// a caller outside it (a request) both ask for the first time; the one
// outside waits for the connection, and the one inside must not wait for
// it in turn, or neither ends until the request gives up, answering "not
// blocked".
func TestAFirstReadOfTheBlockedServersWaitsForNoOne(t *testing.T) {
	f := newFixture(t)
	if err := f.store.CreateDomainBlock(f.ctx, &models.DomainBlock{Host: "spam.example"}); err != nil {
		t.Fatal(err)
	}
	svc := service.New(service.Deps{Store: f.store, URLs: service.NewURLs("http://org-a.test")})
	outside := make(chan bool, 1)
	err := f.store.WithTx(f.ctx, func(txCtx context.Context) error {
		if _, err := f.store.DomainBlocks(txCtx); err != nil { // the transaction holds its connection
			return err
		}
		go func() {
			ctx, cancel := context.WithTimeout(f.ctx, 20*time.Second)
			defer cancel()
			outside <- svc.HostBlocked(ctx, "spam.example")
		}()
		time.Sleep(200 * time.Millisecond) // the caller outside is waiting now
		if !svc.HostBlocked(txCtx, "spam.example") {
			t.Error("the caller inside the transaction was told the server is not blocked")
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if !<-outside {
		t.Error("the caller outside the transaction was told the server is not blocked")
	}
}
