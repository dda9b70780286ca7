package resolve_test

import (
	"context"
	"testing"

	"github.com/practica-social/practica/models"
	"github.com/practica-social/practica/service"
)

func TestSubscribeTemplate(t *testing.T) {
	g := newRig(t)
	ctx := context.Background()
	// Another Practica serves its own /authorize_interaction template.
	b := g.n.Start(t, "org-b.test")
	if _, err := b.Service.CreateAccount(ctx, service.NewAccount{Username: "bob", Email: "bob@example.org", Password: "correct horse"}); err != nil {
		t.Fatal(err)
	}
	tmpl, err := g.r.SubscribeTemplate(ctx, "@bob@org-b.test")
	if err != nil || tmpl != "http://org-b.test/authorize_interaction?uri={uri}" {
		t.Fatalf("Practica template = %q, %v", tmpl, err)
	}

	// A Mastodon-like server, whose template may name another host; links
	// that are not usable templates are skipped.
	rm := newRemote(t, g.n, "mastodon.test")
	serveWebFinger(rm, map[string]map[string]any{
		"acct:me@mastodon.test": {"subject": "acct:me@mastodon.test", "links": []any{
			map[string]any{"rel": "self", "type": "application/activity+json", "href": "http://mastodon.test/users/me"},
			map[string]any{"rel": "http://ostatus.org/schema/1.0/subscribe", "template": "javascript:alert('{uri}')"},
			map[string]any{"rel": "http://ostatus.org/schema/1.0/subscribe", "template": "https://social.example/no-placeholder"},
			map[string]any{"rel": "http://ostatus.org/schema/1.0/subscribe", "template": "https://social.example/authorize_interaction?uri={uri}"},
		}},
		"acct:old@mastodon.test": {"subject": "acct:old@mastodon.test", "links": []any{
			map[string]any{"rel": "self", "type": "application/activity+json", "href": "http://mastodon.test/users/old"},
		}},
	})
	tmpl, err = g.r.SubscribeTemplate(ctx, "me@MASTODON.test")
	if err != nil || tmpl != "https://social.example/authorize_interaction?uri={uri}" {
		t.Fatalf("Mastodon template = %q, %v", tmpl, err)
	}
	if _, err := g.r.SubscribeTemplate(ctx, "old@mastodon.test"); kindOf(err) != service.KindNotFound {
		t.Errorf("no subscribe link: %v, want not found", err)
	}
	if _, err := g.r.SubscribeTemplate(ctx, "nobody@mastodon.test"); kindOf(err) != service.KindNotFound {
		t.Errorf("unknown account: %v, want not found", err)
	}

	// Our own handles get our own template, without a request.
	if _, err := g.inst.Service.CreateAccount(ctx, service.NewAccount{Username: "ada", Email: "ada@example.org", Password: "correct horse"}); err != nil {
		t.Fatal(err)
	}
	tmpl, err = g.r.SubscribeTemplate(ctx, "ada@org-a.test")
	if err != nil || tmpl != "http://org-a.test/authorize_interaction?uri={uri}" {
		t.Fatalf("own template = %q, %v", tmpl, err)
	}
	if _, err := g.r.SubscribeTemplate(ctx, "ghost@org-a.test"); kindOf(err) != service.KindNotFound {
		t.Errorf("unknown local handle: %v, want not found", err)
	}
	for _, bad := range []string{"", "me", "me@", "a/b@mastodon.test"} {
		if _, err := g.r.SubscribeTemplate(ctx, bad); kindOf(err) != service.KindInvalid {
			t.Errorf("SubscribeTemplate(%q): %v, want invalid", bad, err)
		}
	}
}

func TestCommunityByHandleOrID(t *testing.T) {
	g := newRig(t)
	ctx := context.Background()
	b := g.n.Start(t, "org-b.test")
	if _, err := b.Service.CreateCommunity(ctx, service.NewCommunity{Handle: "roofs", Name: "Green Roofs"}); err != nil {
		t.Fatal(err)
	}
	if _, err := b.Service.CreateAccount(ctx, service.NewAccount{Username: "bob", Email: "bob@example.org", Password: "correct horse"}); err != nil {
		t.Fatal(err)
	}
	byID, err := g.r.Community(ctx, "http://org-b.test/c/roofs")
	if err != nil || byID.Local || byID.Actor.Name != "Green Roofs" || byID.Actor.Type != models.ActorGroup {
		t.Fatalf("by id: %+v, %v", byID, err)
	}
	byHandle, err := g.r.Community(ctx, "@roofs@org-b.test")
	if err != nil || byHandle.ID != byID.ID {
		t.Fatalf("by handle: %+v, %v; want the record found by id (%d)", byHandle, err, byID.ID)
	}
	if _, err := g.r.Community(ctx, "http://org-b.test/u/bob"); kindOf(err) != service.KindNotFound {
		t.Errorf("a person's id: %v, want not found", err)
	}
	own, err := g.inst.Service.CreateCommunity(ctx, service.NewCommunity{Handle: "makers"})
	if err != nil {
		t.Fatal(err)
	}
	if c, err := g.r.Community(ctx, own.Actor.IRI); err != nil || c.ID != own.ID || !c.Local {
		t.Errorf("own community by id: %+v, %v", c, err)
	}
	if _, err := g.r.Community(ctx, "http://org-a.test/c/nothing"); kindOf(err) != service.KindNotFound {
		t.Errorf("unknown own id: %v, want not found", err)
	}
}
