package web_test

import (
	"context"
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/practica-social/practica/models"
	"github.com/practica-social/practica/testrig"
)

// TestBrowserAdminBlocksAServer: in a real browser an admin blocks a
// server from the admin page, with a reason; the page confirms what the
// block ended and lists it; a visitor reads it on the About page; the
// admin unblocks it.
func TestBrowserAdminBlocksAServer(t *testing.T) {
	t.Parallel()
	n := testrig.NewNetwork()
	a := n.Start(t, "org-a.test")
	s := &site{t: t, net: n, inst: a}
	s.account("root", true)
	olga := s.account("olga", false)
	c := s.community("garden", olga, models.VisibilityPublic, models.JoinOpen)
	spammer := &models.Actor{IRI: "http://spam.example/u/sam", Type: models.ActorPerson, Username: "sam", Host: "spam.example",
		InboxURL: "http://spam.example/u/sam/inbox"}
	if err := a.Store.UpsertRemoteActor(context.Background(), spammer); err != nil {
		t.Fatal(err)
	}
	if _, err := a.Service.ReceiveFollow(context.Background(), c, spammer, spammer.IRI+"#follow"); err != nil {
		t.Fatal(err)
	}
	b := newChrome(t, a)

	b.login(a, "root", "password-root")
	b.open(a.BaseURL + "/admin")
	b.do("name the server", chromedp.SendKeys(chromedp.ID("block-host"), "@sam@spam.example"),
		chromedp.SendKeys(chromedp.ID("block-reason"), "Advertising in every community"))
	b.submit("block it", `#blocked-servers form button[type=submit]`, `#blocked-servers .notice`)
	b.wantText("#blocked-servers .notice", "spam.example is blocked: 1 membership")
	b.wantText("#blocked-servers table", "Advertising in every community")
	b.screenshot("admin-blocked-servers")
	b.logout()

	b.open(a.BaseURL + "/about")
	b.wantText("main", "Servers we do not federate with")
	b.wantText("main", "spam.example")

	b.login(a, "root", "password-root")
	b.open(a.BaseURL + "/admin")
	b.submit("unblock it", `#blocked-servers table button[type=submit]`, `#blocked-servers .notice`)
	b.wantText("#blocked-servers", "No server is blocked.")
}
