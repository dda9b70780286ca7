package web_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/practica-social/practica/models"
	"github.com/practica-social/practica/service"
)

// TestModeratorRemovesPostsFromTheThreadPage: the owner sees "Remove…" on
// a member's posts, gives a reason on the confirmation page and the post
// goes; the member sees no such link and is refused the page.
func TestModeratorRemovesPostsFromTheThreadPage(t *testing.T) {
	t.Parallel()
	s := startSite(t)
	ctx := context.Background()
	olga, pete := s.account("olga", false), s.account("pete", false)
	c := s.community("garden", olga, models.VisibilityPublic, models.JoinOpen)
	if _, err := s.inst.Service.Join(ctx, pete.ActorID, c); err != nil {
		t.Fatal(err)
	}
	thread, err := s.inst.Service.CreatePost(ctx, service.NewPost{AuthorID: pete.ActorID, CommunityID: c.ID, Title: "Cheap seeds", Body: "Buy my seeds."})
	if err != nil {
		t.Fatal(err)
	}
	reply, err := s.inst.Service.CreatePost(ctx, service.NewPost{AuthorID: pete.ActorID, CommunityID: c.ID, InReplyToID: thread.ID, Body: "Really cheap ones."})
	if err != nil {
		t.Fatal(err)
	}
	threadURL := "/c/garden/t/" + itoa(thread.ID)
	removeReply := "/posts/" + itoa(reply.ID) + "/remove"

	pb := s.browser()
	pb.login("pete", "password-pete")
	if p := pb.get(threadURL); strings.Contains(p.Body, "Remove…") {
		t.Fatal("a plain member is offered to remove posts")
	}
	wantStatus(t, "removal page as a member", pb.get(removeReply), http.StatusForbidden)
	wantStatus(t, "removal as a member", pb.post(removeReply, url.Values{"reason": {"mine"}}), http.StatusForbidden)

	o := s.browser()
	o.login("olga", "password-olga")
	wantBody(t, "owner's thread page", o.get(threadURL), `href="`+removeReply+`"`, "Really cheap ones.")
	p := o.get(removeReply)
	wantStatus(t, "removal page", p, http.StatusOK)
	wantBody(t, "removal page", p, "Remove this post?", "Really cheap ones.", "The reply is removed")
	p = o.post(removeReply, url.Values{"reason": {strings.Repeat("x", 501)}})
	wantStatus(t, "a reason too long", p, http.StatusUnprocessableEntity)
	wantBody(t, "a reason too long", p, "at most 500 characters")
	p = o.post(removeReply, url.Values{"reason": {"Advertising"}})
	wantStatus(t, "remove the reply", p, http.StatusSeeOther)
	if p.Location != threadURL {
		t.Fatalf("after removing a reply: sent to %q, want the thread", p.Location)
	}
	if p := o.get(threadURL); strings.Contains(p.Body, "Really cheap ones.") {
		t.Fatal("the removed reply is still shown")
	}
	p = o.post("/posts/"+itoa(thread.ID)+"/remove", nil)
	wantStatus(t, "remove the thread", p, http.StatusSeeOther)
	if p.Location != "/c/garden" {
		t.Fatalf("after removing the thread: sent to %q, want the community", p.Location)
	}
	wantStatus(t, "the removed thread", o.get(threadURL), http.StatusNotFound)
}

// TestRemovalBansAStranger: a spammer of another server who never joined
// posts to a public community by mentioning it; the owner removes the
// post and, ticking "Also ban the author", bans them with the same reason,
// so that their next post is refused. Their other post's removal page
// says they are banned already; the owner's own post offers no ban.
func TestRemovalBansAStranger(t *testing.T) {
	t.Parallel()
	s := startSite(t)
	ctx := context.Background()
	olga, pete := s.account("olga", false), s.account("pete", false)
	c := s.community("garden", olga, models.VisibilityPublic, models.JoinOpen)
	if _, err := s.inst.Service.Join(ctx, pete.ActorID, c); err != nil {
		t.Fatal(err)
	}
	spammer := &models.Actor{IRI: "http://spam.example/users/sam", Type: models.ActorPerson, Username: "sam", Host: "spam.example",
		Name: "Sam", InboxURL: "http://spam.example/users/sam/inbox", Published: time.Now()}
	if err := s.inst.Store.UpsertRemoteActor(ctx, spammer); err != nil {
		t.Fatal(err)
	}
	spam := func(n string) (*models.Post, error) {
		return s.inst.Service.ReceivePost(ctx, c, spammer, service.RemotePost{
			ActivityIRI: spammer.IRI + "/create/" + n, ActivityType: "Create", ActivityJSON: `{}`,
			IRI: spammer.IRI + "/statuses/" + n, Type: "Note", ContentHTML: "<p>Cheap pills " + n + "</p>", Public: true,
		})
	}
	first, err := spam("1")
	if err != nil {
		t.Fatalf("a stranger's post to a public community: %v", err)
	}
	second, err := spam("2")
	if err != nil {
		t.Fatal(err)
	}
	own, err := s.inst.Service.CreatePost(ctx, service.NewPost{AuthorID: olga.ActorID, CommunityID: c.ID, Title: "Welcome", Body: "Hello."})
	if err != nil {
		t.Fatal(err)
	}
	removeFirst := "/posts/" + itoa(first.ID) + "/remove"

	pb := s.browser()
	pb.login("pete", "password-pete")
	pb.get("/c/garden")
	p := pb.post(removeFirst, url.Values{"reason": {"Spam"}, "ban": {"1"}})
	wantStatus(t, "removal and ban as a member", p, http.StatusForbidden)
	wantBody(t, "removal and ban as a member", p, "only the community&#39;s moderators")

	o := s.browser()
	o.login("olga", "password-olga")
	p = o.get(removeFirst)
	wantStatus(t, "removal page", p, http.StatusOK)
	wantBody(t, "removal page", p, "Cheap pills 1", `name="ban"`, "Also ban the author from this community", "their server (spam.example)")
	p = o.post(removeFirst, url.Values{"reason": {strings.Repeat("x", 501)}, "ban": {"1"}})
	wantStatus(t, "a reason too long", p, http.StatusUnprocessableEntity)
	wantBody(t, "a reason too long", p, "Please check:", "at most 500 characters", `value="1" aria-describedby="ban-help" checked`)
	wantBody(t, "nobody banned yet", o.get("/c/garden/members"), "Nobody is banned.")

	p = o.post(removeFirst, url.Values{"reason": {"Spam"}, "ban": {"1"}})
	wantStatus(t, "remove and ban", p, http.StatusSeeOther)
	if p.Location != "/c/garden" {
		t.Fatalf("after removing the thread: sent to %q, want the community", p.Location)
	}
	wantStatus(t, "the removed thread", o.get("/c/garden/t/"+itoa(first.ID)), http.StatusNotFound)
	p = o.get("/c/garden/members")
	wantBody(t, "the Banned section", p, `aria-label="Unban @sam@spam.example"`, "<td>spam.example</td>", "<td>Spam</td>")
	if _, err := spam("3"); service.KindOf(err) != service.KindForbidden {
		t.Fatalf("the banned stranger's next post: %v, want forbidden", err)
	}

	removeSecond := "/posts/" + itoa(second.ID) + "/remove"
	p = o.get(removeSecond)
	wantBody(t, "removal page of a banned author", p, "banned from this community already")
	wantNoBody(t, "removal page of a banned author", p, `name="ban"`)
	wantStatus(t, "remove and ban again", o.post(removeSecond, url.Values{"ban": {"1"}}), http.StatusSeeOther)

	// Nobody bans themselves: no box, and a forged one fails after the
	// removal, saying so.
	removeOwn := "/posts/" + itoa(own.ID) + "/remove"
	wantNoBody(t, "removal page of one's own post", o.get(removeOwn), `name="ban"`)
	p = o.post(removeOwn, url.Values{"ban": {"1"}})
	wantStatus(t, "remove and ban oneself", p, http.StatusForbidden)
	wantBody(t, "remove and ban oneself", p, "the post is removed, but its author is not banned: you cannot ban yourself")
	wantStatus(t, "one's removed post", o.get("/c/garden/t/"+itoa(own.ID)), http.StatusNotFound)
}
