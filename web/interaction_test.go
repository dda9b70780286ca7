package web_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/practica-social/practica/models"
	"github.com/practica-social/practica/service"
	"github.com/practica-social/practica/testrig"
)

// eventually polls cond until it holds or 30 s pass: federation is
// asynchronous.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for: %s", what)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// on returns a browser for another site that shares b's cookies, as one
// real browser visiting two servers would.
func (b *browser) on(s *site) *browser {
	return &browser{t: b.t, site: s, c: b.c, header: http.Header{}}
}

// pathOf strips a site's base URL from an absolute URL on it.
func pathOf(t *testing.T, s *site, u string) string {
	t.Helper()
	if !strings.HasPrefix(u, s.inst.BaseURL+"/") {
		t.Fatalf("%q is not on %s", u, s.inst.BaseURL)
	}
	return strings.TrimPrefix(u, s.inst.BaseURL)
}

// TestRemoteFollowAcrossInstances: on org-b's community page, a person of
// org-a types their handle; org-b finds org-a's follow page through
// WebFinger and sends them there; they log in on org-a, see the community
// and join it, and org-b counts them as a member.
func TestRemoteFollowAcrossInstances(t *testing.T) {
	t.Parallel()
	n := testrig.NewNetwork()
	sa := &site{t: t, net: n, inst: n.Start(t, "org-a.test")}
	sb := &site{t: t, net: n, inst: n.Start(t, "org-b.test")}
	sa.account("ada", false)
	roofs := sb.community("roofs", sb.account("bob", false), models.VisibilityPublic, models.JoinOpen)

	onB := sb.browser()
	p := onB.get("/c/roofs")
	wantBody(t, "community page", p, `action="/c/roofs/remote-follow"`)
	p = onB.post("/c/roofs/remote-follow", url.Values{"handle": {"@ada@org-a.test"}})
	wantStatus(t, "remote follow", p, http.StatusSeeOther)
	want := "http://org-a.test/authorize_interaction?uri=" + url.QueryEscape("http://org-b.test/c/roofs")
	if p.Location != want {
		t.Fatalf("sent to %q, want %q", p.Location, want)
	}
	p = onB.post("/c/roofs/remote-follow", url.Values{"handle": {"@nobody@org-a.test"}})
	wantStatus(t, "unknown handle", p, http.StatusBadRequest)
	wantBody(t, "unknown handle", p, "search for @roofs@org-b.test on your server")

	// On org-a: logged out, the page sends Ada to log in and back.
	onA := onB.on(sa)
	interaction := pathOf(t, sa, want)
	p = onA.get(interaction)
	wantStatus(t, "logged out", p, http.StatusSeeOther)
	if p.Location != "/login?next="+url.QueryEscape(interaction) {
		t.Fatalf("logged out: sent to %q", p.Location)
	}
	wantBody(t, "login form", onA.get(p.Location), `name="next" value="`+strings.ReplaceAll(interaction, "&", "&amp;")+`"`)
	p = onA.post("/login", url.Values{"identifier": {"ada"}, "password": {"password-ada"}, "next": {interaction}})
	wantStatus(t, "login", p, http.StatusSeeOther)
	if p.Location != interaction {
		t.Fatalf("after log-in: sent to %q, want back to %q", p.Location, interaction)
	}
	p = onA.get(interaction)
	wantStatus(t, "interaction page", p, http.StatusOK)
	wantBody(t, "interaction page", p, "Join Roofs?", "@roofs@org-b.test", "on another server",
		`action="/c/roofs@org-b.test/join"`, "About <strong>roofs</strong>")

	p = onA.post("/c/roofs@org-b.test/join", nil)
	wantStatus(t, "join", p, http.StatusSeeOther)
	if p.Location != "/c/roofs@org-b.test" {
		t.Fatalf("after joining: sent to %q", p.Location)
	}
	ctx := context.Background()
	eventually(t, "org-b counts ada as a member", func() bool {
		page, _, err := sb.inst.Service.Members(ctx, roofs, service.Viewer{ActorID: roofs.ActorID}, nil, 0, 10)
		if err != nil {
			return false
		}
		for _, m := range page.Items {
			if m.Actor != nil && m.Actor.IRI == "http://org-a.test/u/ada" {
				return true
			}
		}
		return false
	})
	eventually(t, "org-a shows ada as a member", func() bool {
		return strings.Contains(onA.get(interaction).Body, `id="already-member"`)
	})
}

func TestAuthorizeInteractionRefusals(t *testing.T) {
	t.Parallel()
	n := testrig.NewNetwork()
	sa := &site{t: t, net: n, inst: n.Start(t, "org-a.test")}
	sb := &site{t: t, net: n, inst: n.Start(t, "org-b.test")}
	sa.account("ada", false)
	sb.account("bob", false)
	own := sa.community("makers", sa.account("olga", false), models.VisibilityPublic, models.JoinApproval)

	b := sa.browser()
	b.login("ada", "password-ada")
	for _, c := range []struct {
		uri    string
		status int
		body   string
	}{
		{"", http.StatusBadRequest, "name the community to join"},
		{"http://org-b.test/u/bob", http.StatusNotFound, "only communities can be joined from here"},
		{"@nothing@org-b.test", http.StatusNotFound, "only communities can be joined from here"},
		{"http://org-a.test/c/nothing", http.StatusNotFound, "only communities can be joined from here"},
		{"not a handle", http.StatusBadRequest, "a handle looks like name@host"},
	} {
		p := b.get("/authorize_interaction?uri=" + url.QueryEscape(c.uri))
		wantStatus(t, c.uri, p, c.status)
		wantBody(t, c.uri, p, c.body)
	}
	// A community of this server, by handle or id, asks to join (approval).
	for _, ref := range []string{"acct:makers@org-a.test", own.Actor.IRI} {
		p := b.get("/authorize_interaction?uri=" + url.QueryEscape(ref))
		wantStatus(t, ref, p, http.StatusOK)
		wantBody(t, ref, p, `action="/c/makers/join"`, "Ask to join")
	}
	wantStatus(t, "ask", b.post("/c/makers/join", nil), http.StatusSeeOther)
	wantBody(t, "pending", b.get("/authorize_interaction?uri="+url.QueryEscape(own.Actor.IRI)), "waiting for a moderator")
}

// TestExploreLooksUpHandles: a full handle typed into Explore opens the
// community's page, fetched from its server when it is not known yet;
// only logged-in people make the server fetch.
func TestExploreLooksUpHandles(t *testing.T) {
	t.Parallel()
	n := testrig.NewNetwork()
	sa := &site{t: t, net: n, inst: n.Start(t, "org-a.test")}
	sb := &site{t: t, net: n, inst: n.Start(t, "org-b.test")}
	sa.account("ada", false)
	sb.community("roofs", sb.account("bob", false), models.VisibilityPublic, models.JoinOpen)
	sa.community("makers", sa.account("olga", false), models.VisibilityPublic, models.JoinOpen)

	anon := sa.browser()
	p := anon.get("/explore?q=" + url.QueryEscape("@roofs@org-b.test"))
	wantStatus(t, "anonymous remote lookup", p, http.StatusOK)
	wantBody(t, "anonymous remote lookup", p, "Log in to look up @roofs@org-b.test on its server.")
	if _, err := sa.inst.Service.CommunityByHandle(context.Background(), "roofs@org-b.test"); service.KindOf(err) != service.KindNotFound {
		t.Fatalf("an anonymous search made the server fetch: %v", err)
	}
	p = anon.get("/explore?q=" + url.QueryEscape("@makers@org-a.test"))
	wantStatus(t, "own handle", p, http.StatusSeeOther)
	if p.Location != "/c/makers" {
		t.Fatalf("own handle: sent to %q", p.Location)
	}

	b := sa.browser()
	b.login("ada", "password-ada")
	p = b.get("/explore?q=" + url.QueryEscape("@roofs@org-b.test"))
	wantStatus(t, "remote lookup", p, http.StatusSeeOther)
	if p.Location != "/c/roofs@org-b.test" {
		t.Fatalf("remote lookup: sent to %q", p.Location)
	}
	wantBody(t, "remote community page", b.get(p.Location), "Roofs", `action="/c/roofs@org-b.test/join"`)
	p = b.get("/explore?q=" + url.QueryEscape("nobody@org-b.test"))
	wantStatus(t, "unknown handle", p, http.StatusOK)
	wantBody(t, "unknown handle", p, "No community @nobody@org-b.test was found")
}

// TestCookieNamesCarryAnExplicitPort: two instances on one host (the demo's
// localhost:8081 and :8082) must not share a session cookie, because
// browsers do not separate cookies by port.
func TestCookieNamesCarryAnExplicitPort(t *testing.T) {
	t.Parallel()
	svc, b := pagesServer(t, "http://localhost:8081", nil)
	if _, err := svc.CreateAccount(context.Background(), service.NewAccount{Username: "ada", Email: "ada@example.org", Password: "password-ada"}); err != nil {
		t.Fatal(err)
	}
	b.login("ada", "password-ada")
	names := map[string]bool{}
	u, _ := url.Parse(b.site.inst.BaseURL)
	for _, c := range b.c.Jar.Cookies(u) {
		names[c.Name] = true
	}
	if !names["practica_session_8081"] || names["practica_session"] {
		t.Fatalf("cookies %v, want practica_session_8081", names)
	}
	wantBody(t, "logged in", b.get("/settings"), `id="display_name"`)
}
