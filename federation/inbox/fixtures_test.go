package inbox_test

import (
	"encoding/json"
	"io/fs"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/practica-social/practica/federation/activitystreams"
	"github.com/practica-social/practica/models"
	"github.com/practica-social/practica/service"
)

// fixtureDir holds payloads captured from Mastodon, Lemmy, Friendica,
// Pleroma, Mobilizon and Mbin. CI has it beside the checkout, so its
// absence is a failure, not a skip.
const fixtureDir = "../../../shared/fixtures/fediverse"

// ourCommunity is the local community every fixture's community is
// pointed at.
const ourCommunity = "http://org-a.test/c/practice"

// fixtureCommunities are the community (Group) IRIs the captured
// activities address, without their scheme. Activities are pointed at our
// community by replacing each of them (as http:// or https://) with
// ourCommunity, unless the case keeps them (the activity comes from the
// remote group itself). Lemmy's "http://enterprise.lemmy.ml/u/main"
// audience is a bug in Lemmy's test data, names no community and is left
// alone.
var fixtureCommunities = []string{
	"enterprise.lemmy.ml/c/main",
	"enterprise.lemmy.ml/c/tenforward",
	"ds9.lemmy.ml/c/testcom",
	"ds9.lemmy.ml/c/main",
	"lemmy.schuerz.at/c/test",
	"lemmy.qa.urbanwildlife.biz/c/lemmy_community",
	"lemmy-alpha/c/test",
	"lemmy-alpha/c/main",
	"lemmy-alpha:8541/c/main",
	"voyager.lemmy.ml/c/main",
	"lemmy-test/c/test_mag",
	"lemmy.kde.social/c/kde",
}

// IRIs of the actors and objects the table's checks look at, as served
// (http://).
const (
	fxAlpha    = "http://ds9.lemmy.ml/u/lemmy_alpha"
	fxBeta     = "http://enterprise.lemmy.ml/u/lemmy_beta"
	fxAsonix   = "http://masto.asonix.dog/users/asonix"
	fxPost1    = "http://ds9.lemmy.ml/post/1"
	fxComment1 = "http://ds9.lemmy.ml/comment/1"
	fxGroup    = "http://enterprise.lemmy.ml/c/main"
	fxPicard   = "http://enterprise.lemmy.ml/u/picard"
	fxPost55   = "http://enterprise.lemmy.ml/post/55143"
)

// fixtureWorld is the one instance all fixtures go through, with the
// fixtures' hosts served by the fake server.
type fixtureWorld struct {
	*fediWorld
	// hosts are the fixture hosts served over http, longest first.
	hosts []string
}

// with returns the world with t as the failing test, for subtests.
func (fw *fixtureWorld) with(t *testing.T) *fixtureWorld {
	w := *fw.fediWorld
	w.t = t
	return &fixtureWorld{fediWorld: &w, hosts: fw.hosts}
}

// rewrite turns captured bytes into what the test network can serve:
// every community IRI of the fixtures becomes ours (when communities is
// set), and https:// becomes http:// for the fixture hosts the fake server
// serves. Everything else stays byte for byte.
func (fw *fixtureWorld) rewrite(raw []byte, communities bool) []byte {
	s := string(raw)
	if communities {
		for _, c := range fixtureCommunities {
			s = strings.ReplaceAll(s, "https://"+c, ourCommunity)
			s = strings.ReplaceAll(s, "http://"+c, ourCommunity)
		}
	}
	for _, h := range fw.hosts {
		s = strings.ReplaceAll(s, "https://"+h, "http://"+h)
		s = strings.ReplaceAll(s, `https:\/\/`+h, `http:\/\/`+h)
	}
	return []byte(s)
}

// fixtureFiles returns the fixture files under pattern's directory kind
// ("activities" or "objects"), relative to fixtureDir, sorted.
func fixtureFiles(t *testing.T, kind string) []string {
	t.Helper()
	if _, err := os.Stat(fixtureDir); err != nil {
		t.Fatalf("fixture directory %s: %v", fixtureDir, err)
	}
	var files []string
	err := filepath.WalkDir(fixtureDir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(fixtureDir, path)
		rel = filepath.ToSlash(rel)
		if !d.IsDir() && strings.HasSuffix(rel, ".json") && strings.Contains(rel, "/"+kind+"/") {
			files = append(files, rel)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	sort.Strings(files)
	return files
}

func readFixture(t *testing.T, rel string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(fixtureDir, filepath.FromSlash(rel)))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func decodeFixture(t *testing.T, b []byte) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	return m
}

// fixtureCase is one row of the outcome table: one captured activity
// posted, signed, to our shared inbox, and what must come of it.
type fixtureCase struct {
	file string
	// variant names a second run of the same file (see wrap).
	variant string
	// keepCommunity leaves the fixture's community IRIs alone: the activity
	// comes from that remote group (Announce, Accept).
	keepCommunity bool
	// wrap turns the file into what is posted (Mastodon's bare Note into
	// the Create Mastodon sends).
	wrap func(doc map[string]any) map[string]any
	// setup runs first: state the activity needs.
	setup func(w *fixtureWorld)
	// status is the inbox's answer; 0 means 202.
	status int
	// state is the item's final state; "" means nothing may be stored.
	state models.InboxState
	// reason must be part of a refusal's reason.
	reason string
	// why explains the expected outcome.
	why string
	// check asserts the effect.
	check func(w *fixtureWorld, it *models.InboxItem)
}

// fixtureCases is the table, in the order the cases run: later cases rely
// on the state earlier ones leave (a follow before posts, a post before
// the reply, the like and the delete of it).
func fixtureCases() []fixtureCase {
	processed, refused := models.InboxProcessed, models.InboxRefused
	return []fixtureCase{
		{file: "mastodon/activities/follow.json", state: processed,
			why: "Mastodon user follows our community: open, so a member at once, and Accept{Follow} goes back",
			check: func(w *fixtureWorld, it *models.InboxItem) {
				w.wantMember(fxAsonix, models.RoleMember)
				w.fedi.waitReceived(w.t, "Accept of asonix's Follow", isActivity("masto.asonix.dog", "Accept", it.ActivityIRI))
			}},
		{file: "lemmy/activities/following/follow.json", state: processed,
			why: "Lemmy user follows our community",
			check: func(w *fixtureWorld, it *models.InboxItem) {
				w.wantMember(fxAlpha, models.RoleMember)
				w.fedi.waitReceived(w.t, "Accept of lemmy_alpha's Follow", isActivity("ds9.lemmy.ml", "Accept", it.ActivityIRI))
			}},
		{file: "pleroma/activities/follow.json", state: refused, reason: "only communities on this server can be followed",
			why: "a Follow of a person on lemmy.ca: not ours to answer"},
		{file: "lemmy/activities/create_or_update/create_page.json", state: processed,
			why: "a Lemmy post (Page) to our community: stored as a thread; Announce{Create} and the boost Announce{Page} go to the members",
			check: func(w *fixtureWorld, it *models.InboxItem) {
				p := w.wantPost(fxPost1)
				if p.Title != "test post" || p.Type != "Page" || p.ThreadID != nil || !strings.Contains(p.Content, "test body") {
					w.t.Errorf("post = %q %q %v %q", p.Title, p.Type, p.ThreadID, p.Content)
				}
				w.fedi.waitReceived(w.t, "Announce{Create} at a member", isActivity("masto.asonix.dog", "Announce", it.ActivityIRI))
				w.fedi.waitReceived(w.t, "Announce{Page} at a member", isActivity("masto.asonix.dog", "Announce", fxPost1))
			}},
		{file: "lemmy/activities/create_or_update/create_comment.json", state: processed,
			why: "a Lemmy comment (Note) replying to the post: threaded under it and announced (not boosted)",
			check: func(w *fixtureWorld, it *models.InboxItem) {
				c, root := w.wantPost(fxComment1), w.wantPost(fxPost1)
				if c.ThreadID == nil || *c.ThreadID != root.ID || c.InReplyTo != fxPost1 || root.ReplyCount != 1 {
					w.t.Errorf("comment not threaded: thread %v in reply to %q, root replies %d", c.ThreadID, c.InReplyTo, root.ReplyCount)
				}
				w.fedi.waitReceived(w.t, "Announce{Create{Note}} at a member", isActivity("masto.asonix.dog", "Announce", it.ActivityIRI))
			}},
		{file: "lemmy/activities/voting/like_note.json", state: processed,
			why: "a Lemmy upvote of the comment: counted and announced",
			check: func(w *fixtureWorld, it *models.InboxItem) {
				if c := w.wantPost(fxComment1); c.LikeCount != 1 {
					w.t.Errorf("like count %d, want 1", c.LikeCount)
				}
				w.fedi.waitReceived(w.t, "Announce{Like} at a member", isActivity("masto.asonix.dog", "Announce", it.ActivityIRI))
			}},
		{file: "lemmy/activities/voting/undo_like_note.json", state: processed,
			why: "Undo{Like} by the same person (Lemmy sends a fresh Like id inside): the vote is removed",
			check: func(w *fixtureWorld, _ *models.InboxItem) {
				if c := w.wantPost(fxComment1); c.LikeCount != 0 {
					w.t.Errorf("like count %d, want 0", c.LikeCount)
				}
			}},
		{file: "lemmy/activities/create_or_update/update_page.json", state: processed,
			why: "the author edits the post: title and content replaced, the Update announced",
			check: func(w *fixtureWorld, it *models.InboxItem) {
				if p := w.wantPost(fxPost1); p.Title != "test post 1" || p.EditedAt == nil {
					w.t.Errorf("after Update: title %q, edited %v", p.Title, p.EditedAt)
				}
				w.fedi.waitReceived(w.t, "Announce{Update} at a member", isActivity("masto.asonix.dog", "Announce", it.ActivityIRI))
			}},
		{file: "lemmy/activities/voting/dislike_page.json", state: refused, reason: `"Dislike" is not supported`,
			why: "downvotes are not part of Practica"},
		{file: "lemmy/activities/voting/undo_dislike_page.json", state: processed,
			why: "Lemmy's undo of a vote (an Undo{Like}) by someone who never liked: nothing to remove"},
		{file: "lemmy/activities/deletion/remove_note.json", state: processed,
			why: "a Lemmy moderator of another instance deletes the comment: not its author, on another host: ignored (row 8)",
			check: func(w *fixtureWorld, _ *models.InboxItem) {
				if c := w.wantPost(fxComment1); c.DeletedAt != nil {
					w.t.Error("someone else's Delete removed the comment")
				}
			}},
		{file: "lemmy/activities/deletion/undo_remove_note.json", state: refused, reason: `Undo of "Delete" is not supported`,
			why: "restoring removed content is not supported"},
		{file: "lemmy/activities/deletion/delete_page.json", state: processed,
			why: "the author deletes the post: tombstoned",
			check: func(w *fixtureWorld, _ *models.InboxItem) {
				if p := w.wantPost(fxPost1); p.DeletedAt == nil {
					w.t.Error("post not deleted")
				}
			}},
		{file: "lemmy/activities/deletion/undo_delete_page.json", state: refused, reason: `Undo of "Delete" is not supported`,
			why: "restoring deleted content is not supported"},
		{file: "lemmy/activities/deletion/delete_user.json", state: processed,
			why: "Lemmy's test data reuses delete_page.json's activity id: the inbox keeps the first activity of an id and answers 202 to the repeat, which changes nothing (the author is not marked gone)",
			check: func(w *fixtureWorld, it *models.InboxItem) {
				if it.Type != "Delete" || !strings.Contains(it.Body, `"object": "`+fxPost1+`"`) {
					w.t.Errorf("stored item is not delete_page's: %s", it.Body)
				}
				if a, err := w.a.Store.GetActorByIRI(w.ctx, fxAlpha); err != nil || a.GoneAt != nil {
					w.t.Errorf("author: %+v, %v; want known, not gone", a, err)
				}
			}},
		{file: "lemmy/activities/deletion/delete_private_message.json", state: processed,
			why: "Delete of a private message we never had, by its author: a tombstone so that a late Create is dropped",
			check: func(w *fixtureWorld, _ *models.InboxItem) {
				w.wantTombstone("http://enterprise.lemmy.ml/private_message/1")
			}},
		{file: "lemmy/activities/deletion/undo_delete_private_message.json", state: refused, reason: `Undo of "Delete" is not supported`,
			why: "private messages are not part of Practica"},
		{file: "lemmy/activities/create_or_update/create_private_message.json", state: refused, reason: "not addressed to a community",
			why: "a private message (Note to one person): not for a community",
			check: func(w *fixtureWorld, _ *models.InboxItem) {
				w.wantNoPost("http://enterprise.lemmy.ml/private_message/1")
			}},
		{file: "lemmy/activities/create_or_update/create_private_message_0.19.json", state: refused, reason: `"ChatMessage" are not taken`,
			why: "Lemmy 0.19's ChatMessage: not a post type"},
		{file: "lemmy/activities/block/block_user.json", status: http.StatusForbidden,
			why:   "a ban from a remote non-moderator (row 9): 403 at the inbox, nothing stored, the member stays",
			check: func(w *fixtureWorld, _ *models.InboxItem) { w.wantMember(fxAlpha, models.RoleMember) }},
		{file: "lemmy/activities/block/undo_block_user.json", state: refused, reason: `Undo of "Block" is not supported`,
			why: "bans are not federated"},
		{file: "lemmy/activities/community/add_mod.json", status: http.StatusForbidden,
			why: "adding a moderator from outside (row 9): 403 at the inbox, roles unchanged",
			check: func(w *fixtureWorld, _ *models.InboxItem) {
				w.wantMember(fxAlpha, models.RoleMember)
				w.wantMember(w.owner.IRI, models.RoleOwner)
			}},
		{file: "lemmy/activities/community/remove_mod.json", status: http.StatusForbidden,
			why:   "removing a moderator from outside (row 9): 403 at the inbox, roles unchanged",
			check: func(w *fixtureWorld, _ *models.InboxItem) { w.wantMember(w.owner.IRI, models.RoleOwner) }},
		{file: "lemmy/activities/community/add_featured_post.json", status: http.StatusForbidden,
			why: "pinning from outside (row 9): 403 at the inbox"},
		{file: "lemmy/activities/community/remove_featured_post.json", status: http.StatusForbidden,
			why: "unpinning from outside (row 9): 403 at the inbox (Lemmy's test data reuses add_featured_post.json's id; neither is stored)"},
		{file: "lemmy/activities/community/lock_note.json", state: refused, reason: `"Lock" is not supported`,
			why: "locking threads is not federated"},
		{file: "lemmy/activities/community/lock_page.json", state: refused, reason: `"Lock" is not supported`,
			why: "locking threads is not federated"},
		{file: "lemmy/activities/community/undo_lock_note.json", state: refused, reason: `Undo of "Lock" is not supported`,
			why: "locking threads is not federated"},
		{file: "lemmy/activities/community/undo_lock_page.json", state: refused, reason: `Undo of "Lock" is not supported`,
			why: "locking threads is not federated"},
		{file: "lemmy/activities/community/report_page.json", state: processed,
			why: "a Lemmy report addressed to our community (protocol.md §10): filed for its moderators, the post we do not hold kept as its IRI",
			check: func(w *fixtureWorld, _ *models.InboxItem) {
				w.wantReport("report this post", "http://enterprise.lemmy.ml/post/7")
			}},
		{file: "lemmy/activities/community/resolve_report_page.json", state: refused, reason: `"Resolve" is not supported`,
			why: "reports are not handled yet"},
		{file: "lemmy/activities/community/warn.json", state: refused, reason: `"Warn" is not supported`,
			why: "Lemmy's moderator warning: not part of Practica"},
		{file: "lemmy/activities/community/update_community.json", state: refused, reason: "an actor may only update itself",
			why: "a remote person rewrites our Group (row 9): refused, the community unchanged",
			check: func(w *fixtureWorld, _ *models.InboxItem) {
				c, err := w.a.Service.LocalCommunity(w.ctx, "practice")
				if err != nil || c.Actor.Name != "Practice" {
					w.t.Errorf("community after a foreign Update{Group}: %+v, %v", c, err)
				}
			}},
		{file: "lemmy/activities/community/announce_create_page.json", keepCommunity: true, state: processed,
			setup: func(w *fixtureWorld) { w.followRemoteGroup(fxGroup) },
			why:   "a followed Lemmy community announces a post (FEP-1b12): stored in that remote community",
			check: func(w *fixtureWorld, _ *models.InboxItem) {
				p := w.wantPost("http://enterprise.lemmy.ml/post/7")
				g, err := w.a.Service.CommunityByActorIRI(w.ctx, fxGroup)
				if err != nil || p.CommunityID == nil || *p.CommunityID != g.ID || p.Title != "post 4" {
					w.t.Errorf("announced post %+v in %v (%v)", p, p.CommunityID, err)
				}
			}},
		{file: "lemmy/activities/following/accept.json", keepCommunity: true, state: refused, reason: "follow not found",
			why: "an Accept of a Follow that someone on ds9.lemmy.ml sent: no follow of ours matches"},
		{file: "lemmy/activities/following/undo_follow.json", state: processed,
			why:   "the Lemmy user leaves (Lemmy sends a new Follow id inside the Undo): membership ends",
			check: func(w *fixtureWorld, _ *models.InboxItem) { w.wantNotMember(fxAlpha) }},
		{file: "friendica/activities/create_page_1.json", state: processed,
			why: "a Mastodon post mentioning the community (cc + tag Mention): a new thread titled by its first line",
			check: func(w *fixtureWorld, _ *models.InboxItem) {
				p := w.wantPost("http://masto.qa.urbanwildlife.biz/users/mastodon/statuses/110435994705014161")
				if !strings.HasPrefix(p.Title, "Test post to community") || p.ThreadID != nil || p.CommunityID == nil || *p.CommunityID != w.c.ID {
					w.t.Errorf("Mastodon post: title %q thread %v community %v", p.Title, p.ThreadID, p.CommunityID)
				}
			}},
		{file: "friendica/activities/create_page_2.json", state: processed,
			why: "a Friendica Article addressed to the community: a thread titled by its name",
			check: func(w *fixtureWorld, _ *models.InboxItem) {
				if p := w.wantPost("http://pirati.ca/objects/ec054ce7-5162-3bf2-504c-16d024994850"); p.Title != "From Friendica to Lemmy" || p.Type != "Article" {
					w.t.Errorf("Friendica article: %q %q", p.Title, p.Type)
				}
			}},
		{file: "friendica/activities/create_note.json", state: refused, reason: "the post replied to could not be fetched",
			why: "a Friendica comment on a Lemmy post we do not have, on a server the test network does not have: the parent's fetch fails, so the comment is refused clearly"},
		{file: "friendica/activities/like_page.json", state: processed,
			why: "a like of a post we do not have: nothing to count, dropped"},
		{file: "friendica/activities/dislike_page.json", state: refused, reason: `"Dislike" is not supported`,
			why: "downvotes are not part of Practica"},
		{file: "friendica/activities/undo_dislike_page.json", state: processed,
			why: "Undo of a Dislike: nothing was recorded, nothing to do"},
		{file: "friendica/activities/update_note.json", state: processed,
			why: "an Update of a comment we never stored: dropped, nothing created",
			check: func(w *fixtureWorld, _ *models.InboxItem) {
				w.wantNoPost("http://pirati.ca/objects/ec054ce7-4762-3c1c-3c25-0cc665717210")
			}},
		{file: "friendica/activities/delete.json", state: processed,
			why: "Delete{Tombstone} of that comment by its author: a tombstone",
			check: func(w *fixtureWorld, _ *models.InboxItem) {
				w.wantTombstone("http://pirati.ca/objects/ec054ce7-4762-3c1c-3c25-0cc665717210")
			}},
		{file: "mastodon/activities/create_note.json", state: refused, reason: "a reply to a post this server does not have",
			why: "a Mastodon reply to a Mastodon status, addressed to no community"},
		{file: "mastodon/activities/like_page.json", state: processed,
			why: "a like of a post we do not have: dropped"},
		{file: "mastodon/activities/undo_like_page.json", state: processed,
			why: "undo of that like: nothing to remove"},
		{file: "mastodon/activities/delete.json", state: processed,
			why: "Delete{Tombstone} of a status we never had: a tombstone",
			check: func(w *fixtureWorld, _ *models.InboxItem) {
				w.wantTombstone("http://mastodon.madrid/users/felix/statuses/107773559874184870")
			}},
		{file: "mastodon/activities/flag.json", state: refused, reason: "the report concerns no community of this server",
			why: "Mastodon's report form (instance actor, object [actor, posts…]) about an account and posts of another server"},
		{file: "mastodon/activities/private_message.json", status: http.StatusBadRequest,
			why: "Lemmy's asset is the bare Note of a Mastodon DM, not an activity: 400 (missing actor), nothing stored"},
		{file: "mastodon/activities/private_message.json", variant: "as Mastodon sends it", wrap: wrapInCreate, state: refused,
			reason: "a reply to a post this server does not have",
			why:    "the same DM in the Create Mastodon sends: addressed to one person, replying to a status we do not have"},
		{file: "mastodon/activities/undo_follow.json", state: processed,
			why:   "the Mastodon user leaves: membership ends",
			check: func(w *fixtureWorld, _ *models.InboxItem) { w.wantNotMember(fxAsonix) }},
		{file: "pleroma/activities/create_note.json", state: processed,
			setup: func(w *fixtureWorld) { w.seedLemmyPost() },
			why:   "a Pleroma reply to a Lemmy post we hold (lemmy/objects/page.json, received first): the community is found through inReplyTo and the reply threaded",
			check: func(w *fixtureWorld, _ *models.InboxItem) {
				p, root := w.wantPost("http://greenish.red/objects/1a522f2e-d5ab-454b-93d7-e58bc0650c2a"), w.wantPost(fxPost55)
				if p.ThreadID == nil || *p.ThreadID != root.ID || p.CommunityID == nil || *p.CommunityID != w.c.ID {
					w.t.Errorf("Pleroma reply not threaded: thread %v community %v", p.ThreadID, p.CommunityID)
				}
			}},
		{file: "pleroma/activities/delete.json", state: processed,
			why: "Delete of an object we never had, by its author: a tombstone",
			check: func(w *fixtureWorld, _ *models.InboxItem) {
				w.wantTombstone("http://greenish.red/objects/38e2b983-ebf5-4387-9bc2-3b80305469c9")
			}},
		{file: "mbin/activities/accept.json", keepCommunity: true, state: refused, reason: "follow not found",
			why: "an Mbin magazine accepts a follow by someone on another server: no follow of ours matches"},
		{file: "mbin/activities/flag.json", state: processed,
			why: "an Mbin report addressed to our community: filed for its moderators",
			check: func(w *fixtureWorld, _ *models.InboxItem) {
				w.wantReport("dikjhgasdpas dsaü", "https://lemmy-test/post/4")
			}},
	}
}

// TestFixturesThroughTheInbox posts every captured activity, signed, to the
// shared inbox of one instance, and checks the outcome of each: handled
// (with its effect) or refused with a reason. None may be left received or
// failed.
func TestFixturesThroughTheInbox(t *testing.T) {
	cases := fixtureCases()
	files := fixtureFiles(t, "activities")
	if len(files) < 50 {
		t.Fatalf("only %d activity fixtures in %s; the set is incomplete", len(files), fixtureDir)
	}
	var covered []string
	for _, c := range cases {
		covered = append(covered, c.file)
	}
	for _, f := range files {
		if !slices.Contains(covered, f) {
			t.Errorf("%s: no row in the outcome table", f)
		}
	}
	for _, f := range covered {
		if !slices.Contains(files, f) {
			t.Errorf("%s: in the table but not among the fixtures", f)
		}
	}
	if t.Failed() {
		t.FailNow()
	}

	fw := &fixtureWorld{fediWorld: newFediWorld(t, "practice")}
	if fw.c.Actor.IRI != ourCommunity {
		t.Fatalf("community IRI %s, want %s", fw.c.Actor.IRI, ourCommunity)
	}
	fw.serveFixtureWorld(files)

	for _, c := range cases {
		name := strings.TrimSuffix(c.file, ".json")
		if c.variant != "" {
			name += " " + c.variant
		}
		t.Run(name, func(t *testing.T) {
			w := fw.with(t)
			if c.setup != nil {
				c.setup(w)
			}
			body := w.rewrite(readFixture(t, c.file), !c.keepCommunity)
			if c.wrap != nil {
				b, err := json.Marshal(c.wrap(decodeFixture(t, body)))
				if err != nil {
					t.Fatal(err)
				}
				body = b
			}
			doc := decodeFixture(t, body)
			id, _ := doc["id"].(string)
			actor := activitystreams.IRI(doc["actor"])
			if actor == "" {
				actor = activitystreams.IRI(doc["attributedTo"])
			}
			r := w.deliver(w.fedi.signer(actor), body)
			want := c.status
			if want == 0 {
				want = http.StatusAccepted
			}
			if r.status != want {
				t.Fatalf("inbox answered %d %s; want %d (%s)", r.status, r.body, want, c.why)
			}
			if c.state == "" {
				if _, err := w.a.Store.GetInboxItemByActivityIRI(w.ctx, id); err == nil {
					t.Fatalf("stored although refused at the inbox (%s)", c.why)
				}
				if c.check != nil {
					c.check(w, nil)
				}
				return
			}
			it := w.outcome(id)
			if it.State != c.state {
				t.Fatalf("state %s (%q); want %s: %s", it.State, it.Error, c.state, c.why)
			}
			if c.state == models.InboxRefused && (it.Error == "" || !strings.Contains(it.Error, c.reason)) {
				t.Fatalf("refused for %q; want a reason containing %q: %s", it.Error, c.reason, c.why)
			}
			if c.check != nil {
				c.check(w, it)
			}
		})
	}
}

// serveFixtureWorld serves, on the fixtures' own host names, every
// captured object and actor (the actors with test keys), a minimal actor
// document for every activity actor without a captured one, and the Lemmy
// community enterprise.lemmy.ml/c/main as its Update{Group} shows it.
func (fw *fixtureWorld) serveFixtureWorld(activityFiles []string) {
	t := fw.t
	objectFiles := fixtureFiles(t, "objects")
	// The hosts served: those of every activity's actor (and inner actor)
	// and of every captured object.
	hostSet := map[string]bool{}
	actorTypes := map[string]string{} // http IRI -> type to synthesise
	addActor := func(iri, typ string) {
		u, err := url.Parse(iri)
		if err != nil || u.Host == "" {
			return
		}
		hostSet[u.Host] = true
		u.Scheme = "http"
		if _, ok := actorTypes[u.String()]; !ok {
			actorTypes[u.String()] = typ
		}
	}
	guessType := func(iri string) string {
		switch {
		case strings.Contains(iri, "/c/") || strings.Contains(iri, "/m/"):
			return "Group"
		case strings.HasSuffix(iri, "/actor"):
			return "Application"
		}
		return "Person"
	}
	for _, f := range activityFiles {
		doc := decodeFixture(t, readFixture(t, f))
		actor := activitystreams.IRI(doc["actor"])
		if actor == "" {
			actor = activitystreams.IRI(doc["attributedTo"])
		}
		addActor(actor, guessType(actor))
		if inner, ok := doc["object"].(map[string]any); ok {
			if a := activitystreams.IRI(inner["actor"]); a != "" {
				addActor(a, guessType(a))
			}
		}
	}
	for _, f := range objectFiles {
		if id, _ := decodeFixture(t, readFixture(t, f))["id"].(string); id != "" {
			if u, err := url.Parse(id); err == nil {
				hostSet[u.Host] = true
			}
		}
	}
	for h := range hostSet {
		fw.hosts = append(fw.hosts, h)
	}
	sort.Slice(fw.hosts, func(i, j int) bool { return len(fw.hosts[i]) > len(fw.hosts[j]) })

	// Keys first, in parallel: RSA key generation dominates the setup.
	var wg sync.WaitGroup
	for iri := range actorTypes {
		wg.Go(func() { testKeyOf(t, iri) })
	}
	wg.Wait()

	// Captured objects and actors.
	for _, f := range objectFiles {
		raw := readFixture(t, f)
		types := activitystreams.Types(decodeFixture(t, raw))
		isActor := len(types) > 0 && slices.Contains([]string{"Person", "Group", "Service", "Application", "Organization"}, types[0])
		doc := decodeFixture(t, fw.rewrite(raw, !isActor))
		id, _ := doc["id"].(string)
		if isActor {
			fw.fedi.actor(id, types[0], doc)
		} else {
			fw.fedi.serveJSON(id, doc)
		}
	}
	// The Lemmy community that announces and accepts: its document is the
	// Group embedded in update_community.json.
	upd := decodeFixture(t, fw.rewrite(readFixture(t, "lemmy/activities/community/update_community.json"), false))
	fw.fedi.actor(fxGroup, "Group", upd["object"].(map[string]any))
	// Every other actor: a minimal document of its kind.
	for iri, typ := range actorTypes {
		fw.fedi.mu.Lock()
		_, served := fw.fedi.signers[iri]
		fw.fedi.mu.Unlock()
		if !served {
			fw.fedi.actor(iri, typ, nil)
		}
	}
}

// followRemoteGroup makes a local person, fern, a member of the remote
// group: she joins (a Follow goes out) and the group's Accept comes in
// through the inbox.
func (w *fixtureWorld) followRemoteGroup(group string) {
	w.t.Helper()
	acc, err := w.a.Service.CreateAccount(w.ctx, service.NewAccount{Username: "fern", Email: "fern@example.org", Password: "correct horse"})
	if err != nil {
		w.t.Fatal(err)
	}
	g, err := w.a.Resolver.Actor(w.ctx, group)
	if err != nil {
		w.t.Fatal(err)
	}
	c, err := w.a.Service.EnsureRemoteCommunity(w.ctx, g)
	if err != nil {
		w.t.Fatal(err)
	}
	if _, err := w.a.Service.Join(w.ctx, acc.ActorID, c); err != nil {
		w.t.Fatal(err)
	}
	f, err := w.a.Store.GetFollow(w.ctx, acc.ActorID, g.ID)
	if err != nil {
		w.t.Fatal(err)
	}
	w.fedi.waitReceived(w.t, "fern's Follow at the group", isActivity(hostOf(group), "Follow", group))
	w.expectOutcome("the group's Accept", map[string]any{
		"@context": "https://www.w3.org/ns/activitystreams",
		"id":       group + "/activities/accept/fixture-setup", "type": "Accept", "actor": group,
		"object": map[string]any{"id": f.ActivityIRI, "type": "Follow", "actor": acc.Actor.IRI, "object": group},
	}, models.InboxProcessed, "")
	if ok, err := w.a.Service.LocalMembersFollow(w.ctx, c); err != nil || !ok {
		w.t.Fatalf("fern's follow not accepted: %v", err)
	}
}

// seedLemmyPost stores Lemmy's captured post (lemmy/objects/page.json) in
// our community, as picard's Create would bring it.
func (w *fixtureWorld) seedLemmyPost() {
	w.t.Helper()
	page := decodeFixture(w.t, w.rewrite(readFixture(w.t, "lemmy/objects/page.json"), true))
	w.expectOutcome("Create of lemmy/objects/page.json", map[string]any{
		"@context": "https://www.w3.org/ns/activitystreams",
		"id":       "http://enterprise.lemmy.ml/activities/create/fixture-seed", "type": "Create", "actor": fxPicard,
		"to": []any{ourCommunity, asPublic}, "object": page,
	}, models.InboxProcessed, "")
	w.wantPost(fxPost55)
}

// wrapInCreate wraps a bare Mastodon Note in the Create Mastodon sends.
func wrapInCreate(note map[string]any) map[string]any {
	return map[string]any{
		"@context": note["@context"], "id": note["id"].(string) + "/activity", "type": "Create",
		"actor": note["attributedTo"], "published": note["published"], "to": note["to"], "cc": note["cc"],
		"object": note,
	}
}

func (w *fixtureWorld) wantPost(iri string) *models.Post {
	w.t.Helper()
	p := w.post(iri)
	if p == nil {
		w.t.Fatalf("post %s not stored", iri)
	}
	return p
}

func (w *fixtureWorld) wantNoPost(iri string) {
	w.t.Helper()
	if p := w.post(iri); p != nil {
		w.t.Fatalf("post %s stored", iri)
	}
}

func (w *fixtureWorld) wantTombstone(iri string) {
	w.t.Helper()
	if gone, err := w.a.Store.IsTombstoned(w.ctx, iri); err != nil || !gone {
		w.t.Fatalf("%s: tombstoned %v, %v", iri, gone, err)
	}
}

func (w *fixtureWorld) wantMember(actorIRI string, role models.Role) {
	w.t.Helper()
	m := w.member(w.c, actorIRI)
	if m == nil || m.State != models.MemberAccepted || m.Role != role {
		w.t.Fatalf("%s: membership %+v; want accepted %s", actorIRI, m, role)
	}
}

// wantReport fails unless the community has an open report with the
// comment, naming the IRI we do not hold.
func (w *fixtureWorld) wantReport(comment, objectIRI string) {
	w.t.Helper()
	rs, err := w.a.Service.Reports(w.ctx, w.c, w.owner.ID, true, 0, 100)
	if err != nil {
		w.t.Fatal(err)
	}
	for _, r := range rs {
		if r.Comment == comment && slices.Contains(r.ObjectIRIs, objectIRI) {
			return
		}
	}
	w.t.Fatalf("no open report %q naming %s among %d", comment, objectIRI, len(rs))
}

func (w *fixtureWorld) wantNotMember(actorIRI string) {
	w.t.Helper()
	if m := w.member(w.c, actorIRI); m != nil {
		w.t.Fatalf("%s is still a member: %+v", actorIRI, m)
	}
}
