package service_test

import (
	"errors"
	"testing"
	"time"

	"github.com/practica-social/practica/models"
	"github.com/practica-social/practica/service"
)

// TestInstanceOfAMembersServerReadsButTakesNoPart: the instance actor of a
// server holding a member may read a members-only community (protocol.md
// §8) but its like does not count; a non-member of that server may not
// read, nor may another server's instance actor, nor — once its member is
// removed — the first server's.
func TestInstanceOfAMembersServerReadsButTakesNoPart(t *testing.T) {
	f := newFixture(t)
	owner := f.person("owner")
	c := f.community("inner", owner, models.VisibilityMembers, models.JoinOpen)
	bob, carol := f.remote("org-b.test", "bob"), f.remote("org-b.test", "carol")
	if _, err := f.svc.ReceiveFollow(f.ctx, c, bob, bob.IRI+"#follow"); err != nil {
		t.Fatal(err)
	}
	instance := func(host string) *models.Actor {
		a := &models.Actor{IRI: "http://" + host + "/actor", Type: models.ActorApplication, Username: host, Host: host,
			InboxURL: "http://" + host + "/actor/inbox", Published: time.Now()}
		if err := f.store.UpsertRemoteActor(f.ctx, a); err != nil {
			t.Fatal(err)
		}
		return a
	}
	instB, instC := instance("org-b.test"), instance("org-c.test")
	insider := func(a *models.Actor) bool {
		ok, err := f.svc.IsInsider(f.ctx, c, service.Viewer{ActorID: a.ID})
		if err != nil {
			t.Fatal(err)
		}
		return ok
	}
	if !insider(bob) || !insider(instB) {
		t.Fatal("the member and their server's instance actor should read")
	}
	if insider(carol) || insider(instC) {
		t.Fatal("a non-member of the member's server, or another server's instance actor, reads")
	}

	p := f.post(owner, c, "Between us", nil)
	if err := f.svc.ReceiveLike(f.ctx, instB, p.IRI, "http://org-b.test/likes/1", "{}"); !errors.Is(err, service.ErrDropped) {
		t.Fatalf("the instance actor's like: %v, want dropped", err)
	}
	if got, err := f.store.GetPost(f.ctx, p.ID); err != nil || got.LikeCount != 0 {
		t.Fatalf("likes after the instance actor's: %+v %v", got, err)
	}

	if err := f.svc.RemoveMember(f.ctx, c, owner.ID, bob.ID); err != nil {
		t.Fatal(err)
	}
	if insider(instB) {
		t.Fatal("the instance actor still reads after the server's last member was removed")
	}
}
