package web_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/practica-social/practica/models"
	"github.com/practica-social/practica/service"
)

// TestReportsReachTheModerators: a member reports a post from its thread;
// the owner sees the count on the community page, the report with the
// post on the reports page, removes the post from there and marks the
// report resolved. Plain members see no reports.
func TestReportsReachTheModerators(t *testing.T) {
	t.Parallel()
	s := startSite(t)
	ctx := context.Background()
	olga, pete, quinn := s.account("olga", false), s.account("pete", false), s.account("quinn", false)
	c := s.community("garden", olga, models.VisibilityPublic, models.JoinOpen)
	for _, a := range []*models.Account{pete, quinn} {
		if _, err := s.inst.Service.Join(ctx, a.ActorID, c); err != nil {
			t.Fatal(err)
		}
	}
	thread, err := s.inst.Service.CreatePost(ctx, service.NewPost{AuthorID: pete.ActorID, CommunityID: c.ID, Title: "Cheap seeds", Body: "Buy my seeds at example.com."})
	if err != nil {
		t.Fatal(err)
	}
	threadURL := "/c/garden/t/" + itoa(thread.ID)
	report := "/posts/" + itoa(thread.ID) + "/report"

	q := s.browser()
	q.login("quinn", "password-quinn")
	wantBody(t, "thread page for a member", q.get(threadURL), `href="`+report+`"`)
	p := q.get(report)
	wantStatus(t, "report page", p, http.StatusOK)
	wantBody(t, "report page", p, "Report this post", "Buy my seeds", "moderators see your report")
	p = q.post(report, url.Values{"comment": {strings.Repeat("x", 1001)}})
	wantStatus(t, "a comment too long", p, http.StatusUnprocessableEntity)
	wantBody(t, "a comment too long", p, "at most 1000 characters")
	wantStatus(t, "send the report", q.post(report, url.Values{"comment": {"Advertising <b>spam</b>"}}), http.StatusSeeOther)
	wantStatus(t, "the reports page for a member", q.get("/c/garden/reports"), http.StatusForbidden)

	pb := s.browser()
	pb.login("pete", "password-pete")
	if p := pb.get(threadURL); strings.Contains(p.Body, `href="`+report+`"`) {
		t.Fatal("the author is offered to report their own post")
	}

	o := s.browser()
	o.login("olga", "password-olga")
	wantBody(t, "community page for the owner", o.get("/c/garden"), `Reports <span class="badge">1</span>`)
	p = o.get("/c/garden/reports")
	wantStatus(t, "reports page", p, http.StatusOK)
	wantBody(t, "reports page", p, "@quinn@org-a.test", "@pete@org-a.test", "Advertising &lt;b&gt;spam&lt;/b&gt;", "Buy my seeds", `href="/posts/`+itoa(thread.ID)+`/remove"`)
	wantStatus(t, "remove the post", o.post("/posts/"+itoa(thread.ID)+"/remove", url.Values{"reason": {"Advertising"}}), http.StatusSeeOther)
	wantBody(t, "reports page after the removal", o.get("/c/garden/reports"), "A post since removed.")

	var id string
	if m := strings.Index(p.Body, `id="r`); m >= 0 {
		id = p.Body[m+5 : m+5+strings.Index(p.Body[m+5:], `"`)]
	}
	wantStatus(t, "an unknown action", o.post("/c/garden/reports/"+id, url.Values{"action": {"ban"}}), http.StatusBadRequest)
	wantStatus(t, "resolve as a member", q.post("/c/garden/reports/"+id, url.Values{"action": {"resolve"}}), http.StatusForbidden)
	wantStatus(t, "resolve", o.post("/c/garden/reports/"+id, url.Values{"action": {"resolve"}}), http.StatusSeeOther)
	wantBody(t, "reports page after resolving", o.get("/c/garden/reports"), "No report is waiting.")
	wantBody(t, "handled reports", o.get("/c/garden/reports?closed=1"), "Resolved by olga")
	wantStatus(t, "resolve again", o.post("/c/garden/reports/"+id, url.Values{"action": {"resolve"}}), http.StatusNotFound)
	if p := o.get("/c/garden"); strings.Contains(p.Body, `Reports <span class="badge">`) {
		t.Fatal("the community page still counts a waiting report")
	}
}
