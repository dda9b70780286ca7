package web_test

import (
	"context"
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/practica-social/practica/models"
	"github.com/practica-social/practica/service"
	"github.com/practica-social/practica/testrig"
)

// TestBrowserJoinsACommunityElsewhere: in a real browser, a person on
// org-a looks up a community of org-b by its handle on Explore, joins it,
// and sees in its thread list a post that travelled from org-b over signed
// HTTP.
func TestBrowserJoinsACommunityElsewhere(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	n := testrig.NewNetwork()
	a := n.Start(t, "org-a.test")
	b := n.Start(t, "org-b.test")
	sa := &site{t: t, net: n, inst: a}
	sb := &site{t: t, net: n, inst: b}
	sa.account("ada", false)
	bea := sb.account("bea", false)
	if _, err := b.Service.UpdateProfile(ctx, bea.ID, service.ProfileInput{DisplayName: "Bea Kowalski", Organization: "City Library"}); err != nil {
		t.Fatal(err)
	}
	makers, err := b.Service.CreateCommunity(ctx, service.NewCommunity{
		Handle: "makers", Name: "Makers Network", OwnerID: bea.ActorID, Topics: []string{"workshops", "safety"},
		Summary: "Makers from libraries, schools and companies share how they run **open workshops**.",
	})
	if err != nil {
		t.Fatal(err)
	}
	c := newChrome(t, a, b)

	// Ada finds the community on org-b through Explore and joins it.
	c.login(a, "ada", "password-ada")
	c.open(a.BaseURL + "/explore")
	c.do("look up the handle", chromedp.SendKeys(chromedp.ID("q"), "@makers@org-b.test"))
	c.submit("search", `form.search button[type=submit]`, `#threads-h`)
	c.wantText("h1", "Makers Network")
	c.wantText(".handle", "@makers@org-b.test")
	c.submit("join", `form[action="/c/makers@org-b.test/join"] button`, `#threads-h`)

	onA, err := a.Service.CommunityByHandle(ctx, "makers@org-b.test")
	if err != nil {
		t.Fatal(err)
	}
	eventually(t, "org-b accepts ada", func() bool {
		m, err := a.Service.MembershipOf(ctx, onA, sa.person("ada").ID)
		return err == nil && m.Member()
	})

	// Bea starts a thread on org-b; it reaches org-a.
	if _, err := b.Service.CreatePost(ctx, service.NewPost{AuthorID: bea.ActorID, CommunityID: makers.ID,
		Title: "Induction for the laser cutter", Body: "How do you introduce newcomers to the **laser cutter**?"}); err != nil {
		t.Fatal(err)
	}
	eventually(t, "the thread reaches org-a", func() bool {
		ts, err := a.Service.Threads(ctx, onA, service.Anonymous, 0, 10)
		return err == nil && len(ts) == 1
	})
	c.openCommunity(a, "makers@org-b.test")
	c.wantText(".threads", "Induction for the laser cutter")
	c.wantText(".threads", "Bea Kowalski (@bea@org-b.test)")
	c.wantText(".actions", "Start a thread")
	c.screenshot("federated-community")
}

// person returns a local person's actor by name.
func (s *site) person(name string) *models.Actor {
	s.t.Helper()
	p, err := s.inst.Service.LocalPerson(context.Background(), name)
	if err != nil {
		s.t.Fatal(err)
	}
	return p
}
