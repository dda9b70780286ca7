package service_test

import (
	"strings"
	"testing"

	"github.com/practica-social/practica/models"
	"github.com/practica-social/practica/service"
	"github.com/practica-social/practica/store"
)

// TestModeratorRemovesAPost: a moderator removes a member's reply with a
// reason, and then a thread; members' servers are sent the community's
// Announce of the moderator's Delete, and the boost of the thread is
// undone. Plain members, and anyone for a community elsewhere, may not.
func TestModeratorRemovesAPost(t *testing.T) {
	f := newFixture(t)
	owner, mod, ada := f.person("owner"), f.person("mod"), f.person("ada")
	c := f.community("garden", owner, models.VisibilityPublic, models.JoinOpen)
	for _, p := range []*models.Actor{mod, ada} {
		if _, err := f.svc.Join(f.ctx, p.ID, c); err != nil {
			t.Fatal(err)
		}
	}
	if err := f.svc.SetMemberRole(f.ctx, c, owner.ID, mod.ID, models.RoleModerator); err != nil {
		t.Fatal(err)
	}
	bob := f.remote("org-b.test", "bob")
	if _, err := f.svc.ReceiveFollow(f.ctx, c, bob, bob.IRI+"#follow"); err != nil {
		t.Fatal(err)
	}
	thread := f.post(ada, c, "Cheap seeds here", nil)
	reply := f.post(ada, c, "", thread)
	f.published()

	if err := f.svc.RemovePost(f.ctx, ada.ID, thread.ID, ""); service.KindOf(err) != service.KindForbidden {
		t.Fatalf("a plain member removed a post: %v", err)
	}
	if err := f.svc.RemovePost(f.ctx, mod.ID, reply.ID, strings.Repeat("x", 501)); service.KindOf(err) != service.KindInvalid {
		t.Fatalf("a reason of 501 characters: %v", err)
	}
	if err := f.svc.RemovePost(f.ctx, mod.ID, reply.ID, "  Off topic  "); err != nil {
		t.Fatal(err)
	}
	acts := f.published()
	if len(acts) != 1 || acts[0]["type"] != "Announce" || acts[0]["actor"] != c.Actor.IRI {
		t.Fatalf("published %v, want the community's Announce", acts)
	}
	del, _ := acts[0]["object"].(map[string]any)
	obj, _ := del["object"].(map[string]any)
	if del["type"] != "Delete" || del["actor"] != mod.IRI || del["summary"] != "Off topic" || obj["id"] != reply.IRI || del["audience"] != c.Actor.IRI {
		t.Fatalf("announced %v, want the moderator's Delete of the reply with the reason", del)
	}
	if p, err := f.store.GetPost(f.ctx, reply.ID); err != nil || p.DeletedAt == nil {
		t.Fatalf("the reply after its removal: %+v %v", p, err)
	}
	if err := f.svc.RemovePost(f.ctx, mod.ID, reply.ID, ""); service.KindOf(err) != service.KindNotFound {
		t.Fatalf("removing it again: %v", err)
	}

	if err := f.svc.RemovePost(f.ctx, mod.ID, thread.ID, ""); err != nil {
		t.Fatal(err)
	}
	var types []string
	for _, a := range f.published() {
		inner, _ := a["object"].(map[string]any)
		types = append(types, a["type"].(string)+" "+inner["type"].(string))
	}
	if strings.Join(types, ", ") != "Announce Delete, Undo Announce" {
		t.Fatalf("removing the thread published %v, want the Announce of the Delete and the Undo of the boost", types)
	}

	remote := f.remoteGroup("org-z.test", "elsewhere", "")
	rc, err := f.svc.EnsureRemoteCommunity(f.ctx, remote)
	if err != nil {
		t.Fatal(err)
	}
	rp, err := f.svc.ReceivePost(f.ctx, rc, bob, service.RemotePost{IRI: "http://org-b.test/p/1", Type: "Page", Name: "Over there", ContentHTML: "<p>hi</p>", Public: true})
	if err != nil {
		t.Fatal(err)
	}
	if err := f.svc.RemovePost(f.ctx, owner.ID, rp.ID, ""); service.KindOf(err) != service.KindForbidden {
		t.Fatalf("removing a post of a community elsewhere: %v", err)
	}
}

// TestRemovingPostsOfModerators: a moderator may not remove the owner's or
// another moderator's posts; the owner may.
func TestRemovingPostsOfModerators(t *testing.T) {
	f := newFixture(t)
	owner, mod, mod2 := f.person("owner"), f.person("mod"), f.person("mod2")
	c := f.community("garden", owner, models.VisibilityPublic, models.JoinOpen)
	for _, p := range []*models.Actor{mod, mod2} {
		if _, err := f.svc.Join(f.ctx, p.ID, c); err != nil {
			t.Fatal(err)
		}
		if err := f.svc.SetMemberRole(f.ctx, c, owner.ID, p.ID, models.RoleModerator); err != nil {
			t.Fatal(err)
		}
	}
	ownerPost, modPost := f.post(owner, c, "Owner's", nil), f.post(mod2, c, "Moderator's", nil)
	for _, p := range []*models.Post{ownerPost, modPost} {
		if err := f.svc.RemovePost(f.ctx, mod.ID, p.ID, ""); service.KindOf(err) != service.KindForbidden {
			t.Fatalf("a moderator removed %q: %v", p.Title, err)
		}
	}
	if err := f.svc.RemovePost(f.ctx, owner.ID, modPost.ID, ""); err != nil {
		t.Fatalf("the owner removes a moderator's post: %v", err)
	}
}

// TestRemovingAPostTwiceAtOnce: two moderators remove the same reply at
// the same moment: one removal happens, the thread counts it once, one
// Delete is announced.
func TestRemovingAPostTwiceAtOnce(t *testing.T) {
	f := newFixture(t)
	if f.store.Dialect() != store.DialectPostgres {
		t.Skip("SQLite has one writer: the two cannot overlap")
	}
	owner, mod := f.person("owner"), f.person("mod")
	c := f.community("garden", owner, models.VisibilityPublic, models.JoinOpen)
	if _, err := f.svc.Join(f.ctx, mod.ID, c); err != nil {
		t.Fatal(err)
	}
	if err := f.svc.SetMemberRole(f.ctx, c, owner.ID, mod.ID, models.RoleModerator); err != nil {
		t.Fatal(err)
	}
	for round := range 10 {
		thread := f.post(owner, c, "Thread", nil)
		f.post(owner, c, "", thread)
		reply := f.post(mod, c, "", thread)
		errs := make(chan error, 2)
		for _, who := range []*models.Actor{owner, mod} {
			go func() { errs <- f.svc.RemovePost(f.ctx, who.ID, reply.ID, "") }()
		}
		ok := 0
		for range 2 {
			if err := <-errs; err == nil {
				ok++
			} else if service.KindOf(err) != service.KindNotFound {
				t.Fatalf("round %d: %v", round, err)
			}
		}
		got, err := f.store.GetPost(f.ctx, thread.ID)
		if err != nil {
			t.Fatal(err)
		}
		if ok != 1 || got.ReplyCount != 1 {
			t.Fatalf("round %d: %d removals succeeded, the thread counts %d replies; want 1 and 1", round, ok, got.ReplyCount)
		}
	}
}
