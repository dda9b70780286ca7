package service_test

import (
	"testing"
	"time"

	"github.com/practica-social/practica/models"
	"github.com/practica-social/practica/service"
)

// TestRemoteCommunityKeepsMembersOnlyPosts: a remote community we record
// as public announces a post not addressed to the public (it is
// members-only there). It is kept as members-only, not refused, and only
// local people whose follow the community accepted may read it.
func TestRemoteCommunityKeepsMembersOnlyPosts(t *testing.T) {
	f := newFixture(t)
	group := &models.Actor{
		IRI: "http://org-a.test/c/inner", Type: models.ActorGroup, Username: "inner", Host: "org-a.test",
		InboxURL: "http://org-a.test/c/inner/inbox", Published: time.Now(),
	}
	if err := f.store.UpsertRemoteActor(f.ctx, group); err != nil {
		t.Fatal(err)
	}
	c, err := f.svc.EnsureRemoteCommunity(f.ctx, group)
	if err != nil {
		t.Fatal(err)
	}
	alice := f.remote("org-a.test", "alice")
	rp := service.RemotePost{
		ActivityIRI: "http://org-a.test/activities/1", ActivityType: "Create", ActivityJSON: `{}`,
		IRI: "http://org-a.test/objects/1", Type: "Page", Name: "Members only", ContentHTML: "<p>secret</p>",
	}
	p, err := f.svc.ReceivePost(f.ctx, c, alice, rp)
	if err != nil {
		t.Fatalf("members-only post of a remote community: %v", err)
	}
	if p.Audience != models.AudienceMembers {
		t.Fatalf("audience %q, want members", p.Audience)
	}
	pub := rp
	pub.IRI, pub.ActivityIRI, pub.Public = "http://org-a.test/objects/2", "http://org-a.test/activities/2", true
	if p, err := f.svc.ReceivePost(f.ctx, c, alice, pub); err != nil || p.Audience != models.AudiencePublic {
		t.Fatalf("public post: %+v, %v", p, err)
	}
	reader := f.person("reader")
	view, err := f.svc.CommunityOverview(f.ctx, c, service.Viewer{ActorID: reader.ID}, 0, 10)
	if err != nil || len(view.Threads) != 1 || view.Threads[0].Post.IRI != pub.IRI {
		t.Fatalf("a local person who does not follow the community sees %+v (%v); want the public post only", view, err)
	}
}
