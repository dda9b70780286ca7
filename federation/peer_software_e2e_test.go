package federation_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/practica-social/practica/models"
	"github.com/practica-social/practica/service"
	"github.com/practica-social/practica/testrig"
)

// fakeMastodon is a server that says it runs Mastodon and keeps what its
// shared inbox receives (nothing checks signatures here: the other tests
// do that).
type fakeMastodon struct {
	mu   sync.Mutex
	got  []map[string]any
	base string
}

func newFakeMastodon(t *testing.T, n *testrig.Network, host string) *fakeMastodon {
	t.Helper()
	f := &fakeMastodon{base: "http://" + host}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		switch {
		case r.URL.Path == "/.well-known/nodeinfo":
			_, _ = io.WriteString(w, `{"links":[{"rel":"http://nodeinfo.diaspora.software/ns/schema/2.0","href":"`+f.base+`/nodeinfo/2.0"}]}`)
		case r.URL.Path == "/nodeinfo/2.0":
			_, _ = io.WriteString(w, `{"version":"2.0","software":{"name":"mastodon","version":"4.3.2"},"protocols":["activitypub"],"usage":{"users":{"total":1}},"openRegistrations":false}`)
		case r.URL.Path == "/inbox" && r.Method == http.MethodPost:
			var m map[string]any
			if err := json.NewDecoder(r.Body).Decode(&m); err == nil {
				f.mu.Lock()
				f.got = append(f.got, m)
				f.mu.Unlock()
			}
			w.WriteHeader(http.StatusAccepted)
		default:
			http.NotFound(w, r)
		}
	}))
	t.Cleanup(srv.Close)
	n.Add(host, srv.Listener.Addr().String())
	return f
}

// received returns every activity received so far.
func (f *fakeMastodon) received() []map[string]any {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]map[string]any(nil), f.got...)
}

// announces returns the Announces received so far.
func (f *fakeMastodon) announces() []map[string]any {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []map[string]any
	for _, m := range f.got {
		if m["type"] == "Announce" {
			out = append(out, m)
		}
	}
	return out
}

// TestAnnouncesFollowWhatPeersRun: once A has asked its members' hosts
// what they run, a new thread reaches another Practica (FEP-1b12 software)
// as the Announce of its Create only, and Mastodon as the boost only, and
// both show it.
func TestAnnouncesFollowWhatPeersRun(t *testing.T) {
	ctx := context.Background()
	n := testrig.NewNetwork()
	a := n.Start(t, "org-a.test")
	b := n.Start(t, "org-b.test")
	masto := newFakeMastodon(t, n, "masto.test")

	alice := person(t, a, "alice")
	bob := person(t, b, "bob")
	garden, err := a.Service.CreateCommunity(ctx, service.NewCommunity{Handle: "gardening", Name: "Urban Gardening", OwnerID: alice.ID})
	if err != nil {
		t.Fatal(err)
	}
	gardenOnB := joinFrom(t, b, bob.ID, "@gardening@org-a.test")
	m := &models.Actor{IRI: masto.base + "/users/m", Type: models.ActorPerson, Username: "m", Host: "masto.test",
		InboxURL: masto.base + "/users/m/inbox", SharedInboxURL: masto.base + "/inbox", Published: time.Now()}
	if err := a.Store.UpsertRemoteActor(ctx, m); err != nil {
		t.Fatal(err)
	}
	if _, err := a.Service.ReceiveFollow(ctx, garden, m, m.IRI+"#follow"); err != nil {
		t.Fatal(err)
	}

	// What the reconciler does once a minute, at once.
	if _, err := a.Resolver.ProbePeers(ctx, 10, 2); err != nil {
		t.Fatal(err)
	}
	for host, want := range map[string]string{"org-b.test": "practica", "masto.test": "mastodon"} {
		p, err := a.Store.GetPeerSoftware(ctx, host)
		if err != nil || p.Name != want {
			t.Fatalf("A thinks %s runs %+v (%v), want %s", host, p, err, want)
		}
	}

	post, err := a.Service.CreatePost(ctx, service.NewPost{AuthorID: alice.ID, CommunityID: garden.ID, Title: "Seed swap Saturday", Body: "Bring seeds!"})
	if err != nil {
		t.Fatal(err)
	}
	eventually(t, "B shows alice's thread", func() bool { return hasTitle(t, b, gardenOnB, "Seed swap Saturday") })
	eventually(t, "Mastodon gets the boost", func() bool { return len(masto.announces()) > 0 })
	boost := masto.announces()[0]
	if boost["object"] != post.IRI {
		t.Fatalf("Mastodon got %v, want the Announce of %s", boost, post.IRI)
	}
	deliveredTo := func(iri string) []string {
		t.Helper()
		act, err := a.Store.GetActivityByIRI(ctx, iri)
		if err != nil {
			t.Fatal(err)
		}
		ds, err := a.Store.ActivityDeliveries(ctx, act.ID)
		if err != nil {
			t.Fatal(err)
		}
		var hosts []string
		for _, d := range ds {
			hosts = append(hosts, d.Host)
		}
		return hosts
	}
	if got := deliveredTo(boost["id"].(string)); len(got) != 1 || got[0] != "masto.test" {
		t.Errorf("the boost went to %v, want masto.test only", got)
	}
	out, err := a.Store.OutboxPage(ctx, garden.ActorID, []models.Audience{models.AudiencePublic}, 0, 1)
	if err != nil || len(out) != 1 || out[0].ObjectIRI == post.IRI {
		t.Fatalf("outbox: %v, %v", out, err)
	}
	if got := deliveredTo(out[0].IRI); len(got) != 1 || got[0] != "org-b.test" {
		t.Errorf("the Announce of the Create went to %v, want org-b.test only", got)
	}

	// Alice deletes the thread: B removes it; Mastodon, which would drop
	// the Announce of the Delete, gets the Undo of the boost.
	if err := a.Service.DeletePost(ctx, alice.ID, post.ID); err != nil {
		t.Fatal(err)
	}
	eventually(t, "B removes alice's thread", func() bool { return !hasTitle(t, b, gardenOnB, "Seed swap Saturday") })
	eventually(t, "Mastodon gets the Undo of the boost", func() bool {
		for _, m := range masto.received() {
			if obj, ok := m["object"].(map[string]any); ok && m["type"] == "Undo" && obj["id"] == boost["id"] {
				return true
			}
		}
		return false
	})
	for _, m := range masto.received() {
		if m["type"] == "Announce" && m["object"] != post.IRI {
			t.Errorf("Mastodon got an Announce of an activity: %v", m)
		}
	}
}
