package activitystreams

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"
)

// fixtureDir holds the captured payloads; CI always has it, so its absence
// is a failure, not a skip.
const fixtureDir = "../../../shared/fixtures/fediverse"

// fixtureFiles returns every .json fixture, relative to fixtureDir.
func fixtureFiles(tb testing.TB) []string {
	tb.Helper()
	if _, err := os.Stat(fixtureDir); err != nil {
		tb.Fatalf("fixture directory %s: %v", fixtureDir, err)
	}
	var files []string
	err := filepath.WalkDir(fixtureDir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.IsDir() && strings.HasSuffix(path, ".json") {
			rel, err := filepath.Rel(fixtureDir, path)
			if err != nil {
				return err
			}
			files = append(files, filepath.ToSlash(rel))
		}
		return nil
	})
	if err != nil {
		tb.Fatalf("walking fixtures: %v", err)
	}
	if len(files) < 50 {
		tb.Fatalf("found only %d fixtures in %s; the set is incomplete", len(files), fixtureDir)
	}
	return files
}

// readFixture returns one fixture's bytes.
func readFixture(tb testing.TB, rel string) []byte {
	tb.Helper()
	data, err := os.ReadFile(filepath.Join(fixtureDir, filepath.FromSlash(rel)))
	if err != nil {
		tb.Fatalf("reading fixture: %v", err)
	}
	return data
}

func TestFixturesDecode(t *testing.T) {
	for _, rel := range fixtureFiles(t) {
		if _, err := Decode(readFixture(t, rel)); err != nil {
			t.Errorf("%s: %v", rel, err)
		}
	}
}

// notActivities lists files under activities/ that are legitimately not
// activities, and the ParseError reason each must give.
func notActivities() map[string]string {
	return map[string]string{
		// Lemmy's test asset for a Mastodon DM is the bare Note Mastodon
		// sends inside its Create; a Note has no actor.
		"mastodon/activities/private_message.json": "missing actor",
	}
}

func TestFixtureActivities(t *testing.T) {
	seen, expected := 0, notActivities()
	for _, rel := range fixtureFiles(t) {
		if !strings.Contains(rel, "/activities/") {
			continue
		}
		seen++
		a, err := ParseActivity(readFixture(t, rel))
		if want, ok := expected[rel]; ok {
			delete(expected, rel)
			var pe *ParseError
			if !errors.As(err, &pe) || pe.Reason != want {
				t.Errorf("%s: got %v, want ParseError %q", rel, err, want)
			}
			continue
		}
		if err != nil {
			t.Errorf("%s: %v", rel, err)
			continue
		}
		if a.ID == "" || a.Type == "" || a.Actor == "" || a.ObjectIRI == "" {
			t.Errorf("%s: incomplete activity %+v", rel, a)
		}
		// Embedded objects must be readable too: activities (Announce of
		// Create, Undo of Follow) as activities, Groups as actors, the rest
		// as content objects.
		inner, ok := a.Object.(map[string]any)
		if !ok {
			continue
		}
		switch {
		case inner["object"] != nil:
			if _, err := ActivityFromMap(inner); err != nil {
				t.Errorf("%s: embedded activity: %v", rel, err)
			}
		case slices.ContainsFunc(Types(inner), isActorType):
			if _, err := ActorFromMap(inner); err != nil {
				t.Errorf("%s: embedded actor: %v", rel, err)
			}
		default:
			if _, err := ObjectFromMap(inner); err != nil {
				t.Errorf("%s: embedded object: %v", rel, err)
			}
		}
	}
	if seen < 40 {
		t.Fatalf("only %d activity fixtures", seen)
	}
	for rel := range expected {
		t.Errorf("%s is listed as not an activity but was not found", rel)
	}
}

func TestFixtureObjects(t *testing.T) {
	for _, rel := range fixtureFiles(t) {
		if !strings.Contains(rel, "/objects/") {
			continue
		}
		data := readFixture(t, rel)
		base := filepath.Base(rel)
		if strings.Contains(base, "person") || strings.Contains(base, "group") || strings.Contains(base, "instance") {
			a, err := ParseActor(data)
			if err != nil {
				t.Errorf("%s: %v", rel, err)
				continue
			}
			if a.PreferredUsername == "" || a.PublicKey.Owner != a.ID || !isRSAPEM(a.PublicKey.PEM) ||
				!strings.HasPrefix(a.PublicKey.ID, a.ID) {
				t.Errorf("%s: incomplete actor %+v", rel, a)
			}
			continue
		}
		m, err := Decode(data)
		if err != nil {
			t.Errorf("%s: %v", rel, err)
			continue
		}
		if _, err := ObjectFromMap(m); err != nil {
			t.Errorf("%s: %v", rel, err)
		}
		// A content object is not an actor, whatever else it has.
		if _, err := ActorFromMap(m); err == nil {
			t.Errorf("%s: read as an actor", rel)
		}
	}
}

func TestLemmyAnnounceCreatePage(t *testing.T) {
	a, err := ParseActivity(readFixture(t, "lemmy/activities/community/announce_create_page.json"))
	if err != nil {
		t.Fatal(err)
	}
	if a.Type != "Announce" || a.Actor != "http://enterprise.lemmy.ml/c/main" {
		t.Errorf("announce = %s by %s", a.Type, a.Actor)
	}
	if !slices.Equal(a.To, []string{Public}) || !slices.Equal(a.CC, []string{"http://enterprise.lemmy.ml/c/main/followers"}) {
		t.Errorf("addressing to=%v cc=%v", a.To, a.CC)
	}
	const createID = "http://enterprise.lemmy.ml/activities/create/2807c9ec-3ad8-4859-a9e0-28b59b6e499f"
	if a.ObjectIRI != createID {
		t.Errorf("ObjectIRI = %q", a.ObjectIRI)
	}
	create, err := ActivityFromMap(a.Object.(map[string]any))
	if err != nil {
		t.Fatal(err)
	}
	if create.Type != "Create" || create.Actor != "http://enterprise.lemmy.ml/u/lemmy_beta" || create.ID != createID {
		t.Errorf("inner = %+v", create)
	}
	page, err := ObjectFromMap(create.Object.(map[string]any))
	if err != nil {
		t.Fatal(err)
	}
	if page.Type != "Page" || page.ID != "http://enterprise.lemmy.ml/post/7" || page.Name != "post 4" {
		t.Errorf("page = %+v", page)
	}
	if !slices.Equal(page.Audience, []string{"http://enterprise.lemmy.ml/u/main"}) {
		t.Errorf("audience = %v", page.Audience)
	}
	if want := time.Date(2021, 11, 1, 12, 11, 22, 871846000, time.UTC); !page.Published.Equal(want) {
		t.Errorf("published = %v", page.Published)
	}
}

func TestLemmyCreatePageAndGroup(t *testing.T) {
	a, err := ParseActivity(readFixture(t, "lemmy/activities/create_or_update/create_page.json"))
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(a.Audience, []string{"https://enterprise.lemmy.ml/c/main"}) {
		t.Errorf("activity audience = %v", a.Audience)
	}
	p, err := ObjectFromMap(a.Object.(map[string]any))
	if err != nil {
		t.Fatal(err)
	}
	if p.Name != "test post" || p.Content != "<p>test body</p>\n" || p.SourceContent != "test body" ||
		p.SourceMediaType != "text/markdown" || p.AttributedTo != "http://ds9.lemmy.ml/u/lemmy_alpha" {
		t.Errorf("page = %+v", p)
	}

	g, err := ParseActor(readFixture(t, "lemmy/objects/group.json"))
	if err != nil {
		t.Fatal(err)
	}
	want := Actor{
		ID: "https://enterprise.lemmy.ml/c/tenforward", Type: "Group", PreferredUsername: "tenforward",
		Name: "Ten Forward", Inbox: "https://enterprise.lemmy.ml/c/tenforward/inbox",
		Outbox: "https://enterprise.lemmy.ml/c/tenforward/outbox", Followers: "https://enterprise.lemmy.ml/c/tenforward/followers",
		Featured: "https://enterprise.lemmy.ml/c/tenforward//featured", SharedInbox: "https://enterprise.lemmy.ml/inbox",
		Moderators: "https://enterprise.lemmy.ml/c/tenforward/moderators",
		IconURL:    "https://enterprise.lemmy.ml/pictrs/image/waqyZwLAy4.webp", ImageURL: "https://enterprise.lemmy.ml/pictrs/image/Wt8zoMcCmE.jpg",
	}
	got := *g
	got.Raw, got.Summary, got.PublicKey, got.Published = nil, "", PublicKey{}, time.Time{}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("group =\n%+v\nwant\n%+v", got, want)
	}
	if g.PublicKey.ID != "https://enterprise.lemmy.ml/c/tenforward#main-key" || g.Published.Year() != 2019 {
		t.Errorf("key %q published %v", g.PublicKey.ID, g.Published)
	}

	// Update{Group} embeds the whole group; it must read as an actor.
	u, err := ParseActivity(readFixture(t, "lemmy/activities/community/update_community.json"))
	if err != nil {
		t.Fatal(err)
	}
	ug, err := ActorFromMap(u.Object.(map[string]any))
	if err != nil || ug.Type != "Group" || ug.PostingRestrictedToMods || ug.Moderators == "" {
		t.Errorf("updated group = %+v, %v", ug, err)
	}
}

func TestMastodonFixtures(t *testing.T) {
	m, err := Decode(readFixture(t, "mastodon/objects/note_1.json"))
	if err != nil {
		t.Fatal(err)
	}
	n, err := ObjectFromMap(m)
	if err != nil {
		t.Fatal(err)
	}
	wantTags := []Tag{{Type: "Mention", Href: "https://mamot.fr/users/retiolus", Name: "@retiolus@mamot.fr"}}
	if !slices.Equal(n.Tags, wantTags) {
		t.Errorf("tags = %+v", n.Tags)
	}
	if n.InReplyTo != "https://mamot.fr/users/retiolus/statuses/107224244380204526" ||
		n.URL != "https://mastodon.madrid/@felix/107224289116410645" || n.Summary != "" ||
		!strings.Contains(n.Content, `class="u-url mention"`) || n.Sensitive ||
		!n.Published.Equal(time.Date(2021, 11, 5, 11, 46, 50, 0, time.UTC)) {
		t.Errorf("note = %+v", n)
	}
	if !slices.ContainsFunc(n.CC, IsPublic) || slices.ContainsFunc(n.To, IsPublic) {
		t.Errorf("unlisted note: to=%v cc=%v", n.To, n.CC)
	}

	// A Mastodon user posts to a group by mentioning it.
	m, err = Decode(readFixture(t, "mastodon/objects/note_2.json"))
	if err != nil {
		t.Fatal(err)
	}
	n, err = ObjectFromMap(m)
	if err != nil {
		t.Fatal(err)
	}
	if len(n.Tags) != 1 || n.Tags[0].Type != "Mention" || n.Tags[0].Href != "https://lemmy.kde.social/c/kde" ||
		!slices.Contains(n.CC, "https://lemmy.kde.social/c/kde") {
		t.Errorf("group mention: tags=%+v cc=%v", n.Tags, n.CC)
	}

	p, err := ParseActor(readFixture(t, "mastodon/objects/person.json"))
	if err != nil {
		t.Fatal(err)
	}
	if p.Type != "Person" || p.PreferredUsername != "mastodon" || p.Featured != "https://masto.qa.urbanwildlife.biz/users/mastodon/collections/featured" ||
		p.SharedInbox != "https://masto.qa.urbanwildlife.biz/inbox" || p.Moderators != "" ||
		!strings.HasSuffix(p.IconURL, "/2cf61ff96e94cb1d.png") || p.URL != "https://masto.qa.urbanwildlife.biz/@mastodon" {
		t.Errorf("person = %+v", p)
	}

	// Mastodon's report: object is [actor, posts…] and to is a bare string.
	f, err := ParseActivity(readFixture(t, "mastodon/activities/flag.json"))
	if err != nil {
		t.Fatal(err)
	}
	if len(f.ObjectIRIs) != 3 || f.ObjectIRI != "https://example.com/users/1" || !slices.Equal(f.To, []string{"https://example.com/users/1"}) {
		t.Errorf("flag = %+v", f)
	}

	u, err := ParseActivity(readFixture(t, "mastodon/activities/undo_follow.json"))
	if err != nil {
		t.Fatal(err)
	}
	follow, err := ActivityFromMap(u.Object.(map[string]any))
	if err != nil || follow.Type != "Follow" || follow.Actor != u.Actor {
		t.Errorf("undo follow inner = %+v, %v", follow, err)
	}
}

func TestOtherSoftwareFixtures(t *testing.T) {
	// Mobilizon: attributedTo is the group, actor the person.
	m, err := Decode(readFixture(t, "mobilizon/objects/event.json"))
	if err != nil {
		t.Fatal(err)
	}
	e, err := ObjectFromMap(m)
	if err != nil {
		t.Fatal(err)
	}
	if e.Type != "Event" || e.AttributedTo != "https://rendezvous.nomagic.uk/@devon_caledonian_society" ||
		e.Actor != "https://rendezvous.nomagic.uk/@emorrp1" || len(e.Tags) != 3 || e.Tags[0].Name != "#Dance" ||
		e.URL != e.ID || e.Updated.IsZero() {
		t.Errorf("event = %+v", e)
	}

	// Mobilizon groups send a PKCS#1 key.
	g, err := ParseActor(readFixture(t, "mobilizon/objects/group.json"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(g.PublicKey.PEM, "-----BEGIN RSA PUBLIC KEY-----") || !g.Discoverable ||
		g.Moderators != "" || !strings.Contains(g.IconURL, "a94f7f8d") || g.SharedInbox != "https://mobilizon.fr/inbox" {
		t.Errorf("mobilizon group = %+v", g)
	}

	// Pleroma sends source as a string.
	m, err = Decode(readFixture(t, "pleroma/objects/note.json"))
	if err != nil {
		t.Fatal(err)
	}
	n, err := ObjectFromMap(m)
	if err != nil {
		t.Fatal(err)
	}
	if n.SourceContent != "@popolon@pleroma.popolon.org Have what?" || n.SourceMediaType != "" ||
		n.Context != "https://queer.hacktivis.me/contexts/34cba3d2-2f35-4169-aeff-56af9bfeb753" {
		t.Errorf("pleroma note = %+v", n)
	}

	// Friendica: an Organization is an actor; hashtags carry "mention hashtag".
	o, err := ParseActor(readFixture(t, "friendica/objects/person_2.json"))
	if err != nil || o.Type != "Organization" {
		t.Errorf("friendica organization = %+v, %v", o, err)
	}

	// Lemmy and Mbin instance actors are Applications.
	for _, rel := range []string{"lemmy/objects/instance.json", "mbin/objects/instance.json"} {
		a, err := ParseActor(readFixture(t, rel))
		if err != nil || a.Type != "Application" {
			t.Errorf("%s = %+v, %v", rel, a, err)
		}
	}

	// Mbin's report names the magazine in audience.
	f, err := ParseActivity(readFixture(t, "mbin/activities/flag.json"))
	if err != nil || !slices.Equal(f.Audience, []string{"https://lemmy-test/c/test_mag"}) || len(f.ObjectIRIs) != 2 {
		t.Errorf("mbin flag = %+v, %v", f, err)
	}
}
