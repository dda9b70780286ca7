package federation_test

import (
	"context"
	"errors"
	"net/http"
	"testing"

	"github.com/practica-social/practica/models"
	"github.com/practica-social/practica/service"
	"github.com/practica-social/practica/store"
	"github.com/practica-social/practica/testrig"
)

// apiCall sends an API request to inst with a bearer token and returns the
// status.
func apiCall(t *testing.T, n *testrig.Network, inst *testrig.Instance, method, path, token string) int {
	t.Helper()
	req, err := http.NewRequest(method, inst.BaseURL+"/api/v1"+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := n.Client().Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

// TestModeratorsDecideAndRemoveMembersOfOtherServers: through A's API the
// owner of a members-only community approves bob (on B) and carol (on C);
// B and C see their follows accepted and receive a post. The owner then
// removes bob: B sees the follow ended, and the next post reaches C only.
func TestModeratorsDecideAndRemoveMembersOfOtherServers(t *testing.T) {
	ctx := context.Background()
	n := testrig.NewNetwork()
	a := n.Start(t, "org-a.test")
	b := n.Start(t, "org-b.test")
	c := n.Start(t, "org-c.test")
	alice, bob, carol := person(t, a, "alice"), person(t, b, "bob"), person(t, c, "carol")
	guild, err := a.Service.CreateCommunity(ctx, service.NewCommunity{Handle: "guild", Name: "Guild", OwnerID: alice.ID,
		Visibility: models.VisibilityMembers, JoinPolicy: models.JoinApproval})
	if err != nil {
		t.Fatal(err)
	}
	account, err := a.Store.GetAccountByActorID(ctx, alice.ID)
	if err != nil {
		t.Fatal(err)
	}
	token, _, err := a.Service.CreateAccessToken(ctx, account.ID, "moderation", []string{models.ScopeWrite})
	if err != nil {
		t.Fatal(err)
	}

	join := func(inst *testrig.Instance, who *models.Actor) *models.Community {
		t.Helper()
		remote, err := inst.LookupCommunity(ctx, "@guild@org-a.test")
		if err != nil {
			t.Fatal(err)
		}
		if _, err := inst.Service.Join(ctx, who.ID, remote); err != nil {
			t.Fatal(err)
		}
		return remote
	}
	state := func(inst *testrig.Instance, remote *models.Community, who *models.Actor) string {
		m, err := inst.Service.MembershipOf(ctx, remote, who.ID)
		if err != nil {
			t.Fatal(err)
		}
		return m.State
	}
	onB, onC := join(b, bob), join(c, carol)
	eventually(t, "A holds both requests", func() bool {
		pending, err := a.Service.PendingMembers(ctx, guild, alice.ID)
		return err == nil && len(pending) == 2
	})
	for _, who := range []string{"bob@org-b.test", "carol@org-c.test"} {
		if st := apiCall(t, n, a, http.MethodPost, "/communities/guild/requests/"+who+"/approve", token); st != http.StatusNoContent {
			t.Fatalf("approve %s: status %d", who, st)
		}
	}
	eventually(t, "B and C see their follows accepted", func() bool {
		return state(b, onB, bob) == string(models.MemberAccepted) && state(c, onC, carol) == string(models.MemberAccepted)
	})
	held := func(inst *testrig.Instance, p *models.Post) bool {
		_, err := inst.Store.GetPostByIRI(ctx, p.IRI)
		return err == nil
	}
	first := postIn(t, a, alice.ID, guild.ID, "Before")
	eventually(t, "B and C receive the first post", func() bool { return held(b, first) && held(c, first) })

	if st := apiCall(t, n, a, http.MethodDelete, "/communities/guild/members/bob@org-b.test", token); st != http.StatusNoContent {
		t.Fatalf("remove bob: status %d", st)
	}
	eventually(t, "B sees bob's follow ended", func() bool { return state(b, onB, bob) != string(models.MemberAccepted) })
	second := postIn(t, a, alice.ID, guild.ID, "After")
	eventually(t, "C receives the second post", func() bool { return held(c, second) })
	if held(b, second) {
		t.Fatal("B received a members-only post after bob was removed")
	}
	// Nor is it on its way: none of the community's Announces of the post
	// is addressed to B.
	create, err := a.Store.LatestActivityOf(ctx, alice.ID, "Create", second.IRI)
	if err != nil {
		t.Fatal(err)
	}
	announces := 0
	for _, object := range []string{create.IRI, second.IRI} {
		act, err := a.Store.LatestActivityOf(ctx, guild.ActorID, "Announce", object)
		if errors.Is(err, store.ErrNotFound) {
			continue // this form is not sent to anyone here
		}
		if err != nil {
			t.Fatal(err)
		}
		announces++
		ds, err := a.Store.ActivityDeliveries(ctx, act.ID)
		if err != nil {
			t.Fatal(err)
		}
		for _, d := range ds {
			if d.Host == "org-b.test" {
				t.Fatalf("the post is addressed to B after bob's removal: %s", d.InboxURL)
			}
		}
	}
	if announces == 0 {
		t.Fatal("the community announced the post in no form")
	}
	if st := apiCall(t, n, a, http.MethodDelete, "/communities/guild/members/bob@org-b.test", token); st != http.StatusNotFound {
		t.Fatalf("remove bob again: status %d, want 404", st)
	}
}
