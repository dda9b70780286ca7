package strictas

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/go-fed/activity/streams"
)

// ourContext is the @context Practica sends on actor documents.
const ourContext = `["https://www.w3.org/ns/activitystreams", "https://w3id.org/security/v1",
 {"manuallyApprovesFollowers": "as:manuallyApprovesFollowers", "toot": "http://joinmastodon.org/ns#",
  "discoverable": "toot:discoverable", "lemmy": "https://join-lemmy.org/ns#",
  "postingRestrictedToMods": "lemmy:postingRestrictedToMods",
  "featured": {"@id": "toot:featured", "@type": "@id"}}]`

// testPEM returns a fresh RSA-2048 public key in PEM form, the kind of key
// Practica publishes.
func testPEM(t *testing.T) string {
	t.Helper()
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	der, err := x509.MarshalPKIXPublicKey(&key.PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	return string(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der}))
}

// groupDoc returns a Group document as Practica will serve it, as a map so
// that tests can break one property at a time.
func groupDoc(t *testing.T, pemText string) map[string]any {
	t.Helper()
	const g = "https://practica.example/c/gardeners"
	doc := `{
	  "@context": ` + ourContext + `,
	  "id": "` + g + `", "type": "Group",
	  "preferredUsername": "gardeners", "name": "Gardeners",
	  "summary": "<p>Growing things together</p>",
	  "source": {"content": "Growing things together", "mediaType": "text/markdown"},
	  "inbox": "` + g + `/inbox", "outbox": "` + g + `/outbox",
	  "followers": "` + g + `/followers", "following": "` + g + `/following",
	  "featured": "` + g + `/featured", "attributedTo": "` + g + `/moderators",
	  "endpoints": {"sharedInbox": "https://practica.example/inbox"},
	  "publicKey": {"id": "` + g + `#main-key", "owner": "` + g + `", "publicKeyPem": ""},
	  "manuallyApprovesFollowers": true, "postingRestrictedToMods": false, "discoverable": true,
	  "published": "2025-01-02T03:04:05Z",
	  "icon": {"type": "Image", "url": "https://practica.example/media/icon.png"},
	  "url": "` + g + `"
	}`
	var m map[string]any
	if err := json.Unmarshal([]byte(doc), &m); err != nil {
		t.Fatal(err)
	}
	m["publicKey"].(map[string]any)["publicKeyPem"] = pemText
	return m
}

// marshal encodes m for ParseActor.
func marshal(t *testing.T, m map[string]any) []byte {
	t.Helper()
	data, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

func TestOurGroupParses(t *testing.T) {
	m := groupDoc(t, testPEM(t))
	r, err := ParseActor(context.Background(), marshal(t, m))
	if err != nil {
		t.Fatal(err)
	}
	const g = "https://practica.example/c/gardeners"
	want := Result{
		Type: "Group", ID: g, Inbox: g + "/inbox", Outbox: g + "/outbox",
		Followers: g + "/followers", Following: g + "/following", Featured: g + "/featured",
		PreferredUsername: "gardeners",
		PublicKeyID:       g + "#main-key", PublicKeyOwner: g,
		PublicKeyPEM: m["publicKey"].(map[string]any)["publicKeyPem"].(string),
		// go-fed v1.0.0 knows neither endpoints (an ActivityStreams context
		// term) nor the Mastodon and Lemmy flags; the context declares the
		// latter, which checkTerms verified.
		Unknown: []string{"endpoints", "manuallyApprovesFollowers", "postingRestrictedToMods"},
	}
	if !equalResult(r, want) {
		t.Errorf("got  %+v\nwant %+v", r, want)
	}
}

// equalResult compares two Results field by field.
func equalResult(a, b Result) bool {
	return a.Type == b.Type && a.ID == b.ID && a.Inbox == b.Inbox && a.Outbox == b.Outbox &&
		a.Followers == b.Followers && a.Following == b.Following && a.Featured == b.Featured &&
		a.PreferredUsername == b.PreferredUsername && a.PublicKeyID == b.PublicKeyID &&
		a.PublicKeyOwner == b.PublicKeyOwner && a.PublicKeyPEM == b.PublicKeyPEM && slices.Equal(a.Unknown, b.Unknown)
}

func TestMastodonPersonFixture(t *testing.T) {
	data, err := os.ReadFile("../../../shared/fixtures/fediverse/mastodon/objects/person.json")
	if err != nil {
		t.Fatalf("fixture: %v", err)
	}
	r, err := ParseActor(context.Background(), data)
	if err != nil {
		t.Fatal(err)
	}
	const p = "https://masto.qa.urbanwildlife.biz/users/mastodon"
	if r.Type != "Person" || r.ID != p || r.Inbox != p+"/inbox" || r.Outbox != p+"/outbox" ||
		r.Featured != p+"/collections/featured" || r.PreferredUsername != "mastodon" ||
		r.PublicKeyID != p+"#main-key" || r.PublicKeyOwner != p ||
		!strings.HasPrefix(r.PublicKeyPEM, "-----BEGIN PUBLIC KEY-----\nMIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEAtBdE55VmV9gTrhJmRF1K") {
		t.Errorf("result %+v", r)
	}
	for _, u := range []string{"devices", "endpoints", "featuredTags", "manuallyApprovesFollowers"} {
		if !slices.Contains(r.Unknown, u) {
			t.Errorf("Unknown %v lacks %s", r.Unknown, u)
		}
	}
}

// TestGoFedItself records what go-fed v1.0.0 refuses on its own and what it
// lets through, so that an upgrade that changes either is noticed.
func TestGoFedItself(t *testing.T) {
	ctx := context.Background()
	key := testPEM(t)
	toType := func(mod func(map[string]any)) error {
		m := groupDoc(t, key)
		mod(m)
		_, err := streams.ToType(ctx, m)
		return err
	}
	refused := map[string]func(map[string]any){
		"no @context":  func(m map[string]any) { delete(m, "@context") },
		"no type":      func(m map[string]any) { delete(m, "type") },
		"unknown type": func(m map[string]any) { m["type"] = "Community" },
		"numeric type": func(m map[string]any) { m["type"] = 42 },
		"aliased type as:": func(m map[string]any) {
			m["@context"] = map[string]any{"as": activityStreamsContext}
			m["type"] = "as:Group"
		},
		"unknown types only": func(m map[string]any) { m["type"] = []any{"lemmy:Community", "Foo"} },
	}
	for name, mod := range refused {
		if err := toType(mod); err == nil {
			t.Errorf("go-fed accepted %s", name)
		}
	}
	accepted := map[string]func(map[string]any){
		"inbox 42":          func(m map[string]any) { m["inbox"] = 42 },
		"id 42":             func(m map[string]any) { m["id"] = 42 },
		"relative id":       func(m map[string]any) { m["id"] = "/c/x" },
		"publicKey string":  func(m map[string]any) { m["publicKey"] = "https://x.example/k" },
		"publicKeyPem 42":   func(m map[string]any) { m["publicKey"].(map[string]any)["publicKeyPem"] = 42 },
		"published garbage": func(m map[string]any) { m["published"] = "yesterday" },
		"discoverable yes":  func(m map[string]any) { m["discoverable"] = "yes" },
		"no security ctx":   func(m map[string]any) { m["@context"] = activityStreamsContext },
		"type [Foo, Group]": func(m map[string]any) { m["type"] = []any{"Foo", "Group"} },
	}
	for name, mod := range accepted {
		if err := toType(mod); err != nil {
			t.Errorf("go-fed now refuses %s (%v): ParseActor's own check may be redundant", name, err)
		}
	}
}

func TestParseActorRejects(t *testing.T) {
	cases := []struct {
		name, want string
		mod        func(m map[string]any)
	}{
		{"unknown type", "did not match any known types", func(m map[string]any) { m["type"] = "Community" }},
		{"non-actor type", `type "Note" is not an actor type`, func(m map[string]any) { m["type"] = "Note" }},
		{"no @context", "missing @context", func(m map[string]any) { delete(m, "@context") }},
		{"no AS context", "@context lacks https://www.w3.org/ns/activitystreams", func(m map[string]any) { m["@context"] = []any{securityContext} }},
		{"no security context", "publicKey used but @context lacks", func(m map[string]any) {
			m["@context"] = []any{activityStreamsContext, m["@context"].([]any)[2]}
		}},
		{"bad term definition", `term "featured" has no @id`, func(m map[string]any) {
			m["@context"].([]any)[2].(map[string]any)["featured"] = map[string]any{"@type": "@id"}
		}},
		{"undeclared extension", `property "postingRestrictedToMods" is not declared`, func(m map[string]any) {
			delete(m["@context"].([]any)[2].(map[string]any), "postingRestrictedToMods")
		}},
		{"undeclared toot term", `property "discoverable" is not declared`, func(m map[string]any) {
			delete(m["@context"].([]any)[2].(map[string]any), "discoverable")
		}},
		{"id 42", "id is not an IRI", func(m map[string]any) { m["id"] = 42 }},
		{"relative id", "id is not an IRI", func(m map[string]any) { m["id"] = "/c/x" }},
		{"no id", "missing id", func(m map[string]any) { delete(m, "id") }},
		{"inbox 42", "inbox is not an IRI", func(m map[string]any) { m["inbox"] = 42 }},
		{"inbox relative", "inbox is not an IRI", func(m map[string]any) { m["inbox"] = "inbox" }},
		{"inbox ftp", "inbox is not an absolute http(s) IRI", func(m map[string]any) { m["inbox"] = "ftp://x.example/inbox" }},
		{"no inbox", "missing inbox", func(m map[string]any) { delete(m, "inbox") }},
		{"no outbox", "missing outbox", func(m map[string]any) { delete(m, "outbox") }},
		{"followers object", "followers is not an IRI", func(m map[string]any) { m["followers"] = map[string]any{"type": "Note"} }},
		{"featured 42", "featured is not an IRI", func(m map[string]any) { m["featured"] = 42 }},
		{"discoverable yes", "discoverable is not a boolean", func(m map[string]any) { m["discoverable"] = "yes" }},
		{"no preferredUsername", "missing preferredUsername", func(m map[string]any) { delete(m, "preferredUsername") }},
		{"preferredUsername 42", "preferredUsername is not a non-empty string", func(m map[string]any) { m["preferredUsername"] = 42 }},
		{"no publicKey", "missing publicKey", func(m map[string]any) { delete(m, "publicKey") }},
		{"publicKey by IRI", "publicKey 0 is not an embedded key", func(m map[string]any) { m["publicKey"] = "https://practica.example/k" }},
		{"publicKey 42", "publicKey 0 is not an embedded key", func(m map[string]any) { m["publicKey"] = 42 }},
		{"foreign owner", "owned by another actor", func(m map[string]any) {
			m["publicKey"].(map[string]any)["owner"] = "https://evil.example/u"
		}},
		{"no owner", "has no owner IRI", func(m map[string]any) { delete(m["publicKey"].(map[string]any), "owner") }},
		{"pem 42", "has no publicKeyPem string", func(m map[string]any) { m["publicKey"].(map[string]any)["publicKeyPem"] = 42 }},
		{"pem garbage", "is not a PEM public key", func(m map[string]any) { m["publicKey"].(map[string]any)["publicKeyPem"] = "MIIB..." }},
	}
	key := testPEM(t)
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			m := groupDoc(t, key)
			c.mod(m)
			_, err := ParseActor(context.Background(), marshal(t, m))
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Errorf("got %v, want an error containing %q", err, c.want)
			}
		})
	}
	for _, doc := range []string{`[]`, `null`, `{`, ``} {
		if _, err := ParseActor(context.Background(), []byte(doc)); err == nil {
			t.Errorf("accepted %q", doc)
		}
	}
}
