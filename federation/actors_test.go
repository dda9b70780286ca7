package federation_test

import (
	"context"
	"crypto/rsa"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"strings"
	"testing"

	"github.com/practica-social/practica/federation"
	"github.com/practica-social/practica/testrig"
	"github.com/practica-social/practica/testrig/strictas"
)

const ldAccept = `application/ld+json; profile="https://www.w3.org/ns/activitystreams"`

func decode(t *testing.T, body []byte) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(body, &m); err != nil {
		t.Fatalf("not JSON: %v: %s", err, body)
	}
	return m
}

func TestGroupActorDocumentFieldByField(t *testing.T) {
	n := testrig.NewNetwork()
	inst := n.Start(t, "org-a.test")
	seed(t, inst)
	resp, body := get(t, n, "http://org-a.test/c/gardening", federation.ContentTypeActivity)
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != federation.ContentTypeActivity {
		t.Fatalf("status %d, content type %q", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	if !strings.Contains(resp.Header.Get("Vary"), "Accept") {
		t.Errorf("Vary %q must name Accept", resp.Header.Get("Vary"))
	}
	g := decode(t, body)
	want := map[string]any{
		"id":                        "http://org-a.test/c/gardening",
		"type":                      "Group",
		"preferredUsername":         "gardening",
		"name":                      "Urban Gardening",
		"inbox":                     "http://org-a.test/c/gardening/inbox",
		"outbox":                    "http://org-a.test/c/gardening/outbox",
		"followers":                 "http://org-a.test/c/gardening/followers",
		"following":                 "http://org-a.test/c/gardening/following",
		"featured":                  "http://org-a.test/c/gardening/featured",
		"attributedTo":              "http://org-a.test/c/gardening/moderators",
		"url":                       "http://org-a.test/c/gardening",
		"manuallyApprovesFollowers": false,
		"postingRestrictedToMods":   false,
		"discoverable":              true,
	}
	for k, v := range want {
		if g[k] != v {
			t.Errorf("%s = %#v, want %#v", k, g[k], v)
		}
	}
	if s, _ := g["summary"].(string); !strings.Contains(s, "<strong>cities</strong>") {
		t.Errorf("summary %q should be the rendered Markdown", s)
	}
	if src, _ := g["source"].(map[string]any); src["content"] != "Growing food in **cities**." || src["mediaType"] != "text/markdown" {
		t.Errorf("source = %#v", g["source"])
	}
	if ep, _ := g["endpoints"].(map[string]any); ep["sharedInbox"] != "http://org-a.test/inbox" {
		t.Errorf("endpoints = %#v", g["endpoints"])
	}
	if p, _ := g["published"].(string); p == "" {
		t.Error("published missing")
	}
	ctx, _ := g["@context"].([]any)
	if len(ctx) < 2 || ctx[0] != "https://www.w3.org/ns/activitystreams" || ctx[1] != "https://w3id.org/security/v1" {
		t.Errorf("@context = %#v", g["@context"])
	}
	tags, _ := g["tag"].([]any)
	if len(tags) != 2 || tags[0].(map[string]any)["name"] != "#soil" || tags[1].(map[string]any)["name"] != "#compost" {
		t.Errorf("topics as hashtags: %#v", g["tag"])
	}
	checkPublicKey(t, g)

	// A strict ActivityStreams reader (go-fed/activity) accepts it.
	res, err := strictas.ParseActor(context.Background(), body)
	if err != nil {
		t.Fatalf("strict AS2 parse: %v", err)
	}
	if res.Type != "Group" || res.ID != g["id"] || res.Inbox != g["inbox"] || res.PreferredUsername != "gardening" ||
		res.PublicKeyOwner != g["id"] || res.PublicKeyID != "http://org-a.test/c/gardening#main-key" {
		t.Errorf("strict parse found %+v", res)
	}
}

// checkPublicKey checks the publicKey object Mastodon and Lemmy verify
// with: RSA-2048, owner = actor, id = actor#main-key.
func checkPublicKey(t *testing.T, doc map[string]any) {
	t.Helper()
	pk, _ := doc["publicKey"].(map[string]any)
	if pk["id"] != doc["id"].(string)+"#main-key" || pk["owner"] != doc["id"] {
		t.Fatalf("publicKey = %#v", pk)
	}
	block, _ := pem.Decode([]byte(pk["publicKeyPem"].(string)))
	if block == nil || block.Type != "PUBLIC KEY" {
		t.Fatalf("publicKeyPem is not a PEM public key")
	}
	key, err := x509.ParsePKIXPublicKey(block.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	if rk, ok := key.(*rsa.PublicKey); !ok || rk.N.BitLen() != 2048 {
		t.Fatalf("key is %T, want RSA-2048", key)
	}
}

func TestPersonAndInstanceActorDocuments(t *testing.T) {
	n := testrig.NewNetwork()
	inst := n.Start(t, "org-a.test")
	seed(t, inst)
	_, body := get(t, n, "http://org-a.test/u/alice", ldAccept)
	p := decode(t, body)
	for k, v := range map[string]any{
		"id": "http://org-a.test/u/alice", "type": "Person", "preferredUsername": "alice", "name": "Alice A.",
		"inbox": "http://org-a.test/u/alice/inbox", "outbox": "http://org-a.test/u/alice/outbox",
		"followers": "http://org-a.test/u/alice/followers", "following": "http://org-a.test/u/alice/following",
	} {
		if p[k] != v {
			t.Errorf("person %s = %#v, want %#v", k, p[k], v)
		}
	}
	if _, ok := p["featured"]; ok {
		t.Error("a person has no featured collection here")
	}
	checkPublicKey(t, p)
	if _, err := strictas.ParseActor(context.Background(), body); err != nil {
		t.Errorf("strict parse of person: %v", err)
	}

	_, body = get(t, n, "http://org-a.test/actor", federation.ContentTypeActivity)
	a := decode(t, body)
	if a["type"] != "Application" || a["preferredUsername"] != "org-a.test" || a["inbox"] != "http://org-a.test/actor/inbox" {
		t.Errorf("instance actor = %#v", a)
	}
	checkPublicKey(t, a)
	if _, err := strictas.ParseActor(context.Background(), body); err != nil {
		t.Errorf("strict parse of instance actor: %v", err)
	}
}

func TestContentNegotiation(t *testing.T) {
	n := testrig.NewNetwork()
	inst := n.Start(t, "org-a.test")
	seed(t, inst)
	for _, c := range []struct {
		accept, wantType string
	}{
		{federation.ContentTypeActivity, federation.ContentTypeActivity},
		{ldAccept, federation.ContentTypeActivity},
		{`application/ld+json`, federation.ContentTypeActivity},
		{"application/activity+json, text/html;q=0.1", federation.ContentTypeActivity},
		{"text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8", "text/html; charset=UTF-8"},
		{"*/*", "text/html; charset=UTF-8"},
		{"", "text/html; charset=UTF-8"},
		{`application/ld+json; profile="https://example.org/other"`, "text/html; charset=UTF-8"},
	} {
		for _, path := range []string{"/c/gardening", "/u/alice", "/actor"} {
			resp, body := get(t, n, "http://org-a.test"+path, c.accept)
			if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != c.wantType {
				t.Errorf("%s with Accept %q: %d %q, want %q", path, c.accept, resp.StatusCode, resp.Header.Get("Content-Type"), c.wantType)
			}
			if strings.HasPrefix(c.wantType, "text/html") && !strings.Contains(string(body), "<html") {
				t.Errorf("%s: not a page: %.100s", path, body)
			}
		}
	}
	resp, body := get(t, n, "http://org-a.test/c/gardening", "text/html")
	if !strings.Contains(string(body), "@gardening@org-a.test") || !strings.Contains(string(body), "Urban Gardening") {
		t.Errorf("community page lacks its handle or name: %s", body)
	}
	if resp.Header.Get("Content-Security-Policy") == "" || resp.Header.Get("X-Content-Type-Options") != "nosniff" {
		t.Error("pages must carry a CSP and nosniff")
	}
	// Unknown actors are 404 in both forms, and never a stack trace.
	for _, accept := range []string{federation.ContentTypeActivity, "text/html"} {
		resp, body := get(t, n, "http://org-a.test/c/nobody", accept)
		if resp.StatusCode != 404 || strings.Contains(string(body), "goroutine") || strings.Contains(string(body), ".go:") {
			t.Errorf("missing community with Accept %q: %d %s", accept, resp.StatusCode, body)
		}
	}
}
