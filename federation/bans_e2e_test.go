package federation_test

import (
	"context"
	"testing"

	"github.com/practica-social/practica/models"
	"github.com/practica-social/practica/service"
	"github.com/practica-social/practica/testrig"
)

// A moderator of A's community bans bob of B, over real HTTP between
// three instances: B learns that bob's membership ended (the Reject of
// his Follow) and no longer lets him post there; C, whose carol is a
// member, takes the community's Announce of the Block. Unbanned, bob
// joins again and posts.
func TestABanReachesTheMembersServers(t *testing.T) {
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
	gardenOnB := joinFrom(t, b, bob.ID, "@gardening@org-a.test")
	joinFrom(t, c, carol.ID, "@gardening@org-a.test")
	bobOnA, err := a.Store.GetActorByIRI(ctx, bob.IRI)
	if err != nil {
		t.Fatal(err)
	}

	if err := a.Service.BanMember(ctx, garden, alice.ID, bobOnA.ID, "selling seeds"); err != nil {
		t.Fatal(err)
	}
	eventually(t, "B sees bob's membership ended", func() bool {
		ok, err := b.Service.LocalMembersFollow(ctx, gardenOnB)
		return err == nil && !ok
	})
	if _, err := b.Service.CreatePost(ctx, service.NewPost{AuthorID: bob.ID, CommunityID: gardenOnB.ID, Title: "Seeds", Body: "x"}); service.KindOf(err) != service.KindForbidden {
		t.Fatalf("bob posting on B after the ban: %v, want forbidden", err)
	}
	ban, err := a.Store.LatestActivityOf(ctx, alice.ID, "Block", bob.IRI)
	if err != nil {
		t.Fatal(err)
	}
	eventually(t, "C takes the announced Block", func() bool {
		it, err := c.Store.GetInboxItemByActivityIRI(ctx, announceOf(t, a, garden, ban.IRI))
		return err == nil && it.State == models.InboxProcessed
	})

	if err := a.Service.UnbanMember(ctx, garden, alice.ID, bobOnA.ID); err != nil {
		t.Fatal(err)
	}
	if err := b.Service.Leave(ctx, bob.ID, gardenOnB); err != nil {
		t.Fatal(err)
	}
	joinFrom(t, b, bob.ID, "@gardening@org-a.test")
	again := postIn(t, b, bob.ID, gardenOnB.ID, "Back, without seeds")
	eventually(t, "A takes bob's thread after the unban", func() bool { return postOn(t, a, again.IRI) != nil })
}

// announceOf is the id of community c's Announce of the activity iri on
// inst.
func announceOf(t *testing.T, inst *testrig.Instance, c *models.Community, iri string) string {
	t.Helper()
	act, err := inst.Store.LatestActivityOf(context.Background(), c.ActorID, "Announce", iri)
	if err != nil {
		t.Fatal(err)
	}
	return act.IRI
}
