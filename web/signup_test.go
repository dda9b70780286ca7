package web_test

import (
	"context"
	"net/http"
	"net/url"
	"regexp"
	"testing"

	"github.com/practica-social/practica/models"
)

func signupForm(name string) url.Values {
	return url.Values{"username": {name}, "email": {name + "@example.org"}, "password": {"password-" + name}, "display_name": {"Person " + name}}
}

func TestSignupOpen(t *testing.T) {
	t.Parallel()
	s := startSite(t)
	s.setMode(models.SignupOpen)
	b := s.browser()
	p := b.get("/signup")
	wantStatus(t, "form", p, http.StatusOK)
	wantBody(t, "form", p, `<label for="username">`, `<label for="email">`, `<label for="password">`)

	// A mistake comes back as the form with a message, input kept.
	bad := signupForm("dora")
	bad.Set("password", "short")
	p = b.post("/signup", bad)
	wantStatus(t, "short password", p, http.StatusUnprocessableEntity)
	wantBody(t, "short password", p, "at least 8 characters", `value="dora@example.org"`)

	p = b.post("/signup", signupForm("dora"))
	wantStatus(t, "sign-up", p, http.StatusSeeOther)
	p = b.get(p.Location)
	wantStatus(t, "welcome", p, http.StatusOK)
	wantBody(t, "welcome", p, "Welcome!", "@dora@org-a.test")

	// The handle is taken now.
	again := s.browser()
	again.get("/signup")
	form := signupForm("dora")
	form.Set("email", "other@example.org")
	wantStatus(t, "taken handle", again.post("/signup", form), http.StatusConflict)
}

func TestSignupApproval(t *testing.T) {
	t.Parallel()
	s := startSite(t)
	s.setMode(models.SignupApproval)
	s.account("admin", true)
	s.account("plain", false)
	b := s.browser()
	wantBody(t, "form", b.get("/signup"), "approved by an admin")
	p := b.post("/signup", signupForm("erin"))
	wantStatus(t, "sign-up", p, http.StatusOK)
	wantBody(t, "sign-up", p, "waiting for an admin")

	p = b.post("/login", url.Values{"identifier": {"erin"}, "password": {"password-erin"}})
	wantStatus(t, "login before approval", p, http.StatusForbidden)
	wantBody(t, "login before approval", p, "waiting for an admin")

	// Only admins see and decide.
	plain := s.browser()
	plain.login("plain", "password-plain")
	wantStatus(t, "admin page as non-admin", plain.get("/admin"), http.StatusForbidden)

	admin := s.browser()
	admin.login("admin", "password-admin")
	p = admin.get("/admin")
	wantStatus(t, "admin page", p, http.StatusOK)
	wantBody(t, "admin page", p, "@erin@org-a.test")
	acct, err := s.inst.Store.GetAccountByEmail(context.Background(), "erin@example.org")
	if err != nil {
		t.Fatal(err)
	}
	path := "/admin/accounts/" + itoa(acct.ID)
	plain.get("/settings")
	wantStatus(t, "approve as non-admin", plain.post(path, url.Values{"decision": {"approve"}}), http.StatusForbidden)
	wantStatus(t, "approve", admin.post(path, url.Values{"decision": {"approve"}}), http.StatusSeeOther)
	b.login("erin", "password-erin")
}

var inviteLink = regexp.MustCompile(`http://org-a\.test/signup\?invite=([A-Za-z0-9_-]+)`)

func TestSignupInviteAndClosed(t *testing.T) {
	t.Parallel()
	s := startSite(t)
	s.setMode(models.SignupInvite)
	s.account("admin", true)
	b := s.browser()
	wantBody(t, "form without invite", b.get("/signup"), "by invitation only")
	p := b.post("/signup", signupForm("finn"))
	wantStatus(t, "sign-up without invite", p, http.StatusForbidden)

	admin := s.browser()
	admin.login("admin", "password-admin")
	admin.get("/admin")
	p = admin.post("/admin/invites", url.Values{"max_uses": {"1"}, "days": {"7"}})
	wantStatus(t, "create invite", p, http.StatusSeeOther)
	p = admin.get(p.Location)
	m := inviteLink.FindStringSubmatch(p.Body)
	if m == nil {
		t.Fatalf("no invite link on the admin page: %s", excerpt(p.Body))
	}
	code := m[1]

	p = b.get("/signup?invite=" + code)
	wantBody(t, "invited form", p, "You were invited", `name="invite" value="`+code+`"`)
	form := signupForm("finn")
	form.Set("invite", code)
	wantStatus(t, "invited sign-up", b.post("/signup", form), http.StatusSeeOther)

	// Single use: the second person is told the link is spent.
	c := s.browser()
	wantBody(t, "spent invite page", c.get("/signup?invite="+code), "not valid any more")
	form = signupForm("gwen")
	form.Set("invite", code)
	c.csrf = c.cookie("practica_csrf") // the page had no form; a forged one carries the cookie's token
	wantStatus(t, "spent invite", c.post("/signup", form), http.StatusUnprocessableEntity)

	// Closed: no form, and a forged POST is refused.
	s.setMode(models.SignupClosed)
	d := s.browser()
	wantBody(t, "closed page", d.get("/signup"), "Sign-ups are closed")
	d.csrf = d.cookie("practica_csrf")
	wantStatus(t, "closed sign-up", d.post("/signup", signupForm("hana")), http.StatusForbidden)
}

func TestAdminSignupMode(t *testing.T) {
	t.Parallel()
	s := startSite(t)
	s.account("admin", true)
	admin := s.browser()
	admin.login("admin", "password-admin")
	admin.get("/admin")
	wantStatus(t, "set mode", admin.post("/admin/signup-mode", url.Values{"mode": {"open"}}), http.StatusSeeOther)
	mode, err := s.inst.Service.SignupMode(context.Background())
	if err != nil || mode != models.SignupOpen {
		t.Fatalf("mode %q, %v; want open", mode, err)
	}
	wantStatus(t, "bad mode", admin.post("/admin/signup-mode", url.Values{"mode": {"lottery"}}), http.StatusBadRequest)
}
