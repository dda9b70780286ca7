package resolve_test

import (
	"context"
	"errors"
	"net/http"
	"testing"

	"github.com/practica-social/practica/federation/resolve"
	"github.com/practica-social/practica/models"
	"github.com/practica-social/practica/service"
)

// serveWebFinger answers acct:<user>@<host> on rm with doc.
func serveWebFinger(rm *remote, resources map[string]map[string]any) {
	rm.handle("/.well-known/webfinger", func(w http.ResponseWriter, r *http.Request) {
		doc, ok := resources[r.URL.Query().Get("resource")]
		if !ok {
			http.NotFound(w, r)
			return
		}
		jsonHandler("application/jrd+json", doc)(w, r)
	})
}

func TestHandleFindsPeopleAndCommunitiesOnAnotherInstance(t *testing.T) {
	g := newRig(t)
	b := g.n.Start(t, "org-b.test")
	ctx := context.Background()
	if _, err := b.Service.CreateAccount(ctx, service.NewAccount{Username: "shared", Email: "shared@example.org", Password: "correct horse"}); err != nil {
		t.Fatal(err)
	}
	if _, err := b.Service.CreateCommunity(ctx, service.NewCommunity{Handle: "shared", Name: "Shared"}); err != nil {
		t.Fatal(err)
	}
	p, err := g.r.Handle(ctx, "@shared@org-b.test", resolve.HandleOpts{})
	if err != nil || p.IRI != "http://org-b.test/u/shared" || p.Type != models.ActorPerson {
		t.Fatalf("person = %+v, %v", p, err)
	}
	// Case, a trailing dot and the acct: form name the same host.
	grp, err := g.r.Handle(ctx, "acct:shared@ORG-B.test.", resolve.HandleOpts{PreferGroup: true})
	if err != nil || grp.IRI != "http://org-b.test/c/shared" || grp.Type != models.ActorGroup || grp.Host != "org-b.test" {
		t.Fatalf("group = %+v, %v", grp, err)
	}
	if _, err := g.r.Handle(ctx, "nobody@org-b.test", resolve.HandleOpts{}); kindOf(err) != service.KindNotFound {
		t.Fatalf("unknown handle: %v", err)
	}
	// Our own handles come from the database.
	own, err := g.r.Handle(ctx, "org-a.test@org-a.test", resolve.HandleOpts{})
	if err != nil || !own.Local || own.Type != models.ActorApplication {
		t.Fatalf("own instance actor = %+v, %v", own, err)
	}
	for _, bad := range []string{"", "nobody", "@org-b.test", "a/b@org-b.test", "a@", "a@b@"} {
		if _, err := g.r.Handle(ctx, bad, resolve.HandleOpts{}); kindOf(err) != service.KindInvalid {
			t.Errorf("Handle(%q): %v, want invalid", bad, err)
		}
	}
}

func TestChecklist11WebFingerPointingElsewhereIsRefused(t *testing.T) {
	g := newRig(t)
	evil := newRemote(t, g.n, "evil.example")
	victim := newRemote(t, g.n, "victim.example")
	// The victim's real group, which the victim's WebFinger knows as
	// "g@victim.example" only.
	gid := victim.base + "/c/g"
	victim.serveJSON("/c/g", map[string]any{
		"id": gid, "type": "Group", "preferredUsername": "g", "inbox": gid + "/inbox",
		"publicKey": map[string]any{"id": gid + "#main-key", "owner": gid, "publicKeyPem": pubPEM(t, 0)},
	})
	serveWebFinger(victim, map[string]map[string]any{
		"acct:g@victim.example": webfingerDoc("acct:g@victim.example", gid),
	})
	// evil.example claims its "g" is an actor it does not own, and that an
	// actor of its own is called "boss" while its WebFinger for that name
	// points elsewhere.
	boss := evil.base + "/users/boss"
	evil.serveJSON("/users/boss", person(boss, "boss", boss+"#main-key", pubPEM(t, 1)))
	serveWebFinger(evil, map[string]map[string]any{
		"acct:admin@evil.example": webfingerDoc("acct:admin@victim.example", victim.base+"/users/admin"),
		"acct:alias@evil.example": webfingerDoc("acct:alias@evil.example", boss),
		"acct:boss@evil.example":  webfingerDoc("acct:boss@evil.example", victim.base+"/users/someone"),
		"acct:g@evil.example":     webfingerDoc("acct:g@evil.example", gid),
	})
	victim.serveJSON("/users/admin", person(victim.base+"/users/admin", "admin", victim.base+"/users/admin#main-key", pubPEM(t, 2)))

	// admin@evil.example → the victim's admin, whose own handle
	// admin@victim.example does not WebFinger back: refused.
	if _, err := g.r.Handle(g.ctx, "admin@evil.example", resolve.HandleOpts{}); !errors.Is(err, resolve.ErrRefused) {
		t.Fatalf("cross-host pointer without round trip: %v, want refused", err)
	}
	// alias@evil.example → boss, but boss@evil.example points elsewhere.
	if _, err := g.r.Handle(g.ctx, "alias@evil.example", resolve.HandleOpts{}); !errors.Is(err, resolve.ErrRefused) {
		t.Fatalf("alias that does not round-trip: %v, want refused", err)
	}
	// g@evil.example → the victim's group, which does round-trip as
	// g@victim.example: the answer is the victim's group under its own
	// handle, never a group "g@evil.example".
	a, err := g.r.Handle(g.ctx, "g@evil.example", resolve.HandleOpts{PreferGroup: true})
	if err != nil || a.IRI != gid || a.Host != "victim.example" || a.Username != "g" {
		t.Fatalf("round-tripping pointer = %+v, %v", a, err)
	}
	// Whatever was looked up, no actor is stored under evil.example's name
	// that evil.example does not serve.
	as, err := g.inst.Store.FindActorsByHandle(g.ctx, "g", "evil.example")
	if err != nil || len(as) != 0 {
		t.Fatalf("actors stored as g@evil.example: %v, %v", as, err)
	}
	as, err = g.inst.Store.FindActorsByHandle(g.ctx, "admin", "victim.example")
	if err != nil {
		t.Fatal(err)
	}
	for _, x := range as {
		if x.IRI != victim.base+"/users/admin" {
			t.Fatalf("admin@victim.example is %s", x.IRI)
		}
	}
}
