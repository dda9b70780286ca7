package api_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"

	"github.com/labstack/echo/v4"

	"github.com/practica-social/practica/api"
	"github.com/practica-social/practica/models"
	"github.com/practica-social/practica/service"
)

// Two real instances: org-a's API finds a community of org-b through
// WebFinger and the Group actor, and remembers it.
func TestLookupFindsCommunitiesOnOtherServers(t *testing.T) {
	r := newRig(t)
	b := r.net.Start(t, "org-b.test")
	ada := r.user("ada")
	r.community("garden", ada, models.VisibilityPublic, models.JoinOpen)
	owner, err := b.Service.CreateAccount(r.ctx, service.NewAccount{Username: "bea", Email: "bea@example.org", Password: "long enough"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := b.Service.CreateCommunity(r.ctx, service.NewCommunity{Handle: "birds", Name: "Birdwatching", OwnerID: owner.ActorID}); err != nil {
		t.Fatal(err)
	}

	var c apiCommunity
	r.call(http.MethodGet, "/lookup?handle=@birds@org-b.test", ada.read, nil).ok(http.StatusOK, &c)
	if c.Handle != "birds@org-b.test" || c.Name != "Birdwatching" || c.Local || c.Membership == nil || c.Membership.State != "none" {
		t.Fatalf("looked up %+v", c)
	}
	// Now it is known here: listed, and addressable by its handle.
	r.call(http.MethodGet, "/communities/birds@org-b.test", ada.read, nil).ok(http.StatusOK, &c)
	var list page[apiCommunity]
	r.call(http.MethodGet, "/communities?q=bird", ada.read, nil).ok(http.StatusOK, &list)
	if len(list.Items) != 1 || list.Items[0].Handle != "birds@org-b.test" {
		t.Fatalf("directory after lookup: %+v", list)
	}
	// Joining a remote community sends a Follow and waits for its answer.
	var m apiMembership
	r.call(http.MethodPost, "/communities/birds@org-b.test/join", ada.write, nil).ok(http.StatusOK, &m)
	if m.State != "pending" && m.State != "accepted" {
		t.Fatalf("joining a remote community: %+v", m)
	}

	// Local handles need no federation; people are not communities.
	r.call(http.MethodGet, "/lookup?handle=garden@ORG-A.test", ada.read, nil).ok(http.StatusOK, &c)
	if c.Handle != "garden" || !c.Local {
		t.Fatalf("local lookup %+v", c)
	}
	r.call(http.MethodGet, "/lookup?handle=@bea@org-b.test", ada.read, nil).fails(http.StatusNotFound, "not_found", "")
	r.call(http.MethodGet, "/lookup?handle=@nobody@org-b.test", ada.read, nil).fails(http.StatusNotFound, "not_found", "")
	r.call(http.MethodGet, "/lookup?handle=@nobody@org-a.test", ada.read, nil).fails(http.StatusNotFound, "not_found", "community")

	for _, bad := range []string{"", "birds", "@birds", "birds@", "@birds@org-b.test/x", "a b@org-b.test"} {
		r.call(http.MethodGet, "/lookup?handle="+url.QueryEscape(bad), ada.read, nil).fails(http.StatusBadRequest, "invalid_request", "handle:")
	}
	r.call(http.MethodGet, "/lookup?handle=@birds@org-b.test", "", nil).fails(http.StatusUnauthorized, "unauthorized", "")
}

// fakeResolver answers lookups from a map and records what it was asked.
type fakeResolver struct {
	mu    sync.Mutex
	asked []string
	found map[string]*models.Community
	err   error
}

func (f *fakeResolver) LookupCommunity(_ context.Context, handle string) (*models.Community, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.asked = append(f.asked, handle)
	if f.err != nil {
		return nil, f.err
	}
	if c, ok := f.found[strings.ToLower(handle)]; ok {
		return c, nil
	}
	return nil, service.NotFound("community")
}

// The handler passes a normalised handle to the Resolver and its errors on
// unchanged; without a Resolver, remote lookups are unavailable.
func TestLookupUsesTheResolver(t *testing.T) {
	r := newRig(t)
	ada := r.user("ada")
	remote := r.remoteCommunity("org-z.test", "zed")
	fake := &fakeResolver{found: map[string]*models.Community{"zed@org-z.test": remote}}

	serve := func(res api.Resolver) (*httptest.Server, *error) {
		e := echo.New()
		var last error
		e.HTTPErrorHandler = func(err error, c echo.Context) {
			last = err
			_ = c.NoContent(http.StatusTeapot)
		}
		api.New(api.Deps{Service: r.inst.Service, Resolver: res, Version: "test"}).Register(e)
		srv := httptest.NewServer(e)
		t.Cleanup(srv.Close)
		return srv, &last
	}
	get := func(srv *httptest.Server, handle string) int {
		req, _ := http.NewRequest(http.MethodGet, srv.URL+"/api/v1/lookup?handle="+handle, nil)
		req.Header.Set("Authorization", "Bearer "+ada.read)
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		return res.StatusCode
	}

	srv, last := serve(fake)
	if code := get(srv, "@ZED@Org-Z.test."); code != http.StatusOK {
		t.Fatalf("lookup through the fake: %d (%v)", code, *last)
	}
	if len(fake.asked) != 1 || fake.asked[0] != "ZED@org-z.test" {
		t.Fatalf("resolver asked %q, want the handle with its host normalised", fake.asked)
	}
	if get(srv, "acct:other@org-z.test"); service.KindOf(*last) != service.KindNotFound {
		t.Fatalf("missing: %v", *last)
	}
	fake.err = &service.Error{Kind: service.KindUnavailable, Message: "org-z.test did not answer", Err: errors.New("timeout")}
	if get(srv, "zed@org-z.test"); service.KindOf(*last) != service.KindUnavailable {
		t.Fatalf("remote down: %v", *last)
	}

	srv, last = serve(nil)
	if get(srv, "zed@org-z.test"); service.KindOf(*last) != service.KindUnavailable {
		t.Fatalf("without a resolver: %v", *last)
	}
	if code := get(srv, "@ada@org-a.test"); code != http.StatusTeapot || service.KindOf(*last) != service.KindNotFound {
		t.Fatalf("a local person's handle: %d %v", code, *last)
	}
}
