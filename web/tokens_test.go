package web_test

import (
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
)

var newTokenPattern = regexp.MustCompile(`<code id="new-token">([^<]+)</code>`)

// apiStatus calls an API endpoint with a bearer token.
func apiStatus(t *testing.T, s *site, token string) int {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, s.inst.BaseURL+"/api/v1/me", nil)
	req.Header.Set("Authorization", "Bearer "+token)
	res, err := s.net.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	return res.StatusCode
}

func TestSettingsCreateAndRevokeAccessTokens(t *testing.T) {
	s := startSite(t)
	s.account("ada", false)
	b := s.browser()
	if p := b.get("/settings/tokens"); p.Status != http.StatusSeeOther {
		t.Fatalf("logged out: status %d, want a redirect to log in", p.Status)
	}
	b.login("ada", "password-ada")
	wantStatus(t, "tokens page", b.get("/settings/tokens"), http.StatusOK)
	// CSRF is required, and a token needs a name.
	wantStatus(t, "no csrf", b.postRaw("/settings/tokens", url.Values{"name": {"x"}}), http.StatusForbidden)
	b.get("/settings/tokens")
	wantStatus(t, "no name", b.post("/settings/tokens", url.Values{"name": {" "}}), http.StatusUnprocessableEntity)

	b.get("/settings/tokens")
	p := b.post("/settings/tokens", url.Values{"name": {"laptop"}})
	wantStatus(t, "create", p, http.StatusCreated)
	m := newTokenPattern.FindStringSubmatch(p.Body)
	if m == nil {
		t.Fatalf("new token not shown: %s", excerpt(p.Body))
	}
	token := m[1]
	if !strings.Contains(p.Header.Get("Cache-Control"), "no-store") {
		t.Errorf("a page showing a secret must not be cached: %q", p.Header.Get("Cache-Control"))
	}
	if got := apiStatus(t, s, token); got != http.StatusOK {
		t.Fatalf("API with the new token: %d", got)
	}
	// Shown once: the list names it but never shows it again.
	p = b.get("/settings/tokens")
	wantBody(t, "list", p, "laptop")
	if newTokenPattern.MatchString(p.Body) {
		t.Fatal("token shown a second time")
	}
	id := regexp.MustCompile(`/settings/tokens/(\d+)/revoke`).FindStringSubmatch(p.Body)
	if id == nil {
		t.Fatalf("no revoke form: %s", excerpt(p.Body))
	}
	// Someone else cannot revoke it.
	s.account("eve", false)
	e := s.browser()
	e.login("eve", "password-eve")
	e.get("/settings/tokens")
	e.post("/settings/tokens/"+id[1]+"/revoke", nil)
	if got := apiStatus(t, s, token); got != http.StatusOK {
		t.Fatalf("another account revoked ada's token: API %d", got)
	}
	wantStatus(t, "revoke", b.post("/settings/tokens/"+id[1]+"/revoke", nil), http.StatusSeeOther)
	if got := apiStatus(t, s, token); got != http.StatusUnauthorized {
		t.Fatalf("API with a revoked token: %d, want 401", got)
	}
}
