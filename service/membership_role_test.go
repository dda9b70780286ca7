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
	// Roles reach peers through the moderators collection; nothing is sent.
	if acts := f.published(); len(acts) != 0 {
		t.Fatalf("role changes published %v", acts)
	}
}

// TestRoleChangeCannotUndoARemoval: a role change that read a member just
// before a moderator removed them must not write the membership back. On
// Postgres the role change holds the row (store.LockMember) from its read
// to its commit; the removal waits for it and then removes the new
// moderator, which only an owner may.
func TestRoleChangeCannotUndoARemoval(t *testing.T) {
	var (
		mu      sync.Mutex
		armed   bool
		reads   int
		paused  = make(chan struct{})
		removed = make(chan error, 1)
	)
	st := testrig.NewStoreAfterStatement(t, func(sql string) error {
		if !strings.Contains(sql, `FROM "members"`) {
			return nil
		}
		mu.Lock()
		pause := false
		if armed {
			// The role change reads the owner's membership, then bob's.
			reads++
			pause = reads == 2
		}
		mu.Unlock()
		if pause {
			// The role change has read bob: let the removal run now.
			close(paused)
			select {
			case err := <-removed:
				removed <- err
			case <-time.After(time.Second):
				// The removal waits for the role change's lock: go on.
			}
		}
		return nil
	})
	if st.Dialect() != store.DialectPostgres {
		t.Skip("SQLite has one writer: the two cannot interleave")
	}
	svc := service.New(service.Deps{Store: st, URLs: service.NewURLs("http://org-a.test"), InstanceName: "A", Dispatch: &recorder{}})
	f := &fixture{t: t, ctx: context.Background(), store: st, svc: svc, rec: &recorder{}}
	owner, bob := f.person("owner"), f.person("bob")
	c := f.community("guild", owner, models.VisibilityPublic, models.JoinOpen)
	if _, err := svc.Join(f.ctx, bob.ID, c); err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	armed = true
	mu.Unlock()

	changed := make(chan error, 1)
	go func() { changed <- svc.SetMemberRole(f.ctx, c, owner.ID, bob.ID, models.RoleModerator) }()
	select {
	case <-paused:
	case err := <-changed:
		t.Fatalf("the role change ended (%v) before reading bob's membership", err)
	}
	go func() { removed <- svc.RemoveMember(f.ctx, c, owner.ID, bob.ID) }()
	if err := <-changed; err != nil {
		t.Fatalf("role change: %v", err)
	}
	if err := <-removed; err != nil {
		t.Fatalf("removal: %v", err)
	}
	if state, role := f.memberRole(c, bob); state != models.MemberRejected || role != models.RoleMember {
		t.Fatalf("after a removal and a role change at once bob is %s %s, want rejected member", state, role)
	}
}
