package service_test

import (
	"testing"

	"github.com/practica-social/practica/models"
	"github.com/practica-social/practica/service"
)

func TestUpdateCommunity(t *testing.T) {
	f := newFixture(t)
	owner := f.person("owner")
	other := f.person("other")
	c := f.community("garden", owner, models.VisibilityPublic, models.JoinOpen)
	edit := service.CommunityEdit{Name: "Garden & Co", Summary: "*Plants*", Topics: []string{"soil"}, Visibility: models.VisibilityMembers, JoinPolicy: models.JoinApproval}
	if _, err := f.svc.UpdateCommunity(f.ctx, other.ID, c.ID, edit); service.KindOf(err) != service.KindForbidden {
		t.Fatalf("edit by a non-moderator: %v", err)
	}
	bad := edit
	bad.JoinPolicy = "lottery"
	if _, err := f.svc.UpdateCommunity(f.ctx, owner.ID, c.ID, bad); service.KindOf(err) != service.KindInvalid {
		t.Fatalf("bad policy: %v", err)
	}
	if _, err := f.svc.UpdateCommunity(f.ctx, owner.ID, c.ID, edit); err != nil {
		t.Fatal(err)
	}
	got, err := f.svc.LocalCommunity(f.ctx, "garden")
	if err != nil {
		t.Fatal(err)
	}
	if got.Actor.Name != "Garden & Co" || got.Actor.Summary != "<p><em>Plants</em></p>\n" || !got.Actor.ManuallyApprovesFollowers ||
		got.Actor.Discoverable || got.Visibility != models.VisibilityMembers || got.JoinPolicy != models.JoinApproval || got.Topics[0] != "soil" {
		t.Fatalf("after edit: %+v / %+v", got, got.Actor)
	}
}
