package web_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/practica-social/practica/models"
)

// spamRelations ties spam.example to the site, straight in the store so
// that the counts the confirmation shows are exact: a member of c there, a
// follow of it by person, and two deliveries waiting for it (one on a
// subdomain), due only tomorrow so that no worker tries them meanwhile.
// It returns the remote member.
func (s *site) spamRelations(person *models.Account, c *models.Community) *models.Actor {
	s.t.Helper()
	ctx, st := context.Background(), s.inst.Store
	spammer := &models.Actor{IRI: "http://spam.example/u/spammer", Type: models.ActorPerson, Username: "spammer", Host: "spam.example",
		InboxURL: "http://spam.example/u/spammer/inbox", Published: time.Now()}
	if err := st.UpsertRemoteActor(ctx, spammer); err != nil {
		s.t.Fatal(err)
	}
	if err := st.PutMember(ctx, &models.Member{CommunityID: c.ID, ActorID: spammer.ID, Role: models.RoleMember,
		State: models.MemberAccepted, FollowIRI: spammer.IRI + "#join"}); err != nil {
		s.t.Fatal(err)
	}
	if err := st.PutFollow(ctx, &models.Follow{ActorID: person.ActorID, TargetActorID: spammer.ID,
		State: models.FollowAccepted, ActivityIRI: s.inst.BaseURL + "/activities/follow-spammer"}); err != nil {
		s.t.Fatal(err)
	}
	act := &models.Activity{IRI: s.inst.BaseURL + "/activities/for-spam", Type: "Create", ActorID: person.ActorID, Local: true, JSON: "{}"}
	if err := st.CreateActivity(ctx, act); err != nil {
		s.t.Fatal(err)
	}
	inboxes := []string{"http://spam.example/inbox", "http://eu.spam.example/inbox", "http://org-b.test/inbox"}
	if _, err := st.CreateDeliveries(ctx, act.ID, inboxes, 0, time.Now().Add(24*time.Hour)); err != nil {
		s.t.Fatal(err)
	}
	return spammer
}

// wantNoBody fails if p's body contains any of subs.
func wantNoBody(t *testing.T, what string, p page, subs ...string) {
	t.Helper()
	for _, s := range subs {
		if strings.Contains(p.Body, s) {
			t.Fatalf("%s: body has %q: %s", what, s, excerpt(p.Body))
		}
	}
}

// TestAdminBlocksAndUnblocksAServer: an admin blocks a server from the
// admin page, sees what the block ended and the server in the list; the
// About page shows it with its reason to everyone; the admin lifts it.
func TestAdminBlocksAndUnblocksAServer(t *testing.T) {
	t.Parallel()
	s := startSite(t)
	s.account("admin", true)
	owner := s.account("owner", false)
	c := s.community("garden", owner, models.VisibilityPublic, models.JoinOpen)
	spammer := s.spamRelations(owner, c)

	visitor := s.browser()
	p := visitor.get("/about")
	wantStatus(t, "about before", p, http.StatusOK)
	wantNoBody(t, "about before", p, "Servers we do not federate with")

	admin := s.browser()
	admin.login("admin", "password-admin")
	p = admin.get("/admin")
	wantStatus(t, "admin page", p, http.StatusOK)
	wantBody(t, "admin page", p, "Blocked servers", `action="/admin/blocked-servers#blocked-servers"`,
		`Shown publicly on the <a href="/about">About page</a>`, "No server is blocked.")

	p = admin.post("/admin/blocked-servers", url.Values{"host": {"@spammer@Spam.Example"}, "reason": {"Sells <b>pills</b>"}})
	wantStatus(t, "block", p, http.StatusSeeOther)
	if !strings.HasPrefix(p.Location, "/admin?") || !strings.HasSuffix(p.Location, "#blocked-servers") {
		t.Fatalf("block redirects to %q", p.Location)
	}
	p = admin.get(p.Location)
	wantStatus(t, "after the block", p, http.StatusOK)
	wantBody(t, "after the block", p,
		"spam.example is blocked: 1 membership, 1 follow and 2 pending deliveries ended.",
		"<td>spam.example</td>", "<td>Sells &lt;b&gt;pills&lt;/b&gt;</td>",
		`action="/admin/blocked-servers/spam.example/unblock"`, `aria-label="Unblock spam.example"`)
	wantNoBody(t, "after the block", p, "No server is blocked.")
	if _, err := s.inst.Store.GetMember(context.Background(), c.ID, spammer.ID); err == nil {
		t.Fatal("the blocked server's member is still a member")
	}
	if !s.inst.Service.HostBlocked(context.Background(), "eu.spam.example") {
		t.Fatal("the subdomain is not blocked")
	}

	// A made-up confirmation for a server that is not blocked says nothing.
	p = admin.get("/admin?blocked=other.example&members=9&follows=9&deliveries=9")
	wantNoBody(t, "made-up confirmation", p, "other.example is blocked")

	p = visitor.get("/about")
	wantStatus(t, "about", p, http.StatusOK)
	wantBody(t, "about", p, "Servers we do not federate with", "<td>spam.example</td>", "<td>Sells &lt;b&gt;pills&lt;/b&gt;</td>")

	admin.get("/admin")
	p = admin.post("/admin/blocked-servers/spam.example/unblock", nil)
	wantStatus(t, "unblock", p, http.StatusSeeOther)
	p = admin.get(p.Location)
	wantStatus(t, "after the unblock", p, http.StatusOK)
	wantBody(t, "after the unblock", p, "spam.example is no longer blocked.", "No server is blocked.")
	if s.inst.Service.HostBlocked(context.Background(), "spam.example") {
		t.Fatal("still blocked after the unblock")
	}
	wantNoBody(t, "about after the unblock", visitor.get("/about"), "Servers we do not federate with", "spam.example")
}

// TestAdminBlockRefusals: a person who is not an admin gets 403 for the
// page and both forms; an admin's mistakes come back on the form with the
// service's message, never a stack trace; a form without the CSRF token
// is refused; lifting a block that is not there is the 404 page.
func TestAdminBlockRefusals(t *testing.T) {
	t.Parallel()
	s := startSite(t)
	root := s.account("admin", true)
	s.account("plain", false)
	ctx := context.Background()
	if _, err := s.inst.Service.BlockServer(ctx, root.ID, "spam.example", "spam"); err != nil {
		t.Fatal(err)
	}

	plain := s.browser()
	plain.login("plain", "password-plain")
	wantStatus(t, "admin page as non-admin", plain.get("/admin"), http.StatusForbidden)
	wantStatus(t, "block as non-admin", plain.post("/admin/blocked-servers", url.Values{"host": {"other.example"}}), http.StatusForbidden)
	wantStatus(t, "unblock as non-admin", plain.post("/admin/blocked-servers/spam.example/unblock", nil), http.StatusForbidden)
	if s.inst.Service.HostBlocked(ctx, "other.example") || !s.inst.Service.HostBlocked(ctx, "spam.example") {
		t.Fatal("a non-admin changed the blocks")
	}

	admin := s.browser()
	admin.login("admin", "password-admin")
	admin.get("/admin")
	for _, tc := range []struct {
		host, reason string
		status       int
		message      string
	}{
		{"not a host", "why", http.StatusUnprocessableEntity, "is not a server&#39;s host name; give one like example.org"},
		{"https://org-a.test/c/garden", "", http.StatusUnprocessableEntity, "org-a.test is this server&#39;s own domain"},
		{"spam.example", "again", http.StatusConflict, "spam.example is blocked already"},
		{"eu.spam.example", "", http.StatusConflict, "eu.spam.example is blocked already, with spam.example"},
		{"long.example", strings.Repeat("x", 1001), http.StatusUnprocessableEntity, "the reason is too long"},
	} {
		p := admin.post("/admin/blocked-servers", url.Values{"host": {tc.host}, "reason": {tc.reason}})
		wantStatus(t, "block "+tc.host, p, tc.status)
		wantBody(t, "block "+tc.host, p, "Please check:", tc.message, "Blocked servers",
			`value="`+tc.host+`"`, "<td>spam.example</td>")
		wantNoBody(t, "block "+tc.host, p, "goroutine", ".go:", "something went wrong")
	}
	if s.inst.Service.HostBlocked(ctx, "long.example") {
		t.Fatal("a refused block was made")
	}

	p := admin.post("/admin/blocked-servers", url.Values{"host": {"other.example"}, "csrf": {"forged"}})
	wantStatus(t, "block without the CSRF token", p, http.StatusForbidden)
	if s.inst.Service.HostBlocked(ctx, "other.example") {
		t.Fatal("a forged form blocked a server")
	}

	p = admin.post("/admin/blocked-servers/other.example/unblock", nil)
	wantStatus(t, "unblock what is not blocked", p, http.StatusNotFound)
	wantBody(t, "unblock what is not blocked", p, "blocked server other.example not found")
	wantNoBody(t, "unblock what is not blocked", p, "goroutine", ".go:")
}
