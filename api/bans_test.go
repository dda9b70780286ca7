package api_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/practica-social/practica/models"
	"github.com/practica-social/practica/service"
)

type apiBan struct {
	Actor    apiActor `json:"actor"`
	Origin   string   `json:"origin"`
	Reason   string   `json:"reason"`
	BannedAt string   `json:"banned_at"`
}

// TestBans: moderators ban members, a stranger of another server who
// posted without joining (by handle, or by the iri of their actor) and a person of this
// server who never joined, list the bans and lift them; everyone else is
// refused, and a ban of an owner, of oneself, twice or of nobody fails
// with the right status.
func TestBans(t *testing.T) {
	r := newRig(t)
	ada, bob, eve, lou := r.user("ada"), r.user("bob"), r.user("eve"), r.user("lou")
	garden := r.community("garden", ada, models.VisibilityPublic, models.JoinOpen)
	r.join(bob, garden)
	r.join(eve, garden)
	r.call(http.MethodPatch, "/communities/garden/members/bob", ada.write, map[string]string{"role": "moderator"}).ok(http.StatusOK, nil)
	remote := func(name string) *models.Actor {
		a := &models.Actor{IRI: "http://org-b.test/users/" + name, Type: models.ActorPerson, Username: name, Host: "org-b.test",
			InboxURL: "http://org-b.test/users/" + name + "/inbox", Published: time.Now()}
		if err := r.inst.Store.UpsertRemoteActor(r.ctx, a); err != nil {
			t.Fatal(err)
		}
		return a
	}
	zed, sam := remote("zed"), remote("sam")
	if _, err := r.inst.Service.ReceiveFollow(r.ctx, garden, zed, zed.IRI+"#join"); err != nil {
		t.Fatal(err)
	}
	spam := func(n string) error {
		_, err := r.inst.Service.ReceivePost(r.ctx, garden, sam, service.RemotePost{
			ActivityIRI: sam.IRI + "/create/" + n, ActivityType: "Create", ActivityJSON: `{}`,
			IRI: sam.IRI + "/statuses/" + n, Type: "Note", ContentHTML: "<p>Cheap pills</p>", Public: true,
		})
		return err
	}
	if err := spam("1"); err != nil {
		t.Fatalf("a stranger's post before the ban: %v", err)
	}
	const bans = "/communities/garden/bans"

	var list page[apiBan]
	r.call(http.MethodGet, bans, ada.read, nil).ok(http.StatusOK, &list)
	if list.Items == nil || len(list.Items) != 0 || list.NextCursor != "" {
		t.Fatalf("bans before any: %+v", list)
	}
	r.call(http.MethodGet, bans, eve.read, nil).fails(http.StatusForbidden, "forbidden", "moderators")
	r.call(http.MethodGet, "/communities/nothing/bans", ada.read, nil).fails(http.StatusNotFound, "not_found", "community")

	// Refusals, before anything changes.
	r.call(http.MethodPost, bans, eve.write, map[string]string{"member": "zed@org-b.test"}).fails(http.StatusForbidden, "forbidden", "moderators")
	r.call(http.MethodPost, bans, bob.read, map[string]string{"member": "zed@org-b.test"}).fails(http.StatusForbidden, "forbidden", "write scope")
	r.call(http.MethodPost, bans, bob.write, map[string]string{"member": "ada"}).fails(http.StatusForbidden, "forbidden", "owner")
	r.call(http.MethodPost, bans, bob.write, map[string]string{"member": "bob@org-a.test"}).fails(http.StatusForbidden, "forbidden", "yourself")
	r.call(http.MethodPost, bans, bob.write, map[string]string{"reason": "x"}).fails(http.StatusBadRequest, "invalid_request", "member: required")
	r.call(http.MethodPost, bans, bob.write, map[string]string{"member": "eve", "why": "x"}).fails(http.StatusBadRequest, "invalid_request", "why")
	r.call(http.MethodPost, bans, bob.write, map[string]string{"member": "eve", "reason": strings.Repeat("x", 1001)}).fails(http.StatusBadRequest, "invalid_request", "reason:")
	r.call(http.MethodPost, bans, bob.write, map[string]string{"member": "nobody@org-b.test"}).fails(http.StatusNotFound, "not_found", "member")
	r.call(http.MethodPost, bans, bob.write, map[string]string{"member": "http://org-b.test/users/nobody"}).fails(http.StatusNotFound, "not_found", "member")
	r.call(http.MethodPost, bans, eve.write, map[string]string{"member": sam.IRI}).fails(http.StatusForbidden, "forbidden", "moderators")

	// A remote member, the stranger by iri, and a person of this server
	// who never joined.
	var ban apiBan
	r.call(http.MethodPost, bans, bob.write, map[string]string{"member": "zed@org-b.test", "reason": " Spam in every thread "}).ok(http.StatusCreated, &ban)
	if ban.Actor.Acct != "zed@org-b.test" || ban.Origin != "remote" || ban.Reason != "Spam in every thread" || ban.BannedAt == "" {
		t.Fatalf("zed's ban: %+v", ban)
	}
	r.call(http.MethodPost, bans, ada.write, map[string]string{"member": "zed@org-b.test"}).fails(http.StatusConflict, "conflict", "banned already")
	r.call(http.MethodPost, bans, bob.write, map[string]string{"member": "sam@org-b.test", "reason": "Pills"}).ok(http.StatusCreated, &ban)
	if ban.Actor.Acct != "sam@org-b.test" || ban.Reason != "Pills" {
		t.Fatalf("sam's ban: %+v", ban)
	}
	r.call(http.MethodPost, bans, ada.write, map[string]string{"member": sam.IRI}).fails(http.StatusConflict, "conflict", "banned already")
	if err := spam("2"); service.KindOf(err) != service.KindForbidden {
		t.Fatalf("the banned stranger's next post: %v, want forbidden", err)
	}
	r.call(http.MethodPost, bans, bob.write, map[string]string{"member": "@lou"}).ok(http.StatusCreated, &ban)
	if ban.Actor.Acct != "lou@org-a.test" || ban.Origin != "local" || ban.Reason != "" {
		t.Fatalf("lou's ban: %+v", ban)
	}
	r.call(http.MethodPost, "/communities/garden/join", lou.write, nil).fails(http.StatusForbidden, "forbidden", "banned")

	list = page[apiBan]{}
	r.call(http.MethodGet, bans, bob.read, nil).ok(http.StatusOK, &list)
	var got []string
	for _, b := range list.Items {
		got = append(got, b.Actor.Acct+" "+b.Origin+" "+b.Reason)
	}
	if strings.Join(got, ", ") != "lou@org-a.test local , sam@org-b.test remote Pills, zed@org-b.test remote Spam in every thread" {
		t.Fatalf("bans, newest first: %q", got)
	}
	members, _ := walk[apiMember](r, "/communities/garden/members", ada.read, 10)
	for _, m := range members {
		if m.Actor.Acct == "zed@org-b.test" {
			t.Fatal("zed is still a member after his ban")
		}
	}

	// Lifting bans.
	r.call(http.MethodDelete, bans+"/zed@org-b.test", eve.write, nil).fails(http.StatusForbidden, "forbidden", "moderators")
	r.call(http.MethodDelete, bans+"/zed@org-b.test", bob.read, nil).fails(http.StatusForbidden, "forbidden", "write scope")
	r.call(http.MethodDelete, bans+"/eve", bob.write, nil).fails(http.StatusNotFound, "not_found", "ban")
	r.call(http.MethodDelete, bans+"/zed@org-b.test", bob.write, nil).ok(http.StatusNoContent, nil)
	r.call(http.MethodDelete, bans+"/zed@org-b.test", bob.write, nil).fails(http.StatusNotFound, "not_found", "member")
	r.call(http.MethodDelete, bans+"/sam@org-b.test", ada.write, nil).ok(http.StatusNoContent, nil)
	r.call(http.MethodDelete, bans+"/lou", ada.write, nil).ok(http.StatusNoContent, nil)
	r.call(http.MethodGet, bans, ada.read, nil).ok(http.StatusOK, &list)
	if len(list.Items) != 0 {
		t.Fatalf("bans after lifting them all: %+v", list.Items)
	}
	r.call(http.MethodPost, "/communities/garden/join", lou.write, nil).ok(http.StatusOK, nil)
}
