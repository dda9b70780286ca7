package service_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/practica-social/practica/models"
	"github.com/practica-social/practica/service"
)

func (f *fixture) post(author *models.Actor, c *models.Community, title string, replyTo *models.Post) *models.Post {
	f.t.Helper()
	in := service.NewPost{AuthorID: author.ID, CommunityID: c.ID, Title: title, Body: "Body " + title}
	if replyTo != nil {
		in.Title, in.InReplyToID = "", replyTo.ID
	}
	p, err := f.svc.CreatePost(f.ctx, in)
	if err != nil {
		f.t.Fatal(err)
	}
	return p
}

func TestCommunityDirectoryPagesWithoutAnEmptyLastPage(t *testing.T) {
	f := newFixture(t)
	ada, bob := f.person("ada"), f.person("bob")
	for i := range 4 {
		f.community(fmt.Sprintf("c%d", i), ada, models.VisibilityPublic, models.JoinOpen)
	}
	secret := f.community("secret", ada, models.VisibilityMembers, models.JoinOpen)

	var got []string
	var before int64
	pages := 0
	for {
		p, err := f.svc.CommunityDirectory(f.ctx, "", service.Viewer{ActorID: bob.ID}, before, 2)
		if err != nil {
			t.Fatal(err)
		}
		pages++
		for _, c := range p.Items {
			got = append(got, c.Actor.Username)
		}
		if before = p.Next; before == 0 {
			break
		}
	}
	if strings.Join(got, " ") != "c3 c2 c1 c0" || pages != 2 {
		t.Fatalf("outsider's directory %v in %d pages, want c3..c0 in 2", got, pages)
	}
	p, err := f.svc.CommunityDirectory(f.ctx, "SECRET", service.Viewer{ActorID: ada.ID}, 0, 10)
	if err != nil || len(p.Items) != 1 || p.Items[0].ID != secret.ID {
		t.Fatalf("member's search for the members-only community: %+v %v", p, err)
	}
	if p, _ := f.svc.CommunityDirectory(f.ctx, "secret", service.Anonymous, 0, 10); len(p.Items) != 0 {
		t.Fatalf("anonymous search finds the members-only community: %+v", p.Items)
	}
	if _, err := f.svc.CommunityDirectory(f.ctx, strings.Repeat("x", 201), service.Anonymous, 0, 10); service.KindOf(err) != service.KindInvalid {
		t.Fatalf("long query: %v", err)
	}
}

func TestCommunityThreadsHideMembersOnlySpaces(t *testing.T) {
	f := newFixture(t)
	ada, eve := f.person("ada"), f.person("eve")
	secret := f.community("secret", ada, models.VisibilityMembers, models.JoinOpen)
	open := f.community("open", ada, models.VisibilityPublic, models.JoinOpen)
	f.post(ada, secret, "Hidden", nil)
	for i := range 3 {
		f.post(ada, open, fmt.Sprintf("T%d", i), nil)
	}

	if _, err := f.svc.CommunityThreads(f.ctx, secret, service.Viewer{ActorID: eve.ID}, 0, 10); service.KindOf(err) != service.KindNotFound {
		t.Fatalf("outsider: %v, want not found", err)
	}
	if _, err := f.svc.CommunityThreads(f.ctx, secret, service.Anonymous, 0, 10); service.KindOf(err) != service.KindNotFound {
		t.Fatalf("anonymous: %v, want not found", err)
	}
	p, err := f.svc.CommunityThreads(f.ctx, secret, service.Viewer{ActorID: ada.ID}, 0, 10)
	if err != nil || len(p.Items) != 1 {
		t.Fatalf("member: %+v %v", p, err)
	}

	p, err = f.svc.CommunityThreads(f.ctx, open, service.Viewer{ActorID: eve.ID}, 0, 3)
	if err != nil || len(p.Items) != 3 || p.Next != 0 {
		t.Fatalf("exactly one page: %d items, next %d, %v", len(p.Items), p.Next, err)
	}
	p, _ = f.svc.CommunityThreads(f.ctx, open, service.Viewer{ActorID: eve.ID}, 0, 2)
	if len(p.Items) != 2 || p.Next != p.Items[1].ID {
		t.Fatalf("first of two pages: %d items, next %d", len(p.Items), p.Next)
	}
	p, _ = f.svc.CommunityThreads(f.ctx, open, service.Viewer{ActorID: eve.ID}, p.Next, 2)
	if len(p.Items) != 1 || p.Items[0].Title != "T0" || p.Next != 0 {
		t.Fatalf("second page: %+v", p)
	}
}

func TestPostWithReplies(t *testing.T) {
	f := newFixture(t)
	ada, bob, eve := f.person("ada"), f.person("bob"), f.person("eve")
	c := f.community("c", ada, models.VisibilityPublic, models.JoinOpen)
	if _, err := f.svc.Join(f.ctx, bob.ID, c); err != nil {
		t.Fatal(err)
	}
	first := f.post(ada, c, "Root", nil)
	r1 := f.post(bob, c, "", first)
	r2 := f.post(ada, c, "", r1)
	r3 := f.post(bob, c, "", first)
	if err := f.svc.LikePost(f.ctx, eve.ID, r2.ID); err != nil {
		t.Fatal(err)
	}

	v := service.Viewer{ActorID: eve.ID}
	pv, err := f.svc.PostWithReplies(f.ctx, first.ID, v, 0, 2)
	if err != nil {
		t.Fatal(err)
	}
	if pv.Community.ID != c.ID || pv.ThreadID != first.ID || pv.Liked || len(pv.Replies.Items) != 2 ||
		pv.Replies.Items[0].ID != r1.ID || pv.Replies.Items[1].ID != r2.ID || !pv.Replies.Liked[r2.ID] || pv.Replies.Next != r2.ID {
		t.Fatalf("thread page: %+v", pv)
	}
	pv, _ = f.svc.PostWithReplies(f.ctx, first.ID, v, pv.Replies.Next, 2)
	if len(pv.Replies.Items) != 1 || pv.Replies.Items[0].ID != r3.ID || pv.Replies.Next != 0 {
		t.Fatalf("thread page 2: %+v", pv.Replies)
	}
	// A reply comes with its direct answers only.
	pv, _ = f.svc.PostWithReplies(f.ctx, r1.ID, v, 0, 10)
	if pv.ThreadID != first.ID || len(pv.Replies.Items) != 1 || pv.Replies.Items[0].ID != r2.ID {
		t.Fatalf("reply view: %+v", pv)
	}
	pv, _ = f.svc.PostWithReplies(f.ctx, r2.ID, v, 0, 10)
	if !pv.Liked || len(pv.Replies.Items) != 0 {
		t.Fatalf("liked leaf: %+v", pv)
	}

	secret := f.community("secret", ada, models.VisibilityMembers, models.JoinOpen)
	hidden := f.post(ada, secret, "Hidden", nil)
	if _, err := f.svc.PostWithReplies(f.ctx, hidden.ID, v, 0, 10); service.KindOf(err) != service.KindNotFound {
		t.Fatalf("outsider reads a members-only post: %v", err)
	}
	if _, err := f.svc.PostWithReplies(f.ctx, 424242, v, 0, 10); service.KindOf(err) != service.KindNotFound {
		t.Fatalf("missing post: %v", err)
	}
}

func TestMembersPageAndCount(t *testing.T) {
	f := newFixture(t)
	ada, eve := f.person("ada"), f.person("eve")
	open := f.community("open", ada, models.VisibilityPublic, models.JoinOpen)
	secret := f.community("secret", ada, models.VisibilityMembers, models.JoinOpen)
	for i := range 3 {
		p := f.person(fmt.Sprintf("p%d", i))
		if _, err := f.svc.Join(f.ctx, p.ID, open); err != nil {
			t.Fatal(err)
		}
	}
	insider := service.Viewer{ActorID: ada.ID}
	page, show, err := f.svc.MembersPage(f.ctx, open, insider, nil, 0, 2)
	if err != nil || !show || len(page.Items) != 2 || page.Total != 4 || page.Next != page.Items[1].ID {
		t.Fatalf("page 1: %+v %v %v", page, show, err)
	}
	page, _, _ = f.svc.MembersPage(f.ctx, open, insider, nil, page.Next, 2)
	if len(page.Items) != 2 || page.Next != 0 {
		t.Fatalf("page 2 of exactly two: %+v", page)
	}
	page, show, err = f.svc.MembersPage(f.ctx, open, service.Viewer{ActorID: eve.ID}, nil, 0, 10)
	if err != nil || show || page.Total != 4 {
		t.Fatalf("outsider: %+v %v %v", page, show, err)
	}
	page, show, err = f.svc.MembersPage(f.ctx, open, service.Anonymous, []models.Role{models.RoleOwner}, 0, 10)
	if err != nil || !show || len(page.Items) != 1 || page.Total != 0 {
		t.Fatalf("owners: %+v %v %v", page, show, err)
	}
	if _, _, err := f.svc.MembersPage(f.ctx, open, insider, []models.Role{"king"}, 0, 10); service.KindOf(err) != service.KindInvalid {
		t.Fatalf("bad role: %v", err)
	}

	if n, ok, err := f.svc.MemberCount(f.ctx, open, service.Anonymous); err != nil || !ok || n != 4 {
		t.Fatalf("public count: %d %v %v", n, ok, err)
	}
	if _, ok, err := f.svc.MemberCount(f.ctx, secret, service.Viewer{ActorID: eve.ID}); err != nil || ok {
		t.Fatalf("members-only count for an outsider: %v %v", ok, err)
	}
	if n, ok, _ := f.svc.MemberCount(f.ctx, secret, insider); !ok || n != 1 {
		t.Fatalf("members-only count for its owner: %d %v", n, ok)
	}
}

func TestAccountByUsername(t *testing.T) {
	f := newFixture(t)
	ada := f.person("ada")
	acct, err := f.svc.AccountByUsername(f.ctx, "@ADA")
	if err != nil || acct.ActorID != ada.ID || acct.Actor == nil {
		t.Fatalf("%+v %v", acct, err)
	}
	if _, err := f.svc.AccountByUsername(f.ctx, "nobody"); service.KindOf(err) != service.KindNotFound {
		t.Fatalf("nobody: %v", err)
	}
}
