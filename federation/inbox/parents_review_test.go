package inbox_test

import (
	"testing"

	"github.com/practica-social/practica/models"
	"github.com/practica-social/practica/service"
)

// TestMissingParentsAreFetchedOnlyForRepliesWeTake: a reply the community
// would refuse anyway fetches nothing; a fetched post meant for its
// author's followers is not taken into the community; a refused thread is
// remembered, so a second reply to it is refused without fetching again.
func TestMissingParentsAreFetchedOnlyForRepliesWeTake(t *testing.T) {
	w := newFediWorld(t, "gardening")
	w.fedi.actor(ckAnn, "Person", nil)
	w.fedi.actor(ckBob, "Person", nil)
	w.fedi.actor(ckMember, "Person", nil)
	held := w.ckPost(ckAnn, "<p>a thread we hold</p>")

	// A members-only community here, and a parent its origin serves.
	circle, err := w.a.Service.CreateCommunity(w.ctx, service.NewCommunity{Handle: "circle", Name: "Circle", OwnerID: w.owner.ID, Visibility: models.VisibilityMembers, JoinPolicy: models.JoinOpen})
	if err != nil {
		t.Fatal(err)
	}
	members := []any{circle.Actor.IRI, circle.Actor.IRI + "/followers"}
	parent := ckID(ckBob, "notes")
	w.fedi.serveJSON(parent, map[string]any{"id": parent, "type": "Note", "attributedTo": ckBob, "content": "<p>inner</p>", "to": members, "audience": circle.Actor.IRI})
	reply := ckID(ckMember, "notes")
	w.expectOutcome("a non-member's reply in the members-only community", map[string]any{
		"id": ckID(ckMember, "activities"), "type": "Create", "actor": ckMember, "to": members,
		"object": map[string]any{"id": reply, "type": "Note", "attributedTo": ckMember, "content": "<p>hi</p>", "to": members, "audience": circle.Actor.IRI, "inReplyTo": parent},
	}, models.InboxRefused, "only members may post")
	if n := w.fedi.hitCount(parent); n != 0 {
		t.Fatalf("the parent of a refused reply was fetched %d times", n)
	}

	// A followers-only post of bob's between our thread and the reply.
	private := ckID(ckBob, "notes")
	w.fedi.serveJSON(private, map[string]any{"id": private, "type": "Note", "attributedTo": ckBob, "content": "<p>for my followers</p>",
		"to": []any{ckBob + "/followers"}, "inReplyTo": held})
	for i := range 2 {
		obj := w.ckNote(ckID(ckAnn, "notes"), ckAnn, "a reply")
		obj["inReplyTo"] = private
		w.expectOutcome("a reply under a followers-only post", w.ckActivity("Create", ckAnn, obj), models.InboxRefused, "neither public nor addressed to this community")
		if n := w.fedi.hitCount(private); n != 1 {
			t.Fatalf("after reply %d the refused parent was fetched %d times, want once", i+1, n)
		}
	}
	if w.post(private) != nil {
		t.Fatal("a followers-only post was stored in the community")
	}
}
