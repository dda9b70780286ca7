package inbox

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/practica-social/practica/federation/activitystreams"
	"github.com/practica-social/practica/models"
)

// payloadDir holds the captured fediverse payloads (see fixtures_test.go).
const payloadDir = "../../../shared/fixtures/fediverse"

// payload reads a captured object as the parser sees it.
func payload(t *testing.T, rel string) (*activitystreams.Object, map[string]any) {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(payloadDir, filepath.FromSlash(rel)))
	if err != nil {
		t.Fatal(err)
	}
	m, err := activitystreams.Decode(b)
	if err != nil {
		t.Fatal(err)
	}
	o, err := activitystreams.ObjectFromMap(m)
	if err != nil {
		t.Fatal(err)
	}
	return o, m
}

func communityOfIRI(iri string) *models.Community {
	return &models.Community{Actor: &models.Actor{IRI: iri}}
}

// The membership rule on real payloads: Lemmy states a comment's
// community in audience (and to), Mastodon and Friendica in to/cc only,
// Pleroma's reply names none. A post with an audience belongs to that
// community alone; one without may sit in any community's thread.
func TestAncestorMembershipOnCapturedPayloads(t *testing.T) {
	const (
		tenforward = "https://enterprise.lemmy.ml/c/tenforward"
		kde        = "https://lemmy.kde.social/c/kde"
		other      = "https://elsewhere.example/c/other"
	)
	cases := []struct {
		file      string
		community string
		// names: addressed to the community (enough for a thread's first
		// post); passes: the per-post checks of a post in its thread.
		names, passes bool
		author        string
	}{
		{"lemmy/objects/comment.json", tenforward, true, true, "https://enterprise.lemmy.ml/u/picard"},
		{"lemmy/objects/comment.json", other, false, false, "https://enterprise.lemmy.ml/u/picard"},
		{"lemmy/objects/page.json", tenforward, true, true, "https://enterprise.lemmy.ml/u/picard"},
		{"lemmy/objects/page.json", other, false, false, "https://enterprise.lemmy.ml/u/picard"},
		{"mastodon/objects/page.json", tenforward, true, true, "https://masto.qa.urbanwildlife.biz/users/mastodon"},
		{"mastodon/objects/page.json", other, false, true, "https://masto.qa.urbanwildlife.biz/users/mastodon"},
		{"mastodon/objects/note_2.json", kde, true, true, "https://floss.social/users/kde"},
		{"mastodon/objects/note_1.json", other, false, true, "https://mastodon.madrid/users/felix"},
		{"friendica/objects/note_1.json", "https://lemmy.schuerz.at/c/test", true, true, "https://soc.schuerz.at/profile/jakob"},
		{"pleroma/objects/note.json", tenforward, false, true, "https://queer.hacktivis.me/users/lanodan"},
		// Mobilizon attributes an event to its group and names the person
		// in actor: the person is the author.
		{"mobilizon/objects/event.json", other, false, true, "https://rendezvous.nomagic.uk/@emorrp1"},
	}
	for _, c := range cases {
		t.Run(c.file+" in "+c.community, func(t *testing.T) {
			o, m := payload(t, c.file)
			if got := names(o, c.community); got != c.names {
				t.Errorf("names: %v, want %v", got, c.names)
			}
			if got := authorOf(o); got != c.author {
				t.Errorf("author: %q, want %q", got, c.author)
			}
			_, err := checkAncestor(communityOfIRI(c.community), "the post replied to", o.ID, m)
			if (err == nil) != c.passes {
				t.Errorf("checks: %v, want passing %v", err, c.passes)
			}
		})
	}
}

// The per-post checks refuse what is not a post of its own origin.
func TestCheckAncestorRefuses(t *testing.T) {
	const group = "http://org-a.test/c/garden"
	c := communityOfIRI(group)
	base := func() map[string]any {
		return map[string]any{"id": "http://r.test/n/1", "type": "Note", "attributedTo": "http://r.test/u/ann", "to": []any{group}}
	}
	cases := []struct {
		what   string
		iri    string
		change func(m map[string]any)
		reason string
	}{
		{"served under another id", "http://r.test/n/other", func(map[string]any) {}, "served under another id"},
		{"not a post", "http://r.test/n/1", func(m map[string]any) { m["type"] = "Person" }, `of type "Person"`},
		{"no author", "http://r.test/n/1", func(m map[string]any) { delete(m, "attributedTo") }, "no author on its own host"},
		{"author elsewhere", "http://r.test/n/1", func(m map[string]any) { m["attributedTo"] = "http://evil.test/u/eve" }, "no author on its own host"},
		{"another community's audience", "http://r.test/n/1", func(m map[string]any) { m["audience"] = "http://org-a.test/c/other" }, "belongs to another community"},
		{"no id", "http://r.test/n/1", func(m map[string]any) { delete(m, "id") }, "not readable"},
	}
	for _, tc := range cases {
		m := base()
		tc.change(m)
		_, err := checkAncestor(c, "the post replied to", tc.iri, m)
		ref, ok := err.(*Refusal)
		if !ok || !strings.Contains(ref.Reason, tc.reason) {
			t.Errorf("%s: %v; want a refusal containing %q", tc.what, err, tc.reason)
		}
	}
	m := base()
	m["audience"] = []any{"http://org-a.test/c/other", group}
	if _, err := checkAncestor(c, "the post replied to", "http://r.test/n/1", m); err != nil {
		t.Errorf("an audience that includes the community: %v", err)
	}
}

// The batch reads a reply's parent without a full parse.
func TestEmbeddedObject(t *testing.T) {
	cases := []struct{ body, id, parent string }{
		{`{"type":"Create","object":{"id":"http://r.test/n/2","inReplyTo":"http://r.test/n/1"}}`, "http://r.test/n/2", "http://r.test/n/1"},
		{`{"type":"Create","object":{"id":"http://r.test/n/2","inReplyTo":{"id":"http://r.test/n/1","type":"Note"}}}`, "http://r.test/n/2", "http://r.test/n/1"},
		{`{"type":"Create","object":{"id":"http://r.test/n/2","inReplyTo":null}}`, "http://r.test/n/2", ""},
		{`{"type":"Create","object":{"id":"http://r.test/n/2"}}`, "http://r.test/n/2", ""},
		{`{"type":"Like","object":"http://r.test/n/2"}`, "", ""},
		{`not json`, "", ""},
	}
	for _, c := range cases {
		if id, parent := embeddedObject(c.body); id != c.id || parent != c.parent {
			t.Errorf("%s: %q, %q; want %q, %q", c.body, id, parent, c.id, c.parent)
		}
	}
}
