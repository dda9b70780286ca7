package inbox_test

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/practica-social/practica/federation/inbox"
	"github.com/practica-social/practica/models"
	"github.com/practica-social/practica/service"
	"github.com/practica-social/practica/store"
	"github.com/practica-social/practica/testrig"
)

// storeResolver knows the actors the test stored and fetches nothing.
type storeResolver struct{ svc *service.Service }

func (r storeResolver) Actor(ctx context.Context, iri string) (*models.Actor, error) {
	return r.svc.ActorByIRI(ctx, iri)
}

func (storeResolver) Object(context.Context, string) (map[string]any, error) {
	return nil, service.NotFound("object")
}

// A batch mixes what is handled in one transaction (Creates, a Like) with
// what goes alone (a Follow, a Delete), in order: a post deleted in the
// middle of the batch and sent again after it stays deleted, a duplicate
// is dropped, a refusal keeps its reason, a handled item is not redone.
func TestProcessBatchInOrder(t *testing.T) {
	ctx := context.Background()
	st := testrig.NewStore(t)
	remote := []models.Actor{
		{IRI: "http://r.test/u/ann", Type: models.ActorPerson, Username: "ann", Host: "r.test", InboxURL: "http://r.test/u/ann/inbox", SharedInboxURL: "http://r.test/inbox", Published: time.Now()},
		{IRI: "http://r.test/u/bob", Type: models.ActorPerson, Username: "bob", Host: "r.test", InboxURL: "http://r.test/u/bob/inbox", SharedInboxURL: "http://r.test/inbox", Published: time.Now()},
	}
	svc, c := newGarden(t, st, remote...)
	group := "http://org-a.test/c/garden"
	create := func(n int, actor, object string, to string) string {
		return fmt.Sprintf(`{"@context":"https://www.w3.org/ns/activitystreams","id":"%s/a/%d","type":"Create","actor":"%s","to":["https://www.w3.org/ns/activitystreams#Public"],"cc":["%s"],`+
			`"object":{"id":"%s","type":"Note","attributedTo":"%s","content":"<p>note %d</p>","to":["https://www.w3.org/ns/activitystreams#Public"],"cc":["%s"]}}`,
			actor, n, actor, to, object, actor, n, to)
	}
	ann, bob := remote[0].IRI, remote[1].IRI
	bodies := []string{
		create(1, ann, ann+"/n/1", group),                                                            // 0 stored
		create(2, ann, ann+"/n/1", group),                                                            // 1 the same post again: dropped
		create(3, bob, bob+"/n/2", "http://elsewhere.test/c/x"),                                      // 2 not for us: refused
		fmt.Sprintf(`{"id":"%s/a/4","type":"Follow","actor":"%s","object":"%s"}`, bob, bob, group),   // 3 alone
		fmt.Sprintf(`{"id":"%s/a/5","type":"Like","actor":"%s","object":"%s/n/1"}`, bob, bob, ann),   // 4 in a run
		fmt.Sprintf(`{"id":"%s/a/6","type":"Delete","actor":"%s","object":"%s/n/1"}`, ann, ann, ann), // 5 alone
		create(7, ann, ann+"/n/1", group),                                                            // 6 after its Delete: dropped
		create(8, bob, bob+"/n/3", group),                                                            // 7 stored, announced to bob (now a member)
	}
	var ids []int64
	for i, b := range bodies {
		id, created, err := svc.ReceiveActivity(ctx, models.InboxItem{ActivityIRI: fmt.Sprintf("item-%d", i), ActorIRI: "x", Body: b})
		if err != nil || !created {
			t.Fatalf("store item %d: %v", i, err)
		}
		ids = append(ids, id)
	}
	proc := inbox.NewProcessor(inbox.ProcessorDeps{Service: svc, Resolver: storeResolver{svc}})
	if err := proc.ProcessBatch(ctx, ids); err != nil {
		t.Fatal(err)
	}
	want := []models.InboxState{models.InboxProcessed, models.InboxProcessed, models.InboxRefused, models.InboxProcessed,
		models.InboxProcessed, models.InboxProcessed, models.InboxProcessed, models.InboxProcessed}
	items, err := svc.InboxItems(ctx, ids)
	if err != nil || len(items) != len(ids) {
		t.Fatalf("items: %d, %v", len(items), err)
	}
	for i, it := range items {
		if it.State != want[i] || it.Attempts != 1 {
			t.Errorf("item %d (%s): state %s after %d attempts (%q), want %s after 1", i, bodies[i][:60], it.State, it.Attempts, it.Error, want[i])
		}
	}
	if items[2].Error == "" {
		t.Error("the refusal kept no reason")
	}
	p1, err := st.GetPostByIRI(ctx, ann+"/n/1")
	if err != nil || p1.DeletedAt == nil {
		t.Fatalf("post 1 after Delete and a late Create: %+v, %v (want deleted)", p1, err)
	}
	if _, err := st.GetPostByIRI(ctx, bob+"/n/2"); err == nil {
		t.Error("the refused post was stored")
	}
	p3, err := st.GetPostByIRI(ctx, bob+"/n/3")
	if err != nil || p3.CommunityID == nil || *p3.CommunityID != c.ID {
		t.Fatalf("post 3: %+v, %v", p3, err)
	}
	if m, err := st.GetMember(ctx, c.ID, remote[1].ID); err != nil || m.State != models.MemberAccepted {
		t.Fatalf("bob's membership: %+v, %v", m, err)
	}
	if _, err := st.GetLike(ctx, p1.ID, remote[1].ID); err != nil {
		t.Errorf("bob's like of post 1 (liked before its deletion): %v", err)
	}
	// Post 3 came after bob joined: both its Announces go to his shared
	// inbox, in one statement each.
	var announced int
	for _, a := range mustOutboxOf(t, st, c.ActorID) {
		if a.ObjectIRI == "http://r.test/u/bob/a/8" || a.ObjectIRI == bob+"/n/3" {
			announced++
			ds, err := st.ActivityDeliveries(ctx, a.ID)
			if err != nil || len(ds) != 1 || ds[0].InboxURL != "http://r.test/inbox" {
				t.Errorf("deliveries of %s: %+v, %v", a.IRI, ds, err)
			}
		}
	}
	if announced != 1 {
		t.Errorf("%d outbox Announces of post 3, want 1 (the boost is not in the outbox)", announced)
	}
	// Handled items are skipped: a second run changes nothing.
	if err := proc.ProcessBatch(ctx, ids); err != nil {
		t.Fatal(err)
	}
	if again, _ := svc.InboxItems(ctx, ids); again[0].Attempts != 1 {
		t.Fatalf("a processed item was handled again: %+v", again[0])
	}
}

func mustOutboxOf(t *testing.T, st *store.Store, actorID int64) []models.Activity {
	t.Helper()
	as, err := st.OutboxPage(context.Background(), actorID, []models.Audience{models.AudiencePublic}, 0, 100)
	if err != nil {
		t.Fatal(err)
	}
	return as
}

// A sender that reuses an activity id for a new post: in a batch the
// combined insert of the Create and its Announces clashes, the run rolls
// back, and each item is handled alone: the first post is announced, the
// second stored without a second redistribution, nothing fails.
func TestProcessBatchFallsBackWhenARunFails(t *testing.T) {
	ctx := context.Background()
	st := testrig.NewStore(t)
	ann := models.Actor{IRI: "http://r.test/u/ann", Type: models.ActorPerson, Username: "ann", Host: "r.test", InboxURL: "http://r.test/u/ann/inbox", Published: time.Now()}
	svc, _ := newGarden(t, st, ann)
	note := func(obj string) string {
		return `{"id":"http://r.test/u/ann/a/same","type":"Create","actor":"http://r.test/u/ann","to":["https://www.w3.org/ns/activitystreams#Public"],"cc":["http://org-a.test/c/garden"],` +
			`"object":{"id":"` + obj + `","type":"Note","attributedTo":"http://r.test/u/ann","content":"<p>hi</p>","to":["https://www.w3.org/ns/activitystreams#Public"],"cc":["http://org-a.test/c/garden"]}}`
	}
	var ids []int64
	for i, obj := range []string{"http://r.test/u/ann/n/1", "http://r.test/u/ann/n/2"} {
		id, _, err := svc.ReceiveActivity(ctx, models.InboxItem{ActivityIRI: fmt.Sprintf("item-%d", i), ActorIRI: ann.IRI, Body: note(obj)})
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, id)
	}
	proc := inbox.NewProcessor(inbox.ProcessorDeps{Service: svc, Resolver: storeResolver{svc}})
	if err := proc.ProcessBatch(ctx, ids); err != nil {
		t.Fatal(err)
	}
	items, _ := svc.InboxItems(ctx, ids)
	for i, it := range items {
		if it.State != models.InboxProcessed {
			t.Errorf("item %d: %s (%q)", i, it.State, it.Error)
		}
	}
	for _, obj := range []string{"http://r.test/u/ann/n/1", "http://r.test/u/ann/n/2"} {
		if _, err := st.GetPostByIRI(ctx, obj); err != nil {
			t.Errorf("post %s: %v", obj, err)
		}
	}
	if a, err := st.GetActivityByIRI(ctx, "http://r.test/u/ann/a/same"); err != nil || a.ObjectIRI != "http://r.test/u/ann/n/1" {
		t.Fatalf("the Create stored: %+v, %v (want the first post's)", a, err)
	}
}

// New top-level posts of a run are written together when the run ends;
// what reads them inside the run sees them first: a reply is threaded
// under a post of the same run, a Like of it counts, and every post keeps
// its Create, its Announces and their deliveries.
func TestProcessBatchRunReadsItsOwnNewPosts(t *testing.T) {
	ctx := context.Background()
	st := testrig.NewStore(t)
	f := newRunFixture(t, st)
	svc, c, remote, note := f.svc, f.c, f.remote, f.note
	ann, bob, group := remote[0].IRI, remote[1].IRI, f.group
	bodies := []string{
		fmt.Sprintf(`{"id":"%s/a/0","type":"Follow","actor":"%s","object":"%s"}`, bob, bob, group), // 0 before the run
		note(1, ann, ann+"/n/1", ""), // 1 new, kept for the end of the run
		fmt.Sprintf(`{"id":"%s/a/3","type":"Like","actor":"%s","object":"%s/n/1"}`, bob, bob, ann), // 2 a Like of it: the kept rows are written first
		note(2, bob, bob+"/n/2", ann+"/n/1"), // 3 a reply to it
		note(4, ann, ann+"/n/4", ""),         // 4 new, kept
		note(6, ann, ann+"/n/4", ""),         // 5 the same post in another Create: dropped, not a clash
		note(5, bob, bob+"/n/5", ""),         // 6 new, kept
	}
	var ids []int64
	for i, b := range bodies {
		id, _, err := svc.ReceiveActivity(ctx, models.InboxItem{ActivityIRI: fmt.Sprintf("item-%d", i), ActorIRI: "x", Body: b})
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, id)
	}
	logs := &recordingHandler{}
	proc := inbox.NewProcessor(inbox.ProcessorDeps{Service: svc, Resolver: storeResolver{svc}, Log: slog.New(logs)})
	// The Follow first, on its own: an item handled alone empties the
	// batch's memo, and with it what the batch knew to be new.
	if err := proc.ProcessBatch(ctx, ids[:1]); err != nil {
		t.Fatal(err)
	}
	if err := proc.ProcessBatch(ctx, ids[1:]); err != nil {
		t.Fatal(err)
	}
	// The run held together: nothing in it clashed with a kept row.
	if msgs := logs.messages(); len(msgs) != 0 {
		t.Errorf("the run logged %q, want nothing (no rollback)", msgs)
	}
	items, err := svc.InboxItems(ctx, ids)
	if err != nil {
		t.Fatal(err)
	}
	for i, it := range items {
		if it.State != models.InboxProcessed {
			t.Errorf("item %d: %s (%q)", i, it.State, it.Error)
		}
	}
	p1, err := st.GetPostByIRI(ctx, ann+"/n/1")
	if err != nil {
		t.Fatal(err)
	}
	if p1.ReplyCount != 1 {
		t.Errorf("post 1 counts %d replies, want 1", p1.ReplyCount)
	}
	reply, err := st.GetPostByIRI(ctx, bob+"/n/2")
	if err != nil || reply.ThreadID == nil || *reply.ThreadID != p1.ID {
		t.Fatalf("the reply: %+v, %v (want threaded under post 1)", reply, err)
	}
	if _, err := st.GetLike(ctx, p1.ID, remote[1].ID); err != nil {
		t.Errorf("bob's like of post 1: %v", err)
	}
	// Each top-level post: its Create stored, its Announce in the outbox,
	// both Announces delivered to the one member's shared inbox.
	for _, n := range []struct{ actor, obj string }{{ann, ann + "/n/1"}, {ann, ann + "/n/4"}, {bob, bob + "/n/5"}} {
		p, err := st.GetPostByIRI(ctx, n.obj)
		if err != nil || p.CommunityID == nil || *p.CommunityID != c.ID || p.Title == "" {
			t.Fatalf("post %s: %+v, %v", n.obj, p, err)
		}
		create, err := st.GetActivityByIRI(ctx, p.IRI[:len(p.IRI)-len("/n/1")]+"/a/"+p.IRI[len(p.IRI)-1:])
		if err != nil || create.ObjectIRI != p.IRI {
			t.Errorf("the Create of %s: %+v, %v", p.IRI, create, err)
			continue
		}
		found := 0
		for _, a := range mustOutboxOf(t, st, c.ActorID) {
			if a.ObjectIRI != create.IRI {
				continue
			}
			found++
			ds, err := st.ActivityDeliveries(ctx, a.ID)
			if err != nil || len(ds) != 1 || ds[0].InboxURL != "http://s.test/inbox" {
				t.Errorf("deliveries of the Announce of %s: %+v, %v", p.IRI, ds, err)
			}
		}
		if found != 1 {
			t.Errorf("%d outbox Announces of %s, want 1", found, p.IRI)
		}
	}
}

// recordingHandler keeps the messages logged at any level.
type recordingHandler struct {
	mu   sync.Mutex
	msgs []string
}

func (h *recordingHandler) Enabled(context.Context, slog.Level) bool { return true }
func (h *recordingHandler) Handle(_ context.Context, r slog.Record) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.msgs = append(h.msgs, r.Message)
	return nil
}
func (h *recordingHandler) WithAttrs([]slog.Attr) slog.Handler { return h }
func (h *recordingHandler) WithGroup(string) slog.Handler      { return h }

func (h *recordingHandler) messages() []string {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]string(nil), h.msgs...)
}

// runFixture is a local community, two remote people on two hosts, and
// a maker of their Create{Note} bodies.
type runFixture struct {
	svc    *service.Service
	c      *models.Community
	remote []models.Actor
	group  string
	// note is a Create{Note} number n by actor, replying to inReplyTo
	// unless it is "".
	note func(n int, actor, object, inReplyTo string) string
}

func newRunFixture(t *testing.T, st *store.Store) runFixture {
	t.Helper()
	remote := []models.Actor{
		{IRI: "http://r.test/u/ann", Type: models.ActorPerson, Username: "ann", Host: "r.test", InboxURL: "http://r.test/u/ann/inbox", SharedInboxURL: "http://r.test/inbox", Published: time.Now()},
		{IRI: "http://s.test/u/bob", Type: models.ActorPerson, Username: "bob", Host: "s.test", InboxURL: "http://s.test/u/bob/inbox", SharedInboxURL: "http://s.test/inbox", Published: time.Now()},
	}
	svc, c := newGarden(t, st, remote...)
	group := "http://org-a.test/c/garden"
	const public = "https://www.w3.org/ns/activitystreams#Public"
	note := func(n int, actor, object, inReplyTo string) string {
		reply := ""
		if inReplyTo != "" {
			reply = `"inReplyTo":"` + inReplyTo + `",`
		}
		return fmt.Sprintf(`{"id":"%s/a/%d","type":"Create","actor":"%s","to":["%s"],"cc":["%s"],`+
			`"object":{"id":"%s","type":"Note","attributedTo":"%s",%s"content":"<p>note %d</p>","to":["%s"],"cc":["%s"]}}`,
			actor, n, actor, public, group, object, actor, reply, n, public, group)
	}
	return runFixture{svc: svc, c: c, remote: remote, group: group, note: note}
}

// An item handled alone empties the batch's memo; the run of new posts
// after it is still written together (its new posts known again), in one
// INSERT of posts.
func TestProcessBatchRunAfterALoneItemWritesPostsTogether(t *testing.T) {
	ctx := context.Background()
	st, stmts := testrig.NewCountingStore(t)
	f := newRunFixture(t, st)
	ann, bob := f.remote[0].IRI, f.remote[1].IRI
	bodies := []string{
		fmt.Sprintf(`{"id":"%s/a/0","type":"Follow","actor":"%s","object":"%s"}`, bob, bob, f.group), // alone
		f.note(1, ann, ann+"/n/1", ""),
		f.note(2, ann, ann+"/n/2", ""),
		f.note(3, bob, bob+"/n/3", ""),
	}
	var ids []int64
	for i, b := range bodies {
		id, _, err := f.svc.ReceiveActivity(ctx, models.InboxItem{ActivityIRI: fmt.Sprintf("item-%d", i), ActorIRI: "x", Body: b})
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, id)
	}
	stmts.Reset()
	proc := inbox.NewProcessor(inbox.ProcessorDeps{Service: f.svc, Resolver: storeResolver{f.svc}})
	if err := proc.ProcessBatch(ctx, ids); err != nil {
		t.Fatal(err)
	}
	items, err := f.svc.InboxItems(ctx, ids)
	if err != nil {
		t.Fatal(err)
	}
	for i, it := range items {
		if it.State != models.InboxProcessed {
			t.Errorf("item %d: %s (%q)", i, it.State, it.Error)
		}
	}
	for _, obj := range []string{ann + "/n/1", ann + "/n/2", bob + "/n/3"} {
		if _, err := st.GetPostByIRI(ctx, obj); err != nil {
			t.Errorf("post %s: %v", obj, err)
		}
	}
	if n := stmts.Count("INSERT INTO posts"); n != 1 {
		t.Errorf("the run's three posts took %d INSERTs, want 1", n)
	}
}

// newGarden is a service on org-a.test with a local community "garden"
// and the remote actors stored.
func newGarden(t *testing.T, st *store.Store, remote ...models.Actor) (*service.Service, *models.Community) {
	t.Helper()
	ctx := context.Background()
	svc := service.New(service.Deps{Store: st, URLs: service.NewURLs("http://org-a.test")})
	owner, err := svc.CreateAccount(ctx, service.NewAccount{Username: "owner", Email: "owner@example.org", Password: "long enough"})
	if err != nil {
		t.Fatal(err)
	}
	c, err := svc.CreateCommunity(ctx, service.NewCommunity{Handle: "garden", Name: "Garden", OwnerID: owner.ActorID})
	if err != nil {
		t.Fatal(err)
	}
	if err := st.CreateActors(ctx, remote); err != nil {
		t.Fatal(err)
	}
	return svc, c
}
