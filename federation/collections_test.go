package federation_test

import (
	"bytes"
	"context"
	"encoding/json"
	"testing"

	"github.com/practica-social/practica/federation"
	"github.com/practica-social/practica/service"
	"github.com/practica-social/practica/testrig"
)

func TestCollectionsAreWellFormed(t *testing.T) {
	n := testrig.NewNetwork()
	inst := n.Start(t, "org-a.test")
	seed(t, inst)
	base := "http://org-a.test/c/gardening"
	for _, c := range []struct {
		path  string
		total float64
		paged bool
	}{
		{"/outbox", 0, true},
		{"/followers", 1, false}, // outsiders see the count only
		{"/following", 0, false},
		{"/moderators", 1, false},
		{"/featured", 0, false},
	} {
		resp, body := get(t, n, base+c.path, federation.ContentTypeActivity)
		if resp.StatusCode != 200 {
			t.Fatalf("%s: status %d", c.path, resp.StatusCode)
		}
		doc := decode(t, body)
		if doc["id"] != base+c.path || doc["type"] != "OrderedCollection" || doc["totalItems"] != c.total {
			t.Errorf("%s = %#v", c.path, doc)
		}
		if _, hasFirst := doc["first"]; hasFirst != c.paged {
			t.Errorf("%s: first present %v, want %v", c.path, hasFirst, c.paged)
		}
	}
	_, body := get(t, n, base+"/moderators", federation.ContentTypeActivity)
	items, _ := decode(t, body)["orderedItems"].([]any)
	if len(items) != 1 || items[0] != "http://org-a.test/u/alice" {
		t.Errorf("moderators = %#v", items)
	}
	_, body = get(t, n, base+"/outbox?page=true", federation.ContentTypeActivity)
	page := decode(t, body)
	if page["type"] != "OrderedCollectionPage" || page["partOf"] != base+"/outbox" {
		t.Errorf("outbox page = %#v", page)
	}
	if _, ok := page["orderedItems"].([]any); !ok {
		t.Errorf("outbox page needs orderedItems, even empty: %#v", page)
	}
	resp, _ := get(t, n, base+"/outbox?page=true&before=x", federation.ContentTypeActivity)
	if resp.StatusCode != 400 {
		t.Errorf("bad cursor: %d, want 400", resp.StatusCode)
	}
	// A members-only community's followers are nobody else's business.
	resp, _ = get(t, n, "http://org-a.test/c/shared/followers", federation.ContentTypeActivity)
	if resp.StatusCode != 404 {
		t.Errorf("members-only followers to an outsider: %d, want 404", resp.StatusCode)
	}
}

func TestNodeInfoCountsOnlyPublicContent(t *testing.T) {
	n := testrig.NewNetwork()
	inst := n.Start(t, "org-a.test")
	seed(t, inst)
	ctx := context.Background()
	alice, err := inst.Service.LocalPerson(ctx, "alice")
	if err != nil {
		t.Fatal(err)
	}
	pub, _ := inst.Service.LocalCommunity(ctx, "gardening")
	priv, _ := inst.Service.LocalCommunity(ctx, "shared")
	postIn(t, inst, alice.ID, pub.ID, "Public thread")
	owner, _ := inst.Service.LocalPerson(ctx, "shared")
	joinApproved(t, inst, priv, owner.ID, alice.ID)
	postIn(t, inst, alice.ID, priv.ID, "Private thread")

	resp, body := get(t, n, "http://org-a.test/.well-known/nodeinfo", "")
	idx := decode(t, body)
	links, _ := idx["links"].([]any)
	if resp.StatusCode != 200 || len(links) != 1 || links[0].(map[string]any)["href"] != "http://org-a.test/nodeinfo/2.1" ||
		links[0].(map[string]any)["rel"] != "http://nodeinfo.diaspora.software/ns/schema/2.1" {
		t.Fatalf("nodeinfo index = %s", body)
	}
	_, body = get(t, n, "http://org-a.test/nodeinfo/2.1", "")
	ni := decode(t, body)
	sw := ni["software"].(map[string]any)
	usage := ni["usage"].(map[string]any)
	if ni["version"] != "2.1" || sw["name"] != "practica" || sw["version"] == "" {
		t.Errorf("nodeinfo = %s", body)
	}
	if p, _ := ni["protocols"].([]any); len(p) != 1 || p[0] != "activitypub" {
		t.Errorf("protocols = %#v", ni["protocols"])
	}
	if usage["localPosts"] != 1.0 {
		t.Errorf("localPosts = %v, want 1 (the private thread must not count)", usage["localPosts"])
	}
	if users := usage["users"].(map[string]any); users["total"] != 2.0 {
		t.Errorf("users = %v, want 2", users)
	}
	if usage["localComments"] != 0.0 {
		t.Errorf("localComments = %v, want 0", usage["localComments"])
	}
	if md := ni["metadata"].(map[string]any); md["communities"] != 1.0 {
		t.Errorf("communities = %v, want 1 (public only)", md["communities"])
	}
	if ni["openRegistrations"] != false {
		t.Errorf("openRegistrations = %v, want false by default", ni["openRegistrations"])
	}
}

// An outbox page of our own Announces declares the context we publish with
// once; its items (an Announce of a Create carries it twice) leave it out,
// and keep everything else.
func TestOutboxPageDeclaresOurContextOnce(t *testing.T) {
	n := testrig.NewNetwork()
	inst := n.Start(t, "org-a.test")
	seed(t, inst)
	ctx := context.Background()
	alice, err := inst.Service.LocalPerson(ctx, "alice")
	if err != nil {
		t.Fatal(err)
	}
	pub, _ := inst.Service.LocalCommunity(ctx, "gardening")
	postIn(t, inst, alice.ID, pub.ID, "Seed swap")
	_, body := get(t, n, "http://org-a.test/c/gardening/outbox?page=true", federation.ContentTypeActivity)
	page := decode(t, body)
	want, _ := json.Marshal(service.PublishedContext())
	if got, _ := json.Marshal(page["@context"]); !bytes.Equal(got, want) {
		t.Fatalf("page @context %s, want %s", got, want)
	}
	items, _ := page["orderedItems"].([]any)
	if len(items) == 0 {
		t.Fatalf("no items: %s", body)
	}
	for _, it := range items {
		announce, _ := it.(map[string]any)
		create, _ := announce["object"].(map[string]any)
		if _, has := announce["@context"]; has || announce["type"] != "Announce" {
			t.Fatalf("item %v", announce)
		}
		if create == nil {
			continue // the Announce of the object names it by IRI
		}
		object, _ := create["object"].(map[string]any)
		if _, has := create["@context"]; has || create["type"] != "Create" || object["name"] != "Seed swap" {
			t.Fatalf("embedded Create %v", create)
		}
	}
}
