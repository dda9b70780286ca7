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
