package api_test

import (
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/practica-social/practica/api"
	"github.com/practica-social/practica/models"
)

func TestCreateCommunity(t *testing.T) {
	r := newRig(t)
	ada := r.user("ada")

	resp := r.call(http.MethodPost, "/communities", ada.write, map[string]any{
		"handle": "Gardening", "name": "Urban Gardening", "summary": "Growing *food*", "topics": []string{"soil", "#compost"},
		"visibility": "public", "join_policy": "approval",
	})
	var c apiCommunity
	resp.ok(http.StatusCreated, &c)
	if loc := resp.header.Get("Location"); loc != "/api/v1/communities/gardening" {
		t.Errorf("Location %q", loc)
	}
	if c.Handle != "gardening" || c.Acct != "gardening@org-a.test" || c.Name != "Urban Gardening" || !c.Local ||
		strings.Join(c.Topics, ",") != "soil,compost" || c.JoinPolicy != "approval" || !strings.Contains(c.Summary, "<em>food</em>") {
		t.Fatalf("created %+v", c)
	}
	if c.Membership == nil || c.Membership.State != "accepted" || c.Membership.Role != "owner" || c.MemberCount == nil || *c.MemberCount != 1 {
		t.Fatalf("owner's standing: %+v count %v", c.Membership, c.MemberCount)
	}
	if strings.Contains(string(resp.body), "PRIVATE KEY") || strings.Contains(string(resp.body), "PUBLIC KEY") {
		t.Fatalf("the community's keys leak: %s", resp.body)
	}

	// A taken handle is a conflict.
	r.call(http.MethodPost, "/communities", ada.write, map[string]any{"handle": "gardening"}).fails(http.StatusConflict, "conflict", "gardening")

	// Validation names the field.
	for _, c := range []struct {
		body any
		part string
	}{
		{map[string]any{}, "handle: required"},
		{map[string]any{"handle": "bad handle"}, "handle"},
		{map[string]any{"handle": "x", "visibility": "secret"}, "visibility"},
		{map[string]any{"handle": "x", "join_policy": "lottery"}, "join policy"},
		{map[string]any{"handle": "x", "colour": "red"}, "colour: unknown field"},
		{map[string]any{"handle": 42}, "handle: must be a string"},
		{map[string]any{"handle": "x", "topics": "soil"}, "topics: must be an array"},
		{`{"handle": "x"`, "body:"},
		{`{"handle": "x"} {"handle": "y"}`, "body: the body must hold one JSON object"},
		{`[1, 2]`, "body: must be a JSON object"},
		{"", "body: a JSON object is required"},
	} {
		r.call(http.MethodPost, "/communities", ada.write, c.body).fails(http.StatusBadRequest, "invalid_request", c.part)
	}

	// Only JSON is accepted.
	req, _ := http.NewRequest(http.MethodPost, r.inst.BaseURL+"/api/v1/communities", strings.NewReader("handle=x"))
	req.Header.Set("Authorization", "Bearer "+ada.write)
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	res, err := r.client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusBadRequest {
		t.Errorf("form body: status %d, want 400", res.StatusCode)
	}

	// Over the size cap: 413, whether the length is announced or not.
	big := `{"handle": "x", "summary": "` + strings.Repeat("a", api.MaxBodyBytes) + `"}`
	r.call(http.MethodPost, "/communities", ada.write, big).fails(http.StatusRequestEntityTooLarge, "too_large", "KiB")
	req, _ = http.NewRequest(http.MethodPost, r.inst.BaseURL+"/api/v1/communities", struct{ *strings.Reader }{strings.NewReader(big)})
	req.Header.Set("Authorization", "Bearer "+ada.write)
	req.Header.Set("Content-Type", "application/json")
	res, err = r.client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusRequestEntityTooLarge {
		t.Errorf("chunked big body: status %d, want 413", res.StatusCode)
	}
}

func TestListCommunitiesPagesAndSearches(t *testing.T) {
	r := newRig(t)
	ada, bob := r.user("ada"), r.user("bob")
	var want []string
	for i := range 7 {
		h := fmt.Sprintf("group%d", i)
		r.community(h, ada, models.VisibilityPublic, models.JoinOpen, "topic"+h)
		want = append(want, h)
	}
	remote := r.remoteCommunity("org-z.test", "faraway", "permaculture")
	want = append(want, "faraway@org-z.test")
	secret := r.community("secret", ada, models.VisibilityMembers, models.JoinApproval)
	slices.Reverse(want) // newest first

	// Bob, an outsider, pages through everything but the members-only one.
	got, pages := walk[apiCommunity](r, "/communities", bob.read, 3)
	var handles []string
	for _, c := range got {
		handles = append(handles, c.Handle)
	}
	if strings.Join(handles, " ") != strings.Join(want, " ") || pages != 3 {
		t.Fatalf("bob sees %v in %d pages, want %v in 3", handles, pages, want)
	}
	// Exactly one page when it fits: no empty last page.
	if _, pages := walk[apiCommunity](r, "/communities", bob.read, 8); pages != 1 {
		t.Fatalf("8 communities with limit 8 took %d pages", pages)
	}
	// Its owner sees the members-only community too.
	got, _ = walk[apiCommunity](r, "/communities", ada.read, 100)
	if len(got) != 9 || got[0].Handle != secret.Actor.Username {
		t.Fatalf("ada sees %d communities, first %q", len(got), got[0].Handle)
	}

	// Search by name, topic and host; LIKE wildcards match themselves.
	for q, want := range map[string]string{
		"GROUP3": "group3", "topicgroup5": "group5", "permaculture": remote.Actor.Username + "@org-z.test",
		"org-z": "faraway@org-z.test", "%": "", "secret": "",
	} {
		var p page[apiCommunity]
		r.call(http.MethodGet, "/communities?q="+url.QueryEscape(q), bob.read, nil).ok(http.StatusOK, &p)
		var hs []string
		for _, c := range p.Items {
			hs = append(hs, c.Handle)
		}
		if strings.Join(hs, " ") != want {
			t.Errorf("q=%s: %v, want %q", q, hs, want)
		}
	}

	// Bad paging parameters name themselves; a big limit is capped.
	r.call(http.MethodGet, "/communities?limit=0", bob.read, nil).fails(http.StatusBadRequest, "invalid_request", "limit:")
	r.call(http.MethodGet, "/communities?limit=ten", bob.read, nil).fails(http.StatusBadRequest, "invalid_request", "limit:")
	r.call(http.MethodGet, "/communities?cursor=bogus", bob.read, nil).fails(http.StatusBadRequest, "invalid_request", "cursor:")
	var first page[apiCommunity]
	r.call(http.MethodGet, "/communities?limit=1", bob.read, nil).ok(http.StatusOK, &first)
	var threads page[apiPost]
	r.call(http.MethodGet, "/communities/group0/threads?cursor="+first.NextCursor, bob.read, nil).fails(http.StatusBadRequest, "invalid_request", "cursor:")
	r.call(http.MethodGet, "/communities?limit=100000", bob.read, nil).ok(http.StatusOK, &threads)
	r.call(http.MethodGet, "/communities?q="+strings.Repeat("x", 201), bob.read, nil).fails(http.StatusBadRequest, "invalid_request", "q:")
}

func TestGetCommunity(t *testing.T) {
	r := newRig(t)
	ada, bob := r.user("ada"), r.user("bob")
	r.community("garden", ada, models.VisibilityPublic, models.JoinOpen)
	r.community("secret", ada, models.VisibilityMembers, models.JoinApproval)
	r.remoteCommunity("org-z.test", "faraway")

	var c apiCommunity
	r.call(http.MethodGet, "/communities/garden", bob.read, nil).ok(http.StatusOK, &c)
	if c.Handle != "garden" || c.MemberCount == nil || *c.MemberCount != 1 || c.Membership == nil || c.Membership.State != "none" {
		t.Fatalf("garden for bob: %+v", c)
	}
	r.call(http.MethodGet, "/communities/@GARDEN", bob.read, nil).ok(http.StatusOK, &c)
	r.call(http.MethodGet, "/communities/garden@org-a.test", bob.read, nil).ok(http.StatusOK, &c)

	// A members-only community's profile is public (people need it to ask
	// to join); its size is not.
	c = apiCommunity{}
	r.call(http.MethodGet, "/communities/secret", bob.read, nil).ok(http.StatusOK, &c)
	if c.Visibility != "members" || c.MemberCount != nil {
		t.Fatalf("secret for bob: %+v", c)
	}
	r.call(http.MethodGet, "/communities/secret", ada.read, nil).ok(http.StatusOK, &c)
	if c.MemberCount == nil || c.Membership.Role != "owner" {
		t.Fatalf("secret for ada: %+v", c)
	}

	c = apiCommunity{}
	r.call(http.MethodGet, "/communities/faraway@org-z.test", bob.read, nil).ok(http.StatusOK, &c)
	if c.Handle != "faraway@org-z.test" || c.Local || c.MemberCount != nil {
		t.Fatalf("remote: %+v", c)
	}
	r.call(http.MethodGet, "/communities/faraway%40org-z.test", bob.read, nil).ok(http.StatusOK, nil)

	for _, h := range []string{"nothing", "faraway@org-y.test", "bob"} {
		r.call(http.MethodGet, "/communities/"+h, bob.read, nil).fails(http.StatusNotFound, "not_found", "community")
	}
}

func TestUpdateCommunity(t *testing.T) {
	r := newRig(t)
	ada, bob := r.user("ada"), r.user("bob")
	r.community("garden", ada, models.VisibilityPublic, models.JoinOpen, "soil")
	r.remoteCommunity("org-z.test", "faraway")

	var c apiCommunity
	r.call(http.MethodPatch, "/communities/garden", ada.write, map[string]any{"summary": "Now **bold**", "join_policy": "approval"}).ok(http.StatusOK, &c)
	if c.Name != "The garden" || !strings.Contains(c.Summary, "<strong>bold</strong>") || c.JoinPolicy != "approval" ||
		strings.Join(c.Topics, ",") != "soil" || c.Visibility != "public" {
		t.Fatalf("after a partial update: %+v", c)
	}
	r.call(http.MethodPatch, "/communities/garden", ada.write, map[string]any{"topics": []string{}, "name": "Gardens"}).ok(http.StatusOK, &c)
	if c.Name != "Gardens" || len(c.Topics) != 0 || c.JoinPolicy != "approval" {
		t.Fatalf("after a second update: %+v", c)
	}

	r.call(http.MethodPatch, "/communities/garden", ada.write, map[string]any{"visibility": "secret"}).fails(http.StatusBadRequest, "invalid_request", "visibility")
	r.call(http.MethodPatch, "/communities/garden", ada.write, map[string]any{"handle": "other"}).fails(http.StatusBadRequest, "invalid_request", "handle: unknown field")
	r.call(http.MethodPatch, "/communities/garden", bob.write, map[string]any{"name": "Mine"}).fails(http.StatusForbidden, "forbidden", "moderators")
	r.call(http.MethodPatch, "/communities/garden", ada.read, map[string]any{"name": "Mine"}).fails(http.StatusForbidden, "forbidden", "write scope")
	r.call(http.MethodPatch, "/communities/faraway@org-z.test", ada.write, map[string]any{"name": "Mine"}).fails(http.StatusForbidden, "forbidden", "")
	r.call(http.MethodPatch, "/communities/nothing", ada.write, map[string]any{"name": "Mine"}).fails(http.StatusNotFound, "not_found", "community")
}
