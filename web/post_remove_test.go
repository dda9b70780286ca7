package web_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"

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
