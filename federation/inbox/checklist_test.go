package inbox_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/practica-social/practica/federation/activitystreams"
	"github.com/practica-social/practica/federation/resolve"
	"github.com/practica-social/practica/models"
	"github.com/practica-social/practica/service"
)

// Fake actors of the checklist tests.
const (
	ckAnn     = "http://remote.example/users/ann"
	ckBob     = "http://remote.example/users/bob"
	ckMallory = "http://evil.example/users/mallory"
	ckMember  = "http://member.example/users/mia"
)

var ckSeq atomic.Int64

// ckID returns a fresh id on the host of actor.
func ckID(actor, kind string) string {
	return fmt.Sprintf("http://%s/%s/%d-%d", hostOf(actor), kind, time.Now().UnixNano(), ckSeq.Add(1))
}

// ckNote is a public Note by author in the world's community.
func (w *fediWorld) ckNote(id, author, content string) map[string]any {
	return map[string]any{
		"id": id, "type": "Note", "attributedTo": author, "content": content,
		"to": []any{w.c.Actor.IRI, asPublic}, "audience": w.c.Actor.IRI,
	}
}

// ckActivity wraps object in an activity of actor, addressed to the
// world's community and the public.
func (w *fediWorld) ckActivity(typ, actor string, object any) map[string]any {
	return map[string]any{
		"@context": "https://www.w3.org/ns/activitystreams",
		"id":       ckID(actor, "activities"), "type": typ, "actor": actor, "object": object,
		"to": []any{w.c.Actor.IRI, asPublic}, "audience": w.c.Actor.IRI,
	}
}

// ckPost has author start a thread with content and returns its IRI.
func (w *fediWorld) ckPost(author, content string) string {
	w.t.Helper()
	id := ckID(author, "notes")
	w.expectOutcome("Create by "+author, w.ckActivity("Create", author, w.ckNote(id, author, content)), models.InboxProcessed, "")
	if w.post(id) == nil {
		w.t.Fatalf("post %s not stored", id)
	}
	return id
}

// ckFollow makes actor a member of the world's community through a Follow.
func (w *fediWorld) ckFollow(actor string) {
	w.t.Helper()
	doc := w.ckActivity("Follow", actor, w.c.Actor.IRI)
	w.expectOutcome("Follow by "+actor, doc, models.InboxProcessed, "")
	if m := w.member(w.c, actor); m == nil || m.State != models.MemberAccepted {
		w.t.Fatalf("%s not a member: %+v", actor, m)
	}
}

// TestChecklist05ObjectOnAnotherHostIsRefused: a Create whose object's id
// is on another host than its actor is refused in processing, whether the
// object is embedded or only named (then it is fetched from its own origin
// and still refused); nothing is stored.
func TestChecklist05ObjectOnAnotherHostIsRefused(t *testing.T) {
	w := newFediWorld(t, "gardening")
	w.fedi.actor(ckAnn, "Person", nil)
	// Embedded.
	forged := "http://evil.example/notes/1"
	w.expectOutcome("embedded object on another host", w.ckActivity("Create", ckAnn, w.ckNote(forged, ckAnn, "forged")),
		models.InboxRefused, "not on its actor's host")
	// By IRI: the object is fetched from its origin, which serves it
	// consistently (id = URL), and is still not ann's to create.
	named := "http://evil.example/notes/2"
	w.fedi.serveJSON(named, w.ckNote(named, ckAnn, "named"))
	w.expectOutcome("named object on another host", w.ckActivity("Create", ckAnn, named), models.InboxRefused, "not on its actor's host")
	if w.fedi.hitCount(named) != 1 {
		t.Errorf("the named object was fetched %d times from its origin, want 1", w.fedi.hitCount(named))
	}
	for _, iri := range []string{forged, named} {
		if w.post(iri) != nil {
			t.Errorf("%s stored", iri)
		}
	}
	// The same activities with the object on ann's own host are taken:
	// the refusals above are about the host.
	own := ckID(ckAnn, "notes")
	w.expectOutcome("object on the actor's host", w.ckActivity("Create", ckAnn, w.ckNote(own, ckAnn, "own")), models.InboxProcessed, "")
	if w.post(own) == nil {
		t.Fatal("the control post was not stored")
	}
}

// TestChecklist08DeleteOrUpdateOfSomeoneElsesPostIsIgnored: through the
// inbox, only a post's author may edit or delete it; a Delete or Update by
// someone else (same host or not) changes nothing.
func TestChecklist08DeleteOrUpdateOfSomeoneElsesPostIsIgnored(t *testing.T) {
	w := newFediWorld(t, "gardening")
	for _, a := range []string{ckAnn, ckBob, ckMallory} {
		w.fedi.actor(a, "Person", nil)
	}
	post := w.ckPost(ckAnn, "<p>words of ann</p>")
	unchanged := func(what string) {
		t.Helper()
		p := w.post(post)
		if p == nil || p.DeletedAt != nil || p.EditedAt != nil || !strings.Contains(p.Content, "words of ann") {
			t.Fatalf("%s changed ann's post: %+v", what, p)
		}
		if gone, _ := w.a.Store.IsTombstoned(w.ctx, post); gone {
			t.Fatalf("%s left a tombstone", what)
		}
	}
	// bob, on ann's host, edits her post as hers, then as his.
	w.expectOutcome("bob's Update of ann's post", w.ckActivity("Update", ckBob, w.ckNote(post, ckAnn, "bob was here")),
		models.InboxRefused, "attributed to someone else")
	unchanged("bob's Update")
	w.expectOutcome("bob's Update claiming ann's post", w.ckActivity("Update", ckBob, w.ckNote(post, ckBob, "bob was here")),
		models.InboxProcessed, "")
	unchanged("bob's Update claiming the post")
	// bob deletes it; so does mallory from another host.
	w.expectOutcome("bob's Delete", w.ckActivity("Delete", ckBob, post), models.InboxProcessed, "")
	unchanged("bob's Delete")
	w.expectOutcome("mallory's Delete", w.ckActivity("Delete", ckMallory, post), models.InboxProcessed, "")
	unchanged("mallory's Delete")
	w.expectOutcome("mallory's Update", w.ckActivity("Update", ckMallory, w.ckNote(post, ckMallory, "mallory was here")),
		models.InboxRefused, "not on its actor's host")
	unchanged("mallory's Update")
	// ann herself may.
	w.expectOutcome("ann's Update", w.ckActivity("Update", ckAnn, w.ckNote(post, ckAnn, "<p>ann, edited</p>")), models.InboxProcessed, "")
	if p := w.post(post); p == nil || !strings.Contains(p.Content, "ann, edited") || p.EditedAt == nil {
		t.Fatalf("ann's own Update not applied: %+v", p)
	}
	w.expectOutcome("ann's Delete", w.ckActivity("Delete", ckAnn, post), models.InboxProcessed, "")
	if p := w.post(post); p == nil || p.DeletedAt == nil {
		t.Fatalf("ann's own Delete not applied: %+v", p)
	}
}

// TestChecklist09NonModeratorCannotModerateOurGroup: a remote member who
// moderates nothing sends Block, Add and Remove (moderators, featured),
// Lock, a moderator's Delete and Update{Group} to our community. Block,
// Add and Remove aimed at our community are answered 403 and not stored,
// as the checklist asks: our moderators are people of this server, so no
// remote actor may send them. The rest is answered 202 (deciding needs
// the stored post or actor) and refused or ignored by the processor.
// Nothing changes.
func TestChecklist09NonModeratorCannotModerateOurGroup(t *testing.T) {
	w := newFediWorld(t, "gardening")
	for _, a := range []string{ckAnn, ckBob} {
		w.fedi.actor(a, "Person", nil)
		w.ckFollow(a)
	}
	bobsPost := w.ckPost(ckBob, "<p>bob's thread</p>")
	group := w.c.Actor.IRI
	with := func(doc map[string]any, extra map[string]any) map[string]any {
		for k, v := range extra {
			doc[k] = v
		}
		return doc
	}
	block := with(w.ckActivity("Block", ckAnn, ckBob), map[string]any{"target": group, "removeData": true, "summary": "spam"})
	cases := []struct {
		name   string
		doc    map[string]any
		state  models.InboxState
		reason string
	}{
		{"Block (ban) of a member", block, "", ""},
		{"Undo of the ban", w.ckActivity("Undo", ckAnn, block), models.InboxRefused, `Undo of "Block" is not supported`},
		{"Add herself to the moderators", with(w.ckActivity("Add", ckAnn, ckAnn), map[string]any{"target": group + "/moderators"}), "", ""},
		{"Remove the owner from the moderators", with(w.ckActivity("Remove", ckAnn, w.owner.IRI), map[string]any{"target": group + "/moderators"}), "", ""},
		{"pin (Add to featured)", with(w.ckActivity("Add", ckAnn, bobsPost), map[string]any{"target": group + "/featured"}), "", ""},
		{"unpin (Remove from featured)", with(w.ckActivity("Remove", ckAnn, bobsPost), map[string]any{"target": group + "/featured"}), "", ""},
		{"Add to a collection elsewhere", with(w.ckActivity("Add", ckAnn, bobsPost), map[string]any{"target": "http://lemmy.example/c/tea/featured"}), models.InboxRefused, `"Add" is not supported`},
		{"Lock the thread", w.ckActivity("Lock", ckAnn, bobsPost), models.InboxRefused, `"Lock" is not supported`},
		{"moderator's Delete with a reason", with(w.ckActivity("Delete", ckAnn, bobsPost), map[string]any{"summary": "removed by a moderator"}), models.InboxProcessed, ""},
		{"Update{Group}", w.ckActivity("Update", ckAnn, map[string]any{
			"id": group, "type": "Group", "name": "Hijacked", "preferredUsername": "gardening", "inbox": group + "/inbox",
		}), models.InboxRefused, "an actor may only update itself"},
	}
	for _, c := range cases {
		if c.state != "" {
			w.expectOutcome(c.name, c.doc, c.state, c.reason)
			continue
		}
		if r := w.deliverDoc(c.doc); r.status != http.StatusForbidden || !strings.Contains(r.body, "moderators") {
			t.Errorf("%s: inbox answered %d %s, want 403", c.name, r.status, r.body)
		}
		if _, err := w.a.Store.GetInboxItemByActivityIRI(w.ctx, c.doc["id"].(string)); err == nil {
			t.Errorf("%s: stored although refused at the inbox", c.name)
		}
	}
	// Nothing changed.
	if m := w.member(w.c, ckBob); m == nil || m.State != models.MemberAccepted || m.Role != models.RoleMember {
		t.Errorf("bob's membership: %+v", m)
	}
	if m := w.member(w.c, ckAnn); m == nil || m.Role != models.RoleMember {
		t.Errorf("ann's membership: %+v", m)
	}
	if m := w.member(w.c, w.owner.IRI); m == nil || m.Role != models.RoleOwner {
		t.Errorf("owner's membership: %+v", m)
	}
	if p := w.post(bobsPost); p == nil || p.DeletedAt != nil || p.FeaturedAt != nil {
		t.Errorf("bob's post: %+v", p)
	}
	if c, err := w.a.Service.LocalCommunity(w.ctx, "gardening"); err != nil || c.Actor.Name != "Practice" {
		t.Errorf("community: %+v, %v", c, err)
	}
	// An activity claiming to be the group itself is refused at the door:
	// no remote key can sign for one of our actors.
	forged := w.ckActivity("Block", group, ckBob)
	if r := w.deliver(w.fedi.signer(ckAnn), mustJSON(t, forged)); r.status != http.StatusUnauthorized {
		t.Errorf("activity as our group, signed by ann: %d %s; want 401", r.status, r.body)
	}
}

// TestChecklist10ForwardedActivityIsFetchedFromItsOrigin: a followed remote
// community announces an activity that lives on another host. Its embedded
// copy, even with an LD signature, proves nothing: the activity is fetched
// from its own origin and what the origin says is stored; when the origin
// does not have it, it is refused.
func TestChecklist10ForwardedActivityIsFetchedFromItsOrigin(t *testing.T) {
	w := newFediWorld(t, "gardening")
	const group = "http://lemmy.example/c/tea"
	const local = "http://lemmy.example/u/lou"
	w.fedi.actor(group, "Group", nil)
	w.fedi.actor(local, "Person", nil)
	w.fedi.actor(ckAnn, "Person", nil)
	fw := &fixtureWorld{fediWorld: w}
	fw.followRemoteGroup(group)
	tea, err := w.a.Service.CommunityByActorIRI(w.ctx, group)
	if err != nil {
		t.Fatal(err)
	}
	note := func(id, author, content string) map[string]any {
		return map[string]any{"id": id, "type": "Note", "attributedTo": author, "content": content, "to": []any{group, asPublic}, "audience": group}
	}
	create := func(id, author string, obj map[string]any) map[string]any {
		return map[string]any{"id": id, "type": "Create", "actor": author, "object": obj, "to": []any{group, asPublic}}
	}
	announce := func(object any) map[string]any {
		return map[string]any{
			"@context": "https://www.w3.org/ns/activitystreams",
			"id":       ckID(group, "activities/announce"), "type": "Announce", "actor": group, "object": object,
			"to": []any{asPublic}, "cc": []any{group + "/followers"},
		}
	}
	inTea := func(iri string) *models.Post {
		p := w.post(iri)
		if p == nil || p.CommunityID == nil || *p.CommunityID != tea.ID {
			t.Fatalf("%s not stored in the remote community: %+v", iri, p)
		}
		return p
	}

	// ann's Create lives on remote.example; the group forwards a doctored
	// copy with an LD signature. Her origin serves the real one.
	noteID, createID := ckID(ckAnn, "notes"), ckID(ckAnn, "activities/create")
	genuine := create(createID, ckAnn, note(noteID, ckAnn, "<p>GENUINE</p>"))
	w.fedi.serveJSON(createID, genuine)
	doctored := create(createID, ckAnn, note(noteID, ckAnn, "<p>FORGED</p>"))
	doctored["signature"] = map[string]any{"type": "RsaSignature2017", "creator": ckAnn + "#main-key", "signatureValue": "AAAA"}
	w.expectOutcome("Announce of a foreign Create", announce(doctored), models.InboxProcessed, "")
	if p := inTea(noteID); !strings.Contains(p.Content, "GENUINE") || strings.Contains(p.Content, "FORGED") {
		t.Fatalf("stored content %q: the forwarded copy was trusted", p.Content)
	}
	if w.fedi.hitCount(createID) != 1 {
		t.Fatalf("the Create was fetched %d times from its origin, want 1", w.fedi.hitCount(createID))
	}

	// The origin does not know the forwarded activity: refused, nothing stored.
	ghostNote, ghostCreate := ckID(ckAnn, "notes"), ckID(ckAnn, "activities/create")
	w.expectOutcome("Announce of an activity its origin does not have", announce(create(ghostCreate, ckAnn, note(ghostNote, ckAnn, "ghost"))),
		models.InboxRefused, "could not be fetched")
	if w.post(ghostNote) != nil {
		t.Fatal("an unconfirmed forwarded post was stored")
	}

	// The boost form (Announce of a bare object IRI) is fetched too.
	boosted := ckID(ckAnn, "notes")
	w.fedi.serveJSON(boosted, note(boosted, ckAnn, "<p>from the origin</p>"))
	w.expectOutcome("Announce of an object IRI", announce(boosted), models.InboxProcessed, "")
	if p := inTea(boosted); !strings.Contains(p.Content, "from the origin") || w.fedi.hitCount(boosted) != 1 {
		t.Fatalf("boosted object %q, fetched %d times", p.Content, w.fedi.hitCount(boosted))
	}

	// The group's host cannot speak for ann by minting the activity's id on
	// its own host, nor can a third host serve an activity in her name:
	// an activity lives on its actor's host.
	mintedNote := ckID(ckAnn, "notes")
	w.expectOutcome("Announce of ann's Create with an id on the group's host",
		announce(create(ckID(group, "activities/create"), ckAnn, note(mintedNote, ckAnn, "<p>put in her mouth</p>"))),
		models.InboxRefused, "not on its actor's host")
	thirdNote, thirdCreate := ckID(ckAnn, "notes"), ckID(ckMallory, "activities/create")
	w.fedi.serveJSON(thirdCreate, create(thirdCreate, ckAnn, note(thirdNote, ckAnn, "<p>served by mallory</p>")))
	w.expectOutcome("Announce of ann's Create served by a third host",
		announce(create(thirdCreate, ckAnn, note(thirdNote, ckAnn, "<p>served by mallory</p>"))),
		models.InboxRefused, "not on its actor's host")
	for _, iri := range []string{mintedNote, thirdNote} {
		if w.post(iri) != nil {
			t.Fatalf("%s stored in ann's name", iri)
		}
	}

	// Control: an activity of the group's own host is taken as embedded,
	// without a fetch (the group's signature vouches for its host).
	ownNote, ownCreate := ckID(local, "notes"), ckID(local, "activities/create")
	w.expectOutcome("Announce of a same-host Create", announce(create(ownCreate, local, note(ownNote, local, "<p>local</p>"))), models.InboxProcessed, "")
	if p := inTea(ownNote); !strings.Contains(p.Content, "local") || w.fedi.hitCount(ownCreate) != 0 {
		t.Fatalf("same-host announce: %q, fetched %d times", p.Content, w.fedi.hitCount(ownCreate))
	}
}

// TestChecklist14HostileShapesStayWithinLimits: documents built to exhaust
// the receiver are refused (400) or truncated within fixed limits: nesting
// 10^5 deep, 10,000 tags, a collection of a million items, and reply chains
// that would loop.
func TestChecklist14HostileShapesStayWithinLimits(t *testing.T) {
	w := newFediWorld(t, "gardening")
	ann := w.fedi.actor(ckAnn, "Person", nil)

	t.Run("nested 10^5 deep", func(t *testing.T) {
		w := *w
		w.t = t
		id := ckID(ckAnn, "activities")
		body := []byte(`{"id":"` + id + `","type":"Create","actor":"` + ckAnn + `","object":` +
			strings.Repeat(`{"a":[`, 50000) + strings.Repeat(`]}`, 50000) + `}`)
		start := time.Now()
		r := w.deliver(ann, body)
		if r.status != http.StatusBadRequest || !strings.Contains(r.body, "nested too deeply") {
			t.Fatalf("depth bomb: %d %s; want 400 nested too deeply", r.status, r.body)
		}
		if d := time.Since(start); d > 10*time.Second {
			t.Errorf("depth bomb took %v", d)
		}
		if _, err := w.a.Store.GetInboxItemByActivityIRI(w.ctx, id); err == nil {
			t.Error("depth bomb stored")
		}
	})

	t.Run("10k tags", func(t *testing.T) {
		w := *w
		w.t = t
		tags := make([]any, 0, 10000)
		for i := range 9999 {
			tags = append(tags, map[string]any{"type": "Mention", "href": "http://r.example/u/" + strconv.Itoa(i)})
		}
		// The community is mentioned only as the 10,000th tag, beyond the
		// 1,000 kept: truncated away, so the post is addressed to nobody here.
		tags = append(tags, map[string]any{"type": "Mention", "href": w.c.Actor.IRI})
		late := ckID(ckAnn, "notes")
		obj := map[string]any{"id": late, "type": "Note", "attributedTo": ckAnn, "content": "tags", "to": []any{asPublic}, "tag": tags}
		doc := w.ckActivity("Create", ckAnn, obj)
		doc["to"] = []any{asPublic}
		delete(doc, "audience")
		if b := mustJSON(t, doc); len(b) >= 1<<20 {
			t.Fatalf("test body is %d bytes", len(b))
		}
		w.expectOutcome("10k tags, community last", doc, models.InboxRefused, "not addressed to a community")
		if parsed, err := activitystreams.ObjectFromMap(mustDecode(t, mustJSON(t, obj))); err != nil || len(parsed.Tags) != activitystreams.MaxItems {
			t.Fatalf("tags kept: %d, %v; want %d", len(parsed.Tags), err, activitystreams.MaxItems)
		}
		// Addressed properly, the same 10k tags are truncated and the post taken.
		kept := ckID(ckAnn, "notes")
		obj = w.ckNote(kept, ckAnn, "tags")
		obj["tag"] = tags
		w.expectOutcome("10k tags", w.ckActivity("Create", ckAnn, obj), models.InboxProcessed, "")
		if w.post(kept) == nil {
			t.Fatal("post with 10k tags not stored")
		}
	})

	t.Run("a million-item collection", func(t *testing.T) {
		w := *w
		w.t = t
		// Practica never pages through a remote collection: a post whose
		// replies collection claims a million items, with a first page, is
		// taken without a single request for that collection.
		id := ckID(ckAnn, "notes")
		replies := id + "/replies"
		w.fedi.serveJSON(replies, map[string]any{"id": replies, "type": "OrderedCollection", "totalItems": 1000000, "first": replies + "?page=1"})
		w.fedi.serveJSON(replies+"?page=1", map[string]any{"id": replies + "?page=1", "type": "OrderedCollectionPage", "next": replies + "?page=2", "orderedItems": []any{}})
		obj := w.ckNote(id, ckAnn, "many replies")
		obj["replies"] = map[string]any{"id": replies, "type": "OrderedCollection", "totalItems": 1000000, "first": replies + "?page=1"}
		w.expectOutcome("post with a huge replies collection", w.ckActivity("Create", ckAnn, obj), models.InboxProcessed, "")
		if n := w.fedi.hitCount(replies) + w.fedi.hitCount(replies+"?page=1"); n != 0 {
			t.Fatalf("the collection was fetched %d times", n)
		}
		// What Practica does fetch (an object named by a Create) is capped
		// at 1 MiB: a document inlining a million items is refused, read no
		// further than the cap.
		huge := ckID(ckAnn, "collections")
		var b strings.Builder
		b.WriteString(`{"id":"` + huge + `","type":"OrderedCollection","totalItems":1000000,"orderedItems":[`)
		for i := range 1000000 {
			if i > 0 {
				b.WriteByte(',')
			}
			b.WriteString(`"x"`)
		}
		b.WriteString(`]}`)
		w.fedi.serveRaw(huge, http.StatusOK, "application/activity+json", []byte(b.String()))
		if _, err := w.a.Resolver.Object(w.ctx, huge); !errors.Is(err, resolve.ErrRefused) {
			t.Fatalf("fetching a million-item collection: %v; want refused", err)
		}
		w.expectOutcome("Create naming the huge collection", w.ckActivity("Create", ckAnn, huge), models.InboxRefused, "refused")
	})

	t.Run("reply chains that loop", func(t *testing.T) {
		w := *w
		w.t = t
		root := w.ckPost(ckAnn, "<p>root</p>")
		reply := ckID(ckAnn, "notes")
		obj := w.ckNote(reply, ckAnn, "reply")
		obj["inReplyTo"] = root
		w.expectOutcome("reply", w.ckActivity("Create", ckAnn, obj), models.InboxProcessed, "")
		// A post replying to itself, and a pair replying to each other,
		// each served by its origin: a missing parent is fetched, and the
		// walk up the thread stops at the first id it meets twice, with
		// nothing stored (parents.go).
		self := ckID(ckAnn, "notes")
		obj = w.ckNote(self, ckAnn, "me")
		obj["inReplyTo"] = self
		w.fedi.serveJSON(self, obj)
		w.expectOutcome("self reply", w.ckActivity("Create", ckAnn, obj), models.InboxRefused, "loops")
		a, b := ckID(ckAnn, "notes"), ckID(ckAnn, "notes")
		objA, objB := w.ckNote(a, ckAnn, "a"), w.ckNote(b, ckAnn, "b")
		objA["inReplyTo"], objB["inReplyTo"] = b, a
		w.fedi.serveJSON(a, objA)
		w.fedi.serveJSON(b, objB)
		w.expectOutcome("a replies to b", w.ckActivity("Create", ckAnn, objA), models.InboxRefused, "loops")
		w.expectOutcome("b replies to a", w.ckActivity("Create", ckAnn, objB), models.InboxRefused, "loops")
		if w.fedi.hitCount(a) != 1 || w.fedi.hitCount(b) != 1 || w.fedi.hitCount(self) != 0 {
			t.Errorf("fetches: a %d, b %d, self %d; want 1, 1, 0", w.fedi.hitCount(a), w.fedi.hitCount(b), w.fedi.hitCount(self))
		}
		// A loop above the reply, among posts only the origin has.
		x, y, z := ckID(ckAnn, "notes"), ckID(ckAnn, "notes"), ckID(ckAnn, "notes")
		objY, objZ := w.ckNote(y, ckAnn, "y"), w.ckNote(z, ckAnn, "z")
		objY["inReplyTo"], objZ["inReplyTo"] = z, y
		w.fedi.serveJSON(y, objY)
		w.fedi.serveJSON(z, objZ)
		obj = w.ckNote(x, ckAnn, "x")
		obj["inReplyTo"] = y
		w.expectOutcome("x replies into a loop", w.ckActivity("Create", ckAnn, obj), models.InboxRefused, "loops")
		// An edit cannot re-parent the root under its own reply.
		edit := w.ckNote(root, ckAnn, "<p>root, edited</p>")
		edit["inReplyTo"] = reply
		w.expectOutcome("root re-parented under its reply", w.ckActivity("Update", ckAnn, edit), models.InboxProcessed, "")
		r := w.post(root)
		if r == nil || r.InReplyTo != "" || r.ThreadID != nil {
			t.Fatalf("root after the Update: %+v", r)
		}
		// The thread renders, with its one reply, promptly.
		start := time.Now()
		tv, err := w.a.Service.ThreadPage(w.ctx, w.c, r.ID, service.Anonymous, 0, 50)
		if err != nil || len(tv.Items) != 1 || time.Since(start) > 10*time.Second {
			t.Fatalf("thread: %+v, %v after %v", tv, err, time.Since(start))
		}
		for _, iri := range []string{self, a, b, x, y, z} {
			if w.post(iri) != nil {
				t.Errorf("%s stored", iri)
			}
		}
	})
}

// TestChecklist15RemoteContentIsSanitised: script, javascript: URLs, style,
// event handlers and SVG in a remote post's content, name and summary are
// stored sanitised against the allow-list (content) or as plain text
// (titles), and the thread page shows none of them as markup.
func TestChecklist15RemoteContentIsSanitised(t *testing.T) {
	w := newFediWorld(t, "gardening")
	hostileName := `<script>alert(6)</script>Title <b>bold</b><svg onload="alert(7)"><circle/></svg><style>p{}</style>`
	actorDoc := map[string]any{
		"@context": "https://www.w3.org/ns/activitystreams", "id": ckAnn, "type": "Person", "preferredUsername": "ann",
		"name":    "Ann",
		"summary": `<p>bio<script>alert(8)</script><a href="javascript:alert(9)">me</a><img src=x onerror="alert(10)"></p>`,
		"inbox":   ckAnn + "/inbox",
	}
	w.fedi.actor(ckAnn, "Person", actorDoc)
	hostile := []string{"<script", "javascript:", "style=", "<style", "<svg", "onload", "onclick", "onerror", "<img", "<iframe", "alert("}
	clean := func(what, s string) {
		t.Helper()
		for _, bad := range hostile {
			if strings.Contains(strings.ToLower(s), bad) {
				t.Errorf("%s keeps %q: %s", what, bad, s)
			}
		}
	}

	note := ckID(ckAnn, "notes")
	obj := w.ckNote(note, ckAnn, `<p>Hello<script>alert(1)</script> <a href="javascript:alert(2)">link</a> `+
		`<a href="JaVaScRiPt&#58;alert(2)">encoded</a> <span style="color:red" onclick="alert(3)">styled</span>`+
		`<svg onload="alert(4)"><circle r="1"/></svg><img src="x" onerror="alert(5)"><iframe src="http://evil.example"></iframe>`+
		`<a href="https://example.org/ok">fine</a></p>`)
	obj["name"] = hostileName
	obj["summary"] = `<script>alert(11)</script>cw`
	w.expectOutcome("hostile Note", w.ckActivity("Create", ckAnn, obj), models.InboxProcessed, "")
	p := w.post(note)
	if p == nil {
		t.Fatal("post not stored")
	}
	clean("content", p.Content)
	clean("title", p.Title)
	if !strings.Contains(p.Content, "Hello") || !strings.Contains(p.Content, `href="https://example.org/ok"`) {
		t.Errorf("sanitising lost the harmless parts: %s", p.Content)
	}
	if p.Title != "Title bold" {
		t.Errorf("title %q, want the name's plain text %q", p.Title, "Title bold")
	}

	// An Event's summary stands in for missing content.
	event := ckID(ckAnn, "events")
	ev := map[string]any{"id": event, "type": "Event", "attributedTo": ckAnn, "name": "Meet-up<script>alert(12)</script>",
		"summary": `<p>Bring <svg onload="alert(13)"/>tea<a href="javascript:alert(14)">!</a></p>`,
		"to":      []any{w.c.Actor.IRI, asPublic}, "startTime": "2030-01-01T10:00:00Z"}
	w.expectOutcome("hostile Event", w.ckActivity("Create", ckAnn, ev), models.InboxProcessed, "")
	e := w.post(event)
	if e == nil {
		t.Fatal("event not stored")
	}
	clean("event content (from summary)", e.Content)
	clean("event title", e.Title)
	if !strings.Contains(e.Content, "tea") || e.Title != "Meet-up" {
		t.Errorf("event: %q %q", e.Title, e.Content)
	}

	// The author's profile as stored.
	a, err := w.a.Store.GetActorByIRI(w.ctx, ckAnn)
	if err != nil {
		t.Fatal(err)
	}
	clean("actor summary", a.Summary)

	// And the thread page as a browser gets it.
	req, _ := http.NewRequest(http.MethodGet, w.a.BaseURL+"/c/gardening/t/"+strconv.FormatInt(p.ID, 10), nil)
	req.Header.Set("Accept", "text/html")
	resp, err := w.n.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	page, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || !strings.Contains(string(page), "Hello") {
		t.Fatalf("thread page: %d", resp.StatusCode)
	}
	for _, bad := range []string{"<script>alert", "javascript:alert", `onclick=`, `onload=`, `onerror=`, "<svg", `style="color:red"`, "<iframe"} {
		if strings.Contains(string(page), bad) {
			t.Errorf("thread page carries %q", bad)
		}
	}
}

// TestChecklist19OneEffectAndTombstoneDropsLateCreate: the same Create or
// Like delivered many times at once has one effect (one post, one like, one
// Announce to the members); a Delete that arrives before its Create leaves
// a tombstone and the late Create is dropped.
func TestChecklist19OneEffectAndTombstoneDropsLateCreate(t *testing.T) {
	w := newFediWorld(t, "gardening")
	ann := w.fedi.actor(ckAnn, "Person", nil)
	w.fedi.actor(ckMember, "Person", nil)
	w.ckFollow(ckMember)

	at := func(n int, body []byte) {
		t.Helper()
		var wg sync.WaitGroup
		statuses := make([]int, n)
		for i := range n {
			wg.Go(func() { statuses[i] = w.deliver(ann, body).status })
		}
		wg.Wait()
		for i, s := range statuses {
			if s != http.StatusAccepted {
				t.Fatalf("delivery %d: %d", i, s)
			}
		}
	}
	note := ckID(ckAnn, "notes")
	create := w.ckActivity("Create", ckAnn, w.ckNote(note, ckAnn, "once"))
	at(8, mustJSON(t, create))
	if it := w.outcome(create["id"].(string)); it.State != models.InboxProcessed {
		t.Fatalf("create: %s %q", it.State, it.Error)
	}
	like := w.ckActivity("Like", ckAnn, note)
	at(8, mustJSON(t, like))
	if it := w.outcome(like["id"].(string)); it.State != models.InboxProcessed {
		t.Fatalf("like: %s %q", it.State, it.Error)
	}
	if p := w.post(note); p == nil || p.LikeCount != 1 {
		t.Fatalf("post after 8 Likes: %+v", p)
	}
	for _, id := range []string{create["id"].(string), like["id"].(string)} {
		w.fedi.waitReceived(t, "Announce of "+id, isActivity("member.example", "Announce", id))
	}
	// Let any duplicate fan-out land before counting.
	time.Sleep(500 * time.Millisecond)
	for _, id := range []string{create["id"].(string), like["id"].(string)} {
		if n := len(w.fedi.received(isActivity("member.example", "Announce", id))); n != 1 {
			t.Errorf("%d Announces of %s reached the member, want 1", n, id)
		}
	}

	// Delete first, then the Create it deletes.
	late := ckID(ckAnn, "notes")
	w.expectOutcome("Delete before Create", w.ckActivity("Delete", ckAnn, late), models.InboxProcessed, "")
	if gone, err := w.a.Store.IsTombstoned(w.ctx, late); err != nil || !gone {
		t.Fatalf("no tombstone: %v %v", gone, err)
	}
	lateCreate := w.ckActivity("Create", ckAnn, w.ckNote(late, ckAnn, "too late"))
	w.expectOutcome("the late Create", lateCreate, models.InboxProcessed, "")
	if w.post(late) != nil {
		t.Fatal("the late Create was stored")
	}
	time.Sleep(200 * time.Millisecond)
	if n := len(w.fedi.received(isActivity("member.example", "Announce", lateCreate["id"].(string)))); n != 0 {
		t.Fatalf("the late Create was announced %d times", n)
	}
}

func mustJSON(t *testing.T, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func mustDecode(t *testing.T, b []byte) map[string]any {
	t.Helper()
	m, err := activitystreams.Decode(b)
	if err != nil {
		t.Fatal(err)
	}
	return m
}
