package service_test

import (
	"errors"
	"testing"
	"time"

	"github.com/practica-social/practica/models"
	"github.com/practica-social/practica/service"
)

// TestReplyParentOf: the inbox learns whether a parent is held (and in
// which community, whoever may read it), deleted before it arrived, or
// unknown; KnownObjects answers the same for many ids at once.
func TestReplyParentOf(t *testing.T) {
	f := newFixture(t)
	owner := f.person("owner")
	c := f.community("circle", owner, models.VisibilityMembers, models.JoinOpen)
	ann := f.remote("r.test", "ann")
	if _, err := f.svc.ReceiveFollow(f.ctx, c, ann, "http://r.test/follows/1"); err != nil {
		t.Fatal(err)
	}
	held, err := f.svc.ReceivePost(f.ctx, c, ann, service.RemotePost{
		ActivityIRI: "http://r.test/a/1", ActivityType: "Create", ActivityJSON: `{}`,
		IRI: "http://r.test/n/1", Type: "Page", Name: "Members only", ContentHTML: "<p>x</p>", Published: time.Now(),
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := f.svc.ReceiveDelete(f.ctx, ann, "http://r.test/n/gone", "http://r.test/a/2", `{}`); err != nil {
		t.Fatal(err)
	}

	got, err := f.svc.ReplyParentOf(f.ctx, held.IRI)
	if err != nil || !got.Held || got.Gone || got.CommunityID != c.ID {
		t.Fatalf("members-only post: %+v, %v; want held in %d", got, err, c.ID)
	}
	if got, err := f.svc.ReplyParentOf(f.ctx, "http://r.test/n/gone"); err != nil || got.Held || !got.Gone {
		t.Fatalf("tombstone: %+v, %v; want gone", got, err)
	}
	if got, err := f.svc.ReplyParentOf(f.ctx, "http://r.test/n/never"); err != nil || got != (service.ReplyParent{}) {
		t.Fatalf("unknown: %+v, %v; want the zero value", got, err)
	}
	known, err := f.svc.KnownObjects(f.ctx, []string{held.IRI, "http://r.test/n/gone", "http://r.test/n/never"})
	if err != nil || !known[held.IRI] || !known["http://r.test/n/gone"] || known["http://r.test/n/never"] {
		t.Fatalf("known: %v, %v", known, err)
	}
	if known, err := f.svc.KnownObjects(f.ctx, nil); err != nil || len(known) != 0 {
		t.Fatalf("known of nothing: %v, %v", known, err)
	}
}

// TestLateCreateOfAFetchedParent: a post fetched as a reply's missing
// parent is stored without an activity. When its own Create reaches the
// local community afterwards, the community announces it, once; the same
// Create again, or another Create of it, is dropped as before.
func TestLateCreateOfAFetchedParent(t *testing.T) {
	f := newFixture(t)
	owner := f.person("owner")
	c := f.community("pub", owner, models.VisibilityPublic, models.JoinOpen)
	bob := f.remote("org-b.test", "bob")
	if _, err := f.svc.ReceiveFollow(f.ctx, c, bob, bob.IRI+"#f"); err != nil {
		t.Fatal(err)
	}
	ann := f.remote("r.test", "ann")
	f.published()
	fetched := service.RemotePost{IRI: "http://r.test/n/1", Type: "Page", Name: "Overtaken", ContentHTML: "<p>x</p>", Public: true}
	if _, err := f.svc.ReceivePost(f.ctx, c, ann, fetched); err != nil {
		t.Fatal(err)
	}
	if acts := f.published(); len(acts) != 0 {
		t.Fatalf("a fetched post was announced: %v", acts)
	}
	create := fetched
	create.ActivityIRI, create.ActivityType = "http://r.test/a/1", "Create"
	create.ActivityJSON = `{"id":"http://r.test/a/1","type":"Create","actor":"http://r.test/u/ann","object":"http://r.test/n/1"}`
	if _, err := f.svc.ReceivePost(f.ctx, c, ann, create); err != nil {
		t.Fatalf("the late Create: %v", err)
	}
	acts := f.published()
	if len(acts) != 2 || acts[0]["type"] != "Announce" || acts[1]["object"] != fetched.IRI {
		t.Fatalf("the late Create's announces: %v; want Announce{Create} and the boost", acts)
	}
	if inner, _ := acts[0]["object"].(map[string]any); inner["id"] != create.ActivityIRI {
		t.Errorf("announced %v; want the Create as received", acts[0]["object"])
	}
	if _, err := f.svc.ReceivePost(f.ctx, c, ann, create); !errors.Is(err, service.ErrDropped) {
		t.Fatalf("the same Create again: %v; want dropped", err)
	}
	other := create
	other.ActivityIRI = "http://r.test/a/2"
	if _, err := f.svc.ReceivePost(f.ctx, c, ann, other); !errors.Is(err, service.ErrDropped) {
		t.Fatalf("another Create of the post: %v; want dropped", err)
	}
	// Someone else's Create of ann's post is not hers to announce.
	eve := f.remote("r.test", "eve")
	forged := create
	forged.ActivityIRI = "http://r.test/a/3"
	if _, err := f.svc.ReceivePost(f.ctx, c, eve, forged); !errors.Is(err, service.ErrDropped) {
		t.Fatalf("eve's Create of ann's post: %v; want dropped", err)
	}
	if acts := f.published(); len(acts) != 0 {
		t.Fatalf("announced again: %v", acts)
	}
}
