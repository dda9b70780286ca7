package service_test

import (
	"strings"
	"testing"
	"time"

	"github.com/practica-social/practica/models"
	"github.com/practica-social/practica/service"
)

// TestBanMember: who may ban whom; a banned member's membership ends and
// they are told (Reject{Follow}, then the moderator's Block, announced to
// the members); a banned person, member or stranger, local or remote, can
// neither post, like nor join again; the moderators list the bans; an
// unban lets them join again.
func TestBanMember(t *testing.T) {
	f := newFixture(t)
	owner := f.person("owner")
	c := f.community("garden", owner, models.VisibilityPublic, models.JoinOpen)
	mod, other, lou := f.person("mod"), f.person("othermod"), f.person("lou")
	for _, p := range []*models.Actor{mod, other, lou} {
		if _, err := f.svc.Join(f.ctx, p.ID, c); err != nil {
			t.Fatal(err)
		}
	}
	for _, p := range []*models.Actor{mod, other} {
		if err := f.svc.SetMemberRole(f.ctx, c, owner.ID, p.ID, models.RoleModerator); err != nil {
			t.Fatal(err)
		}
	}
	bob, carol := f.remote("org-b.test", "bob"), f.remote("org-c.test", "carol")
	if _, err := f.svc.ReceiveFollow(f.ctx, c, bob, bob.IRI+"#follow"); err != nil {
		t.Fatal(err)
	}
	if _, err := f.svc.ReceiveFollow(f.ctx, c, carol, carol.IRI+"#follow"); err != nil {
		t.Fatal(err)
	}
	stranger := f.remote("org-c.test", "stranger")
	post := func(who *models.Actor, id string) error {
		_, err := f.svc.ReceivePost(f.ctx, c, who, service.RemotePost{
			ActivityIRI: who.IRI + "/act/" + id, ActivityType: "Create", ActivityJSON: `{}`,
			IRI: who.IRI + "/notes/" + id, Type: "Note", ContentHTML: "<p>" + id + "</p>", Public: true,
		})
		return err
	}
	if err := post(stranger, "1"); err != nil {
		t.Fatalf("a stranger's post to a public community before any ban: %v", err)
	}
	f.published()

	// Who may ban whom.
	for _, tc := range []struct {
		what    string
		by, who int64
		kind    service.Kind
	}{
		{"a plain member bans", lou.ID, bob.ID, service.KindForbidden},
		{"a moderator bans the owner", mod.ID, owner.ID, service.KindForbidden},
		{"a moderator bans another moderator", mod.ID, other.ID, service.KindForbidden},
		{"a moderator bans themselves", mod.ID, mod.ID, service.KindForbidden},
		{"a ban of the community itself", mod.ID, c.ActorID, service.KindInvalid},
		{"a ban of no one", mod.ID, 999999, service.KindNotFound},
	} {
		if err := f.svc.BanMember(f.ctx, c, tc.by, tc.who, ""); service.KindOf(err) != tc.kind {
			t.Errorf("%s: %v, want kind %d", tc.what, err, tc.kind)
		}
	}
	if acts := f.published(); len(acts) != 0 {
		t.Fatalf("refused bans published %v", acts)
	}

	// A moderator bans bob, a remote member.
	if err := f.svc.BanMember(f.ctx, c, mod.ID, bob.ID, "  spam in every\x00 thread "); err != nil {
		t.Fatal(err)
	}
	acts := f.published()
	types := []string{}
	var block map[string]any
	for _, a := range acts {
		types = append(types, a["type"].(string))
		if a["type"] == "Block" {
			block = a
		}
	}
	if len(acts) != 3 || types[0] != "Reject" || block == nil || types[2] != "Announce" {
		t.Fatalf("banning bob published %v; want Reject{Follow}, Block, Announce{Block}", types)
	}
	if block["actor"] != mod.IRI || block["object"] != bob.IRI || block["target"] != c.Actor.IRI || block["summary"] != "spam in every thread" {
		t.Fatalf("Block %v", block)
	}
	if m, err := f.store.GetMember(f.ctx, c.ID, bob.ID); err != nil || m.State != models.MemberBanned || m.BanReason != "spam in every thread" {
		t.Fatalf("bob's membership after the ban: %+v, %v", m, err)
	}
	if err := f.svc.BanMember(f.ctx, c, mod.ID, bob.ID, ""); service.KindOf(err) != service.KindConflict {
		t.Fatalf("banning bob twice: %v, want conflict", err)
	}

	// bob can neither post, like nor join again; leaving keeps the ban.
	if err := post(bob, "2"); service.KindOf(err) != service.KindForbidden {
		t.Fatalf("a banned member's post: %v, want forbidden", err)
	}
	thread := f.post(owner, c, "Seeds", nil)
	if err := f.svc.ReceiveLike(f.ctx, bob, thread.IRI, bob.IRI+"/likes/1", "{}"); service.KindOf(err) != service.KindForbidden {
		t.Fatalf("a banned member's like: %v, want forbidden", err)
	}
	f.published()
	if state, err := f.svc.ReceiveFollow(f.ctx, c, bob, bob.IRI+"#again"); err != nil || state != models.MemberBanned {
		t.Fatalf("a banned person's Follow: %q, %v; want banned", state, err)
	}
	if acts := f.published(); len(acts) != 1 || acts[0]["type"] != "Reject" {
		t.Fatalf("a banned person's Follow was answered %v; want one Reject", acts)
	}
	if err := f.svc.ReceiveUnfollow(f.ctx, c, bob); err != nil {
		t.Fatal(err)
	}
	if m, err := f.store.GetMember(f.ctx, c.ID, bob.ID); err != nil || m.State != models.MemberBanned {
		t.Fatalf("leaving wiped the ban: %+v, %v", m, err)
	}
	if err := f.svc.RemoveMember(f.ctx, c, mod.ID, bob.ID); service.KindOf(err) != service.KindNotFound {
		t.Fatalf("removing a banned person: %v, want not found (it would lift the ban)", err)
	}

	// A stranger who never joined is banned the same way; nothing is
	// rejected, as there was no follow.
	if err := f.svc.BanMember(f.ctx, c, mod.ID, stranger.ID, ""); err != nil {
		t.Fatal(err)
	}
	if acts := f.published(); len(acts) != 2 || acts[0]["type"] != "Block" || acts[0]["summary"] != nil {
		t.Fatalf("banning a stranger published %v; want the Block without summary, and its Announce", acts)
	}
	if err := post(stranger, "3"); service.KindOf(err) != service.KindForbidden {
		t.Fatalf("a banned stranger's post: %v, want forbidden", err)
	}

	// A local member, and the owner banning a moderator.
	if err := f.svc.BanMember(f.ctx, c, mod.ID, lou.ID, "rude"); err != nil {
		t.Fatal(err)
	}
	if _, err := f.svc.CreatePost(f.ctx, service.NewPost{AuthorID: lou.ID, CommunityID: c.ID, Title: "Still here", Body: "x"}); service.KindOf(err) != service.KindForbidden {
		t.Fatalf("a banned local person's post: %v, want forbidden", err)
	}
	if err := f.svc.LikePost(f.ctx, lou.ID, thread.ID); service.KindOf(err) != service.KindForbidden {
		t.Fatalf("a banned local person's like: %v, want forbidden", err)
	}
	if _, err := f.svc.Join(f.ctx, lou.ID, c); service.KindOf(err) != service.KindForbidden {
		t.Fatalf("a banned local person joining again: %v, want forbidden", err)
	}
	f.published()
	if err := f.svc.BanMember(f.ctx, c, owner.ID, other.ID, ""); err != nil {
		t.Fatal(err)
	}
	acts = f.published()
	if len(acts) != 2 {
		t.Fatalf("banning a moderator published %d activities; want the Announces of their dismissal and of the Block", len(acts))
	}
	for i, want := range []string{"Remove", "Block"} {
		if inner, _ := acts[i]["object"].(map[string]any); acts[i]["type"] != "Announce" || inner["type"] != want || inner["object"] != other.IRI {
			t.Fatalf("banning a moderator: activity %d is %v; want the Announce of the %s", i, acts[i], want)
		}
	}

	// The moderators list the bans; others may not.
	if _, err := f.svc.Bans(f.ctx, c, carol.ID); service.KindOf(err) != service.KindForbidden {
		t.Fatalf("a member listed the bans: %v", err)
	}
	bans, err := f.svc.Bans(f.ctx, c, mod.ID)
	if err != nil {
		t.Fatal(err)
	}
	banned := map[string]bool{}
	for _, b := range bans {
		banned[b.Actor.Username] = true
	}
	if len(bans) != 4 || !banned["bob"] || !banned["stranger"] || !banned["lou"] || !banned["othermod"] {
		t.Fatalf("bans listed: %v", banned)
	}

	// Unbanned, bob joins again; the Undo{Block} goes where the Block went.
	if err := f.svc.UnbanMember(f.ctx, c, lou.ID, bob.ID); service.KindOf(err) != service.KindForbidden {
		t.Fatalf("a banned person unbanned someone: %v", err)
	}
	if err := f.svc.UnbanMember(f.ctx, c, mod.ID, carol.ID); service.KindOf(err) != service.KindNotFound {
		t.Fatalf("unbanning someone not banned: %v, want not found", err)
	}
	if err := f.svc.UnbanMember(f.ctx, c, mod.ID, bob.ID); err != nil {
		t.Fatal(err)
	}
	acts = f.published()
	if len(acts) != 2 || acts[0]["type"] != "Undo" || acts[1]["type"] != "Announce" {
		t.Fatalf("unbanning bob published %v; want Undo{Block} and its Announce", acts)
	}
	if inner, _ := acts[0]["object"].(map[string]any); inner["type"] != "Block" || inner["object"] != bob.IRI {
		t.Fatalf("Undo of %v", acts[0]["object"])
	}
	if state, err := f.svc.ReceiveFollow(f.ctx, c, bob, bob.IRI+"#back"); err != nil || state != models.MemberAccepted {
		t.Fatalf("bob's Follow after the unban: %q, %v; want accepted", state, err)
	}
	if err := post(bob, "4"); err != nil {
		t.Fatalf("bob's post after the unban: %v", err)
	}
}

// TestABanOutlivesItsPersonAndTheirServer: a banned person whose server
// says they are gone, or whose server an admin blocks and unblocks, is
// still banned: both end memberships, and neither may end a ban, or a
// spammer would be free again the day their actor is fetched anew.
func TestABanOutlivesItsPersonAndTheirServer(t *testing.T) {
	f := newFixture(t)
	admin := f.admin()
	owner := f.person("owner")
	c := f.community("garden", owner, models.VisibilityPublic, models.JoinOpen)
	bob := f.remote("org-b.test", "bob")
	if err := f.svc.BanMember(f.ctx, c, owner.ID, bob.ID, "spam"); err != nil {
		t.Fatal(err)
	}
	if err := f.store.MarkActorGone(f.ctx, bob.ID, time.Now()); err != nil {
		t.Fatal(err)
	}
	if m, err := f.store.GetMember(f.ctx, c.ID, bob.ID); err != nil || m.State != models.MemberBanned {
		t.Fatalf("after bob's actor went: %+v, %v; want still banned", m, err)
	}
	out, err := f.svc.BlockServer(f.ctx, admin.ID, "org-b.test", "")
	if err != nil {
		t.Fatal(err)
	}
	if out.Members != 0 {
		t.Fatalf("the block counted %d memberships ended; bob's ban is none", out.Members)
	}
	if err := f.svc.UnblockServer(f.ctx, admin.ID, "org-b.test"); err != nil {
		t.Fatal(err)
	}
	if !f.svc.Banned(f.ctx, c.ID, bob.ID) {
		t.Fatal("bob is no longer banned after his server was blocked and unblocked")
	}
}

// TestABannedAuthorCannotEdit: editing a post puts it out again, so a
// banned author may not, from here or from their server; deleting it
// stays allowed.
func TestABannedAuthorCannotEdit(t *testing.T) {
	f := newFixture(t)
	owner := f.person("owner")
	c := f.community("garden", owner, models.VisibilityPublic, models.JoinOpen)
	lou := f.person("lou")
	if _, err := f.svc.Join(f.ctx, lou.ID, c); err != nil {
		t.Fatal(err)
	}
	mine := f.post(lou, c, "Mine", nil)
	bob := f.remote("org-b.test", "bob")
	rp := service.RemotePost{ActivityIRI: bob.IRI + "/act/1", ActivityType: "Create", ActivityJSON: `{}`,
		IRI: bob.IRI + "/notes/1", Type: "Note", ContentHTML: "<p>hi</p>", Public: true}
	if _, err := f.svc.ReceivePost(f.ctx, c, bob, rp); err != nil {
		t.Fatal(err)
	}
	for _, who := range []*models.Actor{lou, bob} {
		if err := f.svc.BanMember(f.ctx, c, owner.ID, who.ID, ""); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := f.svc.EditPost(f.ctx, lou.ID, mine.ID, "Mine", "now with spam"); service.KindOf(err) != service.KindForbidden {
		t.Fatalf("a banned local author's edit: %v, want forbidden", err)
	}
	edit := rp
	edit.ActivityIRI, edit.ActivityType, edit.ContentHTML = bob.IRI+"/act/2", "Update", "<p>spam</p>"
	if err := f.svc.ReceiveUpdate(f.ctx, bob, edit); service.KindOf(err) != service.KindForbidden {
		t.Fatalf("a banned remote author's edit: %v, want forbidden", err)
	}
	if err := f.svc.DeletePost(f.ctx, lou.ID, mine.ID); err != nil {
		t.Fatalf("a banned author deleting their post: %v", err)
	}
}

// TestAnUnbanUndoesTheBlockAsSent: another moderator lifts the ban; the
// Undo is the banning moderator's, embedding their Block as sent, as
// Mastodon matches an Undo{Block} to the Block of the same actor. A
// pending request is answered Reject when its author is banned.
func TestAnUnbanUndoesTheBlockAsSent(t *testing.T) {
	f := newFixture(t)
	owner := f.person("owner")
	c := f.community("guild", owner, models.VisibilityPublic, models.JoinApproval)
	mod := f.person("mod")
	if _, err := f.svc.Join(f.ctx, mod.ID, c); err != nil {
		t.Fatal(err)
	}
	if err := f.svc.DecideMember(f.ctx, c, owner.ID, mod.ID, true); err != nil {
		t.Fatal(err)
	}
	if err := f.svc.SetMemberRole(f.ctx, c, owner.ID, mod.ID, models.RoleModerator); err != nil {
		t.Fatal(err)
	}
	bob := f.remote("org-b.test", "bob")
	if state, err := f.svc.ReceiveFollow(f.ctx, c, bob, bob.IRI+"#ask"); err != nil || state != models.MemberPending {
		t.Fatalf("bob's request: %q, %v", state, err)
	}
	f.published()
	if err := f.svc.BanMember(f.ctx, c, mod.ID, bob.ID, "spam"); err != nil {
		t.Fatal(err)
	}
	acts := f.published()
	// No remote member: nothing to announce to.
	if len(acts) != 2 || acts[0]["type"] != "Reject" || acts[1]["type"] != "Block" {
		t.Fatalf("banning bob, who asked to join, published %v; want Reject, Block", acts)
	}
	if follow, _ := acts[0]["object"].(map[string]any); follow["id"] != bob.IRI+"#ask" {
		t.Fatalf("Reject of %v, want bob's request", acts[0]["object"])
	}
	block := acts[1]
	if err := f.svc.UnbanMember(f.ctx, c, owner.ID, bob.ID); err != nil {
		t.Fatal(err)
	}
	acts = f.published()
	if len(acts) != 1 || acts[0]["type"] != "Undo" {
		t.Fatalf("the unban published %v", acts)
	}
	inner, _ := acts[0]["object"].(map[string]any)
	if acts[0]["actor"] != mod.IRI || inner["id"] != block["id"] || inner["actor"] != mod.IRI {
		t.Fatalf("Undo by %v of %v; want mod's Undo of their Block %v", acts[0]["actor"], inner["id"], block["id"])
	}
}

// TestBanningAStrangerWhoJustJoined: a stranger's Follow commits while a
// moderator's ban of them, having found no membership, is on its way: the
// ban must judge the membership now there (and reject the Follow), not
// write over it as if there were none.
func TestBanningAStrangerWhoJustJoined(t *testing.T) {
	var c *models.Community
	var owner, bob *models.Actor
	// The ban's reads of members: the moderator before its transaction,
	// the moderator's lock, then bob's lock, which finds nothing: pause there.
	f, errBan, errFollow := interleaved(t, 3, func(f *fixture) {
		owner = f.person("owner")
		c = f.community("garden", owner, models.VisibilityPublic, models.JoinOpen)
		bob = f.remote("org-b.test", "bob")
	}, func(f *fixture) error {
		return f.svc.BanMember(f.ctx, c, owner.ID, bob.ID, "spam")
	}, func(f *fixture) error {
		_, err := f.svc.ReceiveFollow(f.ctx, c, bob, bob.IRI+"#join")
		return err
	})
	if errBan != nil || errFollow != nil {
		t.Fatalf("ban: %v; follow: %v", errBan, errFollow)
	}
	m, err := f.store.GetMember(f.ctx, c.ID, bob.ID)
	if err != nil || m.State != models.MemberBanned || m.FollowIRI != bob.IRI+"#join" {
		t.Fatalf("bob: %+v, %v; want banned, his Follow kept", m, err)
	}
	var types []string
	for _, a := range f.published() {
		types = append(types, a["type"].(string))
	}
	if strings.Join(types, " ") != "Accept Reject Block" {
		t.Fatalf("published %v; want the Follow's Accept, then the ban's Reject and Block", types)
	}
}
