package web_test

import (
	"context"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/practica-social/practica/models"
	"github.com/practica-social/practica/service"
)

var threadPathRe = regexp.MustCompile(`^/c/garden/t/(\d+)$`)

// startThread posts a thread through the form and returns its path.
func startThread(t *testing.T, b *browser, title, body string) string {
	t.Helper()
	wantStatus(t, "thread form", b.get("/c/garden/new"), http.StatusOK)
	p := b.post("/c/garden/new", url.Values{"title": {title}, "body": {body}})
	wantStatus(t, "new thread", p, http.StatusSeeOther)
	if !threadPathRe.MatchString(p.Location) {
		t.Fatalf("new thread at %q", p.Location)
	}
	return p.Location
}

var postIDRe = regexp.MustCompile(`#p(\d+)$`)

func TestThreadLifecycle(t *testing.T) {
	t.Parallel()
	s := startSite(t)
	owner := s.account("olga", false)
	s.account("pete", false)
	s.account("quinn", false)
	s.community("garden", owner, models.VisibilityPublic, models.JoinOpen)
	o := s.browser()
	o.login("olga", "password-olga")
	path := startThread(t, o, "Compost in winter?", "Does it **stop** below zero?")

	pb := s.browser()
	pb.login("pete", "password-pete")
	p := pb.get(path)
	wantStatus(t, "thread", p, http.StatusOK)
	wantBody(t, "thread", p, "Compost in winter?", "<strong>stop</strong>", "Join the community to reply")
	pb.post("/c/garden/join", nil)
	p = pb.get(path)
	wantBody(t, "thread as member", p, `action="`+path+`/reply"`, "Reply with quote")

	// Reply with quote: the form comes prefilled with a blockquote.
	m := regexp.MustCompile(`/reply\?to=(\d+)&amp;quote=1`).FindStringSubmatch(p.Body)
	if m == nil {
		t.Fatal("no reply-with-quote link")
	}
	p = pb.get(path + "/reply?to=" + m[1] + "&quote=1")
	wantStatus(t, "quote form", p, http.StatusOK)
	wantBody(t, "quote form", p, "&gt; **@olga@org-a.test** wrote:", "&gt; Does it **stop** below zero?")
	p = pb.post(path+"/reply", url.Values{"in_reply_to": {m[1]}, "body": {"> Does it stop?\n\nIt slows down."}})
	wantStatus(t, "reply", p, http.StatusSeeOther)
	replyID := postIDRe.FindStringSubmatch(p.Location)[1]

	// A reply to the reply nests under it.
	p = o.post(path+"/reply", url.Values{"in_reply_to": {replyID}, "body": {"Thanks, Pete."}})
	wantStatus(t, "nested reply", p, http.StatusSeeOther)
	p = o.get(path)
	wantBody(t, "thread with replies", p, "2 replies", "It slows down.", `<ol class="children">`, "Thanks, Pete.", "<blockquote>")

	// Likes.
	wantStatus(t, "like", o.post("/posts/"+replyID+"/like", nil), http.StatusSeeOther)
	wantBody(t, "liked", o.get(path), "You liked this · 1 like", `action="/posts/`+replyID+`/unlike"`)
	wantStatus(t, "unlike", o.post("/posts/"+replyID+"/unlike", nil), http.StatusSeeOther)
	page := o.get(path)
	wantBody(t, "unliked", page, `action="/posts/`+replyID+`/like"`)
	if strings.Contains(page.Body, "You liked this") {
		t.Fatal("the thread still says the reply is liked after unliking")
	}
	wantStatus(t, "like again", o.post("/posts/"+replyID+"/like", nil), http.StatusSeeOther)
	wantBody(t, "liked again", o.get(path), "You liked this · 1 like")

	// Only the author edits and deletes.
	q := s.browser()
	q.login("quinn", "password-quinn")
	wantStatus(t, "edit form by another", q.get("/posts/"+replyID+"/edit"), http.StatusForbidden)
	q.get(path)
	wantStatus(t, "edit by another", q.post("/posts/"+replyID+"/edit", url.Values{"body": {"vandalised"}}), http.StatusForbidden)
	wantStatus(t, "delete by another", q.post("/posts/"+replyID+"/delete", nil), http.StatusForbidden)
	wantStatus(t, "like by a logged-out visitor", s.browser().postRaw("/posts/"+replyID+"/like", nil), http.StatusForbidden)
	wantStatus(t, "unlike by a logged-out visitor", s.browser().postRaw("/posts/"+replyID+"/unlike", nil), http.StatusForbidden)

	wantBody(t, "edit form", pb.get("/posts/"+replyID+"/edit"), "It slows down.")
	wantStatus(t, "empty edit", pb.post("/posts/"+replyID+"/edit", url.Values{"body": {"  "}}), http.StatusUnprocessableEntity)
	wantStatus(t, "edit", pb.post("/posts/"+replyID+"/edit", url.Values{"body": {"It slows down a lot."}}), http.StatusSeeOther)
	wantBody(t, "edited", o.get(path), "It slows down a lot.", "edited")
	wantBody(t, "delete confirm", pb.get("/posts/"+replyID+"/delete"), "Delete this post?")
	wantStatus(t, "delete", pb.post("/posts/"+replyID+"/delete", nil), http.StatusSeeOther)
	if p := o.get(path); strings.Contains(p.Body, "It slows down") {
		t.Fatal("a deleted reply is still shown")
	}

	// The community page lists the thread.
	wantBody(t, "community", o.get("/c/garden"), "Compost in winter?", `href="`+path+`"`)
	wantStatus(t, "thread in another community's path", o.get(strings.Replace(path, "garden", "nowhere", 1)), http.StatusNotFound)
}

func TestNewSinceLastVisit(t *testing.T) {
	t.Parallel()
	s := startSite(t)
	owner := s.account("olga", false)
	pete := s.account("pete", false)
	c := s.community("garden", owner, models.VisibilityPublic, models.JoinOpen)
	ctx := context.Background()
	if _, err := s.inst.Service.Join(ctx, pete.ActorID, c); err != nil {
		t.Fatal(err)
	}
	o := s.browser()
	o.login("olga", "password-olga")
	path := startThread(t, o, "Seed swap", "Who brings what?")

	pb := s.browser()
	pb.login("pete", "password-pete")
	p := pb.get(path)
	if strings.Contains(p.Body, `class="badge">New`) {
		t.Fatal("a first visit marks posts new")
	}
	pb.get("/c/garden")
	o.get(path)
	o.post(path+"/reply", url.Values{"body": {"Tomatoes from me."}})
	startThread(t, o, "Tool library", "Shared tools.")

	p = pb.get("/c/garden")
	wantBody(t, "community after new posts", p, "(<strong>1 new</strong>)")
	if !regexp.MustCompile(`Tool library</a> <span class="badge">New</span>`).MatchString(p.Body) {
		t.Fatalf("the new thread is not marked new: %s", excerpt(p.Body))
	}
	p = pb.get(path)
	wantBody(t, "thread after a reply", p, `<span class="badge">New</span>`, "Tomatoes from me.")
	p = pb.get(path)
	if strings.Contains(p.Body, `<span class="badge">New</span>`) {
		t.Fatal("posts stay new after they were seen")
	}
}

func TestMembersOnlyThreadsAreHidden(t *testing.T) {
	t.Parallel()
	s := startSite(t)
	owner := s.account("olga", false)
	s.account("pete", false)
	c := s.community("garden", owner, models.VisibilityMembers, models.JoinApproval)
	post, err := s.inst.Service.CreatePost(context.Background(), service.NewPost{AuthorID: owner.ActorID, CommunityID: c.ID, Title: "Secret plans", Body: "Only for us."})
	if err != nil {
		t.Fatal(err)
	}
	path := "/c/garden/t/" + itoa(post.ID)
	o := s.browser()
	o.login("olga", "password-olga")
	wantBody(t, "thread as member", o.get(path), "Only for us.")
	wantBody(t, "community as member", o.get("/c/garden"), "Secret plans")

	for name, b := range map[string]*browser{"logged out": s.browser(), "non-member": func() *browser { b := s.browser(); b.login("pete", "password-pete"); return b }()} {
		p := b.get(path)
		wantStatus(t, name+" thread", p, http.StatusNotFound)
		if strings.Contains(p.Body, "Only for us") || strings.Contains(b.get("/c/garden").Body, "Secret plans") {
			t.Fatalf("%s sees members-only content", name)
		}
	}
	pb := s.browser()
	pb.login("pete", "password-pete")
	pb.get("/c/garden")
	wantStatus(t, "non-member reply", pb.post(path+"/reply", url.Values{"body": {"let me in"}}), http.StatusNotFound)
	wantStatus(t, "non-member thread", pb.post("/c/garden/new", url.Values{"title": {"x"}, "body": {"y"}}), http.StatusForbidden)
}

func TestRemotePostsShowHandleAndOriginal(t *testing.T) {
	t.Parallel()
	s := startSite(t)
	owner := s.account("olga", false)
	c := s.community("garden", owner, models.VisibilityPublic, models.JoinOpen)
	ctx := context.Background()
	remote := &models.Actor{IRI: "http://mastodon.test/users/mia", Type: models.ActorPerson, Username: "mia", Host: "mastodon.test",
		Name: "Mia", URL: "http://mastodon.test/@mia", InboxURL: "http://mastodon.test/users/mia/inbox", Published: time.Now()}
	if err := s.inst.Store.UpsertRemoteActor(ctx, remote); err != nil {
		t.Fatal(err)
	}
	if _, err := s.inst.Service.ReceiveFollow(ctx, c, remote, ""); err != nil {
		t.Fatal(err)
	}
	p, err := s.inst.Service.ReceivePost(ctx, c, remote, service.RemotePost{
		IRI: "http://mastodon.test/users/mia/statuses/1", Type: "Note", URL: "http://mastodon.test/@mia/1",
		ContentHTML: `<p>Hello from Mastodon <script>x()</script></p>`, Public: true,
	})
	if err != nil {
		t.Fatal(err)
	}
	b := s.browser()
	page := b.get("/c/garden/t/" + itoa(p.ID))
	wantStatus(t, "remote thread", page, http.StatusOK)
	wantBody(t, "remote thread", page, "@mia@mastodon.test", `href="http://mastodon.test/@mia/1"`, "view original", "Hello from Mastodon")
	if strings.Contains(page.Body, "<script>x()") {
		t.Fatal("remote script survived")
	}
	o := s.browser()
	o.login("olga", "password-olga")
	wantBody(t, "members", o.get("/c/garden/members"), "<td>mastodon.test</td>", "@mia@mastodon.test")
}
