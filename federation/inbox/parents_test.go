package inbox_test

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/practica-social/practica/federation/inbox"
	"github.com/practica-social/practica/models"
	"github.com/practica-social/practica/service"
	"github.com/practica-social/practica/store"
	"github.com/practica-social/practica/testrig"
)

// The captured Lemmy thread (lemmy/objects/page.json and comment.json), a
// Pleroma reply to it (pleroma/objects/note.json) and a Mastodon post to
// the Lemmy community (mastodon/objects/page.json), as served on the test
// network (http://).
const (
	pxGroup       = "http://enterprise.lemmy.ml/c/tenforward"
	pxPicard      = "http://enterprise.lemmy.ml/u/picard"
	pxPage        = "http://enterprise.lemmy.ml/post/55143"
	pxComment     = "http://enterprise.lemmy.ml/comment/38741"
	pxPleroma     = "http://queer.hacktivis.me/objects/8d4973f4-53de-49cd-8c27-df160e16a9c2"
	pxLanodan     = "http://queer.hacktivis.me/users/lanodan"
	pxMasto       = "http://masto.qa.urbanwildlife.biz/users/mastodon/statuses/110830743680706519"
	pxMastoAuthor = "http://masto.qa.urbanwildlife.biz/users/mastodon"
)

// servePayload serves a captured object at its own id (made http://), its
// community IRIs unchanged, and returns it.
func servePayload(w *fediWorld, rel string) map[string]any {
	w.t.Helper()
	fw := &fixtureWorld{fediWorld: w, hosts: []string{"enterprise.lemmy.ml", "queer.hacktivis.me", "masto.qa.urbanwildlife.biz"}}
	doc := decodeFixture(w.t, fw.rewrite(readFixture(w.t, rel), false))
	w.fedi.serveJSON(doc["id"].(string), doc)
	return doc
}

// announceOf is group's Announce of an activity (FEP-1b12).
func announceOf(group string, inner map[string]any) map[string]any {
	return map[string]any{
		"@context": "https://www.w3.org/ns/activitystreams",
		"id":       ckID(group, "activities/announce"), "type": "Announce", "actor": group, "object": inner,
		"to": []any{asPublic}, "cc": []any{group + "/followers"},
	}
}

// lemmyReply is picard's Create of a new comment replying to parent, as
// the Lemmy community announces it.
func lemmyReply(parent string) (create map[string]any, id string) {
	id = ckID(pxPicard, "comment")
	note := map[string]any{
		"id": id, "type": "Note", "attributedTo": pxPicard, "inReplyTo": parent, "content": "<p>a late reply</p>",
		"to": []any{pxGroup, asPublic}, "audience": pxGroup,
	}
	return map[string]any{"id": ckID(pxPicard, "activities/create"), "type": "Create", "actor": pxPicard, "object": note, "to": []any{pxGroup, asPublic}}, id
}

// TestAnnouncedReplyFetchesItsThread: a local person follows a Lemmy
// community after a thread began in it; the community announces a reply
// to a comment we never received. The comment and the thread's first post
// are fetched from their origin (the captured payloads), stored in that
// community, and the reply threaded under the comment. A Pleroma reply
// that names no community is taken as a parent because its thread is the
// community's; a Mastodon post naming the community only in cc is taken
// as a thread's first post.
func TestAnnouncedReplyFetchesItsThread(t *testing.T) {
	w := newFediWorld(t, "gardening")
	for _, a := range []string{pxPicard, pxLanodan, pxMastoAuthor} {
		w.fedi.actor(a, "Person", nil)
	}
	w.fedi.actor(pxGroup, "Group", nil)
	(&fixtureWorld{fediWorld: w}).followRemoteGroup(pxGroup)
	tea, err := w.a.Service.CommunityByActorIRI(w.ctx, pxGroup)
	if err != nil {
		t.Fatal(err)
	}
	for _, rel := range []string{"lemmy/objects/page.json", "lemmy/objects/comment.json", "pleroma/objects/note.json", "mastodon/objects/page.json"} {
		servePayload(w, rel)
	}
	inTea := func(iri string) *models.Post {
		t.Helper()
		p := w.post(iri)
		if p == nil || p.CommunityID == nil || *p.CommunityID != tea.ID {
			t.Fatalf("%s not stored in the Lemmy community: %+v", iri, p)
		}
		return p
	}

	create, reply := lemmyReply(pxComment)
	w.expectOutcome("reply to a comment we never received", announceOf(pxGroup, create), models.InboxProcessed, "")
	page, comment, r := inTea(pxPage), inTea(pxComment), inTea(reply)
	if page.ThreadID != nil || page.Title != "Post title" || page.Audience != models.AudiencePublic {
		t.Errorf("thread's first post: %+v", page)
	}
	if comment.ThreadID == nil || *comment.ThreadID != page.ID || comment.InReplyTo != pxPage || !strings.Contains(comment.Content, "first comment!") {
		t.Errorf("fetched comment: %+v", comment)
	}
	if r.ThreadID == nil || *r.ThreadID != page.ID || r.InReplyTo != pxComment {
		t.Errorf("reply: thread %v, in reply to %q", r.ThreadID, r.InReplyTo)
	}
	if n := w.post(pxPage).ReplyCount; n != 2 {
		t.Errorf("the thread counts %d replies, want 2", n)
	}
	if w.fedi.hitCount(pxPage) != 1 || w.fedi.hitCount(pxComment) != 1 {
		t.Errorf("fetches: page %d, comment %d; want 1 each", w.fedi.hitCount(pxPage), w.fedi.hitCount(pxComment))
	}

	// Pleroma's reply to the thread addresses people, no community: it is
	// taken because the post it replies to is the community's.
	create, reply = lemmyReply(pxPleroma)
	w.expectOutcome("reply to a Pleroma reply we never received", announceOf(pxGroup, create), models.InboxProcessed, "")
	pl := inTea(pxPleroma)
	if pl.ThreadID == nil || *pl.ThreadID != page.ID || pl.Audience != models.AudiencePublic {
		t.Errorf("Pleroma reply: %+v", pl)
	}
	if a, err := w.a.Store.GetActorByIRI(w.ctx, pxLanodan); err != nil || pl.AuthorID != a.ID {
		t.Errorf("Pleroma reply's author: %d, %+v, %v", pl.AuthorID, a, err)
	}
	if r := inTea(reply); r.ThreadID == nil || *r.ThreadID != page.ID || r.InReplyTo != pxPleroma {
		t.Errorf("reply under the Pleroma reply: %+v", r)
	}
	if w.fedi.hitCount(pxPage) != 1 {
		t.Errorf("the held first post was fetched again")
	}

	// A Mastodon post to the community names it in cc only: a thread.
	create, reply = lemmyReply(pxMasto)
	w.expectOutcome("reply to a Mastodon post we never received", announceOf(pxGroup, create), models.InboxProcessed, "")
	if m := inTea(pxMasto); m.ThreadID != nil || !strings.Contains(m.Title, "Variable never resetting") {
		t.Errorf("Mastodon thread: %+v", m)
	}
	if r := inTea(reply); r.InReplyTo != pxMasto || r.ThreadID == nil || *r.ThreadID != w.post(pxMasto).ID {
		t.Errorf("reply under the Mastodon thread: %+v", r)
	}
}

// TestMissingParentsOutsideTheCommunityAreRefused: posts to our community
// whose missing parent is not the community's, or cannot be had, are
// refused with the reason, and nothing of their thread is stored.
func TestMissingParentsOutsideTheCommunityAreRefused(t *testing.T) {
	w := newFediWorld(t, "gardening")
	w.fedi.actor(ckAnn, "Person", nil)
	w.fedi.actor(ckBob, "Person", nil)
	w.fedi.actor(ckMallory, "Person", nil)
	for _, a := range []string{pxPicard, pxLanodan, pxMastoAuthor} {
		w.fedi.actor(a, "Person", nil)
	}
	for _, rel := range []string{"lemmy/objects/page.json", "lemmy/objects/comment.json", "pleroma/objects/note.json", "mastodon/objects/page.json"} {
		servePayload(w, rel)
	}
	// A second community here, with a thread of ann's.
	cooking, err := w.a.Service.CreateCommunity(w.ctx, service.NewCommunity{Handle: "cooking", Name: "Cooking", OwnerID: w.owner.ID})
	if err != nil {
		t.Fatal(err)
	}
	soup := ckID(ckAnn, "notes")
	w.expectOutcome("ann's thread in cooking", map[string]any{
		"id": ckID(ckAnn, "activities"), "type": "Create", "actor": ckAnn, "to": []any{cooking.Actor.IRI, asPublic},
		"object": map[string]any{"id": soup, "type": "Page", "name": "Soup", "attributedTo": ckAnn, "content": "soup", "to": []any{cooking.Actor.IRI, asPublic}, "audience": cooking.Actor.IRI},
	}, models.InboxProcessed, "")
	// serve makes a post of author's that only its origin has.
	serve := func(author string, fields map[string]any) string {
		id := ckID(author, "notes")
		doc := map[string]any{"id": id, "type": "Note", "attributedTo": author, "content": "<p>elsewhere</p>", "to": []any{asPublic}}
		for k, v := range fields {
			doc[k] = v
		}
		w.fedi.serveJSON(id, doc)
		return id
	}
	soupReply := serve(ckBob, map[string]any{"inReplyTo": soup})
	nowhere := serve(ckBob, nil)
	elsewhereStart := serve(ckBob, map[string]any{"audience": "http://remote.example/c/other", "to": []any{w.c.Actor.IRI, asPublic}})
	foreignAuthor := serve(ckAnn, map[string]any{"attributedTo": ckMallory})
	person := ckID(ckAnn, "people")
	w.fedi.serveJSON(person, map[string]any{"id": person, "type": "Person"})
	gone, missing, down, html := ckID(ckAnn, "notes"), ckID(ckAnn, "notes"), ckID(ckAnn, "notes"), ckID(ckAnn, "notes")
	w.fedi.serveRaw(gone, http.StatusGone, "application/activity+json", []byte(`{"id":"`+gone+`","type":"Tombstone"}`))
	w.fedi.serveRaw(down, http.StatusServiceUnavailable, "text/plain", []byte("down"))
	w.fedi.serveRaw(html, http.StatusOK, "text/html", []byte("<html></html>"))
	w.fedi.route(missing)
	deleted := ckID(ckAnn, "notes")
	w.expectOutcome("ann deletes a post we never had", map[string]any{
		"id": ckID(ckAnn, "activities"), "type": "Delete", "actor": ckAnn, "object": deleted,
	}, models.InboxProcessed, "")
	w.fedi.serveJSON(deleted, w.ckNote(deleted, ckAnn, "deleted"))

	cases := []struct {
		what, parent, reason string
		// notFetched must not have been asked for.
		notFetched []string
	}{
		{"a Lemmy comment of another community", pxComment, "the post replied to belongs to another community", []string{pxPage}},
		{"a Mastodon post to another community", pxMasto, "not posted to this community", nil},
		{"a Pleroma reply in another community's thread", pxPleroma, "a post above the reply belongs to another community", nil},
		{"a reply in a thread of another community here", soupReply, "in another community", nil},
		{"a first post addressed to nobody relevant", nowhere, "not posted to this community", nil},
		{"a first post whose audience is another community", elsewhereStart, "belongs to another community", nil},
		{"a post whose author is on another host", foreignAuthor, "no author on its own host", nil},
		{"a person, not a post", person, `of type "Person"`, nil},
		{"410 Gone", gone, "could not be fetched", nil},
		{"404", missing, "could not be fetched", nil},
		{"503", down, "could not be fetched", nil},
		{"not ActivityPub", html, "could not be fetched", nil},
		{"deleted before we had it", deleted, "was deleted", []string{deleted}},
		{"a post of ours that does not exist", w.a.BaseURL + "/objects/nope", "does not exist on this server", nil},
	}
	for _, c := range cases {
		t.Run(c.what, func(t *testing.T) {
			w := *w
			w.t = t
			id := ckID(ckAnn, "notes")
			obj := w.ckNote(id, ckAnn, "a reply")
			obj["inReplyTo"] = c.parent
			it := w.expectOutcome(c.what, w.ckActivity("Create", ckAnn, obj), models.InboxRefused, c.reason)
			t.Logf("refused: %s", it.Error)
			for _, iri := range []string{id, c.parent, pxPage} {
				if p := w.post(iri); p != nil && (p.CommunityID == nil || *p.CommunityID == w.c.ID) {
					t.Errorf("%s stored in the community", iri)
				}
			}
			for _, iri := range c.notFetched {
				if n := w.fedi.hitCount(iri); n != 0 {
					t.Errorf("%s fetched %d times", iri, n)
				}
			}
		})
	}
}

// TestMissingParentsFollowTheCommunityRules: a fetched parent is taken
// only as the community would take it from its author: a members-only
// community here refuses a public first post, and so the reply.
func TestMissingParentsFollowTheCommunityRules(t *testing.T) {
	w := newFediWorld(t, "gardening")
	w.fedi.actor(ckMember, "Person", nil)
	circle, err := w.a.Service.CreateCommunity(w.ctx, service.NewCommunity{Handle: "circle", Name: "Circle", OwnerID: w.owner.ID, Visibility: models.VisibilityMembers, JoinPolicy: models.JoinOpen})
	if err != nil {
		t.Fatal(err)
	}
	w.expectOutcome("mia joins the circle", map[string]any{
		"id": ckID(ckMember, "activities"), "type": "Follow", "actor": ckMember, "object": circle.Actor.IRI,
	}, models.InboxProcessed, "")
	members := []any{circle.Actor.IRI, circle.Actor.IRI + "/followers"}
	note := func(id, parent string, to []any) map[string]any {
		n := map[string]any{"id": id, "type": "Note", "attributedTo": ckMember, "content": "<p>inner</p>", "to": to, "audience": circle.Actor.IRI}
		if parent != "" {
			n["inReplyTo"] = parent
		}
		return n
	}
	create := func(obj map[string]any) map[string]any {
		return map[string]any{"id": ckID(ckMember, "activities"), "type": "Create", "actor": ckMember, "to": members, "object": obj}
	}
	public, private := ckID(ckMember, "notes"), ckID(ckMember, "notes")
	w.fedi.serveJSON(public, note(public, "", []any{circle.Actor.IRI, asPublic}))
	w.fedi.serveJSON(private, note(private, "", members))

	r1 := ckID(ckMember, "notes")
	w.expectOutcome("reply under a public first post", create(note(r1, public, members)), models.InboxRefused, "does not take public posts")
	if w.post(public) != nil || w.post(r1) != nil {
		t.Fatal("stored a public post in a members-only community")
	}
	r2 := ckID(ckMember, "notes")
	w.expectOutcome("reply under a members-only first post", create(note(r2, private, members)), models.InboxProcessed, "")
	first, reply := w.post(private), w.post(r2)
	if first == nil || reply == nil || first.Audience != models.AudienceMembers || reply.ThreadID == nil || *reply.ThreadID != first.ID {
		t.Fatalf("members-only thread: %+v, %+v", first, reply)
	}
}

// TestMissingParentsAreBounded: up to 16 missing posts above a reply are
// fetched; one more and the reply is refused, having fetched 16 and stored
// nothing. With a budget of requests, a chain of strangers costs one
// request per author as well.
func TestMissingParentsAreBounded(t *testing.T) {
	w := newFediWorld(t, "gardening")
	w.fedi.actor(ckAnn, "Person", nil)
	w.fedi.actor(ckBob, "Person", nil)
	// chain serves n posts, each replying to the one before, the first
	// posted to the community; authors take turns. It returns their ids,
	// first post first.
	chain := func(n int, authors ...string) []string {
		var ids []string
		for i := range n {
			author := authors[i%len(authors)]
			id := ckID(author, "notes")
			doc := w.ckNote(id, author, fmt.Sprintf("<p>post %d</p>", i))
			if i > 0 {
				doc["inReplyTo"] = ids[i-1]
				delete(doc, "audience")
				doc["to"] = []any{asPublic}
			}
			w.fedi.serveJSON(id, doc)
			ids = append(ids, id)
		}
		return ids
	}
	replyTo := func(parent string) (map[string]any, string) {
		id := ckID(ckAnn, "notes")
		obj := w.ckNote(id, ckAnn, "the reply")
		obj["inReplyTo"] = parent
		return w.ckActivity("Create", ckAnn, obj), id
	}

	ids := chain(inbox.DefaultMaxParentDepth, ckAnn)
	act, reply := replyTo(ids[len(ids)-1])
	w.expectOutcome("16 posts missing", act, models.InboxProcessed, "")
	first := w.post(ids[0])
	if first == nil || first.ReplyCount != inbox.DefaultMaxParentDepth {
		t.Fatalf("first post: %+v", first)
	}
	for i, id := range append(ids[1:], reply) {
		p := w.post(id)
		if p == nil || p.ThreadID == nil || *p.ThreadID != first.ID {
			t.Fatalf("post %d: %+v", i+1, p)
		}
	}

	ids = chain(inbox.DefaultMaxParentDepth+1, ckAnn)
	act, reply = replyTo(ids[len(ids)-1])
	w.expectOutcome("17 posts missing", act, models.InboxRefused, "more than 16 posts above the reply are missing")
	for i, id := range ids {
		if w.post(id) != nil {
			t.Errorf("post %d stored", i)
		}
		want := 1
		if i == 0 {
			want = 0 // beyond the bound: never asked for
		}
		if n := w.fedi.hitCount(id); n != want {
			t.Errorf("post %d fetched %d times, want %d", i, n, want)
		}
	}
	if w.post(reply) != nil {
		t.Error("the reply was stored")
	}

	// A processor allowed 3 requests: two posts by one author fit (2 + 1),
	// two by two authors do not (2 + 2).
	proc := inbox.NewProcessor(inbox.ProcessorDeps{Service: w.a.Service, Resolver: w.a.Resolver, MaxParentFetches: 3})
	ids = chain(2, ckBob, ckAnn)
	act, _ = replyTo(ids[1])
	var ref *inbox.Refusal
	if err := proc.HandleRaw(w.ctx, mustJSON(t, act)); !errors.As(err, &ref) || !strings.Contains(ref.Reason, "more than 3 requests") {
		t.Fatalf("two authors: %v; want refused for requests", err)
	}
	if w.post(ids[0]) != nil || w.post(ids[1]) != nil {
		t.Fatal("a post of the refused chain was stored")
	}
	ids = chain(2, ckAnn)
	act, reply = replyTo(ids[1])
	if err := proc.HandleRaw(w.ctx, mustJSON(t, act)); err != nil {
		t.Fatalf("one author: %v", err)
	}
	if w.post(ids[0]) == nil || w.post(ids[1]) == nil || w.post(reply) == nil {
		t.Fatal("the chain within the budget was not stored")
	}
}

// fetchingResolver serves objects from a map and actors from the store,
// and records every fetch made while a database transaction is open.
type fetchingResolver struct {
	svc  *service.Service
	mu   sync.Mutex
	docs map[string]map[string]any
	hits map[string]int
	inTx []string
	// slow are ids whose origin never answers: the fetch ends with ctx.
	slow map[string]bool
	// ours are ids whose fetch fails on our side (our database down).
	ours map[string]bool
}

func (r *fetchingResolver) Actor(ctx context.Context, iri string) (*models.Actor, error) {
	return r.svc.ActorByIRI(ctx, iri)
}

func (r *fetchingResolver) Object(ctx context.Context, iri string) (map[string]any, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.hits[iri]++
	if store.InTx(ctx) {
		r.inTx = append(r.inTx, iri)
	}
	if r.slow[iri] {
		r.mu.Unlock()
		<-ctx.Done()
		r.mu.Lock()
		return nil, &service.Error{Kind: service.KindUnavailable, Message: "the remote server is unavailable; try again later", Err: ctx.Err()}
	}
	if r.ours[iri] {
		return nil, &service.Error{Kind: service.KindUnavailable, Message: "database unavailable", Err: errors.New("connection refused")}
	}
	if d, ok := r.docs[iri]; ok {
		return d, nil
	}
	return nil, service.NotFound("object")
}

// A batch whose reply's parent must be fetched: the reply is handled on
// its own, outside the run's transaction, in its place in the batch, so a
// Like of it that follows counts; the rest of the batch still runs
// together (nothing rolled back).
func TestProcessBatchFetchesParentsOutsideTheTransaction(t *testing.T) {
	ctx := context.Background()
	st := testrig.NewStore(t)
	f := newRunFixture(t, st)
	ann, bob := f.remote[0].IRI, f.remote[1].IRI
	missing := ann + "/n/missing"
	res := &fetchingResolver{svc: f.svc, hits: map[string]int{}, docs: map[string]map[string]any{
		missing: {"id": missing, "type": "Note", "attributedTo": ann, "content": "<p>the parent</p>",
			"to": []any{"https://www.w3.org/ns/activitystreams#Public", f.group}},
	}}
	bodies := []string{
		f.note(1, ann, ann+"/n/1", ""),      // 0 new, in a run
		f.note(2, bob, bob+"/n/2", missing), // 1 its parent fetched: alone
		fmt.Sprintf(`{"id":"%s/a/3","type":"Like","actor":"%s","object":"%s/n/2"}`, ann, ann, bob), // 2 a Like of it
		f.note(4, bob, bob+"/n/4", ann+"/n/1"),                                                     // 3 a reply to post 0, in the run
	}
	var ids []int64
	for i, b := range bodies {
		id, _, err := f.svc.ReceiveActivity(ctx, models.InboxItem{ActivityIRI: fmt.Sprintf("item-%d", i), ActorIRI: "x", Body: b})
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, id)
	}
	logs := &recordingHandler{}
	proc := inbox.NewProcessor(inbox.ProcessorDeps{Service: f.svc, Resolver: res, Log: slog.New(logs)})
	if err := proc.ProcessBatch(ctx, ids); err != nil {
		t.Fatal(err)
	}
	if len(res.inTx) != 0 {
		t.Fatalf("fetched %v inside a transaction", res.inTx)
	}
	if res.hits[missing] != 1 {
		t.Errorf("the parent was fetched %d times, want 1", res.hits[missing])
	}
	if msgs := logs.messages(); len(msgs) != 0 {
		t.Errorf("logged %q, want nothing (no run rolled back)", msgs)
	}
	items, err := f.svc.InboxItems(ctx, ids)
	if err != nil {
		t.Fatal(err)
	}
	for i, it := range items {
		if it.State != models.InboxProcessed || it.Attempts != 1 {
			t.Errorf("item %d: %s after %d attempts (%q)", i, it.State, it.Attempts, it.Error)
		}
	}
	parent, err := st.GetPostByIRI(ctx, missing)
	if err != nil || parent.CommunityID == nil || *parent.CommunityID != f.c.ID {
		t.Fatalf("fetched parent: %+v, %v", parent, err)
	}
	reply, err := st.GetPostByIRI(ctx, bob+"/n/2")
	if err != nil || reply.ThreadID == nil || *reply.ThreadID != parent.ID {
		t.Fatalf("reply: %+v, %v", reply, err)
	}
	if _, err := st.GetLike(ctx, reply.ID, f.remote[0].ID); err != nil {
		t.Errorf("ann's like of the reply: %v", err)
	}
	p1, err := st.GetPostByIRI(ctx, ann+"/n/1")
	if err != nil || p1.ReplyCount != 1 {
		t.Fatalf("post 0: %+v, %v", p1, err)
	}
}

// A reply whose parent an earlier item of its run was to bring, and did
// not (refused): inside the run nothing may be fetched, so the run rolls
// back and each item is handled alone; the reply then fetches its parent
// and both end processed or refused as they would alone.
func TestProcessBatchRunWithAMissingParentFallsBack(t *testing.T) {
	ctx := context.Background()
	st := testrig.NewStore(t)
	f := newRunFixture(t, st)
	ann, bob := f.remote[0].IRI, f.remote[1].IRI
	parent := ann + "/n/1"
	const public = "https://www.w3.org/ns/activitystreams#Public"
	res := &fetchingResolver{svc: f.svc, hits: map[string]int{}, docs: map[string]map[string]any{
		parent: {"id": parent, "type": "Note", "attributedTo": ann, "content": "<p>the parent</p>", "to": []any{public, f.group}},
	}}
	// The parent's Create as ann sent it to us: addressed to no community
	// of ours (refused), while its origin serves it addressed to ours.
	misaddressed := fmt.Sprintf(`{"id":"%s/a/1","type":"Create","actor":"%s","to":["%s"],`+
		`"object":{"id":"%s","type":"Note","attributedTo":"%s","content":"<p>the parent</p>","to":["%s"]}}`, ann, ann, public, parent, ann, public)
	bodies := []string{misaddressed, f.note(2, bob, bob+"/n/2", parent)}
	var ids []int64
	for i, b := range bodies {
		id, _, err := f.svc.ReceiveActivity(ctx, models.InboxItem{ActivityIRI: fmt.Sprintf("item-%d", i), ActorIRI: "x", Body: b})
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, id)
	}
	logs := &recordingHandler{}
	proc := inbox.NewProcessor(inbox.ProcessorDeps{Service: f.svc, Resolver: res, Log: slog.New(logs)})
	if err := proc.ProcessBatch(ctx, ids); err != nil {
		t.Fatal(err)
	}
	if len(res.inTx) != 0 {
		t.Fatalf("fetched %v inside a transaction", res.inTx)
	}
	if len(logs.messages()) == 0 {
		t.Error("the run was not rolled back")
	}
	items, err := f.svc.InboxItems(ctx, ids)
	if err != nil {
		t.Fatal(err)
	}
	if items[0].State != models.InboxRefused || items[1].State != models.InboxProcessed {
		t.Fatalf("items: %s (%q), %s (%q); want refused, processed", items[0].State, items[0].Error, items[1].State, items[1].Error)
	}
	p, err := st.GetPostByIRI(ctx, parent)
	if err != nil {
		t.Fatalf("parent: %v", err)
	}
	if r, err := st.GetPostByIRI(ctx, bob+"/n/2"); err != nil || r.ThreadID == nil || *r.ThreadID != p.ID {
		t.Fatalf("reply: %+v, %v", r, err)
	}
}

// The fetches above one reply share a time budget: an origin that does
// not answer cannot hold the worker beyond it, and the reply is refused
// for it.
func TestMissingParentsShareATimeBudget(t *testing.T) {
	ctx := context.Background()
	st := testrig.NewStore(t)
	f := newRunFixture(t, st)
	ann, bob := f.remote[0].IRI, f.remote[1].IRI
	slow, slow2 := ann+"/n/slow", ann+"/n/slow2"
	res := &fetchingResolver{svc: f.svc, hits: map[string]int{}, docs: map[string]map[string]any{}, slow: map[string]bool{slow: true, slow2: true}}
	proc := inbox.NewProcessor(inbox.ProcessorDeps{Service: f.svc, Resolver: res, MaxParentTime: 200 * time.Millisecond})
	start := time.Now()
	err := proc.HandleRaw(ctx, []byte(f.note(1, bob, bob+"/n/1", slow)))
	var ref *inbox.Refusal
	if !errors.As(err, &ref) || !strings.Contains(ref.Reason, "took longer than 200ms") {
		t.Fatalf("slow parent: %v; want refused for time", err)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("took %v", d)
	}
	if _, err := st.GetPostByIRI(ctx, bob+"/n/1"); err == nil {
		t.Error("the reply was stored")
	}
	// Our own shutdown is not the origin's fault: not a refusal, so the
	// item is handled again later. (Another parent: the refused thread
	// above is remembered, and refused again without fetching.)
	cctx, cancel := context.WithTimeout(ctx, 100*time.Millisecond)
	defer cancel()
	err = proc.HandleRaw(cctx, []byte(f.note(2, bob, bob+"/n/2", slow2)))
	if err == nil || errors.As(err, &ref) {
		t.Fatalf("cancelled while fetching: %v; want a plain error", err)
	}
}

// A fetch that fails on our side (our database, not the origin) is not
// the reply's fault: the item is handled again later, not refused.
func TestMissingParentsOurFailureIsRetried(t *testing.T) {
	ctx := context.Background()
	st := testrig.NewStore(t)
	f := newRunFixture(t, st)
	ann, bob := f.remote[0].IRI, f.remote[1].IRI
	parent := ann + "/n/ours"
	res := &fetchingResolver{svc: f.svc, hits: map[string]int{}, docs: map[string]map[string]any{}, ours: map[string]bool{parent: true}}
	proc := inbox.NewProcessor(inbox.ProcessorDeps{Service: f.svc, Resolver: res})
	err := proc.HandleRaw(ctx, []byte(f.note(1, bob, bob+"/n/1", parent)))
	var ref *inbox.Refusal
	if err == nil || errors.As(err, &ref) {
		t.Fatalf("our database down while fetching: %v; want a plain error, to retry", err)
	}
}

// A reply that overtakes its parent on the way to our community: the
// parent is fetched and the reply stored; when the parent's own Create
// arrives, it is not lost as a duplicate but announced to the members.
func TestReplyOvertakingItsParentInALocalCommunity(t *testing.T) {
	w := newFediWorld(t, "gardening")
	w.fedi.actor(ckAnn, "Person", nil)
	w.fedi.actor(ckBob, "Person", nil)
	parent := ckID(ckAnn, "notes")
	note := w.ckNote(parent, ckAnn, "<p>the parent</p>")
	w.fedi.serveJSON(parent, note)
	reply := ckID(ckBob, "notes")
	obj := w.ckNote(reply, ckBob, "<p>the reply</p>")
	obj["inReplyTo"] = parent
	w.expectOutcome("the reply first", w.ckActivity("Create", ckBob, obj), models.InboxProcessed, "")
	p, r := w.post(parent), w.post(reply)
	if p == nil || r == nil || r.ThreadID == nil || *r.ThreadID != p.ID {
		t.Fatalf("parent %+v, reply %+v", p, r)
	}
	create := w.ckActivity("Create", ckAnn, note)
	w.expectOutcome("the parent's Create after it", create, models.InboxProcessed, "")
	if _, err := w.a.Store.LatestActivityOf(w.ctx, w.c.ActorID, "Announce", create["id"].(string)); err != nil {
		t.Fatalf("the community did not announce the parent's Create: %v", err)
	}
	if _, err := w.a.Store.LatestActivityOf(w.ctx, w.c.ActorID, "Announce", parent); err != nil {
		t.Fatalf("the community did not boost the parent: %v", err)
	}
}
