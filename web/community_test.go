package web_test

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/practica-social/practica/models"
)

func TestCreateAndEditCommunity(t *testing.T) {
	t.Parallel()
	s := startSite(t)
	s.account("olga", false)
	s.account("pete", false)
	o := s.browser()
	o.login("olga", "password-olga")
	wantStatus(t, "form", o.get("/communities/new"), http.StatusOK)
	p := o.post("/communities/new", url.Values{"handle": {"bad handle"}, "name": {"X"}, "visibility": {"public"}, "join_policy": {"open"}})
	wantStatus(t, "bad handle", p, http.StatusUnprocessableEntity)
	wantBody(t, "bad handle", p, "must be 1 to 30 characters")
	p = o.post("/communities/new", url.Values{
		"handle": {"soil"}, "name": {"Soil Science"}, "summary": {"We study **soil**. <script>alert(1)</script>"},
		"topics": {"compost, microbes"}, "visibility": {"public"}, "join_policy": {"approval"},
	})
	wantStatus(t, "create", p, http.StatusSeeOther)
	if p.Location != "/c/soil" {
		t.Fatalf("created community at %q", p.Location)
	}
	p = o.get("/c/soil")
	wantStatus(t, "page", p, http.StatusOK)
	wantBody(t, "page", p, "Soil Science", "@soil@org-a.test", "<strong>soil</strong>", "compost", "microbes",
		"1 member", "moderators approve members", "Edit community", "olga")
	if strings.Contains(p.Body, "<script>alert") {
		t.Fatal("the summary's script survived")
	}

	// A non-moderator may neither see nor send the edit form.
	pb := s.browser()
	pb.login("pete", "password-pete")
	wantStatus(t, "edit form as member", pb.get("/c/soil/edit"), http.StatusForbidden)
	pb.get("/c/soil")
	wantStatus(t, "edit as non-moderator", pb.post("/c/soil/edit", url.Values{"name": {"Hijacked"}, "visibility": {"public"}, "join_policy": {"open"}}), http.StatusForbidden)

	p = o.get("/c/soil/edit")
	wantStatus(t, "edit form", p, http.StatusOK)
	wantBody(t, "edit form", p, `value="Soil Science"`, "compost, microbes")
	p = o.post("/c/soil/edit", url.Values{"name": {"Soil & Life"}, "summary": {"Living soil."}, "topics": {"fungi"}, "visibility": {"members"}, "join_policy": {"open"}})
	wantStatus(t, "edit", p, http.StatusSeeOther)
	wantBody(t, "edited page", o.get("/c/soil"), "Soil &amp; Life", "Living soil.", "fungi", "Members-only space")
}

func TestJoinApprovalAndMembers(t *testing.T) {
	t.Parallel()
	s := startSite(t)
	owner := s.account("olga", false)
	s.account("pete", false)
	s.account("quinn", false)
	s.community("guild", owner, models.VisibilityPublic, models.JoinApproval)

	pb := s.browser()
	pb.login("pete", "password-pete")
	wantBody(t, "outsider view", pb.get("/c/guild"), "Ask to join")
	wantStatus(t, "ask", pb.post("/c/guild/join", nil), http.StatusSeeOther)
	wantBody(t, "pending view", pb.get("/c/guild"), "waiting for a moderator")

	// The request is for moderators only.
	q := s.browser()
	q.login("quinn", "password-quinn")
	p := q.get("/c/guild/members")
	wantStatus(t, "members as outsider", p, http.StatusOK)
	if strings.Contains(p.Body, "Membership requests") {
		t.Fatal("an outsider sees the membership requests")
	}
	pete, err := s.inst.Service.LocalPerson(context.Background(), "pete")
	if err != nil {
		t.Fatal(err)
	}
	decide := "/c/guild/members/" + itoa(pete.ID)
	wantStatus(t, "approve as outsider", q.post(decide, url.Values{"decision": {"approve"}}), http.StatusForbidden)

	o := s.browser()
	o.login("olga", "password-olga")
	wantBody(t, "owner's page", o.get("/c/guild"), "Membership requests", `<span class="badge">1</span>`)
	p = o.get("/c/guild/members")
	wantBody(t, "requests", p, "Membership requests", "@pete@org-a.test")
	wantStatus(t, "approve", o.post(decide, url.Values{"decision": {"approve"}}), http.StatusSeeOther)

	p = pb.get("/c/guild/members")
	wantBody(t, "members list", p, "2 members", "owner", "member", "this server", "@pete@org-a.test")
	wantBody(t, "member view", pb.get("/c/guild"), "Start a thread")
	wantStatus(t, "leave", pb.post("/c/guild/leave", nil), http.StatusSeeOther)
	wantBody(t, "after leaving", pb.get("/c/guild"), "Ask to join")
}

func TestMembersOnlyCommunityHidesMembers(t *testing.T) {
	t.Parallel()
	s := startSite(t)
	owner := s.account("olga", false)
	s.community("inner", owner, models.VisibilityMembers, models.JoinApproval)
	anon := s.browser()
	p := anon.get("/c/inner/members")
	wantStatus(t, "members of a members-only community, logged out", p, http.StatusNotFound)
	p = anon.get("/c/inner")
	wantStatus(t, "page", p, http.StatusOK)
	wantBody(t, "page", p, "Members-only space", "Log in to join")
}

func TestExploreFindsLocalAndRemote(t *testing.T) {
	t.Parallel()
	s := startSite(t)
	owner := s.account("olga", false)
	s.community("garden", owner, models.VisibilityPublic, models.JoinOpen)
	ctx := context.Background()
	group := &models.Actor{
		IRI: "http://org-b.test/c/weavers", Type: models.ActorGroup, Username: "weavers", Host: "org-b.test",
		Name: "Weavers Guild", URL: "http://org-b.test/c/weavers", InboxURL: "http://org-b.test/c/weavers/inbox",
		Discoverable: true, Published: time.Now(),
	}
	if err := s.inst.Store.UpsertRemoteActor(ctx, group); err != nil {
		t.Fatal(err)
	}
	if _, err := s.inst.Service.EnsureRemoteCommunity(ctx, group); err != nil {
		t.Fatal(err)
	}
	b := s.browser()
	wantBody(t, "all", b.get("/explore"), "Weavers Guild", "Garden", "elsewhere")
	p := b.get("/explore?q=COMPOST")
	wantBody(t, "by topic", p, "Garden")
	if strings.Contains(p.Body, "Weavers") {
		t.Fatal("the topic search matched a community without the topic")
	}
	p = b.get("/explore?q=weav")
	wantBody(t, "by name", p, "Weavers Guild", `href="/c/weavers@org-b.test"`)
	wantBody(t, "wildcards are literal", b.get("/explore?q=%25"), "No community matches")

	p = b.get("/c/weavers@org-b.test")
	wantStatus(t, "remote community page", p, http.StatusOK)
	wantBody(t, "remote community page", p, "Weavers Guild", "on another server", "http://org-b.test/c/weavers")
	wantStatus(t, "unknown remote", b.get("/c/nobody@org-b.test"), http.StatusNotFound)
}

func TestProfileAndPersonPage(t *testing.T) {
	t.Parallel()
	s := startSite(t)
	s.account("rosa", false)
	b := s.browser()
	b.login("rosa", "password-rosa")
	wantStatus(t, "settings", b.get("/settings"), http.StatusOK)
	p := b.post("/settings", url.Values{
		"display_name": {"Rosa Diaz"}, "organization": {"City Farms"}, "expertise": {"hydroponics, #irrigation"},
		"bio": {"I grow *lettuce* on roofs. [site](javascript:alert(1))"},
	})
	wantStatus(t, "save", p, http.StatusSeeOther)
	wantBody(t, "saved", b.get(p.Location), "Your profile was saved", `value="City Farms"`)
	p = s.browser().get("/u/rosa")
	wantStatus(t, "person page", p, http.StatusOK)
	wantBody(t, "person page", p, "Rosa Diaz", "City Farms", "hydroponics", "irrigation", "<em>lettuce</em>")
	if strings.Contains(p.Body, "javascript:") {
		t.Fatal("a javascript: link survived in the bio")
	}
	actor, err := s.inst.Service.LocalPerson(context.Background(), "rosa")
	if err != nil || actor.Name != "Rosa Diaz" || !strings.Contains(actor.Summary, "lettuce") {
		t.Fatalf("the Person actor was not updated: %+v %v", actor, err)
	}
	long := strings.Repeat("x", 101)
	wantStatus(t, "too long", b.post("/settings", url.Values{"display_name": {long}}), http.StatusUnprocessableEntity)
}

// stubFollower answers RemoteFollow like a Mastodon server's WebFinger.
type stubFollower struct{ template string }

func (f stubFollower) RemoteFollow(_ context.Context, handle string) (string, error) {
	if handle != "me@mastodon.example" {
		return "", errors.New("no such account")
	}
	return f.template, nil
}
