package service_test

import (
	"testing"

	"github.com/practica-social/practica/models"
	"github.com/practica-social/practica/service"
)

func TestThreadPageNestsOneLevelAndMarksNew(t *testing.T) {
	f := newFixture(t)
	owner := f.person("owner")
	pete := f.person("pete")
	c := f.community("garden", owner, models.VisibilityPublic, models.JoinOpen)
	if _, err := f.svc.Join(f.ctx, pete.ID, c); err != nil {
		t.Fatal(err)
	}
	post := func(author *models.Actor, parent int64, body string) *models.Post {
		t.Helper()
		p, err := f.svc.CreatePost(f.ctx, service.NewPost{AuthorID: author.ID, CommunityID: c.ID, Title: "T", Body: body, InReplyToID: parent})
		if err != nil {
			t.Fatal(err)
		}
		return p
	}
	root := post(owner, 0, "root")
	a := post(pete, root.ID, "a")
	b := post(owner, a.ID, "b")
	post(pete, b.ID, "c") // deeper than one level: joins a's branch
	post(pete, root.ID, "d")

	v := service.Viewer{ActorID: pete.ID}
	tv, err := f.svc.ThreadPage(f.ctx, c, root.ID, v, 0, 50)
	if err != nil {
		t.Fatal(err)
	}
	if len(tv.Items) != 2 || len(tv.Items[0].Children) != 2 || tv.Items[1].Post.Source != "d" || tv.Items[0].New {
		t.Fatalf("nesting: %+v", tv.Items)
	}
	post(owner, root.ID, "e")
	tv, err = f.svc.ThreadPage(f.ctx, c, root.ID, v, 0, 50)
	if err != nil {
		t.Fatal(err)
	}
	if last := tv.Items[len(tv.Items)-1]; last.Post.Source != "e" || !last.New || tv.Items[0].New {
		t.Fatalf("new marks: %+v", tv.Items)
	}

	// Paged: the second page starts with a reply whose parent was earlier.
	tv, err = f.svc.ThreadPage(f.ctx, c, root.ID, v, a.ID, 2)
	if err != nil {
		t.Fatal(err)
	}
	if len(tv.Items) == 0 || !tv.Items[0].ReplyToEarlier || tv.Next == 0 {
		t.Fatalf("second page: %+v next %d", tv.Items, tv.Next)
	}
	if _, err := f.svc.ThreadPage(f.ctx, c, a.ID, v, 0, 50); service.KindOf(err) != service.KindNotFound {
		t.Fatalf("a reply as a thread: %v", err)
	}
}

func TestCommunityOverviewAndExplore(t *testing.T) {
	f := newFixture(t)
	owner := f.person("owner")
	c := f.community("garden", owner, models.VisibilityPublic, models.JoinApproval)
	f.community("hidden", owner, models.VisibilityMembers, models.JoinApproval)
	pete := f.person("pete")
	if _, err := f.svc.Join(f.ctx, pete.ID, c); err != nil {
		t.Fatal(err)
	}
	o, err := f.svc.CommunityOverview(f.ctx, c, service.Viewer{ActorID: owner.ID}, 0, 20)
	if err != nil {
		t.Fatal(err)
	}
	if o.MemberCount != 1 || len(o.Moderators) != 1 || !o.Membership.Moderates() || o.PendingRequests != 1 {
		t.Fatalf("overview %+v", o)
	}
	po, err := f.svc.CommunityOverview(f.ctx, c, service.Viewer{ActorID: pete.ID}, 0, 20)
	if err != nil || po.Membership.State != "pending" || po.PendingRequests != 0 {
		t.Fatalf("pending person's overview %+v %v", po, err)
	}
	if _, err := f.svc.PendingMembers(f.ctx, c, pete.ID); service.KindOf(err) != service.KindForbidden {
		t.Fatalf("requests seen by a non-moderator: %v", err)
	}
	cs, err := f.svc.Explore(f.ctx, "", 10)
	if err != nil || len(cs) != 1 || cs[0].Actor.Username != "garden" {
		t.Fatalf("explore lists %v, %v; want only the discoverable one", cs, err)
	}
	if got, err := f.svc.CommunityByHandle(f.ctx, "@Garden@org-a.test"); err != nil || got.ID != c.ID {
		t.Fatalf("by own-host handle: %v %v", got, err)
	}
}
