package web_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
)

func TestLoginAndLogout(t *testing.T) {
	t.Parallel()
	s := startSite(t)
	s.account("alice", false)
	b := s.browser()
	p := b.get("/login")
	wantStatus(t, "login form", p, http.StatusOK)
	wantBody(t, "login form", p, `<label for="identifier">`, `<label for="password">`)

	p = b.post("/login", url.Values{"identifier": {"alice"}, "password": {"wrong password"}})
	wantStatus(t, "wrong password", p, http.StatusUnauthorized)
	wantBody(t, "wrong password", p, "the password, is wrong")

	b.login("alice@example.org", "password-alice")
	p = b.get("/settings")
	wantStatus(t, "settings after login", p, http.StatusOK)
	wantBody(t, "settings after login", p, "@alice@org-a.test")

	// The handle works as well as the e-mail address, and "next" never
	// leads off the site.
	for next, want := range map[string]string{"/c/x?y=1": "/c/x?y=1", "//evil.example/": "/", "/\\evil.example": "/", "https://evil.example/": "/"} {
		b2 := s.browser()
		b2.get("/login")
		p := b2.post("/login", url.Values{"identifier": {"@alice"}, "password": {"password-alice"}, "next": {next}})
		if p.Status != http.StatusSeeOther || p.Location != want {
			t.Fatalf("login with next %q: %d to %q, want %q", next, p.Status, p.Location, want)
		}
	}

	p = b.post("/logout", nil)
	wantStatus(t, "logout", p, http.StatusSeeOther)
	p = b.get("/settings")
	wantStatus(t, "settings after logout", p, http.StatusSeeOther)
	if !strings.HasPrefix(p.Location, "/login?next=") {
		t.Fatalf("settings after logout redirects to %q", p.Location)
	}
}

func TestChecklist26SessionCookieFlagsAndFixation(t *testing.T) {
	t.Parallel()
	s := startSite(t)
	s.account("alice", false)
	b := s.browser()

	// A session id planted before the log-in (say by a subdomain or a
	// shared computer) must never become a logged-in session.
	u, _ := url.Parse(s.inst.BaseURL)
	b.c.Jar.SetCookies(u, []*http.Cookie{{Name: "practica_session", Value: "planted-by-an-attacker", Path: "/"}})
	b.get("/login")
	p := b.post("/login", url.Values{"identifier": {"alice"}, "password": {"password-alice"}})
	wantStatus(t, "login", p, http.StatusSeeOther)
	var set *http.Cookie
	for _, c := range p.Cookies {
		if c.Name == "practica_session" {
			set = c
		}
	}
	if set == nil {
		t.Fatal("login set no session cookie")
	}
	if set.Value == "planted-by-an-attacker" || len(set.Value) < 40 {
		t.Fatalf("session cookie after login is %q", set.Value)
	}
	if !set.HttpOnly || set.SameSite != http.SameSiteLaxMode || set.Secure {
		t.Fatalf("cookie flags: HttpOnly=%v SameSite=%v Secure=%v; want HttpOnly, Lax, not Secure over http", set.HttpOnly, set.SameSite, set.Secure)
	}
	first := b.cookie("practica_session")

	// Logging in again rotates the token and ends the old session.
	b.get("/login?next=/settings")
	b.login("alice", "password-alice")
	second := b.cookie("practica_session")
	if second == first || second == "" {
		t.Fatalf("the session token did not change on a second log-in")
	}
	old := s.browser()
	old.c.Jar.SetCookies(u, []*http.Cookie{{Name: "practica_session", Value: first, Path: "/"}})
	if p := old.get("/settings"); p.Status != http.StatusSeeOther {
		t.Fatalf("the replaced session still works: status %d", p.Status)
	}

	// After logout, the token is dead on the server, not only in the jar.
	b.get("/")
	b.post("/logout", nil)
	reuse := s.browser()
	reuse.c.Jar.SetCookies(u, []*http.Cookie{{Name: "practica_session", Value: second, Path: "/"}})
	if p := reuse.get("/settings"); p.Status != http.StatusSeeOther {
		t.Fatalf("a logged-out session still works: status %d", p.Status)
	}
}

func TestChecklist26CSRFRefused(t *testing.T) {
	t.Parallel()
	s := startSite(t)
	owner := s.account("owner", false)
	s.account("bob", false)
	s.community("garden", owner, "public", "open")

	// Logged out: the log-in form needs the token of its own page.
	anon := s.browser()
	p := anon.postRaw("/login", url.Values{"identifier": {"bob"}, "password": {"password-bob"}})
	wantStatus(t, "login without token", p, http.StatusForbidden)
	wantBody(t, "login without token", p, "did not come from this site")

	b := s.browser()
	b.login("bob", "password-bob")
	b.get("/c/garden")
	for _, form := range []url.Values{
		{},                    // no token
		{"csrf": {"forged"}},  // a wrong one
		{"csrf": {anon.csrf}}, // someone else's
	} {
		p := b.postRaw("/c/garden/join", form)
		wantStatus(t, "join with token "+form.Get("csrf"), p, http.StatusForbidden)
	}
	if p := b.get("/c/garden"); !strings.Contains(p.Body, "Join</button>") {
		t.Fatalf("a refused form still joined: %s", excerpt(p.Body))
	}
	p = b.post("/c/garden/join", nil)
	wantStatus(t, "join with the page's token", p, http.StatusSeeOther)
	wantBody(t, "member view", b.get("/c/garden"), "Start a thread", "Leave</button>")
}

func TestChecklist26LoginRateLimit(t *testing.T) {
	t.Parallel()
	s := startSite(t)
	s.account("alice", false)
	s.account("carol", false)

	// Per account: after 5 failures even the right password is refused,
	// from any address, with 429 and Retry-After.
	b := s.browser()
	b.header.Set("X-Forwarded-For", "10.1.1.1")
	b.get("/login")
	for i := 0; i < 5; i++ {
		p := b.post("/login", url.Values{"identifier": {"alice"}, "password": {"guess"}})
		wantStatus(t, "failed login", p, http.StatusUnauthorized)
	}
	other := s.browser()
	other.header.Set("X-Forwarded-For", "10.2.2.2")
	other.get("/login")
	p := other.post("/login", url.Values{"identifier": {"alice@example.org"}, "password": {"password-alice"}})
	wantStatus(t, "locked account", p, http.StatusTooManyRequests)
	wantBody(t, "locked account", p, "too many failed log-ins")
	if p.Header.Get("Retry-After") == "" {
		t.Fatal("429 without Retry-After")
	}

	// Per address: 20 failures from one address lock it for every account,
	// while another address still gets in.
	spray := s.browser()
	spray.header.Set("X-Forwarded-For", "10.3.3.3")
	spray.get("/login")
	for i := 0; i < 20; i++ {
		spray.post("/login", url.Values{"identifier": {"nobody" + strings.Repeat("x", i)}, "password": {"guess"}})
	}
	p = spray.post("/login", url.Values{"identifier": {"carol"}, "password": {"password-carol"}})
	wantStatus(t, "locked address", p, http.StatusTooManyRequests)
	fresh := s.browser()
	fresh.header.Set("X-Forwarded-For", "10.4.4.4")
	fresh.login("carol", "password-carol")
}
