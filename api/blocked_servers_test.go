package api_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/practica-social/practica/models"
	"github.com/practica-social/practica/service"
)

type apiBlockedServer struct {
	Host      string `json:"host"`
	Reason    string `json:"reason"`
	CreatedAt string `json:"created_at"`
}

type apiServerBlocked struct {
	Block apiBlockedServer `json:"block"`
	Ended struct {
		Memberships int64 `json:"memberships"`
		Follows     int64 `json:"follows"`
		Deliveries  int64 `json:"deliveries"`
	} `json:"ended"`
}

// admin is a local admin with tokens.
func (r *rig) admin(name string) *user {
	r.t.Helper()
	acct, err := r.inst.Service.CreateAccount(r.ctx, service.NewAccount{Username: name, Email: name + "@example.org", Password: "long enough", Admin: true})
	if err != nil {
		r.t.Fatal(err)
	}
	u := &user{acct: acct}
	if u.read, _, err = r.inst.Service.CreateAccessToken(r.ctx, acct.ID, "reader", []string{models.ScopeRead}); err != nil {
		r.t.Fatal(err)
	}
	if u.write, _, err = r.inst.Service.CreateAccessToken(r.ctx, acct.ID, "writer", []string{models.ScopeWrite}); err != nil {
		r.t.Fatal(err)
	}
	return u
}

// spamRelations ties spam.example to this server, straight in the store so
// that the counts are exact: a member of c there, a follow of it by u, and
// two deliveries waiting for it (one on a subdomain), due only tomorrow so
// that no worker tries them meanwhile. One delivery to org-b.test must
// survive the block. It returns the remote member.
func (r *rig) spamRelations(u *user, c *models.Community) *models.Actor {
	r.t.Helper()
	spammer := &models.Actor{IRI: "http://spam.example/u/spammer", Type: models.ActorPerson, Username: "spammer", Host: "spam.example",
		InboxURL: "http://spam.example/u/spammer/inbox", Published: time.Now()}
	if err := r.inst.Store.UpsertRemoteActor(r.ctx, spammer); err != nil {
		r.t.Fatal(err)
	}
	if err := r.inst.Store.PutMember(r.ctx, &models.Member{CommunityID: c.ID, ActorID: spammer.ID, Role: models.RoleMember,
		State: models.MemberAccepted, FollowIRI: spammer.IRI + "#join"}); err != nil {
		r.t.Fatal(err)
	}
	if err := r.inst.Store.PutFollow(r.ctx, &models.Follow{ActorID: u.actorID(), TargetActorID: spammer.ID,
		State: models.FollowAccepted, ActivityIRI: r.inst.BaseURL + "/activities/follow-spammer"}); err != nil {
		r.t.Fatal(err)
	}
	act := &models.Activity{IRI: r.inst.BaseURL + "/activities/for-spam", Type: "Create", ActorID: u.actorID(), Local: true, JSON: "{}"}
	if err := r.inst.Store.CreateActivity(r.ctx, act); err != nil {
		r.t.Fatal(err)
	}
	inboxes := []string{"http://spam.example/inbox", "http://eu.spam.example/inbox", "http://org-b.test/inbox"}
	if _, err := r.inst.Store.CreateDeliveries(r.ctx, act.ID, inboxes, 0, time.Now().Add(24*time.Hour)); err != nil {
		r.t.Fatal(err)
	}
	return spammer
}

// TestBlockServerThroughTheAPI: an admin's token blocks a server named by
// a URL, learns exactly what the block ended, everyone sees it listed, and
// the admin lifts it again.
func TestBlockServerThroughTheAPI(t *testing.T) {
	r := newRig(t)
	root, ada := r.admin("root"), r.user("ada")
	c := r.community("garden", ada, models.VisibilityPublic, models.JoinOpen)
	spammer := r.spamRelations(ada, c)

	var list page[apiBlockedServer]
	resp := r.call(http.MethodGet, "/admin/blocked-servers", ada.read, nil)
	resp.ok(http.StatusOK, &list)
	if list.Items == nil || len(list.Items) != 0 || list.NextCursor != "" {
		t.Fatalf("before any block: %s", resp.body)
	}

	var out apiServerBlocked
	r.call(http.MethodPost, "/admin/blocked-servers", root.write,
		map[string]string{"host": "https://Spam.Example/about", "reason": "  sells things  "}).ok(http.StatusCreated, &out)
	if out.Block.Host != "spam.example" || out.Block.Reason != "sells things" || out.Block.CreatedAt == "" {
		t.Fatalf("block %+v", out.Block)
	}
	if e := out.Ended; e.Memberships != 1 || e.Follows != 1 || e.Deliveries != 2 {
		t.Fatalf("ended %+v; want 1 membership, 1 follow, 2 deliveries", e)
	}
	if _, err := r.inst.Store.GetMember(r.ctx, c.ID, spammer.ID); err == nil {
		t.Fatal("the blocked server's member is still a member")
	}
	if !r.inst.Service.HostBlocked(r.ctx, "eu.spam.example") {
		t.Fatal("the subdomain is not blocked")
	}

	// The list is public, as on the About page: any token reads it, and
	// it does not say which admin blocked.
	list = page[apiBlockedServer]{}
	resp = r.call(http.MethodGet, "/admin/blocked-servers", ada.read, nil)
	resp.ok(http.StatusOK, &list)
	if len(list.Items) != 1 || list.Items[0].Host != "spam.example" || list.Items[0].Reason != "sells things" {
		t.Fatalf("list %s", resp.body)
	}
	if strings.Contains(string(resp.body), "created_by") || strings.Contains(string(resp.body), "root") {
		t.Fatalf("the public list names the admin: %s", resp.body)
	}

	r.call(http.MethodDelete, "/admin/blocked-servers/spam.example", root.write, nil).ok(http.StatusNoContent, nil)
	if r.inst.Service.HostBlocked(r.ctx, "spam.example") {
		t.Fatal("still blocked after the unblock")
	}
	list = page[apiBlockedServer]{}
	r.call(http.MethodGet, "/admin/blocked-servers", root.read, nil).ok(http.StatusOK, &list)
	if len(list.Items) != 0 {
		t.Fatalf("after the unblock: %+v", list.Items)
	}
}

// TestBlockServerAPIRefusals: only admins block and unblock; a bad or
// own host is 400, a second block 409, lifting a block that is not there
// 404.
func TestBlockServerAPIRefusals(t *testing.T) {
	r := newRig(t)
	root, ada := r.admin("root"), r.user("ada")
	body := map[string]string{"host": "spam.example", "reason": "spam"}

	r.call(http.MethodPost, "/admin/blocked-servers", ada.write, body).fails(http.StatusForbidden, "forbidden", "admin")
	r.call(http.MethodPost, "/admin/blocked-servers", root.read, body).fails(http.StatusForbidden, "forbidden", "write scope")
	r.call(http.MethodPost, "/admin/blocked-servers", "", body).fails(http.StatusUnauthorized, "unauthorized", "")
	r.call(http.MethodPost, "/admin/blocked-servers", root.write, map[string]string{"host": "not a host"}).
		fails(http.StatusBadRequest, "invalid_request", "host name")
	r.call(http.MethodPost, "/admin/blocked-servers", root.write, map[string]string{"host": "https://org-a.test/c/x"}).
		fails(http.StatusBadRequest, "invalid_request", "own domain")
	r.call(http.MethodPost, "/admin/blocked-servers", root.write, map[string]string{"reason": "no host"}).
		fails(http.StatusBadRequest, "invalid_request", "host: required")
	r.call(http.MethodPost, "/admin/blocked-servers", root.write, map[string]any{"host": "spam.example", "why": "typo"}).
		fails(http.StatusBadRequest, "invalid_request", "why: unknown field")
	r.call(http.MethodPost, "/admin/blocked-servers", root.write, map[string]string{"host": "spam.example", "reason": strings.Repeat("x", 1001)}).
		fails(http.StatusBadRequest, "invalid_request", "too long")
	var list page[apiBlockedServer]
	r.call(http.MethodGet, "/admin/blocked-servers", root.read, nil).ok(http.StatusOK, &list)
	if len(list.Items) != 0 {
		t.Fatalf("a refused request blocked something: %+v", list.Items)
	}

	r.call(http.MethodPost, "/admin/blocked-servers", root.write, body).ok(http.StatusCreated, nil)
	r.call(http.MethodPost, "/admin/blocked-servers", root.write, body).fails(http.StatusConflict, "conflict", "blocked already")
	r.call(http.MethodPost, "/admin/blocked-servers", root.write, map[string]string{"host": "eu.spam.example"}).
		fails(http.StatusConflict, "conflict", "with spam.example")

	r.call(http.MethodDelete, "/admin/blocked-servers/spam.example", ada.write, nil).fails(http.StatusForbidden, "forbidden", "admin")
	r.call(http.MethodDelete, "/admin/blocked-servers/spam.example", root.read, nil).fails(http.StatusForbidden, "forbidden", "write scope")
	r.call(http.MethodDelete, "/admin/blocked-servers/other.example", root.write, nil).fails(http.StatusNotFound, "not_found", "other.example")
	r.call(http.MethodDelete, "/admin/blocked-servers/not_a_host", root.write, nil).fails(http.StatusBadRequest, "invalid_request", "host name")
	if !r.inst.Service.HostBlocked(r.ctx, "spam.example") {
		t.Fatal("a refused unblock lifted the block")
	}
	r.call(http.MethodDelete, "/admin/blocked-servers/spam.example", root.write, nil).ok(http.StatusNoContent, nil)
	r.call(http.MethodDelete, "/admin/blocked-servers/spam.example", root.write, nil).fails(http.StatusNotFound, "not_found", "spam.example")
}
