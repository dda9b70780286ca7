package service_test

import (
	"errors"
	"testing"

	"github.com/practica-social/practica/models"
	"github.com/practica-social/practica/service"
)

// TestAnnouncedDeleteByAModerator: a remote community's Delete of
// someone else's post is taken from an actor of the community's own
// server, for a post of that community; not from anyone elsewhere, not
// for a post of another community.
func TestAnnouncedDeleteByAModerator(t *testing.T) {
	f := newFixture(t)
	bob := f.remote("org-b.test", "bob")
	mod, outsider := f.remote("org-z.test", "mod"), f.remote("org-x.test", "mallory")
	zc, err := f.svc.EnsureRemoteCommunity(f.ctx, f.remoteGroup("org-z.test", "zed", ""))
	if err != nil {
		t.Fatal(err)
	}
	yc, err := f.svc.EnsureRemoteCommunity(f.ctx, f.remoteGroup("org-y.test", "yew", ""))
	if err != nil {
		t.Fatal(err)
	}
	post := func(c *models.Community, iri string) *models.Post {
		p, err := f.svc.ReceivePost(f.ctx, c, bob, service.RemotePost{IRI: iri, Type: "Page", Name: "A post", ContentHTML: "<p>hi</p>", Public: true})
		if err != nil {
			t.Fatal(err)
		}
		return p
	}
	inZed, inYew := post(zc, "http://org-b.test/p/1"), post(yc, "http://org-b.test/p/2")
	gone := func(p *models.Post) bool {
		got, err := f.store.GetPost(f.ctx, p.ID)
		if err != nil {
			t.Fatal(err)
		}
		return got.DeletedAt != nil
	}
	for name, tc := range map[string]struct {
		via   *models.Community
		actor *models.Actor
		post  *models.Post
	}{
		"an actor of another server":  {zc, outsider, inZed},
		"a post of another community": {zc, mod, inYew},
	} {
		if err := f.svc.ReceiveAnnouncedDelete(f.ctx, tc.via, tc.actor, tc.post.IRI, "http://x/delete", "{}"); !errors.Is(err, service.ErrDropped) {
			t.Errorf("%s: %v, want dropped", name, err)
		}
		if gone(tc.post) {
			t.Fatalf("%s: the post was taken down", name)
		}
	}
	if err := f.svc.ReceiveAnnouncedDelete(f.ctx, zc, mod, inZed.IRI, "http://org-z.test/delete/1", "{}"); err != nil {
		t.Fatal(err)
	}
	if !gone(inZed) {
		t.Fatal("the moderator's removal did not take the post down")
	}
	if tomb, err := f.store.IsTombstoned(f.ctx, inZed.IRI); err != nil || tomb {
		t.Fatalf("the community's removal left a tombstone (%v): the post is not deleted, only out of the community", err)
	}
	// A post of one of our people is theirs: another server's moderator
	// does not delete it here.
	ada := f.person("ada")
	if err := f.store.PutFollow(f.ctx, &models.Follow{ActorID: ada.ID, TargetActorID: zc.ActorID, State: models.FollowAccepted, ActivityIRI: "http://org-a.test/activities/follow-zed"}); err != nil {
		t.Fatal(err)
	}
	mine, err := f.svc.CreatePost(f.ctx, service.NewPost{AuthorID: ada.ID, CommunityID: zc.ID, Title: "Mine", Body: "Ours."})
	if err != nil {
		t.Fatal(err)
	}
	if err := f.svc.ReceiveAnnouncedDelete(f.ctx, zc, mod, mine.IRI, "http://org-z.test/delete/2", "{}"); !errors.Is(err, service.ErrDropped) {
		t.Fatalf("a remote moderator's removal of our person's post: %v, want dropped", err)
	}
	if gone(mine) {
		t.Fatal("our person's post was taken down by another server's moderator")
	}
	// The author's own Delete, announced, still works as before.
	if err := f.svc.ReceiveAnnouncedDelete(f.ctx, yc, bob, inYew.IRI, "http://org-b.test/delete/2", "{}"); err != nil {
		t.Fatal(err)
	}
	if !gone(inYew) {
		t.Fatal("the author's announced Delete did not take the post down")
	}
}
