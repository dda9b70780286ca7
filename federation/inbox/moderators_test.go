package inbox_test

import (
	"testing"

	"github.com/practica-social/practica/models"
)

// TestAFollowedCommunityAnnouncesItsModerators: a Lemmy community local
// people follow announces the captured Add and Remove of a moderator
// (lemmy/activities/community/add_mod.json, remove_mod.json): both are
// taken. The same change sent by an actor of another server, and a pin to
// the community's featured collection, are refused.
func TestAFollowedCommunityAnnouncesItsModerators(t *testing.T) {
	w := newFediWorld(t, "gardening")
	const group, beta = "http://enterprise.lemmy.ml/c/main", "http://enterprise.lemmy.ml/u/lemmy_beta"
	w.fedi.actor(beta, "Person", nil)
	w.fedi.actor(group, "Group", map[string]any{
		"@context": "https://www.w3.org/ns/activitystreams", "id": group, "type": "Group", "preferredUsername": "main",
		"inbox": group + "/inbox", "followers": group + "/followers", "attributedTo": group + "/moderators",
		"endpoints": map[string]any{"sharedInbox": "http://enterprise.lemmy.ml/inbox"},
	})
	(&fixtureWorld{fediWorld: w}).followRemoteGroup(group)

	for _, rel := range []string{"lemmy/activities/community/add_mod.json", "lemmy/activities/community/remove_mod.json"} {
		inner := decodeFixture(t, readFixture(t, rel))
		w.expectOutcome(rel+" announced by the community", announceOf(group, inner), models.InboxProcessed, "")
	}

	mallory := "http://evil.example/u/mallory"
	w.fedi.actor(mallory, "Person", nil)
	foreign := map[string]any{"id": ckID(mallory, "activities/add"), "type": "Add", "actor": mallory,
		"object": mallory, "target": group + "/moderators", "audience": group}
	w.fedi.serveJSON(foreign["id"].(string), foreign)
	w.expectOutcome("an Add by someone of another server", announceOf(group, foreign), models.InboxRefused, "not supported")
	pin := map[string]any{"id": ckID(beta, "activities/add"), "type": "Add", "actor": beta,
		"object": "http://enterprise.lemmy.ml/post/1", "target": group + "/featured", "audience": group}
	w.expectOutcome("a pin", announceOf(group, pin), models.InboxRefused, "not supported")
}
