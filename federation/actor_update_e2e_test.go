package federation_test

import (
	"context"
	"strings"
	"testing"

	"github.com/practica-social/practica/models"
	"github.com/practica-social/practica/service"
	"github.com/practica-social/practica/testrig"
)

// TestProfileChangesFederate: a community edited on A reaches B as
// Update{Group}, and a profile edited on B reaches A as Update{Person};
// each receiver refetches the actor and stores the new name and summary.
func TestProfileChangesFederate(t *testing.T) {
	ctx := context.Background()
	n := testrig.NewNetwork()
	a := n.Start(t, "org-a.test")
	b := n.Start(t, "org-b.test")

	alice := person(t, a, "alice")
	bob := person(t, b, "bob")
	garden, err := a.Service.CreateCommunity(ctx, service.NewCommunity{Handle: "gardening", Name: "Urban Gardening", Summary: "Growing food", OwnerID: alice.ID})
	if err != nil {
		t.Fatal(err)
	}
	gardenOnB, err := b.LookupCommunity(ctx, "@gardening@org-a.test")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := b.Service.Join(ctx, bob.ID, gardenOnB); err != nil {
		t.Fatal(err)
	}
	eventually(t, "B sees bob's follow accepted", func() bool {
		ok, _ := b.Service.LocalMembersFollow(ctx, gardenOnB)
		return ok
	})
	// A learns of bob by his Follow; a post makes B's copy of him matter.
	postIn(t, b, bob.ID, gardenOnB.ID, "Hello from B")
	eventually(t, "A stores bob's thread", func() bool { return hasTitle(t, a, garden, "Hello from B") })

	// The community's domain statement changes on A.
	if _, err := a.Service.UpdateCommunity(ctx, alice.ID, garden.ID, service.CommunityEdit{
		Name: "Urban Gardening Network", Summary: "Growing food on **roofs**", Topics: []string{"roofs"},
		Visibility: models.VisibilityPublic, JoinPolicy: models.JoinOpen,
	}); err != nil {
		t.Fatal(err)
	}
	eventually(t, "B stores the group's new name and summary", func() bool {
		g, err := b.Service.ActorByIRI(ctx, garden.Actor.IRI)
		return err == nil && g.Name == "Urban Gardening Network" && strings.Contains(g.Summary, "<strong>roofs</strong>")
	})
	// B shows it on its page of the remote community.
	c, err := b.Service.CommunityByHandle(ctx, "gardening@org-a.test")
	if err != nil || c.Actor.Name != "Urban Gardening Network" {
		t.Fatalf("B's community record shows %+v (%v)", c, err)
	}

	// Bob's profile changes on B.
	acct, err := b.Store.GetAccountByActorID(ctx, bob.ID)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := b.Service.UpdateProfile(ctx, acct.ID, service.ProfileInput{DisplayName: "Bob the Builder", Bio: "Green **roofs**"}); err != nil {
		t.Fatal(err)
	}
	eventually(t, "A stores bob's new name and bio", func() bool {
		p, err := a.Service.ActorByIRI(ctx, bob.IRI)
		return err == nil && p.Name == "Bob the Builder" && strings.Contains(p.Summary, "<strong>roofs</strong>")
	})

	// Alice, a member of her own community, changes her profile on A: B,
	// which shows her posts there, gets the Update too.
	postIn(t, a, alice.ID, garden.ID, "Welcome, everyone")
	eventually(t, "B receives alice's thread", func() bool { return hasTitle(t, b, gardenOnB, "Welcome, everyone") })
	acct, err = a.Store.GetAccountByActorID(ctx, alice.ID)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := a.Service.UpdateProfile(ctx, acct.ID, service.ProfileInput{DisplayName: "Alice of the Allotments"}); err != nil {
		t.Fatal(err)
	}
	eventually(t, "B stores alice's new name", func() bool {
		p, err := b.Service.ActorByIRI(ctx, alice.IRI)
		return err == nil && p.Name == "Alice of the Allotments"
	})
}
