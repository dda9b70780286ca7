package service_test

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/practica-social/practica/models"
	"github.com/practica-social/practica/service"
	"github.com/practica-social/practica/store"
	"github.com/practica-social/practica/testrig"
)

// recorder is a Dispatcher that remembers what it was asked to deliver.
type recorder struct {
	mu         sync.Mutex
	activities []int64
	// priority is the priority each activity was handed over with.
	priority map[int64]int
}

func (r *recorder) Deliver(_ context.Context, priority int, ids ...int64) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.activities = append(r.activities, ids...)
	if r.priority == nil {
		r.priority = map[int64]int{}
	}
	for _, id := range ids {
		r.priority[id] = priority
	}
	return nil
}

// priorityOf is the priority activity id was handed over with.
func (r *recorder) priorityOf(id int64) int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.priority[id]
}

func (r *recorder) ProcessInbox(context.Context, ...int64) error { return nil }

func (r *recorder) take() []int64 {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := r.activities
	r.activities = nil
	return out
}

type fixture struct {
	t     *testing.T
	ctx   context.Context
	store *store.Store
	svc   *service.Service
	rec   *recorder
}

func newFixture(t *testing.T) *fixture {
	st := testrig.NewStore(t)
	rec := &recorder{}
	svc := service.New(service.Deps{Store: st, URLs: service.NewURLs("http://org-a.test"), InstanceName: "A", Dispatch: rec})
	return &fixture{t: t, ctx: context.Background(), store: st, svc: svc, rec: rec}
}

func (f *fixture) person(name string) *models.Actor {
	f.t.Helper()
	a, err := f.svc.CreateAccount(f.ctx, service.NewAccount{Username: name, Email: name + "@example.org", Password: "long enough"})
	if err != nil {
		f.t.Fatal(err)
	}
	return a.Actor
}

// remote stores a remote person with its own inbox on host.
func (f *fixture) remote(host, name string) *models.Actor {
	f.t.Helper()
	iri := "http://" + host + "/u/" + name
	a := &models.Actor{IRI: iri, Type: models.ActorPerson, Username: name, Host: host, InboxURL: iri + "/inbox", SharedInboxURL: "http://" + host + "/inbox", Published: time.Now()}
	if err := f.store.UpsertRemoteActor(f.ctx, a); err != nil {
		f.t.Fatal(err)
	}
	return a
}

func (f *fixture) community(handle string, owner *models.Actor, vis models.Visibility, join models.JoinPolicy) *models.Community {
	f.t.Helper()
	c, err := f.svc.CreateCommunity(f.ctx, service.NewCommunity{Handle: handle, Name: handle, OwnerID: owner.ID, Visibility: vis, JoinPolicy: join})
	if err != nil {
		f.t.Fatal(err)
	}
	return c
}

// published returns the JSON of every activity handed to the dispatcher
// since the last call.
func (f *fixture) published() []map[string]any {
	f.t.Helper()
	var out []map[string]any
	for _, id := range f.rec.take() {
		a, err := f.store.GetActivity(f.ctx, id)
		if err != nil {
			f.t.Fatal(err)
		}
		var m map[string]any
		if err := json.Unmarshal([]byte(a.JSON), &m); err != nil {
			f.t.Fatal(err)
		}
		out = append(out, m)
	}
	return out
}

func TestCreateCommunityValidates(t *testing.T) {
	f := newFixture(t)
	owner := f.person("owner")
	bad := []service.NewCommunity{
		{Handle: "has space"},
		{Handle: ""},
		{Handle: "ok", Visibility: "secret"},
		{Handle: "ok", JoinPolicy: "lottery"},
		{Handle: "ok", Topics: make([]string, 0, 30)},
	}
	for i := 0; i < 21; i++ {
		bad[4].Topics = append(bad[4].Topics, string(rune('a'+i)))
	}
	for _, in := range bad {
		if _, err := f.svc.CreateCommunity(f.ctx, in); service.KindOf(err) != service.KindInvalid {
			t.Errorf("%+v: %v, want invalid", in, err)
		}
	}
	f.community("dup", owner, models.VisibilityPublic, models.JoinOpen)
	if _, err := f.svc.CreateCommunity(f.ctx, service.NewCommunity{Handle: "DUP"}); service.KindOf(err) != service.KindConflict {
		t.Errorf("duplicate handle: %v, want conflict", err)
	}
	c, err := f.svc.CreateCommunity(f.ctx, service.NewCommunity{Handle: "tidy", Name: "<b>Tidy</b> <script>x</script>", Topics: []string{" #Soil ", "soil", "compost"}})
	if err != nil {
		t.Fatal(err)
	}
	if c.Actor.Name != "Tidy" || len(c.Topics) != 2 || c.Topics[0] != "Soil" {
		t.Errorf("name %q topics %q: want markup stripped and topics deduplicated", c.Actor.Name, c.Topics)
	}
}

func TestOpenCommunityAcceptsFollowsAtOnce(t *testing.T) {
	f := newFixture(t)
	c := f.community("open", f.person("owner"), models.VisibilityPublic, models.JoinOpen)
	bob := f.remote("org-b.test", "bob")
	state, err := f.svc.ReceiveFollow(f.ctx, c, bob, "http://org-b.test/follows/1")
	if err != nil || state != models.MemberAccepted {
		t.Fatalf("follow: %q %v", state, err)
	}
	acts := f.published()
	if len(acts) != 1 || acts[0]["type"] != "Accept" || acts[0]["actor"] != c.Actor.IRI {
		t.Fatalf("published %v, want one Accept from the group", acts)
	}
	follow := acts[0]["object"].(map[string]any)
	if follow["id"] != "http://org-b.test/follows/1" || follow["type"] != "Follow" || follow["actor"] != bob.IRI || follow["object"] != c.Actor.IRI {
		t.Errorf("Accept must embed the Follow: %v", follow)
	}
	// A repeated Follow is answered again (the first Accept may be lost).
	if _, err := f.svc.ReceiveFollow(f.ctx, c, bob, "http://org-b.test/follows/2"); err != nil {
		t.Fatal(err)
	}
	if acts := f.published(); len(acts) != 1 || acts[0]["type"] != "Accept" {
		t.Errorf("repeated follow: %v", acts)
	}
	if err := f.svc.ReceiveUnfollow(f.ctx, c, bob); err != nil {
		t.Fatal(err)
	}
	if ok, _ := f.svc.IsInsider(f.ctx, c, service.Viewer{ActorID: bob.ID}); ok {
		t.Error("still a member after Undo{Follow}")
	}
}

func TestApprovalCommunityHoldsFollowsForModerators(t *testing.T) {
	f := newFixture(t)
	owner := f.person("owner")
	c := f.community("careful", owner, models.VisibilityMembers, models.JoinApproval)
	bob := f.remote("org-b.test", "bob")
	eve := f.remote("org-c.test", "eve")
	for _, who := range []*models.Actor{bob, eve} {
		state, err := f.svc.ReceiveFollow(f.ctx, c, who, who.IRI+"#follow")
		if err != nil || state != models.MemberPending {
			t.Fatalf("follow: %q %v, want pending", state, err)
		}
	}
	if acts := f.published(); len(acts) != 0 {
		t.Fatalf("nothing may be sent while pending: %v", acts)
	}
	if ok, _ := f.svc.IsInsider(f.ctx, c, service.Viewer{ActorID: bob.ID}); ok {
		t.Fatal("pending is not a member")
	}
	stranger := f.person("stranger")
	if err := f.svc.DecideMember(f.ctx, c, stranger.ID, bob.ID, true); service.KindOf(err) != service.KindForbidden {
		t.Fatalf("a non-moderator decided: %v", err)
	}
	if err := f.svc.DecideMember(f.ctx, c, owner.ID, bob.ID, true); err != nil {
		t.Fatal(err)
	}
	if err := f.svc.DecideMember(f.ctx, c, owner.ID, eve.ID, false); err != nil {
		t.Fatal(err)
	}
	acts := f.published()
	if len(acts) != 2 || acts[0]["type"] != "Accept" || acts[1]["type"] != "Reject" {
		t.Fatalf("published %v, want Accept then Reject", acts)
	}
	if err := f.svc.DecideMember(f.ctx, c, owner.ID, bob.ID, false); service.KindOf(err) != service.KindConflict {
		t.Errorf("deciding twice: %v, want conflict", err)
	}
	if ok, _ := f.svc.IsInsider(f.ctx, c, service.Viewer{ActorID: bob.ID}); !ok {
		t.Error("approved person is not a member")
	}
}

func TestLocalPostIsAnnouncedToRemoteMembers(t *testing.T) {
	f := newFixture(t)
	owner := f.person("owner")
	c := f.community("pub", owner, models.VisibilityPublic, models.JoinOpen)
	bob := f.remote("org-b.test", "bob")
	carol := f.remote("org-c.test", "carol")
	dave := f.remote("org-c.test", "dave") // same host as carol: one shared inbox
	for _, who := range []*models.Actor{bob, carol, dave} {
		if _, err := f.svc.ReceiveFollow(f.ctx, c, who, who.IRI+"#f"); err != nil {
			t.Fatal(err)
		}
	}
	f.published()
	outsider := f.person("outsider")
	if _, err := f.svc.CreatePost(f.ctx, service.NewPost{AuthorID: outsider.ID, CommunityID: c.ID, Title: "t", Body: "b"}); service.KindOf(err) != service.KindForbidden {
		t.Fatalf("non-member posted: %v", err)
	}
	if _, err := f.svc.CreatePost(f.ctx, service.NewPost{AuthorID: owner.ID, CommunityID: c.ID, Body: "no title"}); service.KindOf(err) != service.KindInvalid {
		t.Fatalf("thread without title: %v", err)
	}
	p, err := f.svc.CreatePost(f.ctx, service.NewPost{AuthorID: owner.ID, CommunityID: c.ID, Title: "Hello", Body: "First *post*"})
	if err != nil {
		t.Fatal(err)
	}
	acts := f.published()
	if len(acts) != 2 {
		t.Fatalf("want Announce{Create} and the boost Announce{object}, got %v", acts)
	}
	inner, ok := acts[0]["object"].(map[string]any)
	if acts[0]["type"] != "Announce" || !ok || inner["type"] != "Create" || inner["actor"] != owner.IRI {
		t.Fatalf("first: %v", acts[0])
	}
	obj := inner["object"].(map[string]any)
	if obj["type"] != "Page" || obj["name"] != "Hello" || obj["audience"] != c.Actor.IRI || obj["content"] != "<p>First <em>post</em></p>\n" {
		t.Errorf("object: %v", obj)
	}
	if acts[1]["type"] != "Announce" || acts[1]["object"] != p.IRI {
		t.Errorf("boost: %v", acts[1])
	}
	if to := acts[0]["to"].([]any); len(to) != 1 || to[0] != service.ASPublic {
		t.Errorf("public community announces to Public: %v", to)
	}
	// Deliveries: one per distinct inbox (org-c.test's shared inbox once).
	inboxes, err := f.store.MemberInboxes(f.ctx, c.ID)
	if err != nil || len(inboxes) != 2 {
		t.Fatalf("member inboxes %v %v, want 2", inboxes, err)
	}
	// A reply is announced as Announce{Create} only: no boost flood.
	if _, err := f.svc.CreatePost(f.ctx, service.NewPost{AuthorID: owner.ID, CommunityID: c.ID, Body: "a reply", InReplyToID: p.ID}); err != nil {
		t.Fatal(err)
	}
	if acts := f.published(); len(acts) != 1 || acts[0]["type"] != "Announce" {
		t.Errorf("reply announces: %v", acts)
	}
}

func TestMembersOnlyCommunityNeverAddressesThePublic(t *testing.T) {
	f := newFixture(t)
	owner := f.person("owner")
	c := f.community("priv", owner, models.VisibilityMembers, models.JoinApproval)
	bob := f.remote("org-b.test", "bob")
	if _, err := f.svc.ReceiveFollow(f.ctx, c, bob, bob.IRI+"#f"); err != nil {
		t.Fatal(err)
	}
	if err := f.svc.DecideMember(f.ctx, c, owner.ID, bob.ID, true); err != nil {
		t.Fatal(err)
	}
	f.published()
	p, err := f.svc.CreatePost(f.ctx, service.NewPost{AuthorID: owner.ID, CommunityID: c.ID, Title: "Secret", Body: "members only"})
	if err != nil {
		t.Fatal(err)
	}
	if p.Audience != models.AudienceMembers {
		t.Fatalf("audience %q", p.Audience)
	}
	acts := f.published()
	if len(acts) != 1 {
		t.Fatalf("members-only: want Announce{Create} only (no public boost), got %d", len(acts))
	}
	raw, _ := json.Marshal(acts[0])
	if containsPublic(string(raw)) {
		t.Errorf("members-only activity mentions Public: %s", raw)
	}
	// Outsiders cannot see it; members can.
	if _, _, err := f.svc.PostByIRI(f.ctx, p.IRI, service.Anonymous); service.KindOf(err) != service.KindNotFound {
		t.Errorf("anonymous read: %v, want not found", err)
	}
	if _, _, err := f.svc.PostByIRI(f.ctx, p.IRI, service.Viewer{ActorID: bob.ID}); err != nil {
		t.Errorf("member read: %v", err)
	}
}

func containsPublic(s string) bool {
	return strings.Contains(s, "as:Public") || strings.Contains(s, "activitystreams#Public")
}

func TestReceivedPostsFollowTheSpaceRules(t *testing.T) {
	f := newFixture(t)
	owner := f.person("owner")
	pub := f.community("pub", owner, models.VisibilityPublic, models.JoinOpen)
	priv := f.community("priv", owner, models.VisibilityMembers, models.JoinApproval)
	bob := f.remote("org-b.test", "bob")
	rp := func(id string, public bool) service.RemotePost {
		return service.RemotePost{
			ActivityIRI: "http://org-b.test/act/" + id, ActivityType: "Create", ActivityJSON: `{"id":"http://org-b.test/act/` + id + `"}`,
			IRI: "http://org-b.test/notes/" + id, Type: "Note", ContentHTML: `<p>@pub Hi <script>alert(1)</script>there</p>`, Public: public,
		}
	}
	if _, err := f.svc.ReceivePost(f.ctx, pub, bob, rp("1", false)); service.KindOf(err) != service.KindInvalid {
		t.Errorf("followers-only post into a public community: %v, want invalid", err)
	}
	if _, err := f.svc.ReceivePost(f.ctx, priv, bob, rp("2", false)); service.KindOf(err) != service.KindForbidden {
		t.Errorf("non-member into members-only: %v, want forbidden", err)
	}
	if _, err := f.svc.ReceivePost(f.ctx, priv, bob, rp("3", true)); service.KindOf(err) != service.KindInvalid {
		t.Errorf("public post into members-only: %v, want invalid", err)
	}
	wrongHost := rp("4", true)
	wrongHost.IRI = "http://org-c.test/notes/4"
	if _, err := f.svc.ReceivePost(f.ctx, pub, bob, wrongHost); service.KindOf(err) != service.KindInvalid {
		t.Errorf("object on another host: %v, want invalid", err)
	}
	p, err := f.svc.ReceivePost(f.ctx, pub, bob, rp("5", true))
	if err != nil {
		t.Fatal(err)
	}
	if p.Title != "Hi there" || p.Content != "<p>@pub Hi there</p>" {
		t.Errorf("title %q content %q: want the first line as title and script removed", p.Title, p.Content)
	}
	if _, err := f.svc.ReceivePost(f.ctx, pub, bob, rp("5", true)); !errors.Is(err, service.ErrDropped) {
		t.Errorf("duplicate: %v, want dropped", err)
	}
	// Someone else's Update or Delete is ignored (checklist row 8).
	eve := f.remote("org-b.test", "eve")
	upd := rp("5", true)
	upd.ContentHTML = "<p>defaced</p>"
	if err := f.svc.ReceiveUpdate(f.ctx, eve, upd); !errors.Is(err, service.ErrDropped) {
		t.Errorf("foreign update: %v", err)
	}
	if err := f.svc.ReceiveDelete(f.ctx, eve, p.IRI, "http://org-b.test/act/d", "{}"); !errors.Is(err, service.ErrDropped) {
		t.Errorf("foreign delete: %v", err)
	}
	got, _ := f.store.GetPostByIRI(f.ctx, p.IRI)
	if got.DeletedAt != nil || got.Content != p.Content {
		t.Fatalf("post changed by a stranger: %+v", got)
	}
	// Delete before Create: the tombstone drops the late Create (row 19).
	if err := f.svc.ReceiveDelete(f.ctx, bob, "http://org-b.test/notes/6", "http://org-b.test/act/d6", "{}"); err != nil {
		t.Fatal(err)
	}
	if _, err := f.svc.ReceivePost(f.ctx, pub, bob, rp("6", true)); !errors.Is(err, service.ErrDropped) {
		t.Errorf("create after delete: %v, want dropped", err)
	}
	// The author's own Delete tombstones.
	if err := f.svc.ReceiveDelete(f.ctx, bob, p.IRI, "http://org-b.test/act/d5", "{}"); err != nil {
		t.Fatal(err)
	}
	if got, _ := f.store.GetPostByIRI(f.ctx, p.IRI); got.DeletedAt == nil {
		t.Error("author's delete did not tombstone")
	}
}
