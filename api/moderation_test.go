package api_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/practica-social/practica/models"
)

type apiRequest struct {
	Actor       apiActor `json:"actor"`
	Origin      string   `json:"origin"`
	RequestedAt string   `json:"requested_at"`
}

// TestModeratingMembers: moderators decide requests, the owner appoints
// and dismisses moderators, moderators remove members — each refused to
// whoever may not, with the right status.
func TestModeratingMembers(t *testing.T) {
	r := newRig(t)
	ada, bob, eve := r.user("ada"), r.user("bob"), r.user("eve")
	r.community("guild", ada, models.VisibilityPublic, models.JoinApproval)
	r.call(http.MethodPost, "/communities/guild/join", bob.write, nil).ok(http.StatusOK, nil)
	r.call(http.MethodPost, "/communities/guild/join", eve.write, nil).ok(http.StatusOK, nil)
	guild, err := r.inst.Service.CommunityByHandle(r.ctx, "guild")
	if err != nil {
		t.Fatal(err)
	}
	zed := r.remoteCommunity("org-z.test", "zed").Actor // any remote actor will do
	if _, err := r.inst.Service.ReceiveFollow(r.ctx, guild, zed, "http://org-z.test/follows/1"); err != nil {
		t.Fatal(err)
	}

	// Only moderators see who waits.
	r.call(http.MethodGet, "/communities/guild/requests", eve.read, nil).fails(http.StatusForbidden, "forbidden", "moderators")
	var reqs page[apiRequest]
	r.call(http.MethodGet, "/communities/guild/requests", ada.read, nil).ok(http.StatusOK, &reqs)
	var got []string
	for _, q := range reqs.Items {
		got = append(got, q.Actor.Acct+" "+q.Origin)
	}
	if strings.Join(got, ", ") != "bob@org-a.test local, eve@org-a.test local, zed@org-z.test remote" || reqs.Items[0].RequestedAt == "" {
		t.Fatalf("requests: %v", reqs.Items)
	}

	r.call(http.MethodPost, "/communities/guild/requests/bob/approve", ada.write, nil).ok(http.StatusNoContent, nil)
	r.call(http.MethodPost, "/communities/guild/requests/bob/approve", ada.write, nil).fails(http.StatusConflict, "conflict", "already decided")
	r.call(http.MethodPost, "/communities/guild/requests/eve@org-a.test/reject", ada.write, nil).ok(http.StatusNoContent, nil)
	var c apiCommunity
	r.call(http.MethodGet, "/communities/guild", eve.read, nil).ok(http.StatusOK, &c)
	if c.Membership.State != "rejected" || *c.MemberCount != 2 {
		t.Fatalf("after the decisions eve sees %+v, %d members", c.Membership, *c.MemberCount)
	}
	r.call(http.MethodPost, "/communities/guild/requests/nobody/approve", ada.write, nil).fails(http.StatusNotFound, "not_found", "member")
	r.call(http.MethodPost, "/communities/guild/requests/zed@org-z.test/approve", ada.read, nil).fails(http.StatusForbidden, "forbidden", "write scope")
	r.call(http.MethodPost, "/communities/guild/requests/zed@org-z.test/approve", eve.write, nil).fails(http.StatusForbidden, "forbidden", "moderators")
	r.call(http.MethodGet, "/communities/nothing/requests", ada.read, nil).fails(http.StatusNotFound, "not_found", "community")

	// The owner appoints bob, who then decides zed's request.
	var m apiMember
	r.call(http.MethodPatch, "/communities/guild/members/bob", ada.write, map[string]string{"role": "moderator"}).ok(http.StatusOK, &m)
	if m.Actor.Acct != "bob@org-a.test" || m.Role != "moderator" {
		t.Fatalf("appointed: %+v", m)
	}
	r.call(http.MethodPost, "/communities/guild/requests/zed@org-z.test/approve", bob.write, nil).ok(http.StatusNoContent, nil)
	mods, _ := walk[apiMember](r, "/communities/guild/members?role=moderator", eve.read, 10)
	if len(mods) != 1 || mods[0].Actor.Acct != "bob@org-a.test" {
		t.Fatalf("public moderators list: %+v", mods)
	}

	// Roles are the owner's to give, to people of this server.
	r.call(http.MethodPatch, "/communities/guild/members/zed@org-z.test", bob.write, map[string]string{"role": "moderator"}).fails(http.StatusForbidden, "forbidden", "owner")
	r.call(http.MethodPatch, "/communities/guild/members/zed@org-z.test", ada.write, map[string]string{"role": "moderator"}).fails(http.StatusBadRequest, "invalid_request", "this server")
	r.call(http.MethodPatch, "/communities/guild/members/bob", ada.write, map[string]string{"role": "owner"}).fails(http.StatusBadRequest, "invalid_request", "role")
	r.call(http.MethodPatch, "/communities/guild/members/bob", ada.write, map[string]string{"rank": "moderator"}).fails(http.StatusBadRequest, "invalid_request", "rank")
	r.call(http.MethodPatch, "/communities/guild/members/ada", ada.write, map[string]string{"role": "member"}).fails(http.StatusForbidden, "forbidden", "owner's role")

	// Removals: the owner stays, a moderator removes a member, only the
	// owner removes a moderator.
	r.call(http.MethodDelete, "/communities/guild/members/ada", bob.write, nil).fails(http.StatusForbidden, "forbidden", "owner")
	r.call(http.MethodDelete, "/communities/guild/members/zed@org-z.test", eve.write, nil).fails(http.StatusForbidden, "forbidden", "moderators")
	r.call(http.MethodDelete, "/communities/guild/members/zed@org-z.test", bob.write, nil).ok(http.StatusNoContent, nil)
	r.call(http.MethodDelete, "/communities/guild/members/zed@org-z.test", bob.write, nil).fails(http.StatusNotFound, "not_found", "member")
	r.call(http.MethodPatch, "/communities/guild/members/bob", ada.write, map[string]string{"role": "member"}).ok(http.StatusOK, &m)
	if m.Role != "member" {
		t.Fatalf("dismissed: %+v", m)
	}
	r.call(http.MethodDelete, "/communities/guild/members/zed@org-z.test", bob.write, nil).fails(http.StatusForbidden, "forbidden", "moderators")
	r.call(http.MethodDelete, "/communities/guild/members/bob", ada.write, nil).ok(http.StatusNoContent, nil)
	members, _ := walk[apiMember](r, "/communities/guild/members", ada.read, 10)
	if len(members) != 1 || members[0].Actor.Acct != "ada@org-a.test" {
		t.Fatalf("members left: %+v", members)
	}
	// A removed person's new request waits for a moderator.
	var again apiMembership
	r.call(http.MethodPost, "/communities/guild/join", bob.write, nil).ok(http.StatusOK, &again)
	reqs = page[apiRequest]{}
	r.call(http.MethodGet, "/communities/guild/requests", ada.read, nil).ok(http.StatusOK, &reqs)
	if again.State != "pending" || len(reqs.Items) != 1 || reqs.Items[0].Actor.Acct != "bob@org-a.test" {
		t.Fatalf("bob asks again after his removal: %+v; waiting: %+v", again, reqs.Items)
	}
}

// TestRemovingPosts: a moderator removes a member's post with a reason;
// the member, and a moderator of another community, may not.
func TestRemovingPosts(t *testing.T) {
	r := newRig(t)
	ada, bob, eve := r.user("ada"), r.user("bob"), r.user("eve")
	garden := r.community("garden", ada, models.VisibilityPublic, models.JoinOpen)
	r.community("other", eve, models.VisibilityPublic, models.JoinOpen)
	r.join(bob, garden)
	thread := r.thread(bob, garden, "Cheap seeds")
	reply := r.reply(bob, garden, thread, "Really cheap.")
	path := func(p *models.Post) string { return "/posts/" + itoa(int(p.ID)) + "/remove" }

	r.call(http.MethodPost, path(reply), bob.write, map[string]string{"reason": "mine"}).fails(http.StatusForbidden, "forbidden", "moderators")
	r.call(http.MethodPost, path(reply), eve.write, map[string]string{}).fails(http.StatusForbidden, "forbidden", "moderators")
	r.call(http.MethodPost, path(reply), ada.read, map[string]string{}).fails(http.StatusForbidden, "forbidden", "write scope")
	r.call(http.MethodPost, path(reply), ada.write, map[string]string{"reason": strings.Repeat("x", 501)}).fails(http.StatusBadRequest, "invalid_request", "reason:")
	r.call(http.MethodPost, path(reply), ada.write, map[string]string{"why": "x"}).fails(http.StatusBadRequest, "invalid_request", "why")
	r.call(http.MethodPost, path(reply), ada.write, map[string]string{"reason": "Advertising"}).ok(http.StatusNoContent, nil)
	r.call(http.MethodGet, "/posts/"+itoa(int(reply.ID)), ada.read, nil).fails(http.StatusNotFound, "not_found", "post")
	var p apiPost
	r.call(http.MethodGet, "/posts/"+itoa(int(thread.ID)), ada.read, nil).ok(http.StatusOK, &p)
	if p.ReplyCount != 0 {
		t.Fatalf("the thread still counts %d replies", p.ReplyCount)
	}
	r.call(http.MethodPost, path(thread), ada.write, map[string]string{}).ok(http.StatusNoContent, nil)
	r.call(http.MethodPost, path(thread), ada.write, map[string]string{}).fails(http.StatusNotFound, "not_found", "post")
}

type apiReport struct {
	ID         string    `json:"id"`
	Reporter   apiActor  `json:"reporter"`
	Subject    *apiActor `json:"subject"`
	Posts      []apiPost `json:"posts"`
	ObjectIRIs []string  `json:"object_iris"`
	Comment    string    `json:"comment"`
	State      string    `json:"state"`
	ResolvedBy *apiActor `json:"resolved_by"`
}

// TestReports: a member reports a post, the moderators page through the
// queue and close the reports; nobody else sees them.
func TestReports(t *testing.T) {
	r := newRig(t)
	ada, bob, eve := r.user("ada"), r.user("bob"), r.user("eve")
	garden := r.community("garden", ada, models.VisibilityPublic, models.JoinOpen)
	r.join(bob, garden)
	r.join(eve, garden)
	var posts []*models.Post
	for _, title := range []string{"One", "Two", "Three"} {
		posts = append(posts, r.thread(bob, garden, title))
	}
	report := func(p *models.Post) string { return "/posts/" + itoa(int(p.ID)) + "/report" }
	for _, p := range posts {
		r.call(http.MethodPost, report(p), eve.write, map[string]string{"comment": "Spam"}).ok(http.StatusNoContent, nil)
	}
	r.call(http.MethodPost, report(posts[0]), bob.write, map[string]string{}).fails(http.StatusBadRequest, "invalid_request", "own post")
	r.call(http.MethodPost, report(posts[0]), eve.write, map[string]string{"comment": strings.Repeat("x", 1001)}).fails(http.StatusBadRequest, "invalid_request", "comment:")
	r.call(http.MethodPost, report(posts[0]), eve.read, map[string]string{}).fails(http.StatusForbidden, "forbidden", "write scope")

	r.call(http.MethodGet, "/communities/garden/reports", eve.read, nil).fails(http.StatusForbidden, "forbidden", "moderators")
	r.call(http.MethodGet, "/communities/garden/reports?state=all", ada.read, nil).fails(http.StatusBadRequest, "invalid_request", "state:")
	open, pages := walk[apiReport](r, "/communities/garden/reports", ada.read, 2)
	if len(open) != 3 || pages != 2 {
		t.Fatalf("%d open reports in %d pages, want 3 in 2", len(open), pages)
	}
	first := open[0]
	if first.Reporter.Acct != "eve@org-a.test" || first.Subject == nil || first.Subject.Acct != "bob@org-a.test" ||
		len(first.Posts) != 1 || first.Posts[0].Title != "One" || first.Comment != "Spam" || first.State != "open" || first.ObjectIRIs == nil {
		t.Fatalf("first report %+v", first)
	}
	r.call(http.MethodPost, "/communities/garden/reports/"+first.ID+"/resolve", eve.write, nil).fails(http.StatusForbidden, "forbidden", "moderators")
	r.call(http.MethodPost, "/communities/garden/reports/"+first.ID+"/resolve", ada.write, nil).ok(http.StatusNoContent, nil)
	r.call(http.MethodPost, "/communities/garden/reports/"+first.ID+"/dismiss", ada.write, nil).fails(http.StatusNotFound, "not_found", "report")
	r.call(http.MethodPost, "/communities/garden/reports/"+open[1].ID+"/dismiss", ada.write, nil).ok(http.StatusNoContent, nil)
	r.call(http.MethodPost, "/communities/garden/reports/x/dismiss", ada.write, nil).fails(http.StatusNotFound, "not_found", "report")
	closed, _ := walk[apiReport](r, "/communities/garden/reports?state=closed", ada.read, 10)
	if len(closed) != 2 || closed[0].State != "dismissed" || closed[1].State != "resolved" || closed[1].ResolvedBy == nil || closed[1].ResolvedBy.Acct != "ada@org-a.test" {
		t.Fatalf("closed reports %+v", closed)
	}
	if left, _ := walk[apiReport](r, "/communities/garden/reports?state=open", ada.read, 10); len(left) != 1 || left[0].Posts[0].Title != "Three" {
		t.Fatalf("open reports left %+v", left)
	}
}
