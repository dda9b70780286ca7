package service_test

import (
	"testing"

	"github.com/practica-social/practica/models"
	"github.com/practica-social/practica/service"
)

func TestMemberByHandle(t *testing.T) {
	f := newFixture(t)
	owner, ada, eve := f.person("owner"), f.person("ada"), f.person("eve")
	c := f.community("guild", owner, models.VisibilityPublic, models.JoinApproval)
	if _, err := f.svc.Join(f.ctx, ada.ID, c); err != nil {
		t.Fatal(err)
	}
	bob := f.remote("org-b.test", "bob")
	if _, err := f.svc.ReceiveFollow(f.ctx, c, bob, bob.IRI+"#follow"); err != nil {
		t.Fatal(err)
	}
	for handle, want := range map[string]*models.Actor{
		"ada": ada, "ada@org-a.test": ada, "@Ada@ORG-A.test": ada, " bob@org-b.test ": bob, "owner": owner,
	} {
		m, err := f.svc.MemberByHandle(f.ctx, c, owner.ID, handle)
		if err != nil {
			t.Errorf("%q: %v", handle, err)
			continue
		}
		if m.ActorID != want.ID || m.Actor == nil || m.Actor.IRI != want.IRI {
			t.Errorf("%q found actor %d, want %d", handle, m.ActorID, want.ID)
		}
	}
	if m, err := f.svc.MemberByHandle(f.ctx, c, owner.ID, "bob@org-b.test"); err != nil || m.State != models.MemberPending {
		t.Fatalf("bob's request: %+v %v", m, err)
	}
	for handle, kind := range map[string]service.Kind{
		"eve": service.KindNotFound, "bob@org-c.test": service.KindNotFound, "nobody": service.KindNotFound,
		"@": service.KindInvalid, "bob@": service.KindInvalid,
	} {
		if _, err := f.svc.MemberByHandle(f.ctx, c, owner.ID, handle); service.KindOf(err) != kind {
			t.Errorf("%q: %v, want kind %v", handle, err, kind)
		}
	}
	// Whether someone asked to join is the moderators' business.
	if _, err := f.svc.MemberByHandle(f.ctx, c, eve.ID, "bob@org-b.test"); service.KindOf(err) != service.KindForbidden {
		t.Fatalf("an outsider looked up a request: %v", err)
	}
}

func TestMemberToRemove(t *testing.T) {
	f := newFixture(t)
	owner, mod, ada, eve := f.person("owner"), f.person("mod"), f.person("ada"), f.person("eve")
	c := f.community("guild", owner, models.VisibilityPublic, models.JoinOpen)
	for _, p := range []*models.Actor{mod, ada} {
		if _, err := f.svc.Join(f.ctx, p.ID, c); err != nil {
			t.Fatal(err)
		}
	}
	if err := f.svc.SetMemberRole(f.ctx, c, owner.ID, mod.ID, models.RoleModerator); err != nil {
		t.Fatal(err)
	}
	m, err := f.svc.MemberToRemove(f.ctx, c, mod.ID, ada.ID)
	if err != nil || m.Actor == nil || m.Actor.IRI != ada.IRI {
		t.Fatalf("ada for the moderator: %+v %v", m, err)
	}
	for _, tc := range []struct {
		name    string
		by, who *models.Actor
		kind    service.Kind
	}{
		{"a plain member looks", ada, owner, service.KindForbidden},
		{"the owner", mod, owner, service.KindForbidden},
		{"a moderator by a moderator", mod, mod, service.KindForbidden},
		{"a stranger", owner, eve, service.KindNotFound},
	} {
		if _, err := f.svc.MemberToRemove(f.ctx, c, tc.by.ID, tc.who.ID); service.KindOf(err) != tc.kind {
			t.Errorf("%s: %v, want kind %v", tc.name, err, tc.kind)
		}
	}
	if _, err := f.svc.MemberToRemove(f.ctx, c, owner.ID, mod.ID); err != nil {
		t.Fatalf("the owner removes a moderator: %v", err)
	}
}

func TestActionsOn(t *testing.T) {
	local := &models.Actor{ID: 2, Local: true}
	remote := &models.Actor{ID: 3}
	member := func(a *models.Actor, r models.Role) *models.Member {
		return &models.Member{ActorID: a.ID, Actor: a, Role: r, State: models.MemberAccepted}
	}
	owner := service.Membership{State: string(models.MemberAccepted), Role: models.RoleOwner}
	mod := service.Membership{State: string(models.MemberAccepted), Role: models.RoleModerator}
	plain := service.Membership{State: string(models.MemberAccepted), Role: models.RoleMember}
	pending := &models.Member{ActorID: 2, Actor: local, Role: models.RoleMember, State: models.MemberPending}
	for _, tc := range []struct {
		name   string
		viewer int64
		vm     service.Membership
		m      *models.Member
		want   service.MemberActions
	}{
		{"owner, local member", 1, owner, member(local, models.RoleMember), service.MemberActions{Remove: true, Ban: true, Appoint: true}},
		{"owner, remote member", 1, owner, member(remote, models.RoleMember), service.MemberActions{Remove: true, Ban: true}},
		{"owner, moderator", 1, owner, member(local, models.RoleModerator), service.MemberActions{Remove: true, Ban: true, Dismiss: true}},
		{"owner, another owner", 1, owner, member(local, models.RoleOwner), service.MemberActions{}},
		{"owner, themselves", 2, owner, member(local, models.RoleOwner), service.MemberActions{}},
		{"a moderator, themselves as the list shows them", 2, mod, member(local, models.RoleMember), service.MemberActions{}},
		{"moderator, member", 1, mod, member(remote, models.RoleMember), service.MemberActions{Remove: true, Ban: true}},
		{"moderator, moderator", 1, mod, member(local, models.RoleModerator), service.MemberActions{}},
		{"moderator, themselves", 2, mod, member(local, models.RoleModerator), service.MemberActions{}},
		{"member, member", 1, plain, member(local, models.RoleMember), service.MemberActions{}},
		{"outsider, member", 1, service.Membership{}, member(local, models.RoleMember), service.MemberActions{}},
		{"owner, a request", 1, owner, pending, service.MemberActions{}},
	} {
		if got := service.ActionsOn(tc.viewer, tc.vm, tc.m); got != tc.want {
			t.Errorf("%s: %+v, want %+v", tc.name, got, tc.want)
		}
	}
}
