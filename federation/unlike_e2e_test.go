package federation_test

import (
	"context"
	"testing"

	"github.com/practica-social/practica/models"
	"github.com/practica-social/practica/service"
	"github.com/practica-social/practica/testrig"
)

// A like taken back travels as the like did: bob on B likes alice's thread
// in A's community, A counts it and announces it to carol's C; bob
// unlikes, and the Undo{Like} takes the like off on A and, announced, on C.
// alice's like and unlike on A itself are announced to B and C.
func TestUnlikeReachesTheCommunityAndItsMembers(t *testing.T) {
	ctx := context.Background()
	n := testrig.NewNetwork()
	a := n.Start(t, "org-a.test")
	b := n.Start(t, "org-b.test")
	c := n.Start(t, "org-c.test")
	alice, bob, carol := person(t, a, "alice"), person(t, b, "bob"), person(t, c, "carol")
	garden, err := a.Service.CreateCommunity(ctx, service.NewCommunity{Handle: "gardening", Name: "Urban Gardening", OwnerID: alice.ID})
	if err != nil {
		t.Fatal(err)
	}
	joinFrom(t, b, bob.ID, "@gardening@org-a.test")
	joinFrom(t, c, carol.ID, "@gardening@org-a.test")
	thread := postIn(t, a, alice.ID, garden.ID, "Seed swap on Saturday")
	eventually(t, "B and C receive alice's thread", func() bool {
		return postOn(t, b, thread.IRI) != nil && postOn(t, c, thread.IRI) != nil
	})
	likes := func(inst *testrig.Instance) int {
		if p := postOn(t, inst, thread.IRI); p != nil {
			return p.LikeCount
		}
		return -1
	}

	onB := postOn(t, b, thread.IRI)
	if err := b.Service.LikePost(ctx, bob.ID, onB.ID); err != nil {
		t.Fatal(err)
	}
	eventually(t, "A and C count bob's like", func() bool { return likes(a) == 1 && likes(c) == 1 })

	if err := b.Service.UnlikePost(ctx, bob.ID, onB.ID); err != nil {
		t.Fatal(err)
	}
	if got := likes(b); got != 0 {
		t.Fatalf("B counts %d likes after bob unliked, want 0", got)
	}
	eventually(t, "A and C no longer count bob's like", func() bool { return likes(a) == 0 && likes(c) == 0 })
	// Unliking again changes nothing and sends nothing that fails.
	if err := b.Service.UnlikePost(ctx, bob.ID, onB.ID); err != nil {
		t.Fatal(err)
	}
	// bob may like it again; the new like counts.
	if err := b.Service.LikePost(ctx, bob.ID, onB.ID); err != nil {
		t.Fatal(err)
	}
	eventually(t, "A and C count bob's second like", func() bool { return likes(a) == 1 && likes(c) == 1 })

	// alice likes and unlikes on A, the community's own instance: A
	// announces both to B and C.
	if err := a.Service.LikePost(ctx, alice.ID, thread.ID); err != nil {
		t.Fatal(err)
	}
	eventually(t, "B and C count alice's like", func() bool { return likes(a) == 2 && likes(b) == 2 && likes(c) == 2 })
	if err := a.Service.UnlikePost(ctx, alice.ID, thread.ID); err != nil {
		t.Fatal(err)
	}
	eventually(t, "B and C no longer count alice's like", func() bool { return likes(a) == 1 && likes(b) == 1 && likes(c) == 1 })
}

// A member on another server likes and unlikes a members-only thread: B
// knows bob belongs by his accepted follow, not by a membership row.
func TestLikeAndUnlikeInAMembersOnlyCommunityFromAnotherServer(t *testing.T) {
	ctx := context.Background()
	n := testrig.NewNetwork()
	a := n.Start(t, "org-a.test")
	b := n.Start(t, "org-b.test")
	alice, bob := person(t, a, "alice"), person(t, b, "bob")
	circle, err := a.Service.CreateCommunity(ctx, service.NewCommunity{Handle: "circle", Name: "Circle", OwnerID: alice.ID,
		Visibility: models.VisibilityMembers, JoinPolicy: models.JoinOpen})
	if err != nil {
		t.Fatal(err)
	}
	joinFrom(t, b, bob.ID, "@circle@org-a.test")
	thread := postIn(t, a, alice.ID, circle.ID, "Between us")
	stored := func(inst *testrig.Instance) *models.Post {
		p, err := inst.Store.GetPostByIRI(ctx, thread.IRI)
		if err != nil {
			return nil
		}
		return p
	}
	eventually(t, "B receives the members-only thread", func() bool { return stored(b) != nil })
	onB := stored(b)
	if onB.Audience == models.AudiencePublic {
		t.Fatalf("the thread on B is public: %+v", onB)
	}
	if err := b.Service.LikePost(ctx, bob.ID, onB.ID); err != nil {
		t.Fatalf("bob likes the members-only thread: %v", err)
	}
	eventually(t, "A counts bob's like", func() bool { return stored(a).LikeCount == 1 })
	if err := b.Service.UnlikePost(ctx, bob.ID, onB.ID); err != nil {
		t.Fatalf("bob unlikes the members-only thread: %v", err)
	}
	eventually(t, "A no longer counts bob's like", func() bool { return stored(a).LikeCount == 0 })
}
