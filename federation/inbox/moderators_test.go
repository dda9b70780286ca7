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

// TestAFollowedCommunityAnnouncesItsBans: a Lemmy community local people
// follow announces a moderator's ban of someone and its undoing (captured
// lemmy/activities/block/block_user.json, undo_block_user.json): both are
// taken, and nothing changes here. A ban in it by an actor of another
// server, and a person's Block of another person, are refused.
func TestAFollowedCommunityAnnouncesItsBans(t *testing.T) {
	w := newFediWorld(t, "gardening")
	const group, beta = "http://enterprise.lemmy.ml/c/main", "http://enterprise.lemmy.ml/u/lemmy_beta"
	w.fedi.actor(beta, "Person", nil)
	w.fedi.actor(group, "Group", map[string]any{
		"@context": "https://www.w3.org/ns/activitystreams", "id": group, "type": "Group", "preferredUsername": "main",
		"inbox": group + "/inbox", "followers": group + "/followers", "attributedTo": group + "/moderators",
		"endpoints": map[string]any{"sharedInbox": "http://enterprise.lemmy.ml/inbox"},
	})
	(&fixtureWorld{fediWorld: w}).followRemoteGroup(group)

	for _, rel := range []string{"lemmy/activities/block/block_user.json", "lemmy/activities/block/undo_block_user.json"} {
		inner := decodeFixture(t, readFixture(t, rel))
		w.expectOutcome(rel+" announced by the community", announceOf(group, inner), models.InboxProcessed, "")
	}

	mallory := "http://evil.example/u/mallory"
	w.fedi.actor(mallory, "Person", nil)
	foreign := map[string]any{"id": ckID(mallory, "activities/block"), "type": "Block", "actor": mallory,
		"object": beta, "target": group, "audience": group}
	w.fedi.serveJSON(foreign["id"].(string), foreign)
	w.expectOutcome("a ban by someone of another server", announceOf(group, foreign), models.InboxRefused, "not supported")
	personal := map[string]any{"id": ckID(beta, "activities/block"), "type": "Block", "actor": beta, "object": mallory}
	w.expectOutcome("a person's block of another", announceOf(group, personal), models.InboxRefused, "not supported")
}

// TestABannedStrangerIsRefused: a stranger (never a member) posts to our
// public community by mentioning it, as Mastodon users do; a moderator
// bans them: their server receives the Block, and their next post, like
// and Follow are refused (the Follow with a Reject).
func TestABannedStrangerIsRefused(t *testing.T) {
	w := newFediWorld(t, "gardening")
	w.fedi.actor(ckAnn, "Person", nil)
	first := w.ckPost(ckAnn, "Buy cheap seeds")
	ann, err := w.a.Store.GetActorByIRI(w.ctx, ckAnn)
	if err != nil {
		t.Fatal(err)
	}
	if err := w.a.Service.BanMember(w.ctx, w.c, w.owner.ID, ann.ID, "advertising"); err != nil {
		t.Fatal(err)
	}
	block := w.fedi.waitReceived(t, "the Block at ann's server", isActivity("remote.example", "Block", ckAnn))
	if block.Doc["target"] != w.c.Actor.IRI || block.Doc["summary"] != "advertising" {
		t.Fatalf("Block %v", block.Doc)
	}
	w.expectOutcome("a banned stranger's post", w.ckActivity("Create", ckAnn, w.ckNote(ckID(ckAnn, "notes"), ckAnn, "More seeds")),
		models.InboxRefused, "banned")
	w.expectOutcome("a banned stranger's like", w.ckActivity("Like", ckAnn, first), models.InboxRefused, "banned")
	follow := w.ckActivity("Follow", ckAnn, w.c.Actor.IRI)
	w.expectOutcome("a banned stranger's Follow", follow, models.InboxProcessed, "")
	w.fedi.waitReceived(t, "the Reject of the Follow", isActivity("remote.example", "Reject", follow["id"].(string)))
	if m := w.member(w.c, ckAnn); m == nil || m.State != models.MemberBanned {
		t.Fatalf("ann after the Follow: %+v; want still banned", m)
	}
}
