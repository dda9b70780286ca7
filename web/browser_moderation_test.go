package web_test

import (
	"context"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/practica-social/practica/models"
	"github.com/practica-social/practica/service"
	"github.com/practica-social/practica/testrig"
)

// TestBrowserReportAndRemove: in a real browser a member reports a post
// from its thread; the owner follows the Reports badge, removes the post
// from the report with a reason, banning its author too (who then shows
// in the Banned section of the members page, no longer a member), and
// marks the report resolved.
func TestBrowserReportAndRemove(t *testing.T) {
	t.Parallel()
	n := testrig.NewNetwork()
	a := n.Start(t, "org-a.test")
	s := &site{t: t, net: n, inst: a}
	ctx := context.Background()
	olga, pete, quinn := s.account("olga", false), s.account("pete", false), s.account("quinn", false)
	c := s.community("garden", olga, models.VisibilityPublic, models.JoinOpen)
	for _, m := range []*models.Account{pete, quinn} {
		if _, err := a.Service.Join(ctx, m.ActorID, c); err != nil {
			t.Fatal(err)
		}
	}
	thread, err := a.Service.CreatePost(ctx, service.NewPost{AuthorID: pete.ActorID, CommunityID: c.ID, Title: "Cheap seeds", Body: "Buy my seeds at example.com."})
	if err != nil {
		t.Fatal(err)
	}
	threadURL := a.BaseURL + "/c/garden/t/" + itoa(thread.ID)
	b := newChrome(t, a)

	b.login(a, "quinn", "password-quinn")
	b.open(threadURL)
	b.submit("open the report form", `a[href="/posts/`+itoa(thread.ID)+`/report"]`, `#comment`)
	b.do("explain", chromedp.SendKeys(chromedp.ID("comment"), "Advertising, not gardening."))
	b.submit("send the report", `main form button[type=submit]`, `.thread-root`)
	b.logout()

	b.login(a, "olga", "password-olga")
	b.openCommunity(a, "garden")
	b.wantText(`a[href="/c/garden/reports"]`, "Reports 1")
	b.submit("open the reports", `a[href="/c/garden/reports"]`, `.report-list`)
	b.wantText(".report-list", "Advertising, not gardening.")
	b.wantText(".report-list", "Buy my seeds")
	b.screenshot("reports")
	b.submit("open the removal page", `.report-list a[href="/posts/`+itoa(thread.ID)+`/remove"]`, `#reason`)
	b.do("give a reason", chromedp.SendKeys(chromedp.ID("reason"), "Advertising"))
	b.do("ban the author too", chromedp.Click(chromedp.ID("ban")))
	b.submit("remove the thread", `main form button.danger`, `#threads-h`)
	if got := b.text("main"); strings.Contains(got, "Cheap seeds") {
		t.Fatalf("the community page still lists the removed thread: %s", got)
	}
	b.open(a.BaseURL + "/c/garden/members")
	b.wantText("#banned", "@pete@org-a.test")
	b.wantText("#banned", "Advertising")
	if got := b.text("table"); strings.Contains(got, "pete") {
		t.Fatalf("the banned author is still listed as a member: %s", got)
	}
	b.open(a.BaseURL + "/c/garden/reports")
	b.wantText(".report-list", "A post since removed.")
	b.do("resolve the report", chromedp.Click(chromedp.CSS(`.report-list form button[type=submit]`)),
		chromedp.WaitNotPresent(chromedp.CSS(".report-list li")))
	b.wantText("main", "No report is waiting.")
}
