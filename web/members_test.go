package web_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/practica-social/practica/models"
)

// TestModeratorsAppointAndRemoveFromTheMembersPage: the owner sees a
// button for each thing they may do to each member, appoints a moderator,
// who may then remove plain members but not the owner or a fellow
// moderator; a removal is confirmed on a page of its own.
func TestModeratorsAppointAndRemoveFromTheMembersPage(t *testing.T) {
	t.Parallel()
	s := startSite(t)
	ctx := context.Background()
	olga := s.account("olga", false)
	c := s.community("guild", olga, models.VisibilityMembers, models.JoinOpen)
	ids := map[string]string{}
	for _, name := range []string{"pete", "quinn", "rosa"} {
		a := s.account(name, false)
		if _, err := s.inst.Service.Join(ctx, a.ActorID, c); err != nil {
			t.Fatal(err)
		}
		ids[name] = itoa(a.ActorID)
	}
	ids["olga"] = itoa(olga.ActorID)

	// Logged out, the confirmation page sends to the log-in page.
	if p := s.browser().get("/c/guild/members/" + ids["quinn"] + "/remove"); p.Status != http.StatusSeeOther || !strings.HasPrefix(p.Location, "/login") {
		t.Fatalf("removal page logged out: %d to %q, want the log-in page", p.Status, p.Location)
	}

	// A plain member sees the list, and no moderation.
	pb := s.browser()
	pb.login("pete", "password-pete")
	p := pb.get("/c/guild/members")
	wantBody(t, "member's view", p, "4 members", "@rosa@org-a.test")
	if strings.Contains(p.Body, "Moderation") || strings.Contains(p.Body, "Remove") {
		t.Fatalf("a plain member is offered moderation: %s", excerpt(p.Body))
	}
	wantStatus(t, "appoint as a member", pb.post("/c/guild/members/"+ids["quinn"]+"/role", url.Values{"role": {"moderator"}}), http.StatusForbidden)
	wantStatus(t, "confirm page as a member", pb.get("/c/guild/members/"+ids["quinn"]+"/remove"), http.StatusForbidden)

	o := s.browser()
	o.login("olga", "password-olga")
	p = o.get("/c/guild/members")
	wantBody(t, "owner's view", p, "Moderation", `aria-label="Make @pete@org-a.test a moderator"`, `aria-label="Remove @rosa@org-a.test"`)
	if strings.Contains(p.Body, `aria-label="Remove @olga@org-a.test"`) {
		t.Fatal("the owner is offered to remove themselves")
	}
	wantStatus(t, "appoint pete", o.post("/c/guild/members/"+ids["pete"]+"/role", url.Values{"role": {"moderator"}}), http.StatusSeeOther)
	wantStatus(t, "a role that does not exist", o.post("/c/guild/members/"+ids["quinn"]+"/role", url.Values{"role": {"king"}}), http.StatusBadRequest)
	wantBody(t, "owner's view after", o.get("/c/guild/members"), `aria-label="Make @pete@org-a.test a plain member"`)

	// Pete, now a moderator, may remove quinn, not olga nor (once
	// appointed) rosa.
	p = pb.get("/c/guild/members")
	wantBody(t, "moderator's view", p, `aria-label="Remove @quinn@org-a.test"`)
	for _, no := range []string{`aria-label="Remove @olga@org-a.test"`, "Make moderator", "Make member"} {
		if strings.Contains(p.Body, no) {
			t.Fatalf("the moderator is offered %s", no)
		}
	}
	wantStatus(t, "a decision that does not exist", pb.post("/c/guild/members/"+ids["quinn"], url.Values{"decision": {"remove"}}), http.StatusBadRequest)
	p = pb.get("/c/guild/members/" + ids["quinn"] + "/remove")
	wantStatus(t, "confirm page", p, http.StatusOK)
	wantBody(t, "confirm page", p, "Remove quinn?", "no longer see the community", "Keep them")
	wantStatus(t, "remove quinn", pb.post("/c/guild/members/"+ids["quinn"]+"/remove", nil), http.StatusSeeOther)
	wantBody(t, "after the removal", pb.get("/c/guild/members"), "3 members")
	wantStatus(t, "confirm page of a former member", pb.get("/c/guild/members/"+ids["quinn"]+"/remove"), http.StatusNotFound)
	wantStatus(t, "remove the owner", pb.post("/c/guild/members/"+ids["olga"]+"/remove", nil), http.StatusForbidden)

	qb := s.browser()
	qb.login("quinn", "password-quinn")
	wantStatus(t, "the members page for a removed member", qb.get("/c/guild/members"), http.StatusNotFound)

	wantStatus(t, "appoint rosa", o.post("/c/guild/members/"+ids["rosa"]+"/role", url.Values{"role": {"moderator"}}), http.StatusSeeOther)
	wantStatus(t, "a moderator removes a moderator", pb.post("/c/guild/members/"+ids["rosa"]+"/remove", nil), http.StatusForbidden)
	wantStatus(t, "the owner removes a moderator", o.post("/c/guild/members/"+ids["rosa"]+"/remove", nil), http.StatusSeeOther)
	wantBody(t, "in the end", o.get("/c/guild/members"), "2 members")
}
