package api_test

import (
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/practica-social/practica/models"
)

func TestThreadsAndReplies(t *testing.T) {
	r := newRig(t)
	ada, bob, eve := r.user("ada"), r.user("bob"), r.user("eve")
	garden := r.community("garden", ada, models.VisibilityPublic, models.JoinOpen)
	r.join(bob, garden)

	// Start a thread through the API.
	resp := r.call(http.MethodPost, "/communities/garden/threads", bob.write, map[string]any{"title": "Compost", "body": "Hot or *cold*?"})
	var first apiPost
	resp.ok(http.StatusCreated, &first)
	if loc := resp.header.Get("Location"); loc != "/api/v1/posts/"+first.ID {
		t.Errorf("Location %q", loc)
	}
	if first.Title != "Compost" || first.Community != "garden" || first.Author.Acct != "bob@org-a.test" || first.ThreadID != "" ||
		!strings.Contains(first.Content, "<em>cold</em>") || first.Source != "Hot or *cold*?" || first.Audience != "public" {
		t.Fatalf("first post %+v", first)
	}
	for i := range 4 {
		r.thread(ada, garden, fmt.Sprintf("Topic %d", i))
	}

	// Threads page newest first.
	threads, pages := walk[apiPost](r, "/communities/garden/threads", eve.read, 2)
	if len(threads) != 5 || pages != 3 || threads[0].Title != "Topic 3" || threads[4].ID != first.ID {
		t.Fatalf("threads: %d in %d pages, first %q last %q", len(threads), pages, threads[0].Title, threads[4].ID)
	}

	// Replies: through the API, then more directly.
	var reply apiPost
	r.call(http.MethodPost, "/posts/"+first.ID+"/replies", ada.write, map[string]any{"body": "Hot, always."}).ok(http.StatusCreated, &reply)
	if reply.ThreadID != first.ID || reply.InReplyTo != first.IRI || reply.Title != "" {
		t.Fatalf("reply %+v", reply)
	}
	var nested apiPost
	r.call(http.MethodPost, "/posts/"+reply.ID+"/replies", bob.write, map[string]any{"body": "Why?"}).ok(http.StatusCreated, &nested)
	if nested.ThreadID != first.ID || nested.InReplyTo != reply.IRI {
		t.Fatalf("nested reply %+v", nested)
	}
	for i := range 3 {
		r.call(http.MethodPost, "/posts/"+first.ID+"/replies", bob.write, map[string]any{"body": fmt.Sprintf("More %d", i)}).ok(http.StatusCreated, nil)
	}

	// A first post comes with the whole thread, oldest first, paged.
	type withReplies struct {
		Post    apiPost       `json:"post"`
		Replies page[apiPost] `json:"replies"`
	}
	var got withReplies
	r.call(http.MethodGet, "/posts/"+first.ID+"?limit=2", eve.read, nil).ok(http.StatusOK, &got)
	if got.Post.ID != first.ID || got.Post.ReplyCount != 5 || len(got.Replies.Items) != 2 || got.Replies.Items[0].ID != reply.ID ||
		got.Replies.Items[1].ID != nested.ID || got.Replies.NextCursor == "" {
		t.Fatalf("thread page 1: %+v", got)
	}
	var seen []string
	for cursor := ""; ; {
		var p withReplies
		r.call(http.MethodGet, "/posts/"+first.ID+"?limit=2&cursor="+cursor, eve.read, nil).ok(http.StatusOK, &p)
		for _, it := range p.Replies.Items {
			seen = append(seen, it.Source)
		}
		if cursor = p.Replies.NextCursor; cursor == "" {
			break
		}
	}
	if strings.Join(seen, "|") != "Hot, always.|Why?|More 0|More 1|More 2" {
		t.Fatalf("replies in order: %q", seen)
	}
	// A reply comes with its direct answers.
	got = withReplies{}
	r.call(http.MethodGet, "/posts/"+reply.ID, eve.read, nil).ok(http.StatusOK, &got)
	if len(got.Replies.Items) != 1 || got.Replies.Items[0].ID != nested.ID || got.Replies.NextCursor != "" {
		t.Fatalf("reply with answers: %+v", got)
	}

	// Validation and refusals.
	r.call(http.MethodPost, "/communities/garden/threads", bob.write, map[string]any{"body": "untitled"}).fails(http.StatusBadRequest, "invalid_request", "title: required")
	r.call(http.MethodPost, "/communities/garden/threads", bob.write, map[string]any{"title": "T"}).fails(http.StatusBadRequest, "invalid_request", "body: required")
	r.call(http.MethodPost, "/communities/garden/threads", bob.write, map[string]any{"title": "T", "body": " "}).fails(http.StatusBadRequest, "invalid_request", "body")
	r.call(http.MethodPost, "/communities/garden/threads", bob.write, map[string]any{"title": strings.Repeat("t", 201), "body": "b"}).fails(http.StatusBadRequest, "invalid_request", "title")
	r.call(http.MethodPost, "/posts/"+first.ID+"/replies", bob.write, map[string]any{}).fails(http.StatusBadRequest, "invalid_request", "body: required")
	r.call(http.MethodPost, "/posts/"+first.ID+"/replies", bob.write, map[string]any{"body": "x", "title": "no"}).fails(http.StatusBadRequest, "invalid_request", "title: unknown field")
	// Eve is not a member of the community.
	r.call(http.MethodPost, "/communities/garden/threads", eve.write, map[string]any{"title": "T", "body": "b"}).fails(http.StatusForbidden, "forbidden", "join")
	r.call(http.MethodPost, "/communities/garden/threads", bob.read, map[string]any{"title": "T", "body": "b"}).fails(http.StatusForbidden, "forbidden", "write scope")
	r.call(http.MethodPost, "/communities/nothing/threads", bob.write, map[string]any{"title": "T", "body": "b"}).fails(http.StatusNotFound, "not_found", "community")
	r.call(http.MethodGet, "/communities/nothing/threads", bob.read, nil).fails(http.StatusNotFound, "not_found", "community")
	for _, id := range []string{"999999", "0", "-1", "abc"} {
		r.call(http.MethodGet, "/posts/"+id, bob.read, nil).fails(http.StatusNotFound, "not_found", "post")
		r.call(http.MethodPost, "/posts/"+id+"/replies", bob.write, map[string]any{"body": "x"}).fails(http.StatusNotFound, "not_found", "post")
	}
	r.call(http.MethodGet, "/posts/"+first.ID+"?cursor=nope", bob.read, nil).fails(http.StatusBadRequest, "invalid_request", "cursor:")
}

func TestLikeEditDelete(t *testing.T) {
	r := newRig(t)
	ada, bob := r.user("ada"), r.user("bob")
	garden := r.community("garden", ada, models.VisibilityPublic, models.JoinOpen)
	r.join(bob, garden)
	first := r.thread(bob, garden, "Seeds")
	reply := r.reply(ada, garden, first, "Saved mine")

	r.call(http.MethodPost, "/posts/"+idOf(first)+"/like", ada.write, nil).ok(http.StatusNoContent, nil)
	r.call(http.MethodPost, "/posts/"+idOf(first)+"/like", ada.write, nil).ok(http.StatusNoContent, nil)
	var got struct {
		Post    apiPost       `json:"post"`
		Replies page[apiPost] `json:"replies"`
	}
	r.call(http.MethodGet, "/posts/"+idOf(first), ada.read, nil).ok(http.StatusOK, &got)
	if got.Post.LikeCount != 1 || !got.Post.Liked || got.Replies.Items[0].Liked {
		t.Fatalf("after liking twice: %+v", got.Post)
	}
	got.Post.Liked = true
	r.call(http.MethodGet, "/posts/"+idOf(first), bob.read, nil).ok(http.StatusOK, &got)
	if got.Post.Liked {
		t.Fatal("bob sees ada's like as his")
	}
	r.call(http.MethodPost, "/posts/"+idOf(first)+"/like", ada.read, nil).fails(http.StatusForbidden, "forbidden", "write scope")
	r.call(http.MethodDelete, "/posts/"+idOf(first)+"/like", ada.read, nil).fails(http.StatusForbidden, "forbidden", "write scope")

	// Unlike, twice: the second changes nothing; liking again counts.
	for range 2 {
		r.call(http.MethodDelete, "/posts/"+idOf(first)+"/like", ada.write, nil).ok(http.StatusNoContent, nil)
		r.call(http.MethodGet, "/posts/"+idOf(first), ada.read, nil).ok(http.StatusOK, &got)
		if got.Post.LikeCount != 0 || got.Post.Liked {
			t.Fatalf("after unliking: %+v", got.Post)
		}
	}
	r.call(http.MethodPost, "/posts/"+idOf(first)+"/like", ada.write, nil).ok(http.StatusNoContent, nil)
	r.call(http.MethodGet, "/posts/"+idOf(first), ada.read, nil).ok(http.StatusOK, &got)
	if got.Post.LikeCount != 1 || !got.Post.Liked {
		t.Fatalf("after liking again: %+v", got.Post)
	}

	// Edit: partial changes keep the rest; only the author may.
	var p apiPost
	r.call(http.MethodPatch, "/posts/"+idOf(first), bob.write, map[string]any{"body": "Saving **seeds**"}).ok(http.StatusOK, &p)
	if p.Title != "Seeds" || p.Source != "Saving **seeds**" || !strings.Contains(p.Content, "<strong>seeds</strong>") {
		t.Fatalf("edited body: %+v", p)
	}
	r.call(http.MethodPatch, "/posts/"+idOf(first), bob.write, map[string]any{"title": "Seed saving"}).ok(http.StatusOK, &p)
	if p.Title != "Seed saving" || p.Source != "Saving **seeds**" {
		t.Fatalf("edited title: %+v", p)
	}
	r.call(http.MethodPatch, "/posts/"+idOf(first), bob.write, map[string]any{"title": " "}).fails(http.StatusBadRequest, "invalid_request", "title")
	r.call(http.MethodPatch, "/posts/"+idOf(first), bob.write, map[string]any{}).fails(http.StatusBadRequest, "invalid_request", "body:")
	r.call(http.MethodPatch, "/posts/"+idOf(first), bob.write, map[string]any{"body": 3}).fails(http.StatusBadRequest, "invalid_request", "body: must be a string")
	r.call(http.MethodPatch, "/posts/"+idOf(first), ada.write, map[string]any{"body": "mine now"}).fails(http.StatusForbidden, "forbidden", "author")
	p = apiPost{}
	r.call(http.MethodPatch, "/posts/"+idOf(reply), ada.write, map[string]any{"body": "Saved all of mine"}).ok(http.StatusOK, &p)
	if p.Source != "Saved all of mine" || p.Title != "" {
		t.Fatalf("edited reply: %+v", p)
	}

	// Delete: only the author; then it is gone.
	r.call(http.MethodDelete, "/posts/"+idOf(reply), bob.write, nil).fails(http.StatusForbidden, "forbidden", "author")
	r.call(http.MethodDelete, "/posts/"+idOf(reply), ada.read, nil).fails(http.StatusForbidden, "forbidden", "write scope")
	r.call(http.MethodDelete, "/posts/"+idOf(reply), ada.write, nil).ok(http.StatusNoContent, nil)
	r.call(http.MethodGet, "/posts/"+idOf(reply), ada.read, nil).fails(http.StatusNotFound, "not_found", "post")
	r.call(http.MethodDelete, "/posts/"+idOf(reply), ada.write, nil).fails(http.StatusNotFound, "not_found", "post")
	got.Replies.Items = nil
	r.call(http.MethodGet, "/posts/"+idOf(first), ada.read, nil).ok(http.StatusOK, &got)
	if got.Post.ReplyCount != 0 || len(got.Replies.Items) != 0 {
		t.Fatalf("thread after deleting its reply: %+v", got)
	}
}

// An outsider's token cannot read, answer, like or even probe a
// members-only community's posts: everything is 404, as if absent.
func TestMembersOnlyContentIsInvisibleToOutsiders(t *testing.T) {
	r := newRig(t)
	ada, bob, eve := r.user("ada"), r.user("bob"), r.user("eve")
	secret := r.community("secret", ada, models.VisibilityMembers, models.JoinOpen)
	r.join(bob, secret)
	first := r.thread(ada, secret, "Private matters")
	reply := r.reply(bob, secret, first, "Indeed")

	var threads page[apiPost]
	r.call(http.MethodGet, "/communities/secret/threads", bob.read, nil).ok(http.StatusOK, &threads)
	if len(threads.Items) != 1 || threads.Items[0].Audience != "members" {
		t.Fatalf("member's view: %+v", threads)
	}

	r.call(http.MethodGet, "/communities/secret/threads", eve.read, nil).fails(http.StatusNotFound, "not_found", "")
	for _, p := range []*models.Post{first, reply} {
		id := idOf(p)
		r.call(http.MethodGet, "/posts/"+id, eve.read, nil).fails(http.StatusNotFound, "not_found", "post")
		r.call(http.MethodPost, "/posts/"+id+"/replies", eve.write, map[string]any{"body": "let me in"}).fails(http.StatusNotFound, "not_found", "post")
		r.call(http.MethodPost, "/posts/"+id+"/like", eve.write, nil).fails(http.StatusNotFound, "not_found", "post")
		r.call(http.MethodDelete, "/posts/"+id+"/like", eve.write, nil).fails(http.StatusNotFound, "not_found", "post")
		r.call(http.MethodPatch, "/posts/"+id, eve.write, map[string]any{"body": "x"}).fails(http.StatusNotFound, "not_found", "post")
		r.call(http.MethodDelete, "/posts/"+id, eve.write, nil).fails(http.StatusNotFound, "not_found", "post")
	}
	// Nothing of it shows anywhere eve can look.
	for _, path := range []string{"/communities", "/communities/secret", "/communities/secret/members?role=owner"} {
		if body := string(r.call(http.MethodGet, path, eve.read, nil).body); strings.Contains(body, "Private matters") || strings.Contains(body, "Indeed") {
			t.Errorf("%s shows members-only content to an outsider: %s", path, body)
		}
	}
	// Once she joins, she sees it.
	r.join(eve, secret)
	r.call(http.MethodGet, "/posts/"+idOf(first), eve.read, nil).ok(http.StatusOK, nil)
	r.call(http.MethodGet, "/communities/secret/threads", eve.read, nil).ok(http.StatusOK, &threads)
	if len(threads.Items) != 1 {
		t.Fatalf("after joining: %+v", threads)
	}
}
