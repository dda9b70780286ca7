package federation_test

import (
	"context"
	"strings"
	"testing"

	"github.com/practica-social/practica/models"
	"github.com/practica-social/practica/service"
	"github.com/practica-social/practica/testrig"
)

// A's admin blocks B, on three instances talking over real HTTP. From
// then on: bob on B is no longer a member of A's community, and alice on
// A no longer one of B's; what B sends A is refused with a final 403,
// which B's delivery records; A's next thread reaches C and not B; A
// cannot look anything up on B. After the unblock, bob joins again and
// his posts are taken.
func TestABlockedServerIsCutOff(t *testing.T) {
	ctx := context.Background()
	n := testrig.NewNetwork()
	a := n.Start(t, "org-a.test")
	b := n.Start(t, "org-b.test")
	c := n.Start(t, "org-c.test")
	alice, bob, carol := person(t, a, "alice"), person(t, b, "bob"), person(t, c, "carol")
	root, err := a.Service.CreateAccount(ctx, service.NewAccount{Username: "root", Email: "root@org-a.test", Password: "long enough", Admin: true})
	if err != nil {
		t.Fatal(err)
	}
	garden, err := a.Service.CreateCommunity(ctx, service.NewCommunity{Handle: "gardening", Name: "Urban Gardening", OwnerID: alice.ID})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := b.Service.CreateCommunity(ctx, service.NewCommunity{Handle: "bees", Name: "Bees", OwnerID: bob.ID}); err != nil {
		t.Fatal(err)
	}
	gardenOnB := joinFrom(t, b, bob.ID, "@gardening@org-a.test")
	joinFrom(t, c, carol.ID, "@gardening@org-a.test")
	beesOnA := joinFrom(t, a, alice.ID, "@bees@org-b.test")
	before := postIn(t, b, bob.ID, gardenOnB.ID, "Hives on the roof")
	eventually(t, "A and C take bob's thread", func() bool {
		return postOn(t, a, before.IRI) != nil && postOn(t, c, before.IRI) != nil
	})

	out, err := a.Service.BlockServer(ctx, root.ID, "org-b.test", "testing blocks")
	if err != nil {
		t.Fatal(err)
	}
	if out.Members != 1 || out.Follows != 1 {
		t.Fatalf("the block ended %d memberships and %d follows; want bob's in gardening and alice's of bees", out.Members, out.Follows)
	}
	if ok, _ := a.Service.LocalMembersFollow(ctx, beesOnA); ok {
		t.Fatal("A still counts alice a member of B's community")
	}

	// B's traffic is refused: B's delivery of bob's new thread ends
	// with A's 403, at the first try.
	after := postIn(t, b, bob.ID, gardenOnB.ID, "Swarm season")
	create, err := b.Store.LatestActivityOf(ctx, bob.ID, "Create", after.IRI)
	if err != nil {
		t.Fatal(err)
	}
	var toA *models.Delivery
	eventually(t, "B's delivery to A refused", func() bool {
		ds, err := b.Store.ActivityDeliveries(ctx, create.ID)
		if err != nil {
			t.Fatal(err)
		}
		for i := range ds {
			if ds[i].Host == "org-a.test" && ds[i].State == models.DeliveryFailed {
				toA = &ds[i]
			}
		}
		return toA != nil
	})
	if toA.LastStatus != 403 || toA.Attempts != 1 {
		t.Fatalf("B's delivery to A: status %d after %d attempts (%q); want a final 403 at once", toA.LastStatus, toA.Attempts, toA.LastError)
	}
	if postOn(t, a, after.IRI) != nil {
		t.Fatal("A stored bob's thread sent after the block")
	}

	// A's next thread goes to C's carol, not to B.
	news := postIn(t, a, alice.ID, garden.ID, "Compost workshop")
	eventually(t, "C takes A's new thread", func() bool { return postOn(t, c, news.IRI) != nil })
	boost, err := a.Store.LatestActivityOf(ctx, garden.ActorID, "Announce", news.IRI)
	if err != nil {
		t.Fatal(err)
	}
	ds, err := a.Store.ActivityDeliveries(ctx, boost.ID)
	if err != nil {
		t.Fatal(err)
	}
	hosts := map[string]bool{}
	for _, d := range ds {
		hosts[d.Host] = true
	}
	if hosts["org-b.test"] || !hosts["org-c.test"] {
		t.Fatalf("A's boost of its new thread went to %v; want C and not B", hosts)
	}
	if postOn(t, b, news.IRI) != nil {
		t.Fatal("B got A's thread after the block")
	}

	// Our people may not join B's communities again; B's keys vouch for
	// nothing here, not even for the signed GETs of members-only pages.
	if _, err := a.Service.Join(ctx, alice.ID, beesOnA); service.KindOf(err) != service.KindForbidden {
		t.Fatalf("alice joining B's community again: %v, want forbidden", err)
	}
	if _, err := a.Resolver.Key(ctx, bob.IRI+"#main-key"); service.KindOf(err) != service.KindForbidden {
		t.Fatalf("bob's key, known to A: %v, want forbidden", err)
	}

	// Nothing is fetched from B.
	if _, err := a.LookupCommunity(ctx, "@bees@org-b.test"); service.KindOf(err) != service.KindForbidden ||
		!strings.Contains(service.SafeMessage(err, ""), "does not federate with org-b.test") {
		t.Fatalf("looking up B's community: %v, want forbidden, not federating", err)
	}

	// Unblocked, bob (whose server still thinks him a member) leaves and
	// joins again; his posts are taken again.
	if err := a.Service.UnblockServer(ctx, root.ID, "org-b.test"); err != nil {
		t.Fatal(err)
	}
	if err := b.Service.Leave(ctx, bob.ID, gardenOnB); err != nil {
		t.Fatal(err)
	}
	joinFrom(t, b, bob.ID, "@gardening@org-a.test")
	again := postIn(t, b, bob.ID, gardenOnB.ID, "Honey harvest")
	eventually(t, "A takes bob's thread after the unblock", func() bool { return postOn(t, a, again.IRI) != nil })
}
