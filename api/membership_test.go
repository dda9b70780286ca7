package api_test

import (
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/practica-social/practica/models"
)

func TestJoinAndLeave(t *testing.T) {
	r := newRig(t)
	ada, bob := r.user("ada"), r.user("bob")
	r.community("garden", ada, models.VisibilityPublic, models.JoinOpen)
	r.community("guild", ada, models.VisibilityPublic, models.JoinApproval)

	var m apiMembership
	r.call(http.MethodPost, "/communities/garden/join", bob.write, nil).ok(http.StatusOK, &m)
	if m.State != "accepted" || m.Role != "member" {
		t.Fatalf("open community: %+v", m)
	}
	// Joining again changes nothing.
	r.call(http.MethodPost, "/communities/garden/join", bob.write, nil).ok(http.StatusOK, &m)
	if m.State != "accepted" {
		t.Fatalf("join again: %+v", m)
	}
	var c apiCommunity
	r.call(http.MethodGet, "/communities/garden", bob.read, nil).ok(http.StatusOK, &c)
	if *c.MemberCount != 2 || c.Membership.State != "accepted" {
		t.Fatalf("after joining: %+v", c)
	}

	m = apiMembership{}
	r.call(http.MethodPost, "/communities/guild/join", bob.write, nil).ok(http.StatusOK, &m)
	if m.State != "pending" || m.Role != "" {
		t.Fatalf("approval community: %+v", m)
	}

	r.call(http.MethodPost, "/communities/garden/leave", bob.write, nil).ok(http.StatusNoContent, nil)
	r.call(http.MethodPost, "/communities/garden/leave", bob.write, nil).ok(http.StatusNoContent, nil)
	r.call(http.MethodGet, "/communities/garden", bob.read, nil).ok(http.StatusOK, &c)
	if *c.MemberCount != 1 || c.Membership.State != "none" {
		t.Fatalf("after leaving: %+v", c)
	}
	// The owner cannot walk away from the community.
	r.call(http.MethodPost, "/communities/garden/leave", ada.write, nil).fails(http.StatusForbidden, "forbidden", "owner")

	r.call(http.MethodPost, "/communities/garden/join", bob.read, nil).fails(http.StatusForbidden, "forbidden", "write scope")
	r.call(http.MethodPost, "/communities/garden/join", "", nil).fails(http.StatusUnauthorized, "unauthorized", "")
	r.call(http.MethodPost, "/communities/nothing/join", bob.write, nil).fails(http.StatusNotFound, "not_found", "community")
	r.call(http.MethodPost, "/communities/nothing/leave", bob.write, nil).fails(http.StatusNotFound, "not_found", "community")
}

func TestMembers(t *testing.T) {
	r := newRig(t)
	ada, bob, eve := r.user("ada"), r.user("bob"), r.user("eve")
	garden := r.community("garden", ada, models.VisibilityPublic, models.JoinOpen)
	secret := r.community("secret", ada, models.VisibilityMembers, models.JoinOpen)
	r.join(bob, garden)
	r.join(bob, secret)
	for i := range 4 {
		r.join(r.user(fmt.Sprintf("m%d", i)), garden)
	}
	// A remote member, as a Follow from another server makes one.
	remote := r.remoteCommunity("org-z.test", "zed") // any remote actor will do
	if _, err := r.inst.Service.ReceiveFollow(r.ctx, garden, remote.Actor, "http://org-z.test/follows/1"); err != nil {
		t.Fatal(err)
	}

	// A member pages through all seven, with roles and origin.
	got, pages := walk[apiMember](r, "/communities/garden/members", bob.read, 3)
	if len(got) != 7 || pages != 3 {
		t.Fatalf("bob sees %d members in %d pages, want 7 in 3", len(got), pages)
	}
	if got[0].Actor.Acct != "ada@org-a.test" || got[0].Role != "owner" || got[0].Origin != "local" {
		t.Fatalf("first member %+v", got[0])
	}
	if last := got[6]; last.Actor.Host != "org-z.test" || last.Origin != "remote" || last.Role != "member" {
		t.Fatalf("remote member %+v", last)
	}
	var p page[apiMember]
	resp := r.call(http.MethodGet, "/communities/garden/members", bob.read, nil)
	resp.ok(http.StatusOK, &p)
	if p.Total == nil || *p.Total != 7 {
		t.Fatalf("total %v, want 7", p.Total)
	}
	if strings.Contains(string(resp.body), "@example.org") {
		t.Fatalf("members' e-mail addresses leak: %s", resp.body)
	}

	// An outsider learns only how many there are …
	p = page[apiMember]{}
	r.call(http.MethodGet, "/communities/garden/members", eve.read, nil).ok(http.StatusOK, &p)
	if len(p.Items) != 0 || p.Total == nil || *p.Total != 7 || p.NextCursor != "" {
		t.Fatalf("outsider sees %+v", p)
	}
	// … but anyone may see who moderates.
	p = page[apiMember]{}
	r.call(http.MethodGet, "/communities/garden/members?role=owner,moderator", eve.read, nil).ok(http.StatusOK, &p)
	if len(p.Items) != 1 || p.Items[0].Role != "owner" || p.Total != nil {
		t.Fatalf("moderators for an outsider: %+v", p)
	}
	r.call(http.MethodGet, "/communities/garden/members?role=king", eve.read, nil).fails(http.StatusBadRequest, "invalid_request", "role:")

	// Of a members-only community outsiders learn nothing.
	r.call(http.MethodGet, "/communities/secret/members", eve.read, nil).fails(http.StatusNotFound, "not_found", "")
	p = page[apiMember]{}
	r.call(http.MethodGet, "/communities/secret/members", bob.read, nil).ok(http.StatusOK, &p)
	if len(p.Items) != 2 {
		t.Fatalf("secret members for bob: %+v", p)
	}
	r.call(http.MethodGet, "/communities/nothing/members", bob.read, nil).fails(http.StatusNotFound, "not_found", "community")
	r.call(http.MethodGet, "/communities/garden/members?cursor=x", bob.read, nil).fails(http.StatusBadRequest, "invalid_request", "cursor:")
}
