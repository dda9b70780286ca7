package web_test

import (
	"context"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/labstack/echo/v4"
	"github.com/practica-social/practica/models"
	"github.com/practica-social/practica/service"
	"github.com/practica-social/practica/testrig"
	"github.com/practica-social/practica/web"
)

// pagesServer serves only the pages, with deps the full instance cannot
// take yet (a stub RemoteFollower), under the given base URL.
func pagesServer(t *testing.T, base string, remote web.RemoteFollower) (*service.Service, *browser) {
	t.Helper()
	st := testrig.NewStore(t)
	svc := service.New(service.Deps{Store: st, URLs: service.NewURLs(base), InstanceName: "Pages"})
	h, err := web.New(web.Deps{Service: svc, RemoteFollow: remote})
	if err != nil {
		t.Fatal(err)
	}
	e := echo.New()
	e.HTTPErrorHandler = func(err error, c echo.Context) {
		status := http.StatusInternalServerError
		if he, ok := err.(*echo.HTTPError); ok {
			status = he.Code
		} else {
			switch service.KindOf(err) {
			case service.KindInvalid:
				status = http.StatusBadRequest
			case service.KindNotFound:
				status = http.StatusNotFound
			case service.KindUnavailable:
				status = http.StatusServiceUnavailable
			}
		}
		_ = h.RenderError(c, status, service.SafeMessage(err, "error"))
	}
	e.Use(h.Session)
	e.GET("/c/:name", h.CommunityPage)
	h.Register(e)
	srv := httptest.NewServer(e)
	t.Cleanup(srv.Close)
	jar, _ := cookiejar.New(nil)
	b := &browser{t: t, header: http.Header{}, site: &site{t: t, inst: &testrig.Instance{BaseURL: srv.URL}},
		c: &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
	return svc, b
}

func TestRemoteFollowRedirects(t *testing.T) {
	t.Parallel()
	stub := stubFollower{template: "https://mastodon.example/authorize_interaction?uri={uri}"}
	svc, b := pagesServer(t, "http://org-a.test", stub)
	ctx := context.Background()
	owner, err := svc.CreateAccount(ctx, service.NewAccount{Username: "olga", Email: "o@example.org", Password: "password-olga"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := svc.CreateCommunity(ctx, service.NewCommunity{Handle: "garden", OwnerID: owner.ActorID}); err != nil {
		t.Fatal(err)
	}
	p := b.get("/c/garden")
	wantBody(t, "page", p, `action="/c/garden/remote-follow"`, `<label for="remote-handle">`)
	p = b.post("/c/garden/remote-follow", url.Values{"handle": {"@me@mastodon.example"}})
	wantStatus(t, "remote follow", p, http.StatusSeeOther)
	if want := "https://mastodon.example/authorize_interaction?uri=" + url.QueryEscape("http://org-a.test/c/garden"); p.Location != want {
		t.Fatalf("redirect to %q, want %q", p.Location, want)
	}
	for _, h := range []string{"not a handle", "me@", "me@host/path"} {
		p = b.post("/c/garden/remote-follow", url.Values{"handle": {h}})
		wantStatus(t, "remote follow "+h, p, http.StatusBadRequest)
		wantBody(t, "remote follow "+h, p, "type your handle as @you@your.server")
	}
	p = b.post("/c/garden/remote-follow", url.Values{"handle": {"@unknown@mastodon.example"}})
	wantStatus(t, "unknown account", p, http.StatusBadRequest)
	wantBody(t, "unknown account", p, "search for @garden@org-a.test on your server")
}

func TestRemoteFollowRefusesOddTemplates(t *testing.T) {
	t.Parallel()
	for _, tmpl := range []string{"javascript:alert('{uri}')", "/relative?uri={uri}", "https://no-placeholder.example/"} {
		svc, b := pagesServer(t, "http://org-a.test", stubFollower{template: tmpl})
		if _, err := svc.CreateCommunity(context.Background(), service.NewCommunity{Handle: "garden"}); err != nil {
			t.Fatal(err)
		}
		b.get("/c/garden")
		p := b.post("/c/garden/remote-follow", url.Values{"handle": {"me@mastodon.example"}})
		wantStatus(t, tmpl, p, http.StatusBadRequest)
	}
}

func TestRemoteFollowNeedsAResolver(t *testing.T) {
	t.Parallel()
	svc, b := pagesServer(t, "http://org-a.test", nil)
	if _, err := svc.CreateCommunity(context.Background(), service.NewCommunity{Handle: "garden"}); err != nil {
		t.Fatal(err)
	}
	p := b.get("/c/garden")
	if strings.Contains(p.Body, "remote-follow") {
		t.Fatal("the form is offered without a resolver")
	}
	wantBody(t, "advice", p, "Search for <code>@garden@org-a.test</code>")
	b.csrf = b.cookie("practica_csrf")
	wantStatus(t, "forged post", b.post("/c/garden/remote-follow", url.Values{"handle": {"me@mastodon.example"}}), http.StatusServiceUnavailable)
}

func TestSecureCookiesOverHTTPS(t *testing.T) {
	t.Parallel()
	svc, b := pagesServer(t, "https://org-a.example", nil)
	if _, err := svc.CreateAccount(context.Background(), service.NewAccount{Username: "olga", Email: "o@example.org", Password: "password-olga"}); err != nil {
		t.Fatal(err)
	}
	if err := svc.SetSignupMode(context.Background(), 0, models.SignupOpen); service.KindOf(err) != service.KindForbidden {
		t.Fatalf("sign-up mode set without an admin: %v", err)
	}
	p := b.get("/login")
	var csrf *http.Cookie
	for _, c := range p.Cookies {
		if c.Name == "practica_csrf" {
			csrf = c
		}
	}
	if csrf == nil || !csrf.Secure || !csrf.HttpOnly {
		t.Fatalf("CSRF cookie over https: %+v", csrf)
	}
	// The jar does not send Secure cookies over the test's plain http, so
	// hand it over as a browser on https would.
	form := url.Values{"identifier": {"olga"}, "password": {"password-olga"}, "csrf": {csrf.Value}}
	req, _ := http.NewRequest(http.MethodPost, b.site.inst.BaseURL+"/login", strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.AddCookie(&http.Cookie{Name: "practica_csrf", Value: csrf.Value})
	p = b.do(req)
	wantStatus(t, "login", p, http.StatusSeeOther)
	for _, c := range p.Cookies {
		if c.Name == "practica_session" && (!c.Secure || !c.HttpOnly || c.SameSite != http.SameSiteLaxMode) {
			t.Fatalf("session cookie over https: %+v", c)
		}
	}
}
