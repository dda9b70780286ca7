package federation_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/practica-social/practica/models"
	"github.com/practica-social/practica/service"
	"github.com/practica-social/practica/testrig"
)

// eventually polls cond until it holds or the deadline passes: federation
// is asynchronous, and a bounded wait is the honest way to observe it.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for: %s", what)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func person(t *testing.T, inst *testrig.Instance, name string) *models.Actor {
	t.Helper()
	a, err := inst.Service.CreateAccount(context.Background(), service.NewAccount{Username: name, Email: name + "@example.org", Password: "long enough"})
	if err != nil {
		t.Fatal(err)
	}
	return a.Actor
}

// threadTitles lists the titles of a community's threads on an instance.
func threadTitles(t *testing.T, inst *testrig.Instance, c *models.Community) []string {
	t.Helper()
	ps, err := inst.Service.Threads(context.Background(), c, service.Anonymous, 0, 50)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, p := range ps {
		out = append(out, p.Title)
	}
	return out
}

func hasTitle(t *testing.T, inst *testrig.Instance, c *models.Community, title string) bool {
	for _, got := range threadTitles(t, inst, c) {
		if got == title {
			return true
		}
	}
	return false
}

func postOn(t *testing.T, inst *testrig.Instance, iri string) *models.Post {
	p, _, err := inst.Service.PostByIRI(context.Background(), iri, service.Anonymous)
	if err != nil {
		return nil
	}
	return p
}

// TestThreeInstancesFederateACommunity: people on B and C join a community
// on A over real signed HTTP; posts from B and A reach everyone; a reply
// from C threads; Update, Delete and Undo propagate.
func TestThreeInstancesFederateACommunity(t *testing.T) {
	ctx := context.Background()
	n := testrig.NewNetwork()
	a := n.Start(t, "org-a.test")
	b := n.Start(t, "org-b.test")
	c := n.Start(t, "org-c.test")

	alice := person(t, a, "alice")
	bob := person(t, b, "bob")
	carol := person(t, c, "carol")
	garden, err := a.Service.CreateCommunity(ctx, service.NewCommunity{Handle: "gardening", Name: "Urban Gardening", OwnerID: alice.ID})
	if err != nil {
		t.Fatal(err)
	}

	// B and C look the community up by its handle and join it.
	gardenOnB, err := b.LookupCommunity(ctx, "@gardening@org-a.test")
	if err != nil {
		t.Fatalf("lookup from B: %v", err)
	}
	gardenOnC, err := c.LookupCommunity(ctx, "gardening@org-a.test")
	if err != nil {
		t.Fatalf("lookup from C: %v", err)
	}
	if _, err := b.Service.Join(ctx, bob.ID, gardenOnB); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Service.Join(ctx, carol.ID, gardenOnC); err != nil {
		t.Fatal(err)
	}
	eventually(t, "A counts bob and carol as members", func() bool {
		page, _, err := a.Service.Members(ctx, garden, service.Viewer{ActorID: garden.ActorID}, nil, 0, 10)
		return err == nil && page.Total == 3
	})
	eventually(t, "B and C see their follows accepted", func() bool {
		okB, _ := b.Service.LocalMembersFollow(ctx, gardenOnB)
		okC, _ := c.Service.LocalMembersFollow(ctx, gardenOnC)
		return okB && okC
	})

	// Bob posts from B: A stores it, C receives the Announce.
	bobsThread, err := b.Service.CreatePost(ctx, service.NewPost{AuthorID: bob.ID, CommunityID: gardenOnB.ID, Title: "Compost in winter", Body: "How do you keep it warm?"})
	if err != nil {
		t.Fatal(err)
	}
	eventually(t, "A stores bob's thread", func() bool { return hasTitle(t, a, garden, "Compost in winter") })
	eventually(t, "C receives bob's thread", func() bool { return hasTitle(t, c, gardenOnC, "Compost in winter") })

	// Alice posts on A: B and C receive it.
	if _, err := a.Service.CreatePost(ctx, service.NewPost{AuthorID: alice.ID, CommunityID: garden.ID, Title: "Seed swap Saturday", Body: "Bring seeds!"}); err != nil {
		t.Fatal(err)
	}
	eventually(t, "B receives alice's thread", func() bool { return hasTitle(t, b, gardenOnB, "Seed swap Saturday") })
	eventually(t, "C receives alice's thread", func() bool { return hasTitle(t, c, gardenOnC, "Seed swap Saturday") })

	// Carol replies on C to bob's thread: A threads it, B receives it.
	onC := postOn(t, c, bobsThread.IRI)
	if onC == nil {
		t.Fatal("C lacks bob's thread")
	}
	reply, err := c.Service.CreatePost(ctx, service.NewPost{AuthorID: carol.ID, CommunityID: gardenOnC.ID, Body: "Straw bales around it.", InReplyToID: onC.ID})
	if err != nil {
		t.Fatal(err)
	}
	eventually(t, "A threads carol's reply under bob's thread", func() bool {
		p := postOn(t, a, reply.IRI)
		root := postOn(t, a, bobsThread.IRI)
		return p != nil && root != nil && p.ThreadID != nil && *p.ThreadID == root.ID
	})
	eventually(t, "B receives carol's reply in the thread", func() bool {
		p := postOn(t, b, reply.IRI)
		return p != nil && p.ThreadID != nil && *p.ThreadID == bobsThread.ID
	})

	// Bob edits: the Update reaches A and C.
	if _, err := b.Service.EditPost(ctx, bob.ID, bobsThread.ID, "Compost in winter (solved)", "Straw bales work."); err != nil {
		t.Fatal(err)
	}
	eventually(t, "A and C apply bob's edit", func() bool {
		pa, pc := postOn(t, a, bobsThread.IRI), postOn(t, c, bobsThread.IRI)
		return pa != nil && pc != nil && strings.Contains(pa.Content, "Straw bales work.") && strings.Contains(pc.Content, "Straw bales work.")
	})

	// Carol deletes her reply: A and B tombstone it.
	if err := c.Service.DeletePost(ctx, carol.ID, reply.ID); err != nil {
		t.Fatal(err)
	}
	eventually(t, "A and B tombstone carol's reply", func() bool {
		pa, _ := a.Store.GetPostByIRI(ctx, reply.IRI)
		pb, _ := b.Store.GetPostByIRI(ctx, reply.IRI)
		return pa != nil && pb != nil && pa.DeletedAt != nil && pb.DeletedAt != nil
	})

	// Carol leaves: Undo{Follow} ends her membership on A.
	if err := c.Service.Leave(ctx, carol.ID, gardenOnC); err != nil {
		t.Fatal(err)
	}
	eventually(t, "A removes carol", func() bool {
		page, _, err := a.Service.Members(ctx, garden, service.Viewer{ActorID: garden.ActorID}, nil, 0, 10)
		return err == nil && page.Total == 2
	})
}
