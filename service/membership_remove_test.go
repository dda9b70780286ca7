package service_test

import (
	"encoding/json"
	"testing"

	"github.com/practica-social/practica/models"
	"github.com/practica-social/practica/service"
)

// TestRemoveMember: a moderator removes a remote member, who is sent
// Reject{Follow} naming the original Follow, stops being an insider and
// stops being delivered to; a member on the same host keeps receiving.
func TestRemoveMember(t *testing.T) {
	f := newFixture(t)
	owner := f.person("owner")
	c := f.community("inner", owner, models.VisibilityMembers, models.JoinApproval)
	bob := f.remote("org-b.test", "bob")
	frank := f.remote("org-b.test", "frank")
	carol := f.remote("org-c.test", "carol")
	for _, who := range []*models.Actor{bob, frank, carol} {
		if _, err := f.svc.ReceiveFollow(f.ctx, c, who, who.IRI+"#follow"); err != nil {
			t.Fatal(err)
		}
		if err := f.svc.DecideMember(f.ctx, c, owner.ID, who.ID, true); err != nil {
			t.Fatal(err)
		}
	}
	mod := f.person("mod")
	if _, err := f.svc.ReceiveFollow(f.ctx, c, mod, ""); err != nil {
		t.Fatal(err)
	}
	if err := f.svc.DecideMember(f.ctx, c, owner.ID, mod.ID, true); err != nil {
		t.Fatal(err)
	}
	m, err := f.store.GetMember(f.ctx, c.ID, mod.ID)
	if err != nil {
		t.Fatal(err)
	}
	m.Role = models.RoleModerator
	if err := f.store.PutMember(f.ctx, m); err != nil {
		t.Fatal(err)
	}
	f.published()

	// Who may remove whom.
	if err := f.svc.RemoveMember(f.ctx, c, bob.ID, carol.ID); service.KindOf(err) != service.KindForbidden {
		t.Fatalf("a plain member removed someone: %v", err)
	}
	if err := f.svc.RemoveMember(f.ctx, c, mod.ID, owner.ID); service.KindOf(err) != service.KindForbidden {
		t.Fatalf("the owner was removed: %v", err)
	}
	stranger := f.remote("org-c.test", "stranger")
	if err := f.svc.RemoveMember(f.ctx, c, owner.ID, stranger.ID); service.KindOf(err) != service.KindNotFound {
		t.Fatalf("removing a non-member: %v, want not found", err)
	}
	if acts := f.published(); len(acts) != 0 {
		t.Fatalf("refused removals published %v", acts)
	}

	// The moderator removes bob.
	if err := f.svc.RemoveMember(f.ctx, c, mod.ID, bob.ID); err != nil {
		t.Fatal(err)
	}
	ids := f.rec.take()
	if len(ids) != 1 {
		t.Fatalf("%d activities published, want one Reject", len(ids))
	}
	reject, err := f.store.GetActivity(f.ctx, ids[0])
	if err != nil {
		t.Fatal(err)
	}
	var doc map[string]any
	if err := json.Unmarshal([]byte(reject.JSON), &doc); err != nil {
		t.Fatal(err)
	}
	follow, _ := doc["object"].(map[string]any)
	if doc["type"] != "Reject" || follow["id"] != bob.IRI+"#follow" || follow["actor"] != bob.IRI || follow["object"] != c.Actor.IRI {
		t.Fatalf("want Reject embedding bob's Follow, got %v", doc)
	}
	// It goes to bob's own inbox, so his server knows whose membership
	// ended.
	ds, err := f.svc.ActivityDeliveries(f.ctx, reject.ID)
	if err != nil || len(ds) != 1 || ds[0].InboxURL != bob.InboxURL || ds[0].Priority != service.PriorityDirect {
		t.Fatalf("Reject deliveries %+v, %v; want one direct one to %s", ds, err, bob.InboxURL)
	}
	if ok, _ := f.svc.IsInsider(f.ctx, c, service.Viewer{ActorID: bob.ID}); ok {
		t.Fatal("a removed member is still an insider")
	}
	if err := f.svc.RemoveMember(f.ctx, c, mod.ID, bob.ID); service.KindOf(err) != service.KindNotFound {
		t.Fatalf("removing twice: %v, want not found", err)
	}

	// A new post is still delivered to org-b.test (frank) and org-c.test.
	inboxes, err := f.store.MemberInboxes(f.ctx, c.ID)
	if err != nil || len(inboxes) != 2 {
		t.Fatalf("member inboxes %v, %v; want org-b's and org-c's shared inboxes", inboxes, err)
	}
	// Only an owner removes a moderator; a removed person asks again.
	if err := f.svc.RemoveMember(f.ctx, c, mod.ID, mod.ID); service.KindOf(err) != service.KindForbidden {
		t.Fatalf("a moderator removed a moderator: %v", err)
	}
	if err := f.svc.RemoveMember(f.ctx, c, owner.ID, mod.ID); err != nil {
		t.Fatal(err)
	}
	if st, err := f.svc.ReceiveFollow(f.ctx, c, bob, bob.IRI+"#again"); err != nil || st != models.MemberPending {
		t.Fatalf("bob asks again: %q, %v; want pending", st, err)
	}
}
