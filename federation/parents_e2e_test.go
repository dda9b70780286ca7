package federation_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/practica-social/practica/models"
	"github.com/practica-social/practica/service"
	"github.com/practica-social/practica/testrig"
)

// storedOn returns inst's row of the post iri whoever may read it, or nil.
func storedOn(inst *testrig.Instance, iri string) *models.Post {
	p, err := inst.Store.GetPostByIRI(context.Background(), iri)
	if err != nil {
		return nil
	}
	return p
}

// TestLateMemberFetchesTheThreadOfAReply: a thread on A and carol's reply
// to it (from C) exist before bob on B joins A's community. After bob
// joins, alice replies on A to carol's old reply; A announces it to B,
// which never received the thread. B fetches carol's reply from C and the
// thread's first post from A, stores both in the community, and threads
// alice's reply under carol's.
func TestLateMemberFetchesTheThreadOfAReply(t *testing.T) {
	ctx := context.Background()
	n := testrig.NewNetwork()
	a := n.Start(t, "org-a.test")
	b := n.Start(t, "org-b.test")
	c := n.Start(t, "org-c.test")
	alice, bob, carol := person(t, a, "alice"), person(t, b, "bob"), person(t, c, "carol")
	garden, err := a.Service.CreateCommunity(ctx, service.NewCommunity{Handle: "gardening", Name: "Urban Gardening", OwnerID: alice.ID})
	if err != nil {
		t.Fatal(err)
	}
	gardenOnC := joinFrom(t, c, carol.ID, "@gardening@org-a.test")

	thread := postIn(t, a, alice.ID, garden.ID, "Tomatoes on a balcony")
	eventually(t, "C receives alice's thread", func() bool { return postOn(t, c, thread.IRI) != nil })
	old, err := c.Service.CreatePost(ctx, service.NewPost{AuthorID: carol.ID, CommunityID: gardenOnC.ID, Body: "Mine split in the heat.", InReplyToID: postOn(t, c, thread.IRI).ID})
	if err != nil {
		t.Fatal(err)
	}
	eventually(t, "A threads carol's reply", func() bool { return postOn(t, a, old.IRI) != nil })

	gardenOnB := joinFrom(t, b, bob.ID, "@gardening@org-a.test")
	if storedOn(b, thread.IRI) != nil || storedOn(b, old.IRI) != nil {
		t.Fatal("B holds the old posts before anyone replied to them")
	}

	onA := postOn(t, a, old.IRI)
	reply, err := a.Service.CreatePost(ctx, service.NewPost{AuthorID: alice.ID, CommunityID: garden.ID, Body: "Water them in the evening.", InReplyToID: onA.ID})
	if err != nil {
		t.Fatal(err)
	}
	eventually(t, "B stores alice's reply", func() bool { return storedOn(b, reply.IRI) != nil })

	first, parent, r := storedOn(b, thread.IRI), storedOn(b, old.IRI), storedOn(b, reply.IRI)
	if first == nil || parent == nil {
		t.Fatalf("B lacks the thread's first post (%v) or carol's reply (%v)", first != nil, parent != nil)
	}
	for _, p := range []*models.Post{first, parent, r} {
		if p.CommunityID == nil || *p.CommunityID != gardenOnB.ID || p.Audience != models.AudiencePublic {
			t.Errorf("%s on B: community %v audience %s; want %d, public", p.IRI, p.CommunityID, p.Audience, gardenOnB.ID)
		}
	}
	if first.ThreadID != nil || first.Title != "Tomatoes on a balcony" || first.ReplyCount != 2 {
		t.Errorf("the thread on B: %+v", first)
	}
	if parent.ThreadID == nil || *parent.ThreadID != first.ID || parent.InReplyTo != thread.IRI || !strings.Contains(parent.Content, "split in the heat") {
		t.Errorf("carol's reply on B: %+v", parent)
	}
	if r.ThreadID == nil || *r.ThreadID != first.ID || r.InReplyTo != old.IRI {
		t.Errorf("alice's reply on B: thread %v, in reply to %q; want %d, %q", r.ThreadID, r.InReplyTo, first.ID, old.IRI)
	}
	if author, err := b.Store.GetActorByIRI(ctx, carol.IRI); err != nil || parent.AuthorID != author.ID {
		t.Errorf("carol's reply on B is by %d; carol is %+v (%v)", parent.AuthorID, author, err)
	}
	// bob sees the whole thread, nested as it was written.
	tv, err := b.Service.ThreadPage(ctx, gardenOnB, first.ID, service.Viewer{ActorID: bob.ID}, 0, 50)
	if err != nil {
		t.Fatal(err)
	}
	if len(tv.Items) != 1 || tv.Items[0].Post.IRI != old.IRI || len(tv.Items[0].Children) != 1 || tv.Items[0].Children[0].Post.IRI != reply.IRI {
		t.Fatalf("the thread as bob sees it: %+v", tv.Items)
	}
}

// TestLateMemberRefusesAThreadTooDeep: a thread on A already 17 posts
// deep (a first post and a chain of 16 replies) when bob on B joins.
// alice's reply at the bottom would make B fetch all 17: B fetches 16,
// refuses the reply with the reason, and stores none of them. A reply
// higher up the same thread is taken, its two missing posts fetched.
func TestLateMemberRefusesAThreadTooDeep(t *testing.T) {
	ctx := context.Background()
	n := testrig.NewNetwork()
	a := n.Start(t, "org-a.test")
	b := n.Start(t, "org-b.test")
	alice, bob := person(t, a, "alice"), person(t, b, "bob")
	garden, err := a.Service.CreateCommunity(ctx, service.NewCommunity{Handle: "gardening", Name: "Urban Gardening", OwnerID: alice.ID})
	if err != nil {
		t.Fatal(err)
	}
	chain := []*models.Post{postIn(t, a, alice.ID, garden.ID, "A long conversation")}
	for i := range 16 {
		p, err := a.Service.CreatePost(ctx, service.NewPost{AuthorID: alice.ID, CommunityID: garden.ID, Body: fmt.Sprintf("Reply %d.", i+1), InReplyToID: chain[len(chain)-1].ID})
		if err != nil {
			t.Fatal(err)
		}
		chain = append(chain, p)
	}
	gardenOnB := joinFrom(t, b, bob.ID, "@gardening@org-a.test")

	deep, err := a.Service.CreatePost(ctx, service.NewPost{AuthorID: alice.ID, CommunityID: garden.ID, Body: "At the bottom.", InReplyToID: chain[16].ID})
	if err != nil {
		t.Fatal(err)
	}
	item := announcedOutcome(t, a, b, garden, alice, deep)
	if item.State != models.InboxRefused || !strings.Contains(item.Error, "more than 16 posts above the reply are missing") {
		t.Fatalf("B's outcome: %s %q; want refused, more than 16 missing", item.State, item.Error)
	}
	for i, p := range append(chain, deep) {
		if storedOn(b, p.IRI) != nil {
			t.Errorf("B stored post %d of the refused chain", i)
		}
	}

	// Higher up, the same thread is within the bound.
	shallow, err := a.Service.CreatePost(ctx, service.NewPost{AuthorID: alice.ID, CommunityID: garden.ID, Body: "Back to the start.", InReplyToID: chain[1].ID})
	if err != nil {
		t.Fatal(err)
	}
	if item := announcedOutcome(t, a, b, garden, alice, shallow); item.State != models.InboxProcessed {
		t.Fatalf("B's outcome for the shallow reply: %s %q", item.State, item.Error)
	}
	first, r := storedOn(b, chain[0].IRI), storedOn(b, shallow.IRI)
	if first == nil || storedOn(b, chain[1].IRI) == nil || r == nil || first.CommunityID == nil || *first.CommunityID != gardenOnB.ID ||
		r.ThreadID == nil || *r.ThreadID != first.ID || r.InReplyTo != chain[1].IRI {
		t.Fatalf("B after the shallow reply: first %+v, reply %+v", first, r)
	}
	if storedOn(b, chain[2].IRI) != nil {
		t.Error("B stored a post nothing replied to")
	}
}

// announcedOutcome waits until b has handled community c's Announce of
// author's Create of p (sent by a) and returns b's inbox item for it.
func announcedOutcome(t *testing.T, a, b *testrig.Instance, c *models.Community, author *models.Actor, p *models.Post) *models.InboxItem {
	t.Helper()
	ctx := context.Background()
	create, err := a.Store.LatestActivityOf(ctx, author.ID, "Create", p.IRI)
	if err != nil {
		t.Fatal(err)
	}
	announce, err := a.Store.LatestActivityOf(ctx, c.ActorID, "Announce", create.IRI)
	if err != nil {
		t.Fatal(err)
	}
	var item *models.InboxItem
	eventually(t, "B handles the Announce of "+p.IRI, func() bool {
		it, err := b.Store.GetInboxItemByActivityIRI(ctx, announce.IRI)
		if err != nil || (it.State != models.InboxProcessed && it.State != models.InboxRefused) {
			return false
		}
		item = it
		return true
	})
	return item
}
