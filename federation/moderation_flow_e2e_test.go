package federation_test

import (
	"context"
	"testing"

	"github.com/practica-social/practica/models"
	"github.com/practica-social/practica/service"
	"github.com/practica-social/practica/testrig"
)

// TestReportsAndRemovalsAcrossServers: bob on B reports a post of A's
// community from B; A's moderators find the report (a Flag over signed
// HTTP). alice, A's owner, removes the post; B, which holds it through
// bob's membership, takes it down too: the community announced its
// moderator's Delete of someone else's post.
func TestReportsAndRemovalsAcrossServers(t *testing.T) {
	ctx := context.Background()
	n := testrig.NewNetwork()
	a := n.Start(t, "org-a.test")
	b := n.Start(t, "org-b.test")
	alice, carol, bob := person(t, a, "alice"), person(t, a, "carol"), person(t, b, "bob")
	garden, err := a.Service.CreateCommunity(ctx, service.NewCommunity{Handle: "garden", Name: "Garden", OwnerID: alice.ID})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := a.Service.Join(ctx, carol.ID, garden); err != nil {
		t.Fatal(err)
	}
	joinFrom(t, b, bob.ID, "@garden@org-a.test")
	spam := postIn(t, a, carol.ID, garden.ID, "Cheap seeds")
	eventually(t, "B receives carol's thread", func() bool { return postOn(t, b, spam.IRI) != nil })

	if _, err := b.Service.ReportPost(ctx, bob.ID, postOn(t, b, spam.IRI).ID, "Advertising"); err != nil {
		t.Fatal(err)
	}
	var reports []service.ReportView
	eventually(t, "A files bob's report", func() bool {
		reports, err = a.Service.Reports(ctx, garden, alice.ID, true, 0, 10)
		return err == nil && len(reports) == 1
	})
	r := reports[0]
	if r.Reporter.IRI != bob.IRI || r.Comment != "Advertising" || len(r.Posts) != 1 || r.Posts[0].IRI != spam.IRI || r.Subject == nil || r.Subject.IRI != carol.IRI {
		t.Fatalf("A's report: %+v", r.Report)
	}

	// alice acts on the report: the post goes on A, and on B.
	if err := a.Service.RemovePost(ctx, alice.ID, spam.ID, "Advertising"); err != nil {
		t.Fatal(err)
	}
	if err := a.Service.CloseReport(ctx, garden, alice.ID, r.ID, false); err != nil {
		t.Fatal(err)
	}
	eventually(t, "B takes the removed thread down", func() bool {
		p, err := b.Store.GetPostByIRI(ctx, spam.IRI)
		return err == nil && p.DeletedAt != nil
	})
}

// TestRoleChangesReachMembersServers: alice, the owner of A's community,
// appoints carol a moderator and dismisses her; B, which holds the
// community through bob, takes both changes (the community's Announce of
// alice's Add and Remove to its moderators collection, the form Lemmy and
// Mbin take).
func TestRoleChangesReachMembersServers(t *testing.T) {
	ctx := context.Background()
	n := testrig.NewNetwork()
	a := n.Start(t, "org-a.test")
	b := n.Start(t, "org-b.test")
	alice, carol, bob := person(t, a, "alice"), person(t, a, "carol"), person(t, b, "bob")
	garden, err := a.Service.CreateCommunity(ctx, service.NewCommunity{Handle: "garden", Name: "Garden", OwnerID: alice.ID})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := a.Service.Join(ctx, carol.ID, garden); err != nil {
		t.Fatal(err)
	}
	joinFrom(t, b, bob.ID, "@garden@org-a.test")

	for _, role := range []models.Role{models.RoleModerator, models.RoleMember} {
		if err := a.Service.SetMemberRole(ctx, garden, alice.ID, carol.ID, role); err != nil {
			t.Fatal(err)
		}
		typ := map[models.Role]string{models.RoleModerator: "Add", models.RoleMember: "Remove"}[role]
		change, err := a.Store.LatestActivityOf(ctx, alice.ID, typ, carol.IRI)
		if err != nil {
			t.Fatalf("A's %s of carol: %v", typ, err)
		}
		announce, err := a.Store.LatestActivityOf(ctx, garden.ActorID, "Announce", change.IRI)
		if err != nil {
			t.Fatalf("A's Announce of the %s: %v", typ, err)
		}
		eventually(t, "B takes the "+typ+" of carol", func() bool {
			it, err := b.Store.GetInboxItemByActivityIRI(ctx, announce.IRI)
			if err == nil && it.State == models.InboxRefused {
				t.Fatalf("B refused the %s: %s", typ, it.Error)
			}
			return err == nil && it.State == models.InboxProcessed
		})
	}
}
