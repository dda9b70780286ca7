package service_test

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/practica-social/practica/models"
	"github.com/practica-social/practica/service"
)

// sent is one activity handed to the dispatcher and the inboxes it is
// queued for.
type sent struct {
	doc     map[string]any
	raw     string
	inboxes []string
}

// sentSince returns what was published since the last call, with the
// deliveries of each activity.
func (f *fixture) sentSince() []sent {
	f.t.Helper()
	var out []sent
	for _, id := range f.rec.take() {
		a, err := f.store.GetActivity(f.ctx, id)
		if err != nil {
			f.t.Fatal(err)
		}
		var m map[string]any
		if err := json.Unmarshal([]byte(a.JSON), &m); err != nil {
			f.t.Fatal(err)
		}
		ds, err := f.store.ActivityDeliveries(f.ctx, id)
		if err != nil {
			f.t.Fatal(err)
		}
		s := sent{doc: m, raw: a.JSON}
		for _, d := range ds {
			s.inboxes = append(s.inboxes, d.InboxURL)
		}
		slices.Sort(s.inboxes)
		out = append(out, s)
	}
	return out
}

// remoteGroup stores a remote Group; without a shared inbox when shared is
// empty.
func (f *fixture) remoteGroup(host, name, shared string) *models.Actor {
	f.t.Helper()
	iri := "http://" + host + "/c/" + name
	a := &models.Actor{IRI: iri, Type: models.ActorGroup, Kind: models.KindGroup, Username: name, Host: host,
		InboxURL: iri + "/inbox", SharedInboxURL: shared, Published: time.Now()}
	if err := f.store.UpsertRemoteActor(f.ctx, a); err != nil {
		f.t.Fatal(err)
	}
	return a
}

func TestUpdateCommunityFederatesUpdateGroup(t *testing.T) {
	f := newFixture(t)
	owner := f.person("owner")
	c := f.community("garden", owner, models.VisibilityPublic, models.JoinOpen)
	edit := service.CommunityEdit{Name: "Garden & Co", Summary: "Roofs and **yards**", Topics: []string{"soil"},
		Visibility: models.VisibilityPublic, JoinPolicy: models.JoinOpen}

	// Without remote members nobody elsewhere holds the Group: nothing is sent.
	if _, err := f.svc.UpdateCommunity(f.ctx, owner.ID, c.ID, edit); err != nil {
		t.Fatal(err)
	}
	if got := f.sentSince(); len(got) != 0 {
		t.Fatalf("sent %d activities for a community without remote members", len(got))
	}

	bob := f.remote("org-b.test", "bob")
	carol := f.remote("org-c.test", "carol")
	dave := f.remote("org-c.test", "dave") // carol's server: one shared inbox
	for _, who := range []*models.Actor{bob, carol, dave} {
		if _, err := f.svc.ReceiveFollow(f.ctx, c, who, who.IRI+"#f"); err != nil {
			t.Fatal(err)
		}
	}
	f.sentSince()

	edit.Name = "Garden Network"
	if _, err := f.svc.UpdateCommunity(f.ctx, owner.ID, c.ID, edit); err != nil {
		t.Fatal(err)
	}
	got := f.sentSince()
	if len(got) != 1 {
		t.Fatalf("sent %d activities, want one Update", len(got))
	}
	u := got[0]
	if u.doc["type"] != "Update" || u.doc["actor"] != c.Actor.IRI || !strings.HasPrefix(u.doc["id"].(string), "http://org-a.test/activities/") {
		t.Fatalf("activity: %v", u.doc)
	}
	obj, _ := u.doc["object"].(map[string]any)
	if obj["type"] != "Group" || obj["id"] != c.Actor.IRI || obj["name"] != "Garden Network" || obj["preferredUsername"] != "garden" ||
		!strings.Contains(obj["summary"].(string), "<strong>yards</strong>") || obj["inbox"] != c.Actor.InboxURL {
		t.Errorf("object is not the full Group document: %v", obj)
	}
	if key, _ := obj["publicKey"].(map[string]any); key["id"] != c.Actor.PublicKeyID || key["owner"] != c.Actor.IRI {
		t.Errorf("object publicKey: %v", obj["publicKey"])
	}
	if _, ok := obj["@context"]; ok {
		t.Error("the embedded Group repeats @context")
	}
	if ctx, _ := u.doc["@context"].([]any); len(ctx) < 2 || ctx[1] != "https://w3id.org/security/v1" {
		t.Errorf("@context lacks the security vocabulary: %v", u.doc["@context"])
	}
	if to, _ := u.doc["to"].([]any); len(to) != 1 || to[0] != service.ASPublic {
		t.Errorf("to = %v, want Public", u.doc["to"])
	}
	if cc, _ := u.doc["cc"].([]any); len(cc) != 1 || cc[0] != c.Actor.FollowersURL {
		t.Errorf("cc = %v, want the followers", u.doc["cc"])
	}
	if want := []string{"http://org-b.test/inbox", "http://org-c.test/inbox"}; !slices.Equal(u.inboxes, want) {
		t.Errorf("delivered to %v, want %v", u.inboxes, want)
	}

	// A members-only community never addresses the Public collection.
	edit.Visibility = models.VisibilityMembers
	if _, err := f.svc.UpdateCommunity(f.ctx, owner.ID, c.ID, edit); err != nil {
		t.Fatal(err)
	}
	got = f.sentSince()
	if len(got) != 1 || got[0].doc["type"] != "Update" {
		t.Fatalf("members-only edit sent %v", got)
	}
	if containsPublic(got[0].raw) {
		t.Errorf("members-only Update mentions Public: %s", got[0].raw)
	}
	if to, _ := got[0].doc["to"].([]any); len(to) != 1 || to[0] != c.Actor.FollowersURL {
		t.Errorf("members-only to = %v, want the followers", got[0].doc["to"])
	}
	a, err := f.store.GetActivityByIRI(f.ctx, got[0].doc["id"].(string))
	if err != nil || a.Audience != models.AudienceMembers {
		t.Errorf("members-only Update stored with audience %v (%v)", a, err)
	}

	// A refused edit publishes nothing.
	edit.JoinPolicy = "lottery"
	if _, err := f.svc.UpdateCommunity(f.ctx, owner.ID, c.ID, edit); service.KindOf(err) != service.KindInvalid {
		t.Fatalf("bad edit: %v", err)
	}
	if got := f.sentSince(); len(got) != 0 {
		t.Errorf("a refused edit sent %d activities", len(got))
	}
}

func TestUpdateProfileFederatesUpdatePerson(t *testing.T) {
	f := newFixture(t)
	rosa := f.person("rosa")
	acct, err := f.store.GetAccountByActorID(f.ctx, rosa.ID)
	if err != nil {
		t.Fatal(err)
	}
	edit := func(name string) []sent {
		t.Helper()
		if _, err := f.svc.UpdateProfile(f.ctx, acct.ID, service.ProfileInput{DisplayName: name, Bio: "Roof *farms*"}); err != nil {
			t.Fatal(err)
		}
		return f.sentSince()
	}
	if got := edit("Rosa"); len(got) != 0 {
		t.Fatalf("a person in no remote community sent %d activities", len(got))
	}

	// Two communities on org-b.test share its inbox; org-c.test's has none;
	// a refused follow and a local community get nothing.
	follows := []struct {
		group *models.Actor
		state models.FollowState
	}{
		{f.remoteGroup("org-b.test", "roofs", "http://org-b.test/inbox"), models.FollowAccepted},
		{f.remoteGroup("org-b.test", "yards", "http://org-b.test/inbox"), models.FollowPending},
		{f.remoteGroup("org-c.test", "farms", ""), models.FollowAccepted},
		{f.remoteGroup("org-d.test", "closed", "http://org-d.test/inbox"), models.FollowRejected},
	}
	for i, fl := range follows {
		if err := f.store.PutFollow(f.ctx, &models.Follow{ActorID: rosa.ID, TargetActorID: fl.group.ID, State: fl.state,
			ActivityIRI: rosa.IRI + "#follow-" + string(rune('a'+i))}); err != nil {
			t.Fatal(err)
		}
	}
	// A community of ours rosa belongs to, with an accepted member on
	// org-e.test (whose server shows rosa's posts there) and one pending
	// on org-f.test; another community she is not in, with a member on
	// org-g.test.
	local := f.community("local", rosa, models.VisibilityPublic, models.JoinApproval)
	erin, fay := f.remote("org-e.test", "erin"), f.remote("org-f.test", "fay")
	if err := f.store.PutMember(f.ctx, &models.Member{CommunityID: local.ID, ActorID: erin.ID, Role: models.RoleMember, State: models.MemberAccepted}); err != nil {
		t.Fatal(err)
	}
	if err := f.store.PutMember(f.ctx, &models.Member{CommunityID: local.ID, ActorID: fay.ID, Role: models.RoleMember, State: models.MemberPending}); err != nil {
		t.Fatal(err)
	}
	other := f.community("other", f.person("olga"), models.VisibilityPublic, models.JoinOpen)
	gus := f.remote("org-g.test", "gus")
	if _, err := f.svc.ReceiveFollow(f.ctx, other, gus, gus.IRI+"#f"); err != nil {
		t.Fatal(err)
	}
	f.sentSince()

	got := edit("Rosa Parks")
	if len(got) != 1 {
		t.Fatalf("sent %d activities, want one Update", len(got))
	}
	u := got[0]
	obj, _ := u.doc["object"].(map[string]any)
	if u.doc["type"] != "Update" || u.doc["actor"] != rosa.IRI || obj["type"] != "Person" || obj["id"] != rosa.IRI ||
		obj["name"] != "Rosa Parks" || obj["summary"] != "<p>Roof <em>farms</em></p>\n" {
		t.Fatalf("Update{Person}: %v", u.doc)
	}
	if src, _ := obj["source"].(map[string]any); src["content"] != "Roof *farms*" {
		t.Errorf("source: %v", obj["source"])
	}
	if to, _ := u.doc["to"].([]any); len(to) != 1 || to[0] != service.ASPublic {
		t.Errorf("to = %v, want Public", u.doc["to"])
	}
	if want := []string{"http://org-b.test/inbox", "http://org-c.test/c/farms/inbox", "http://org-e.test/inbox"}; !slices.Equal(u.inboxes, want) {
		t.Errorf("delivered to %v, want %v", u.inboxes, want)
	}

	// Organization and expertise are not in the Person document: saving
	// them alone sends nothing.
	if _, err := f.svc.UpdateProfile(f.ctx, acct.ID, service.ProfileInput{DisplayName: "Rosa Parks", Bio: "Roof *farms*", Organization: "Allotment Society", Expertise: []string{"roofs"}}); err != nil {
		t.Fatal(err)
	}
	if got := f.sentSince(); len(got) != 0 {
		t.Errorf("saving organization and expertise alone sent %d activities", len(got))
	}
}
