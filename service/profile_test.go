package service_test

import (
	"strings"
	"testing"

	"github.com/practica-social/practica/service"
)

func TestUpdateProfile(t *testing.T) {
	f := newFixture(t)
	p := f.person("rosa")
	acct, err := f.store.GetAccountByActorID(f.ctx, p.ID)
	if err != nil {
		t.Fatal(err)
	}
	_, err = f.svc.UpdateProfile(f.ctx, acct.ID, service.ProfileInput{
		DisplayName: "<b>Rosa</b>", Bio: "Roofs. <img src=x onerror=alert(1)>", Organization: "City Farms",
		Expertise: []string{"#hydroponics", "hydroponics", " irrigation "},
	})
	if err != nil {
		t.Fatal(err)
	}
	prof, err := f.svc.PersonProfile(f.ctx, "rosa")
	if err != nil {
		t.Fatal(err)
	}
	if prof.Actor.Name != "Rosa" || strings.Contains(prof.Actor.Summary, "<img") || prof.Organization != "City Farms" {
		t.Fatalf("profile %+v / %+v", prof, prof.Actor)
	}
	if strings.Join(prof.Expertise, ",") != "hydroponics,irrigation" {
		t.Fatalf("expertise %v", prof.Expertise)
	}
	if _, err := f.svc.UpdateProfile(f.ctx, acct.ID, service.ProfileInput{Bio: strings.Repeat("x", 5001)}); service.KindOf(err) != service.KindInvalid {
		t.Fatalf("long bio: %v", err)
	}
	if got := service.SplitTags("a, b,,\nc "); strings.Join(got, "|") != "a|b|c" {
		t.Fatalf("SplitTags: %q", got)
	}
}
