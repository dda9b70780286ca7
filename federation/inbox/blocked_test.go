package inbox_test

import (
	"errors"
	"net/http"
	"strings"
	"testing"

	"github.com/practica-social/practica/federation/inbox"
	"github.com/practica-social/practica/models"
	"github.com/practica-social/practica/service"
)

// TestNothingOfABlockedServerIsTaken: once the admins block a server,
// what its actors sign is refused with a final 403 before anything is
// stored; what another server relays of them (a community's Announce) is
// refused in processing, as is what it sent before the block and is
// processed after it; a reply to one of its posts we do not hold is
// refused, as its thread is not fetched. Its member's earlier post stays.
func TestNothingOfABlockedServerIsTaken(t *testing.T) {
	w := newFediWorld(t, "gardening")
	const spammer, group = "http://spam.example/users/sam", "http://lemmy.example/c/main"
	w.fedi.actor(spammer, "Person", nil)
	w.fedi.actor(ckAnn, "Person", nil)
	w.fedi.actor(group, "Group", map[string]any{
		"@context": "https://www.w3.org/ns/activitystreams", "id": group, "type": "Group", "preferredUsername": "main",
		"inbox": group + "/inbox", "followers": group + "/followers",
		"endpoints": map[string]any{"sharedInbox": "http://lemmy.example/inbox"},
	})
	(&fixtureWorld{fediWorld: w}).followRemoteGroup(group)
	w.ckFollow(spammer)
	early := w.ckPost(spammer, "Posted before the block")
	root, err := w.a.Service.CreateAccount(w.ctx, service.NewAccount{Username: "root", Email: "root@example.org", Password: "correct horse", Admin: true})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.a.Service.BlockServer(w.ctx, root.ID, "spam.example", "spam"); err != nil {
		t.Fatal(err)
	}
	if m := w.member(w.c, spammer); m != nil {
		t.Fatalf("the blocked server's member is still one: %+v", m)
	}

	direct := w.ckActivity("Create", spammer, w.ckNote(ckID(spammer, "notes"), spammer, "Posted after the block"))
	if r := w.deliverDoc(direct); r.status != http.StatusForbidden || !strings.Contains(r.body, "does not federate with spam.example") {
		t.Fatalf("the blocked server's POST: %d %s; want 403 saying we do not federate with it", r.status, r.body)
	}
	if it, err := w.a.Store.GetInboxItemByActivityIRI(w.ctx, direct["id"].(string)); err == nil {
		t.Fatalf("the refused POST was stored: %+v", it)
	}

	// Received before the block, processed after it: the actor is known,
	// nothing needs fetching, and it is refused all the same.
	proc := inbox.NewProcessor(inbox.ProcessorDeps{Service: w.a.Service, Resolver: w.a.Resolver})
	var ref *inbox.Refusal
	if err := proc.HandleRaw(w.ctx, mustJSON(t, direct)); !errors.As(err, &ref) || !strings.Contains(ref.Reason, "does not federate with spam.example") {
		t.Fatalf("processing the blocked server's activity received before the block: %v; want refused", err)
	}
	like := w.ckActivity("Like", spammer, early)
	if err := proc.HandleRaw(w.ctx, mustJSON(t, like)); !errors.As(err, &ref) {
		t.Fatalf("processing the blocked server's Like received before the block: %v; want refused", err)
	}

	noteID := ckID(spammer, "notes")
	relayed := map[string]any{
		"id": ckID(spammer, "activities"), "type": "Create", "actor": spammer, "audience": group,
		"to": []any{group, asPublic},
		"object": map[string]any{"id": noteID, "type": "Note", "attributedTo": spammer, "content": "relayed",
			"to": []any{group, asPublic}, "audience": group},
	}
	w.expectOutcome("the group's Announce of the blocked server's post", announceOf(group, relayed), models.InboxRefused, "does not federate with spam.example")
	if w.post(noteID) != nil {
		t.Fatal("the relayed post of the blocked server was stored")
	}

	replyID := ckID(ckAnn, "notes")
	reply := w.ckNote(replyID, ckAnn, "a reply")
	reply["inReplyTo"] = "http://spam.example/notes/never-seen"
	w.expectOutcome("a reply to a post of the blocked server", w.ckActivity("Create", ckAnn, reply), models.InboxRefused, "does not federate with spam.example")
	if w.post(replyID) != nil {
		t.Fatal("a reply whose thread is on the blocked server was stored")
	}
	if w.post(early) == nil {
		t.Fatal("the block removed the post its member made before")
	}
}
