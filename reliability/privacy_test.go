package reliability_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/practica-social/practica/models"
	"github.com/practica-social/practica/service"
	"github.com/practica-social/practica/testrig"
)

// privacyNet is three instances: a members-only community "inner" on A
// (approval join, owner alice); bob and frank on B are members, eve on B
// asked and waits; carol on C was refused; dave on A never asked. B and C
// are tapped, so every byte that reaches them is on record.
type privacyNet struct {
	t          *testing.T
	ctx        context.Context
	n          *testrig.Network
	a, b, c    *testrig.Instance
	wireB      *wire
	wireC      *wire
	alice      *models.Account
	dave       *models.Account
	bob, frank *models.Account
	eve        *models.Account
	carol      *models.Account
	inner      *models.Community // on A
	innerB     *models.Community // A's community as B knows it
}

const within = 30 * time.Second

func newPrivacyNet(t *testing.T) *privacyNet {
	t.Helper()
	ctx := context.Background()
	p := &privacyNet{t: t, ctx: ctx, n: testrig.NewNetwork()}
	p.a = p.n.Start(t, "org-a.test")
	p.b = p.n.Start(t, "org-b.test")
	p.c = p.n.Start(t, "org-c.test")
	p.wireB, p.wireC = tap(t, p.n, p.b), tap(t, p.n, p.c)
	p.alice, p.dave = person(t, p.a, "alice"), person(t, p.a, "dave")
	p.bob, p.frank, p.eve = person(t, p.b, "bob"), person(t, p.b, "frank"), person(t, p.b, "eve")
	p.carol = person(t, p.c, "carol")
	var err error
	p.inner, err = p.a.Service.CreateCommunity(ctx, service.NewCommunity{
		Handle: "inner", Name: "Inner Circle", Summary: "Members only.", OwnerID: p.alice.ActorID,
		Visibility: models.VisibilityMembers, JoinPolicy: models.JoinApproval,
	})
	if err != nil {
		t.Fatal(err)
	}
	if p.innerB, err = p.b.LookupCommunity(ctx, "@inner@org-a.test"); err != nil {
		t.Fatal(err)
	}
	innerC, err := p.c.LookupCommunity(ctx, "@inner@org-a.test")
	if err != nil {
		t.Fatal(err)
	}
	for _, who := range []*models.Account{p.bob, p.frank, p.eve} {
		if _, err := p.b.Service.Join(ctx, who.ActorID, p.innerB); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := p.c.Service.Join(ctx, p.carol.ActorID, innerC); err != nil {
		t.Fatal(err)
	}
	remote := map[string]*models.Actor{}
	eventually(t, within, "A holds the four join requests", func() bool {
		ms, err := p.a.Service.PendingMembers(ctx, p.inner, p.alice.ActorID)
		if err != nil || len(ms) != 4 {
			return false
		}
		for _, m := range ms {
			remote[m.Actor.IRI] = m.Actor
		}
		return true
	})
	for who, approve := range map[*models.Account]bool{p.bob: true, p.frank: true, p.carol: false} {
		if err := p.a.Service.DecideMember(ctx, p.inner, p.alice.ActorID, remote[who.Actor.IRI].ID, approve); err != nil {
			t.Fatal(err)
		}
	}
	eventually(t, within, "B sees bob's and frank's memberships accepted, C carol's refused", func() bool {
		return p.stateOnB(p.bob) == "accepted" && p.stateOnB(p.frank) == "accepted" &&
			membershipState(t, p.c, innerC, p.carol) == "rejected"
	})
	if p.stateOnB(p.eve) != "pending" {
		t.Fatalf("eve's request is %q on B, want pending", p.stateOnB(p.eve))
	}
	return p
}

func membershipState(t *testing.T, inst *testrig.Instance, c *models.Community, who *models.Account) string {
	m, err := inst.Service.MembershipOf(context.Background(), c, who.ActorID)
	if err != nil {
		t.Fatal(err)
	}
	return m.State
}

func (p *privacyNet) stateOnB(who *models.Account) string {
	return membershipState(p.t, p.b, p.innerB, who)
}

// remoteActorOnA is A's record of a person on another instance.
func (p *privacyNet) remoteActorOnA(who *models.Account) *models.Actor {
	p.t.Helper()
	a, err := p.a.Service.ActorByIRI(p.ctx, who.Actor.IRI)
	if err != nil {
		p.t.Fatal(err)
	}
	return a
}

// secret is a members-only thread with a marker no outsider may see.
type secret struct {
	marker string
	onA    *models.Post
}

// post has alice start a members-only thread on A.
func (p *privacyNet) post(label string) secret {
	p.t.Helper()
	marker := "SECRET" + label + testrig.RandomID()
	pst, err := p.a.Service.CreatePost(p.ctx, service.NewPost{
		AuthorID: p.alice.ActorID, CommunityID: p.inner.ID, Title: "Thread " + marker, Body: "Only for members: " + marker,
	})
	if err != nil {
		p.t.Fatal(err)
	}
	if pst.Audience != models.AudienceMembers {
		p.t.Fatalf("a post in a members-only community has audience %q", pst.Audience)
	}
	return secret{marker: marker, onA: pst}
}

// onB waits for B to store the post and returns B's copy.
func (p *privacyNet) onB(s secret) *models.Post {
	p.t.Helper()
	var got *models.Post
	eventually(p.t, within, "B stores "+s.marker, func() bool {
		var err error
		got, err = p.b.Store.GetPostByIRI(p.ctx, s.onA.IRI)
		return err == nil
	})
	return got
}

// announcesOf returns A's community activities whose JSON carries marker.
func (p *privacyNet) announcesOf(marker string) []models.Activity {
	p.t.Helper()
	page, err := p.a.Service.Outbox(p.ctx, p.inner.Actor, service.Viewer{ActorID: p.inner.ActorID}, 0, 200)
	if err != nil {
		p.t.Fatal(err)
	}
	var out []models.Activity
	for _, act := range page.Items {
		if strings.Contains(act.JSON, marker) {
			out = append(out, act)
		}
	}
	return out
}

// deliveryInboxes lists the inboxes A queued an activity for.
func (p *privacyNet) deliveryInboxes(act models.Activity) []string {
	p.t.Helper()
	ds, err := p.a.Service.ActivityDeliveries(p.ctx, act.ID)
	if err != nil {
		p.t.Fatal(err)
	}
	var out []string
	for _, d := range ds {
		out = append(out, d.InboxURL)
	}
	slices.Sort(out)
	return out
}

// hidden fails unless r carries none of the markers and, when status is
// not 0, has that status; when missing is given, r must also read exactly
// like the answer about a thing that does not exist (apart from the
// page's own address in log-in links).
func hidden(t *testing.T, who, what string, r answer, status int, missing *answer, markers ...string) {
	t.Helper()
	for _, m := range markers {
		if strings.Contains(r.Body, m) {
			t.Errorf("%s sees %s: it carries %s", who, what, m)
		}
	}
	if status != 0 && r.Status != status {
		t.Errorf("%s: %s answered %d, want %d", who, what, r.Status, status)
	}
	if missing != nil && (r.Status != missing.Status || normal(r.Body) != normal(missing.Body)) {
		t.Errorf("%s: %s answered %d %.300q; a missing one answers %d %.300q", who, what, r.Status, normal(r.Body), missing.Status, normal(missing.Body))
	}
}

var nextParam = regexp.MustCompile(`next=[^"&]*`)

// normal blanks what differs between two 404 pages only by their address.
func normal(body string) string { return nextParam.ReplaceAllString(body, "next=") }

func ptr(a answer) *answer { return &a }

// shown fails unless r is a 200 carrying every marker: the positive
// control that keeps the hidden checks honest.
func shown(t *testing.T, who, what string, r answer, markers ...string) {
	t.Helper()
	if r.Status != http.StatusOK {
		t.Errorf("%s: %s answered %d, want 200: %.300s", who, what, r.Status, r.Body)
		return
	}
	for _, m := range markers {
		if !strings.Contains(r.Body, m) {
			t.Errorf("%s: %s lacks %s: %.300s", who, what, m, r.Body)
		}
	}
}

// totalItems reads a collection's count.
func totalItems(t *testing.T, r answer) int64 {
	t.Helper()
	var c struct {
		TotalItems int64 `json:"totalItems"`
	}
	if err := json.Unmarshal([]byte(r.Body), &c); err != nil {
		t.Fatalf("collection: %v: %.200s", err, r.Body)
	}
	return c.TotalItems
}

var memberCountPattern = regexp.MustCompile(`\d+ members?\b`)

// checkA checks every way of reading A: the ActivityPub documents and
// collections, the web pages and the API, for outsiders and insiders.
func (p *privacyNet) checkA(t *testing.T, outsiders, insiders []*client, secrets []secret) {
	a := p.a.BaseURL
	var markers []string
	for _, s := range secrets {
		markers = append(markers, s.marker)
	}
	for _, c := range outsiders {
		missingObject := c.ap(a + "/objects/" + testrig.RandomID())
		for _, s := range secrets {
			hidden(t, c.name, "the object", c.ap(s.onA.IRI), http.StatusNotFound, ptr(missingObject), s.marker)
		}
		for _, act := range p.announcesOf(secrets[0].marker) {
			missing := c.ap(a + "/activities/" + testrig.RandomID())
			hidden(t, c.name, "the Announce", c.ap(act.IRI), http.StatusNotFound, ptr(missing), markers...)
		}
		out := c.ap(a + "/c/inner/outbox?page=true")
		hidden(t, c.name, "the outbox", out, http.StatusOK, nil, markers...)
		if n := totalItems(t, out); n != 0 {
			t.Errorf("%s: the outbox counts %d items", c.name, n)
		}
		hidden(t, c.name, "the followers", c.ap(a+"/c/inner/followers"), http.StatusNotFound, nil)
		feat := c.ap(a + "/c/inner/featured")
		hidden(t, c.name, "the featured posts", feat, http.StatusOK, nil, secrets[0].onA.IRI)
		if n := totalItems(t, feat); n != 0 {
			t.Errorf("%s: featured counts %d items", c.name, n)
		}
		aliceOut := c.ap(a + "/u/alice/outbox?page=true")
		hidden(t, c.name, "alice's outbox", aliceOut, http.StatusOK, nil, markers...)
		if n := totalItems(t, aliceOut); n != 0 {
			t.Errorf("%s: alice's outbox counts %d items", c.name, n)
		}
	}
	for _, c := range insiders {
		for _, s := range secrets {
			shown(t, c.name, "the object", c.ap(s.onA.IRI), s.marker)
		}
		out := c.ap(a + "/c/inner/outbox?page=true")
		shown(t, c.name, "the outbox", out, markers...)
		shown(t, c.name, "the followers", c.ap(a+"/c/inner/followers?page=true"), p.alice.Actor.IRI)
		shown(t, c.name, "the featured posts", c.ap(a+"/c/inner/featured"), secrets[0].onA.IRI)
	}
}

// checkPagesA checks A's web pages for browsers.
func (p *privacyNet) checkPagesA(t *testing.T, outsiders, insiders []*client, secrets []secret) {
	a := p.a.BaseURL
	var markers []string
	for _, s := range secrets {
		markers = append(markers, s.marker)
	}
	for _, c := range outsiders {
		page := c.page(a + "/c/inner")
		hidden(t, c.name, "the community page", page, http.StatusOK, nil, markers...)
		if m := memberCountPattern.FindString(page.Body); m != "" {
			t.Errorf("%s: the community page of a members-only space shows %q", c.name, m)
		}
		missingThread := c.page(fmt.Sprintf("%s/c/inner/t/%d", a, 1<<40))
		for _, s := range secrets {
			hidden(t, c.name, "the thread page", c.page(fmt.Sprintf("%s/c/inner/t/%d", a, s.onA.ID)), http.StatusNotFound, ptr(missingThread), s.marker)
			hidden(t, c.name, "the object's page", c.page(s.onA.IRI), http.StatusNotFound, ptr(c.page(a+"/objects/"+testrig.RandomID())), s.marker)
		}
		hidden(t, c.name, "the members page", c.page(a+"/c/inner/members"), http.StatusNotFound, nil)
		for _, path := range []string{"/", "/explore", "/explore?q=inner", "/u/alice", "/nodeinfo/2.1"} {
			hidden(t, c.name, path, c.page(a+path), 0, nil, markers...)
		}
	}
	for _, c := range insiders {
		page := c.page(a + "/c/inner")
		shown(t, c.name, "the community page", page, markers...)
		if memberCountPattern.FindString(page.Body) == "" {
			t.Errorf("%s: a member's community page shows no member count", c.name)
		}
		for _, s := range secrets {
			shown(t, c.name, "the thread page", c.page(fmt.Sprintf("%s/c/inner/t/%d", a, s.onA.ID)), s.marker)
		}
	}
}

// checkAPIA checks A's JSON API.
func (p *privacyNet) checkAPIA(t *testing.T, outsiders, insiders []*client, secrets []secret) {
	api := p.a.BaseURL + "/api/v1"
	var markers []string
	for _, s := range secrets {
		markers = append(markers, s.marker)
	}
	for _, c := range outsiders {
		cm := c.api(api + "/communities/inner")
		hidden(t, c.name, "the community", cm, http.StatusOK, nil, markers...)
		if strings.Contains(cm.Body, "member_count") {
			t.Errorf("%s: the API tells an outsider the member count: %s", c.name, cm.Body)
		}
		hidden(t, c.name, "the threads", c.api(api+"/communities/inner/threads"), http.StatusNotFound, nil, markers...)
		hidden(t, c.name, "the members", c.api(api+"/communities/inner/members"), http.StatusNotFound, nil)
		missing := c.api(fmt.Sprintf("%s/posts/%d", api, 1<<40))
		for _, s := range secrets {
			hidden(t, c.name, "the post", c.api(fmt.Sprintf("%s/posts/%d", api, s.onA.ID)), http.StatusNotFound, ptr(missing), s.marker)
		}
		hidden(t, c.name, "the directory", c.api(api+"/communities?q=inner"), 0, nil, markers...)
	}
	for _, c := range insiders {
		shown(t, c.name, "the threads", c.api(api+"/communities/inner/threads"), markers...)
		shown(t, c.name, "the community", c.api(api+"/communities/inner"), "member_count")
		for _, s := range secrets {
			shown(t, c.name, "the post", c.api(fmt.Sprintf("%s/posts/%d", api, s.onA.ID)), s.marker)
		}
	}
}

// checkB checks B's pages and API: B holds members-only posts because it
// has members, and must show them to those members only.
func (p *privacyNet) checkB(t *testing.T, outsiders, insiders []*client, posts map[string]*models.Post) {
	b := p.b.BaseURL
	handle := "inner@org-a.test"
	var markers []string
	for m := range posts {
		markers = append(markers, m)
	}
	for _, c := range outsiders {
		hidden(t, c.name, "B's page of the community", c.page(b+"/c/"+handle), http.StatusOK, nil, markers...)
		missingThread := c.page(fmt.Sprintf("%s/c/%s/t/%d", b, handle, 1<<40))
		for m, pst := range posts {
			hidden(t, c.name, "B's thread page", c.page(fmt.Sprintf("%s/c/%s/t/%d", b, handle, pst.ID)), http.StatusNotFound, ptr(missingThread), m)
		}
		for _, path := range []string{"/", "/explore?q=inner"} {
			hidden(t, c.name, "B's "+path, c.page(b+path), 0, nil, markers...)
		}
	}
	for _, c := range insiders {
		shown(t, c.name, "B's page of the community", c.page(b+"/c/"+handle), markers...)
		for m, pst := range posts {
			shown(t, c.name, "B's thread page", c.page(fmt.Sprintf("%s/c/%s/t/%d", b, handle, pst.ID)), m)
		}
	}
}

// checkAPIB checks B's API for token holders.
func (p *privacyNet) checkAPIB(t *testing.T, outsiders, insiders []*client, posts map[string]*models.Post) {
	api := p.b.BaseURL + "/api/v1"
	var markers []string
	for m := range posts {
		markers = append(markers, m)
	}
	threads := api + "/communities/" + url.PathEscape("inner@org-a.test") + "/threads"
	for _, c := range outsiders {
		// B records a remote community as public (it cannot know better),
		// so the list answers 200: with none of the members' posts.
		hidden(t, c.name, "B's API threads", c.api(threads), 0, nil, markers...)
		missing := c.api(fmt.Sprintf("%s/posts/%d", api, 1<<40))
		for m, pst := range posts {
			hidden(t, c.name, "B's API post", c.api(fmt.Sprintf("%s/posts/%d", api, pst.ID)), http.StatusNotFound, ptr(missing), m)
		}
	}
	for _, c := range insiders {
		shown(t, c.name, "B's API threads", c.api(threads), markers...)
		for m, pst := range posts {
			shown(t, c.name, "B's API post", c.api(fmt.Sprintf("%s/posts/%d", api, pst.ID)), m)
		}
	}
}

// checkWire checks what reached B and C: nothing members-only at C, at B
// only through the shared inbox, never at a person's own inbox.
func (p *privacyNet) checkWire(t *testing.T, secrets ...secret) {
	for _, s := range secrets {
		if paths := p.wireC.carrying(s.marker); len(paths) > 0 {
			t.Errorf("C, which has no member, received %s at %v", s.marker, paths)
		}
		for _, path := range p.wireB.carrying(s.marker) {
			if path != "/inbox" {
				t.Errorf("B received %s at %s; only its shared inbox may carry it", s.marker, path)
			}
		}
	}
}

// TestChecklist17MembersOnlyIsInvisibleToOutsiders: a members-only
// object, activity, collection item or count, page or API answer reaches
// no one but members: not anonymous clients, not a non-member of the
// member's own instance, not a refused person on a third instance, not
// the instance actor of a server without a member; and a removed member
// gets 404s like a stranger. The instance actor of the members' server
// reads what its members read (protocol.md §8): it is sent all of it at
// its shared inbox already, and fetches with that actor.
// Every 404 is byte for byte the 404 of a missing thing.
func TestChecklist17MembersOnlyIsInvisibleToOutsiders(t *testing.T) {
	t.Parallel()
	p := newPrivacyNet(t)
	ctx := p.ctx
	n := p.n
	t1 := p.post("T1")
	t2 := p.post("T2")
	secrets := []secret{t1, t2}
	// A pinned post, so the featured collection has something to hide.
	pinPost(t, p.a, t1.onA.ID)
	// Bob replies from B: A redistributes the reply to its members only.
	t1OnB := p.onB(t1)
	reply, err := p.b.Service.CreatePost(ctx, service.NewPost{AuthorID: p.bob.ActorID, CommunityID: p.innerB.ID, Body: "Reply " + t1.marker + "R", InReplyToID: t1OnB.ID})
	if err != nil {
		t.Fatal(err)
	}
	eventually(t, within, "A stores bob's reply", func() bool {
		_, err := p.a.Store.GetPostByIRI(ctx, reply.IRI)
		return err == nil
	})
	bInstance, _ := p.b.Service.InstanceActor(ctx)
	cInstance, _ := p.c.Service.InstanceActor(ctx)
	outsiders := []*client{
		anonymous(t, n, "an anonymous client"),
		signedAs(t, n, "eve (B, pending)", p.eve.Actor),
		signedAs(t, n, "carol (C, refused)", p.carol.Actor),
		signedAs(t, n, "C's instance actor", cInstance),
		signedAs(t, n, "dave (A, not a member)", p.dave.Actor),
	}
	insiders := []*client{signedAs(t, n, "bob (B, member)", p.bob.Actor), signedAs(t, n, "the community itself", p.inner.Actor),
		signedAs(t, n, "B's instance actor (B holds members)", bInstance)}
	p.checkA(t, outsiders, insiders, secrets)

	browsers := []*client{anonymous(t, n, "a logged-out browser on A"), loggedIn(t, n, p.a, p.dave)}
	p.checkPagesA(t, browsers, []*client{loggedIn(t, n, p.a, p.alice)}, secrets)
	p.checkAPIA(t, []*client{withToken(t, n, "dave's API token on A", apiToken(t, p.a, p.dave))},
		[]*client{withToken(t, n, "alice's API token on A", apiToken(t, p.a, p.alice))}, secrets)
	// NodeInfo counts no members-only post.
	var ni struct {
		Usage struct {
			LocalPosts    int64 `json:"localPosts"`
			LocalComments int64 `json:"localComments"`
		} `json:"usage"`
	}
	if err := json.Unmarshal([]byte(anonymous(t, n, "nodeinfo").api(p.a.BaseURL+"/nodeinfo/2.1").Body), &ni); err != nil {
		t.Fatal(err)
	}
	if ni.Usage.LocalPosts != 0 || ni.Usage.LocalComments != 0 {
		t.Errorf("NodeInfo counts members-only posts: %+v", ni.Usage)
	}
	p.checkWire(t, secrets...)

	// Bob is removed: from then on he is a stranger to A.
	if err := p.a.Service.RemoveMember(ctx, p.inner, p.alice.ActorID, p.remoteActorOnA(p.bob).ID); err != nil {
		t.Fatal(err)
	}
	removed := []*client{signedAs(t, n, "bob (B, removed)", p.bob.Actor)}
	p.checkA(t, removed, []*client{signedAs(t, n, "frank (B, member)", p.frank.Actor)}, secrets)
}

// TestChecklist18SharedInboxHostWithMembersAndNonMembers: B has two
// members (bob, frank) and a non-member (eve). Members-only posts go to
// B's shared inbox only, never to C or a personal inbox; B shows them to
// bob and frank and to no one else. Bob is removed: B learns it (Reject
// of his Follow), he stops seeing the space on B, including what B kept
// from before; new posts still reach B for frank and are not shown to
// bob. Once frank is removed too, nothing more is sent to B at all.
func TestChecklist18SharedInboxHostWithMembersAndNonMembers(t *testing.T) {
	t.Parallel()
	p := newPrivacyNet(t)
	ctx := p.ctx
	n := p.n
	bShared := p.b.BaseURL + "/inbox"

	t1 := p.post("T1")
	t1OnB := p.onB(t1)
	anns := p.announcesOf(t1.marker)
	if len(anns) == 0 {
		t.Fatal("A published no Announce of a members-only post")
	}
	for _, act := range anns {
		if act.Audience != models.AudienceMembers || act.InOutbox && strings.Contains(act.JSON, "#Public") {
			t.Errorf("Announce %s: audience %q: %s", act.IRI, act.Audience, act.JSON)
		}
		if got := p.deliveryInboxes(act); !slices.Equal(got, []string{bShared}) {
			t.Errorf("Announce of T1 queued for %v, want only %s", got, bShared)
		}
	}
	tokBob, tokFrank, tokEve := apiToken(t, p.b, p.bob), apiToken(t, p.b, p.frank), apiToken(t, p.b, p.eve)
	bobBrowser, frankBrowser, eveBrowser := loggedIn(t, n, p.b, p.bob), loggedIn(t, n, p.b, p.frank), loggedIn(t, n, p.b, p.eve)
	anonB := anonymous(t, n, "a logged-out browser on B")
	posts := map[string]*models.Post{t1.marker: t1OnB}
	p.checkB(t, []*client{anonB, eveBrowser}, []*client{bobBrowser, frankBrowser}, posts)
	p.checkAPIB(t, []*client{withToken(t, n, "eve's token on B", tokEve)},
		[]*client{withToken(t, n, "bob's token on B", tokBob), withToken(t, n, "frank's token on B", tokFrank)}, posts)

	// Bob is removed. B hears of it and stops showing him the space.
	if err := p.a.Service.RemoveMember(ctx, p.inner, p.alice.ActorID, p.remoteActorOnA(p.bob).ID); err != nil {
		t.Fatal(err)
	}
	eventually(t, within, "B records bob's membership as ended", func() bool { return p.stateOnB(p.bob) == "rejected" })
	if got := p.wireB.carrying(`"Reject"`); !slices.Equal(got, []string{"/u/bob/inbox"}) {
		t.Errorf("the Reject reached B at %v, want bob's own inbox only", got)
	}
	if _, err := p.b.Service.CreatePost(ctx, service.NewPost{AuthorID: p.bob.ActorID, CommunityID: p.innerB.ID, Body: "still here?", InReplyToID: t1OnB.ID}); service.KindOf(err) != service.KindForbidden {
		t.Errorf("bob posts after his removal: %v, want forbidden", err)
	}

	t2 := p.post("T2")
	t2OnB := p.onB(t2) // frank is still a member on B
	for _, act := range p.announcesOf(t2.marker) {
		if got := p.deliveryInboxes(act); !slices.Equal(got, []string{bShared}) {
			t.Errorf("Announce of T2 queued for %v, want only %s", got, bShared)
		}
	}
	// B keeps what it had; bob sees neither the old nor the new post.
	if _, err := p.b.Store.GetPostByIRI(ctx, t1.onA.IRI); err != nil {
		t.Errorf("B lost T1: %v", err)
	}
	posts = map[string]*models.Post{t1.marker: t1OnB, t2.marker: t2OnB}
	p.checkB(t, []*client{anonB, eveBrowser, bobBrowser}, []*client{frankBrowser}, posts)
	p.checkAPIB(t, []*client{withToken(t, n, "eve's token on B", tokEve), withToken(t, n, "bob's token on B (removed)", tokBob)},
		[]*client{withToken(t, n, "frank's token on B", tokFrank)}, posts)

	// Frank is removed too: B has no member left and gets nothing more.
	if err := p.a.Service.RemoveMember(ctx, p.inner, p.alice.ActorID, p.remoteActorOnA(p.frank).ID); err != nil {
		t.Fatal(err)
	}
	eventually(t, within, "B records frank's membership as ended", func() bool { return p.stateOnB(p.frank) == "rejected" })
	t3 := p.post("T3")
	anns = p.announcesOf(t3.marker)
	if len(anns) == 0 {
		t.Fatal("A published no Announce of T3")
	}
	for _, act := range anns {
		if got := p.deliveryInboxes(act); len(got) != 0 {
			t.Errorf("Announce of T3 queued for %v with no remote member left", got)
		}
	}
	if _, err := p.b.Store.GetPostByIRI(ctx, t3.onA.IRI); err == nil {
		t.Error("B holds T3")
	}
	p.checkB(t, []*client{anonB, eveBrowser, bobBrowser, frankBrowser}, nil, map[string]*models.Post{t1.marker: t1OnB, t2.marker: t2OnB})
	// With no member left, B's instance actor reads nothing more either.
	bInstance, _ := p.b.Service.InstanceActor(ctx)
	p.checkA(t, []*client{signedAs(t, n, "B's instance actor (no member left)", bInstance)}, nil, []secret{t1, t2, t3})
	p.checkWire(t, t1, t2, t3)
	for _, s := range []secret{t1, t2} {
		if len(p.wireB.carrying(s.marker)) == 0 {
			t.Errorf("the tap on B saw no %s, which B stores: the wire checks see nothing", s.marker)
		}
	}
	if got := p.wireB.carrying(t3.marker); len(got) != 0 {
		t.Errorf("B received T3 at %v", got)
	}
}
