package web_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/practica-social/practica/models"
)

// TestModeratorsBanAndUnbanFromTheMembersPage: a moderator sees "Ban…"
// beside the members they may ban, gives a reason on the confirmation
// page, and finds the ban in the Banned section, which only moderators
// see; the banned member may not join again until unbanned there.
func TestModeratorsBanAndUnbanFromTheMembersPage(t *testing.T) {
	t.Parallel()
	s := startSite(t)
	ctx := context.Background()
	olga := s.account("olga", false)
	c := s.community("guild", olga, models.VisibilityPublic, models.JoinOpen)
	ids := map[string]string{"olga": itoa(olga.ActorID)}
	for _, name := range []string{"pete", "quinn", "rosa"} {
		a := s.account(name, false)
		if _, err := s.inst.Service.Join(ctx, a.ActorID, c); err != nil {
			t.Fatal(err)
		}
		ids[name] = itoa(a.ActorID)
	}
	banQuinn := "/c/guild/members/" + ids["quinn"] + "/ban"

	if p := s.browser().get(banQuinn); p.Status != http.StatusSeeOther || !strings.HasPrefix(p.Location, "/login") {
		t.Fatalf("ban page logged out: %d to %q, want the log-in page", p.Status, p.Location)
	}

	// A plain member is offered no ban, sees no bans, and is refused.
	rb := s.browser()
	rb.login("rosa", "password-rosa")
	wantNoBody(t, "member's view", rb.get("/c/guild/members"), "Ban…", `id="banned"`, "Nobody is banned.")
	wantStatus(t, "ban page as a member", rb.get(banQuinn), http.StatusForbidden)
	p := rb.post(banQuinn, url.Values{"reason": {"mine"}})
	wantStatus(t, "ban as a member", p, http.StatusForbidden)
	wantBody(t, "ban as a member", p, "only the community&#39;s moderators")
	p = rb.post("/c/guild/members/"+ids["quinn"]+"/unban", nil)
	wantStatus(t, "unban as a member", p, http.StatusForbidden)
	wantBody(t, "unban as a member", p, "only the community&#39;s moderators")

	o := s.browser()
	o.login("olga", "password-olga")
	o.get("/c/guild/members")
	wantStatus(t, "appoint pete", o.post("/c/guild/members/"+ids["pete"]+"/role", url.Values{"role": {"moderator"}}), http.StatusSeeOther)
	p = o.get("/c/guild/members")
	wantBody(t, "owner's view", p, `href="`+banQuinn+`"`, `aria-label="Ban @pete@org-a.test"`, `id="banned"`, "Nobody is banned.")
	wantNoBody(t, "owner's view", p, `aria-label="Ban @olga@org-a.test"`)

	// Pete, a moderator, bans plain members only.
	pb := s.browser()
	pb.login("pete", "password-pete")
	p = pb.get("/c/guild/members")
	wantBody(t, "moderator's view", p, `aria-label="Ban @quinn@org-a.test"`, "Nobody is banned.")
	wantNoBody(t, "moderator's view", p, `aria-label="Ban @olga@org-a.test"`, `aria-label="Ban @pete@org-a.test"`)
	p = pb.post("/c/guild/members/"+ids["olga"]+"/ban", nil)
	wantStatus(t, "ban the owner", p, http.StatusForbidden)
	wantBody(t, "ban the owner", p, "an owner cannot be banned")
	p = pb.get("/c/guild/members/" + ids["olga"] + "/ban")
	wantStatus(t, "ban page of the owner", p, http.StatusForbidden)
	wantBody(t, "ban page of the owner", p, "you may not ban this member")
	wantStatus(t, "ban page of no one", pb.get("/c/guild/members/999999/ban"), http.StatusNotFound)

	p = pb.get(banQuinn)
	wantStatus(t, "ban page", p, http.StatusOK)
	wantBody(t, "ban page", p, "Ban quinn?", "may not post, reply or like here", "the members' servers", `name="reason"`, "Keep them")
	p = pb.post(banQuinn, url.Values{"reason": {strings.Repeat("x", 1001)}})
	wantStatus(t, "a reason too long", p, http.StatusUnprocessableEntity)
	wantBody(t, "a reason too long", p, "Please check:", "at most 1000 characters", "Ban quinn?")
	wantNoBody(t, "a reason too long", pb.get("/c/guild/members"), `aria-label="Unban`)

	p = pb.post(banQuinn, url.Values{"reason": {"Rude <to> everyone"}})
	wantStatus(t, "ban quinn", p, http.StatusSeeOther)
	if p.Location != "/c/guild/members#banned" {
		t.Fatalf("after the ban: sent to %q, want the members page", p.Location)
	}
	p = pb.get("/c/guild/members")
	wantBody(t, "after the ban", p, "3 members", `aria-label="Unban @quinn@org-a.test"`, "Rude &lt;to&gt; everyone", "<td>this server</td>", "<time datetime=")
	wantNoBody(t, "after the ban", p, `aria-label="Ban @quinn@org-a.test"`, "Nobody is banned.")
	wantStatus(t, "ban page of a banned person", pb.get(banQuinn), http.StatusNotFound)
	p = pb.post(banQuinn, nil)
	wantStatus(t, "ban twice", p, http.StatusConflict)
	wantBody(t, "ban twice", p, "banned already")
	wantNoBody(t, "member's view after the ban", rb.get("/c/guild/members"), "Rude", "Unban")

	qb := s.browser()
	qb.login("quinn", "password-quinn")
	p = qb.get("/c/guild")
	wantBody(t, "the community page of a banned member", p, "You are banned from this community")
	wantNoBody(t, "the community page of a banned member", p, `action="/c/guild/join"`)
	wantStatus(t, "a banned member joins again", qb.post("/c/guild/join", nil), http.StatusForbidden)

	// The owner lifts the ban; quinn may join again.
	unban := "/c/guild/members/" + ids["quinn"] + "/unban"
	o.get("/c/guild/members")
	p = o.post(unban, nil)
	wantStatus(t, "unban", p, http.StatusSeeOther)
	if p.Location != "/c/guild/members#banned" {
		t.Fatalf("after the unban: sent to %q, want the members page", p.Location)
	}
	wantBody(t, "after the unban", o.get("/c/guild/members"), "Nobody is banned.")
	wantStatus(t, "unban twice", o.post(unban, nil), http.StatusNotFound)
	qb.get("/c/guild")
	wantStatus(t, "quinn joins again", qb.post("/c/guild/join", nil), http.StatusSeeOther)
	wantBody(t, "in the end", o.get("/c/guild/members"), "4 members")
}
