package federation_test

import (
	"context"
	"testing"

	"github.com/practica-social/practica/models"
	"github.com/practica-social/practica/service"
	"github.com/practica-social/practica/testrig"
)

// postIn starts a thread as a local person.
func postIn(t *testing.T, inst *testrig.Instance, authorID, communityID int64, title string) *models.Post {
	t.Helper()
	p, err := inst.Service.CreatePost(context.Background(), service.NewPost{AuthorID: authorID, CommunityID: communityID, Title: title, Body: "Body of " + title})
	if err != nil {
		t.Fatalf("post %q: %v", title, err)
	}
	return p
}

// joinApproved makes a local person ask to join a community that approves
// members, and a moderator approve the request.
func joinApproved(t *testing.T, inst *testrig.Instance, c *models.Community, moderatorID, personID int64) {
	t.Helper()
	ctx := context.Background()
	state, err := inst.Service.Join(ctx, personID, c)
	if err != nil || state != string(models.MemberPending) {
		t.Fatalf("join: %q %v, want pending", state, err)
	}
	if err := inst.Service.DecideMember(ctx, c, moderatorID, personID, true); err != nil {
		t.Fatal(err)
	}
}

// joinFrom makes a person on inst join the community with handle (looked
// up from inst) and waits until inst sees the follow accepted; it returns
// inst's record of the community.
func joinFrom(t *testing.T, inst *testrig.Instance, personID int64, handle string) *models.Community {
	t.Helper()
	ctx := context.Background()
	c, err := inst.LookupCommunity(ctx, handle)
	if err != nil {
		t.Fatalf("look up %s: %v", handle, err)
	}
	if _, err := inst.Service.Join(ctx, personID, c); err != nil {
		t.Fatalf("join %s: %v", handle, err)
	}
	eventually(t, "the follow of "+handle+" accepted", func() bool { ok, _ := inst.Service.LocalMembersFollow(ctx, c); return ok })
	return c
}
