package web_test

import (
	"context"
	"html"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/practica-social/practica/models"
	"github.com/practica-social/practica/service"
	"github.com/practica-social/practica/testrig"
)

// site is one test instance and the network it runs on.
type site struct {
	t    *testing.T
	net  *testrig.Network
	inst *testrig.Instance
}

// startSite runs a whole instance at org-a.test.
func startSite(t *testing.T) *site {
	t.Helper()
	n := testrig.NewNetwork()
	return &site{t: t, net: n, inst: n.Start(t, "org-a.test")}
}

// setMode sets the instance's sign-up mode directly in the store.
func (s *site) setMode(m models.SignupMode) {
	s.t.Helper()
	if err := s.inst.Store.PutSetting(context.Background(), service.SettingSignupMode, string(m)); err != nil {
		s.t.Fatal(err)
	}
}

// account creates an approved account name with password "password-"+name.
func (s *site) account(name string, admin bool) *models.Account {
	s.t.Helper()
	a, err := s.inst.Service.CreateAccount(context.Background(), service.NewAccount{
		Username: name, Email: name + "@example.org", Password: "password-" + name, Admin: admin,
	})
	if err != nil {
		s.t.Fatal(err)
	}
	return a
}

// community creates a local community owned by owner.
func (s *site) community(handle string, owner *models.Account, vis models.Visibility, join models.JoinPolicy) *models.Community {
	s.t.Helper()
	c, err := s.inst.Service.CreateCommunity(context.Background(), service.NewCommunity{
		Handle: handle, Name: strings.ToUpper(handle[:1]) + handle[1:], Summary: "About **" + handle + "**",
		Topics: []string{"soil", "compost"}, Visibility: vis, JoinPolicy: join, OwnerID: owner.ActorID,
	})
	if err != nil {
		s.t.Fatal(err)
	}
	return c
}

// browser is an HTTP client with its own cookie jar that remembers the
// CSRF token of the last page it loaded, as a real browser's forms would.
type browser struct {
	t    *testing.T
	site *site
	c    *http.Client
	csrf string
	// header is added to every request (X-Forwarded-For in rate tests).
	header http.Header
}

func (s *site) browser() *browser {
	jar, err := cookiejar.New(nil)
	if err != nil {
		s.t.Fatal(err)
	}
	base := s.net.Client()
	return &browser{t: s.t, site: s, header: http.Header{}, c: &http.Client{
		Transport: base.Transport, Jar: jar, Timeout: base.Timeout,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}}
}

var csrfPattern = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

// page is a response read whole.
type page struct {
	Status   int
	Body     string
	Location string
	Header   http.Header
	Cookies  []*http.Cookie
}

func (b *browser) do(req *http.Request) page {
	b.t.Helper()
	req.Header.Set("Accept", "text/html")
	for k, v := range b.header {
		req.Header[k] = v
	}
	res, err := b.c.Do(req)
	if err != nil {
		b.t.Fatalf("%s %s: %v", req.Method, req.URL, err)
	}
	defer res.Body.Close()
	body, err := io.ReadAll(res.Body)
	if err != nil {
		b.t.Fatal(err)
	}
	p := page{Status: res.StatusCode, Body: string(body), Location: res.Header.Get("Location"), Header: res.Header, Cookies: res.Cookies()}
	if m := csrfPattern.FindStringSubmatch(p.Body); m != nil {
		b.csrf = html.UnescapeString(m[1])
	}
	return p
}

// get loads a page.
func (b *browser) get(path string) page {
	b.t.Helper()
	req, err := http.NewRequest(http.MethodGet, b.site.inst.BaseURL+path, nil)
	if err != nil {
		b.t.Fatal(err)
	}
	return b.do(req)
}

// post sends a form with the CSRF token of the last page loaded.
func (b *browser) post(path string, form url.Values) page {
	b.t.Helper()
	if form == nil {
		form = url.Values{}
	}
	if _, ok := form["csrf"]; !ok {
		form.Set("csrf", b.csrf)
	}
	return b.postRaw(path, form)
}

// postRaw sends a form as given.
func (b *browser) postRaw(path string, form url.Values) page {
	b.t.Helper()
	req, err := http.NewRequest(http.MethodPost, b.site.inst.BaseURL+path, strings.NewReader(form.Encode()))
	if err != nil {
		b.t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return b.do(req)
}

// login logs in through the form and fails the test unless it worked.
func (b *browser) login(identifier, password string) {
	b.t.Helper()
	b.get("/login")
	p := b.post("/login", url.Values{"identifier": {identifier}, "password": {password}})
	if p.Status != http.StatusSeeOther {
		b.t.Fatalf("login %s: status %d: %s", identifier, p.Status, excerpt(p.Body))
	}
}

// cookie returns the value of a cookie the jar holds for the site.
func (b *browser) cookie(name string) string {
	u, _ := url.Parse(b.site.inst.BaseURL)
	for _, c := range b.c.Jar.Cookies(u) {
		if c.Name == name {
			return c.Value
		}
	}
	return ""
}

// excerpt shortens a body for failure messages, keeping main's text.
func excerpt(body string) string {
	if i := strings.Index(body, `<main`); i >= 0 {
		body = body[i:]
	}
	if len(body) > 1500 {
		body = body[:1500] + "…"
	}
	return body
}

// wantStatus fails unless p has the status.
func wantStatus(t *testing.T, what string, p page, status int) {
	t.Helper()
	if p.Status != status {
		t.Fatalf("%s: status %d, want %d: %s", what, p.Status, status, excerpt(p.Body))
	}
}

// wantBody fails unless p's body contains every one of subs.
func wantBody(t *testing.T, what string, p page, subs ...string) {
	t.Helper()
	for _, s := range subs {
		if !strings.Contains(p.Body, s) {
			t.Fatalf("%s: body lacks %q: %s", what, s, excerpt(p.Body))
		}
	}
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }
