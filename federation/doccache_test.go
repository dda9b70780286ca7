package federation_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/practica-social/practica/federation"
	"github.com/practica-social/practica/service"
	"github.com/practica-social/practica/testrig"
)

// getAS fetches an ActivityStreams document anonymously.
func getAS(t *testing.T, n *testrig.Network, url string) (http.Header, []byte) {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Accept", federation.ContentTypeActivity)
	resp, err := n.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %d %s", url, resp.StatusCode, body)
	}
	return resp.Header, body
}

// TestCachedDocumentsAreNeverStale: actor documents and outbox pages are
// served from memory to anonymous readers, but a committed change shows
// at the very next request.
func TestCachedDocumentsAreNeverStale(t *testing.T) {
	ctx := context.Background()
	n := testrig.NewNetwork()
	inst := n.Start(t, "org-a.test")
	acct, err := inst.Service.CreateAccount(ctx, service.NewAccount{Username: "ann", Email: "ann@example.org", Password: "correct horse"})
	if err != nil {
		t.Fatal(err)
	}
	c, err := inst.Service.CreateCommunity(ctx, service.NewCommunity{Handle: "soil", Name: "Soil", OwnerID: acct.ActorID})
	if err != nil {
		t.Fatal(err)
	}
	actorURL, outboxURL := "http://org-a.test/c/soil", "http://org-a.test/c/soil/outbox?page=true"

	h1, b1 := getAS(t, n, actorURL)
	h2, b2 := getAS(t, n, actorURL)
	if string(b1) != string(b2) {
		t.Fatal("the same document differs between two requests")
	}
	for _, k := range []string{"Content-Type", "Cache-Control", "Vary"} {
		if h1.Get(k) == "" || h1.Get(k) != h2.Get(k) || len(h2.Values(k)) != 1 {
			t.Errorf("header %s: %q then %q", k, h1.Values(k), h2.Values(k))
		}
	}

	// A renamed community shows at once.
	c.Actor.Name = "Living Soil"
	if err := inst.Store.UpdateActor(ctx, c.Actor); err != nil {
		t.Fatal(err)
	}
	_, b := getAS(t, n, actorURL)
	var doc map[string]any
	if err := json.Unmarshal(b, &doc); err != nil || doc["name"] != "Living Soil" {
		t.Fatalf("after the rename: name %v (%v)", doc["name"], err)
	}

	// A new post shows in the outbox at once.
	items := func() int {
		_, b := getAS(t, n, outboxURL)
		var page struct {
			OrderedItems []json.RawMessage `json:"orderedItems"`
		}
		if err := json.Unmarshal(b, &page); err != nil {
			t.Fatal(err)
		}
		return len(page.OrderedItems)
	}
	before := items()
	postIn(t, inst, acct.ActorID, c.ID, "Mulch")
	if got := items(); got != before+1 {
		t.Fatalf("outbox has %d items after a post, want %d", got, before+1)
	}

	// Unchanged, the documents come from memory: they are served even
	// once the database is gone.
	_, want := getAS(t, n, actorURL)
	if err := inst.Store.Close(); err != nil {
		t.Fatal(err)
	}
	if _, b := getAS(t, n, actorURL); string(b) != string(want) || !strings.Contains(string(b), "Living Soil") {
		t.Fatal("the unchanged actor document was not served from memory")
	}
}
