package service_test

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/practica-social/practica/models"
	"github.com/practica-social/practica/service"
	"github.com/practica-social/practica/store"
	"github.com/practica-social/practica/testrig"
)

// memberRole returns actor's state and role in c.
func (f *fixture) memberRole(c *models.Community, actor *models.Actor) (models.MemberState, models.Role) {
	f.t.Helper()
	m, err := f.store.GetMember(f.ctx, c.ID, actor.ID)
	if err != nil {
		f.t.Fatal(err)
	}
	return m.State, m.Role
}

func TestSetMemberRole(t *testing.T) {
	f := newFixture(t)
	owner, ada, eve := f.person("owner"), f.person("ada"), f.person("eve")
	c := f.community("guild", owner, models.VisibilityPublic, models.JoinApproval)
	for _, p := range []*models.Actor{ada, eve} {
		if _, err := f.svc.Join(f.ctx, p.ID, c); err != nil {
			t.Fatal(err)
		}
	}
	if err := f.svc.DecideMember(f.ctx, c, owner.ID, ada.ID, true); err != nil {
		t.Fatal(err)
	}
	bob := f.remote("org-b.test", "bob")
	if _, err := f.svc.ReceiveFollow(f.ctx, c, bob, bob.IRI+"#follow"); err != nil {
		t.Fatal(err)
	}
	if err := f.svc.DecideMember(f.ctx, c, owner.ID, bob.ID, true); err != nil {
		t.Fatal(err)
	}
	f.published()

	// Until appointed, ada may not decide on eve's request.
	if err := f.svc.DecideMember(f.ctx, c, ada.ID, eve.ID, true); service.KindOf(err) != service.KindForbidden {
		t.Fatalf("a plain member decided a request: %v", err)
	}
	if err := f.svc.SetMemberRole(f.ctx, c, owner.ID, ada.ID, models.RoleModerator); err != nil {
		t.Fatal(err)
	}
	if _, role := f.memberRole(c, ada); role != models.RoleModerator {
		t.Fatalf("ada is %s, want moderator", role)
	}
	mods, _, err := f.svc.Members(f.ctx, c, service.Viewer{}, []models.Role{models.RoleOwner, models.RoleModerator}, 0, 10)
	if err != nil || len(mods.Items) != 2 {
		t.Fatalf("the public moderators list has %d entries (%v), want owner and ada", len(mods.Items), err)
	}
	// Appointing twice is not an error.
	if err := f.svc.SetMemberRole(f.ctx, c, owner.ID, ada.ID, models.RoleModerator); err != nil {
		t.Fatal(err)
	}
	if pending, err := f.svc.PendingMembers(f.ctx, c, ada.ID); err != nil || len(pending) != 1 {
		t.Fatalf("the new moderator sees %d requests (%v), want eve's", len(pending), err)
	}
	if err := f.svc.DecideMember(f.ctx, c, ada.ID, eve.ID, true); err != nil {
		t.Fatalf("the new moderator decides: %v", err)
	}

	refused := []struct {
		name        string
		by, who     *models.Actor
		role        models.Role
		kind        service.Kind
		messagePart string
	}{
		{"a moderator appoints", ada, eve, models.RoleModerator, service.KindForbidden, "owner"},
		{"a member appoints", eve, eve, models.RoleModerator, service.KindForbidden, "owner"},
		{"the owner demotes themselves", owner, owner, models.RoleMember, service.KindForbidden, "owner's role"},
		{"a remote moderator", owner, bob, models.RoleModerator, service.KindInvalid, "this server"},
		{"a second owner", owner, eve, models.RoleOwner, service.KindInvalid, "role"},
		{"an unknown role", owner, eve, models.Role("king"), service.KindInvalid, "role"},
		{"a stranger", owner, f.person("stranger"), models.RoleModerator, service.KindNotFound, "member"},
	}
	for _, tc := range refused {
		err := f.svc.SetMemberRole(f.ctx, c, tc.by.ID, tc.who.ID, tc.role)
		if service.KindOf(err) != tc.kind || !strings.Contains(err.Error(), tc.messagePart) {
			t.Errorf("%s: %v, want kind %v mentioning %q", tc.name, err, tc.kind, tc.messagePart)
		}
	}
	if _, role := f.memberRole(c, eve); role != models.RoleMember {
		t.Fatalf("refused changes left eve %s", role)
	}
	if _, role := f.memberRole(c, bob); role != models.RoleMember {
		t.Fatalf("refused changes left bob %s", role)
	}

	// Dismissed, ada decides nothing more.
	if err := f.svc.SetMemberRole(f.ctx, c, owner.ID, ada.ID, models.RoleMember); err != nil {
		t.Fatal(err)
	}
	if _, err := f.svc.PendingMembers(f.ctx, c, ada.ID); service.KindOf(err) != service.KindForbidden {
		t.Fatalf("a dismissed moderator lists requests: %v", err)
	}
	// Each change, and only a change, reached bob's server: the owner's
	// Add and Remove of ada to the moderators collection, announced.
	acts := f.published()
	if len(acts) != 2 {
		t.Fatalf("role changes published %d activities, want 2: %v", len(acts), acts)
	}
	for i, typ := range []string{"Add", "Remove"} {
		a := acts[i]
		inner, _ := a["object"].(map[string]any)
		if a["type"] != "Announce" || a["actor"] != c.Actor.IRI || inner == nil || inner["type"] != typ || inner["actor"] != owner.IRI ||
			inner["object"] != ada.IRI || inner["target"] != c.Actor.ModeratorsURL || inner["audience"] != c.Actor.IRI {
			t.Errorf("publication %d: %v, want the community's Announce of the owner's %s of ada to its moderators", i, a, typ)
		}
	}
}

// interleaved runs first until its nth read of the members table, runs
// second meanwhile (waiting up to a second for it, since on Postgres it
// may wait for a lock first holds), then lets first finish; it returns
// both results. setup runs before any read is counted. SQLite has one
// writer, so the two cannot interleave there: the test is skipped.
func interleaved(t *testing.T, nth int, setup func(f *fixture), first, second func(f *fixture) error) (*fixture, error, error) {
	t.Helper()
	var (
		mu      sync.Mutex
		armed   bool
		reads   int
		paused  = make(chan struct{})
		secondC = make(chan error, 1)
	)
	st := testrig.NewStoreAfterStatement(t, func(sql string) error {
		if !strings.Contains(sql, `FROM "members"`) {
			return nil
		}
		mu.Lock()
		pause := false
		if armed {
			reads++
			pause = reads == nth
		}
		mu.Unlock()
		if pause {
			close(paused)
			select {
			case err := <-secondC:
				secondC <- err
			case <-time.After(time.Second):
				// second waits for a lock first holds: go on.
			}
		}
		return nil
	})
	if st.Dialect() != store.DialectPostgres {
		t.Skip("SQLite has one writer: the two cannot interleave")
	}
	rec := &recorder{}
	svc := service.New(service.Deps{Store: st, URLs: service.NewURLs("http://org-a.test"), InstanceName: "A", Dispatch: rec})
	f := &fixture{t: t, ctx: context.Background(), store: st, svc: svc, rec: rec}
	setup(f)
	mu.Lock()
	armed = true
	mu.Unlock()
	firstC := make(chan error, 1)
	go func() { firstC <- first(f) }()
	select {
	case <-paused:
	case err := <-firstC:
		t.Fatalf("the first operation ended (%v) before its read number %d of the members table", err, nth)
	}
	go func() { secondC <- second(f) }()
	err1 := <-firstC
	return f, err1, <-secondC
}

// TestRemovalIsNotUndoneByAConcurrentChange: a role change or a repeated
// join that read a member just before a moderator removed them must not
// write the membership back. Each holds the row (store.LockMember) from
// its read to its commit; the removal waits for it, then removes.
func TestRemovalIsNotUndoneByAConcurrentChange(t *testing.T) {
	for _, tc := range []struct {
		name string
		// nth is the read of bob's membership: role changes read the
		// owner's first; a join reads only bob's.
		nth int
		op  func(f *fixture, c *models.Community, owner, bob *models.Actor) error
	}{
		{"role change", 2, func(f *fixture, c *models.Community, owner, bob *models.Actor) error {
			return f.svc.SetMemberRole(f.ctx, c, owner.ID, bob.ID, models.RoleModerator)
		}},
		{"join again", 1, func(f *fixture, c *models.Community, _, bob *models.Actor) error {
			_, err := f.svc.Join(f.ctx, bob.ID, c)
			return err
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var c *models.Community
			var owner, bob *models.Actor
			f, errOp, errRemove := interleaved(t, tc.nth, func(f *fixture) {
				owner, bob = f.person("owner"), f.person("bob")
				c = f.community("guild", owner, models.VisibilityPublic, models.JoinOpen)
				if _, err := f.svc.Join(f.ctx, bob.ID, c); err != nil {
					t.Fatal(err)
				}
			}, func(f *fixture) error { return tc.op(f, c, owner, bob) },
				func(f *fixture) error { return f.svc.RemoveMember(f.ctx, c, owner.ID, bob.ID) })
			if errOp != nil || errRemove != nil {
				t.Fatalf("%s: %v; removal: %v", tc.name, errOp, errRemove)
			}
			if state, role := f.memberRole(c, bob); state != models.MemberRejected || role != models.RoleMember {
				t.Fatalf("after a removal and a %s at once bob is %s %s, want rejected member", tc.name, state, role)
			}
		})
	}
}

// TestARemovedMemberWhoLeavesStillWaits: leaving after a removal does not
// wipe it: the next request waits for a moderator, in an open community
// too, and a remote person is sent no Accept.
func TestARemovedMemberWhoLeavesStillWaits(t *testing.T) {
	f := newFixture(t)
	owner, ada := f.person("owner"), f.person("ada")
	c := f.community("garden", owner, models.VisibilityMembers, models.JoinOpen)
	bob := f.remote("org-b.test", "bob")
	if _, err := f.svc.Join(f.ctx, ada.ID, c); err != nil {
		t.Fatal(err)
	}
	if _, err := f.svc.ReceiveFollow(f.ctx, c, bob, bob.IRI+"#follow"); err != nil {
		t.Fatal(err)
	}
	for _, who := range []*models.Actor{ada, bob} {
		if err := f.svc.RemoveMember(f.ctx, c, owner.ID, who.ID); err != nil {
			t.Fatal(err)
		}
		if err := f.svc.ReceiveUnfollow(f.ctx, c, who); err != nil {
			t.Fatal(err)
		}
	}
	f.published()
	if st, err := f.svc.Join(f.ctx, ada.ID, c); err != nil || st != string(models.MemberPending) {
		t.Fatalf("ada joins again: %q %v, want pending", st, err)
	}
	if st, err := f.svc.ReceiveFollow(f.ctx, c, bob, bob.IRI+"#follow2"); err != nil || st != models.MemberPending {
		t.Fatalf("bob follows again: %q %v, want pending", st, err)
	}
	if acts := f.published(); len(acts) != 0 {
		t.Fatalf("published %v, want nothing until a moderator decides", acts)
	}
}

// TestRequestsAreListedByWhenTheyWereMade: someone refused who asks again
// is listed after those who asked since, with the date of the new request.
func TestRequestsAreListedByWhenTheyWereMade(t *testing.T) {
	f := newFixture(t)
	owner, ada, eve := f.person("owner"), f.person("ada"), f.person("eve")
	c := f.community("guild", owner, models.VisibilityPublic, models.JoinApproval)
	if _, err := f.svc.Join(f.ctx, ada.ID, c); err != nil {
		t.Fatal(err)
	}
	if err := f.svc.DecideMember(f.ctx, c, owner.ID, ada.ID, false); err != nil {
		t.Fatal(err)
	}
	if _, err := f.svc.Join(f.ctx, eve.ID, c); err != nil {
		t.Fatal(err)
	}
	time.Sleep(10 * time.Millisecond) // so that the timestamps differ
	if _, err := f.svc.Join(f.ctx, ada.ID, c); err != nil {
		t.Fatal(err)
	}
	pending, err := f.svc.PendingMembers(f.ctx, c, owner.ID)
	if err != nil || len(pending) != 2 {
		t.Fatalf("requests: %+v %v", pending, err)
	}
	if pending[0].ActorID != eve.ID || pending[1].ActorID != ada.ID || !pending[1].CreatedAt.After(pending[0].CreatedAt) {
		t.Fatalf("requests in the order %d (%s), %d (%s); want eve's, then ada's new one",
			pending[0].ActorID, pending[0].CreatedAt, pending[1].ActorID, pending[1].CreatedAt)
	}
}

// TestAModeratorWhoGoesIsAnnounced: a moderator the owner removes, and one
// who leaves, leave the moderators collection; peers that show it learn
// of it as of a dismissal (an announced Remove, by the owner, and by the
// one who left).
func TestAModeratorWhoGoesIsAnnounced(t *testing.T) {
	f := newFixture(t)
	owner, ada, eve := f.person("owner"), f.person("ada"), f.person("eve")
	c := f.community("guild", owner, models.VisibilityPublic, models.JoinOpen)
	bob := f.remote("org-b.test", "bob")
	if _, err := f.svc.ReceiveFollow(f.ctx, c, bob, bob.IRI+"#follow"); err != nil {
		t.Fatal(err)
	}
	for _, p := range []*models.Actor{ada, eve} {
		if _, err := f.svc.Join(f.ctx, p.ID, c); err != nil {
			t.Fatal(err)
		}
		if err := f.svc.SetMemberRole(f.ctx, c, owner.ID, p.ID, models.RoleModerator); err != nil {
			t.Fatal(err)
		}
	}
	f.published()
	if err := f.svc.RemoveMember(f.ctx, c, owner.ID, ada.ID); err != nil {
		t.Fatal(err)
	}
	if err := f.svc.Leave(f.ctx, eve.ID, c); err != nil {
		t.Fatal(err)
	}
	acts := f.published()
	if len(acts) != 2 {
		t.Fatalf("published %d activities, want 2: %v", len(acts), acts)
	}
	for i, want := range []struct{ by, who *models.Actor }{{owner, ada}, {eve, eve}} {
		inner, _ := acts[i]["object"].(map[string]any)
		if acts[i]["type"] != "Announce" || inner == nil || inner["type"] != "Remove" || inner["actor"] != want.by.IRI ||
			inner["object"] != want.who.IRI || inner["target"] != c.Actor.ModeratorsURL {
			t.Errorf("publication %d: %v, want the Announce of %s's Remove of %s from the moderators", i, acts[i], want.by.Username, want.who.Username)
		}
	}
	// A plain member's going sends nothing.
	fay := f.person("fay")
	if st, err := f.svc.Join(f.ctx, fay.ID, c); err != nil || st != string(models.MemberAccepted) {
		t.Fatalf("fay joins: %q %v", st, err)
	}
	f.published()
	if err := f.svc.Leave(f.ctx, fay.ID, c); err != nil {
		t.Fatal(err)
	}
	if acts := f.published(); len(acts) != 0 {
		t.Errorf("a plain member's leaving published %v", acts)
	}
}

// TestMembershipAnswersAreHandedOverAsDirect: the Accept of a remote
// follow is handed to the senders as direct traffic, the Announce of a
// new thread as bulk, each in its own wake-up.
func TestMembershipAnswersAreHandedOverAsDirect(t *testing.T) {
	f := newFixture(t)
	owner := f.person("owner")
	c := f.community("guild", owner, models.VisibilityPublic, models.JoinOpen)
	bob := f.remote("org-b.test", "bob")
	if _, err := f.svc.ReceiveFollow(f.ctx, c, bob, bob.IRI+"#follow"); err != nil {
		t.Fatal(err)
	}
	ids := f.rec.take()
	if len(ids) != 1 || f.rec.priorityOf(ids[0]) != service.PriorityDirect {
		t.Fatalf("the Accept: activities %v, priority %d; want one, direct", ids, f.rec.priorityOf(ids[0]))
	}
	f.post(owner, c, "Hello", nil)
	ids = f.rec.take()
	if len(ids) == 0 {
		t.Fatal("the new thread was not handed over")
	}
	for _, id := range ids {
		if p := f.rec.priorityOf(id); p != service.PriorityBulk {
			t.Errorf("the thread's activity %d: priority %d, want bulk", id, p)
		}
	}
}
