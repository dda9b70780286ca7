package federation_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/practica-social/practica/federation"
	"github.com/practica-social/practica/models"
	"github.com/practica-social/practica/service"
	"github.com/practica-social/practica/testrig"
)

// get fetches path from an instance with an Accept header.
func get(t *testing.T, n *testrig.Network, rawURL, accept string) (*http.Response, []byte) {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, rawURL, nil)
	if err != nil {
		t.Fatal(err)
	}
	if accept != "" {
		req.Header.Set("Accept", accept)
	}
	resp, err := n.Client().Do(req)
	if err != nil {
		t.Fatalf("GET %s: %v", rawURL, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp, body
}

// seed creates a person "alice", a community "gardening" owned by her, and
// a person and a community that share the name "shared".
func seed(t *testing.T, inst *testrig.Instance) {
	t.Helper()
	ctx := context.Background()
	alice, err := inst.Service.CreateAccount(ctx, service.NewAccount{Username: "alice", Email: "alice@example.org", Password: "correct horse", DisplayName: "Alice A."})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := inst.Service.CreateCommunity(ctx, service.NewCommunity{
		Handle: "gardening", Name: "Urban Gardening", Summary: "Growing food in **cities**.",
		Topics: []string{"soil", "#compost"}, OwnerID: alice.ActorID,
	}); err != nil {
		t.Fatal(err)
	}
	owner, err := inst.Service.CreateAccount(ctx, service.NewAccount{Username: "shared", Email: "shared@example.org", Password: "correct horse"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := inst.Service.CreateCommunity(ctx, service.NewCommunity{Handle: "shared", Name: "Shared name", Visibility: models.VisibilityMembers, JoinPolicy: models.JoinApproval, OwnerID: owner.ActorID}); err != nil {
		t.Fatal(err)
	}
}

type jrd struct {
	Subject string   `json:"subject"`
	Aliases []string `json:"aliases"`
	Links   []struct {
		Rel        string            `json:"rel"`
		Type       string            `json:"type"`
		Href       string            `json:"href"`
		Template   string            `json:"template"`
		Properties map[string]string `json:"properties"`
	} `json:"links"`
}

func webfinger(t *testing.T, n *testrig.Network, inst *testrig.Instance, resource string) (int, jrd, *http.Response) {
	t.Helper()
	resp, body := get(t, n, inst.BaseURL+"/.well-known/webfinger?resource="+url.QueryEscape(resource), "")
	var doc jrd
	if resp.StatusCode == 200 {
		if err := json.Unmarshal(body, &doc); err != nil {
			t.Fatalf("webfinger %s: %v: %s", resource, err, body)
		}
	}
	return resp.StatusCode, doc, resp
}

func selfLinks(d jrd) []string {
	var out []string
	for _, l := range d.Links {
		if l.Rel == "self" {
			out = append(out, l.Properties["https://www.w3.org/ns/activitystreams#type"]+" "+l.Href)
		}
	}
	return out
}

func TestWebFingerFindsCommunitiesPeopleAndTheInstanceActor(t *testing.T) {
	n := testrig.NewNetwork()
	inst := n.Start(t, "org-a.test")
	seed(t, inst)

	cases := []struct {
		resource, subject string
		self              []string
	}{
		{"acct:gardening@org-a.test", "acct:gardening@org-a.test", []string{"Group http://org-a.test/c/gardening"}},
		{"acct:alice@org-a.test", "acct:alice@org-a.test", []string{"Person http://org-a.test/u/alice"}},
		{"acct:org-a.test@org-a.test", "acct:org-a.test@org-a.test", []string{"Application http://org-a.test/actor"}},
		// Case, a leading @, no acct: and a trailing dot are normalised.
		{"acct:Gardening@ORG-A.test.", "acct:gardening@org-a.test", []string{"Group http://org-a.test/c/gardening"}},
		{"@alice@org-a.test", "acct:alice@org-a.test", []string{"Person http://org-a.test/u/alice"}},
		// A person and a group sharing a name: the group is listed last.
		{"acct:shared@org-a.test", "acct:shared@org-a.test", []string{"Person http://org-a.test/u/shared", "Group http://org-a.test/c/shared"}},
		// Actor URLs are resources too.
		{"http://org-a.test/c/gardening", "acct:gardening@org-a.test", []string{"Group http://org-a.test/c/gardening"}},
	}
	for _, c := range cases {
		status, doc, resp := webfinger(t, n, inst, c.resource)
		if status != 200 {
			t.Errorf("%s: status %d", c.resource, status)
			continue
		}
		if ct := resp.Header.Get("Content-Type"); ct != federation.ContentTypeJRD {
			t.Errorf("%s: content type %q", c.resource, ct)
		}
		if doc.Subject != c.subject {
			t.Errorf("%s: subject %q, want %q", c.resource, doc.Subject, c.subject)
		}
		if got := strings.Join(selfLinks(doc), ","); got != strings.Join(c.self, ",") {
			t.Errorf("%s: self links %q, want %q", c.resource, got, c.self)
		}
		for _, l := range doc.Links {
			if l.Rel == "self" && l.Type != "application/activity+json" {
				t.Errorf("%s: self link type %q", c.resource, l.Type)
			}
		}
	}
}

func TestWebFingerRoundTripsThroughTheActor(t *testing.T) {
	// Mastodon re-derives preferredUsername@host from the actor and looks it
	// up again; the answer must name the same actor.
	n := testrig.NewNetwork()
	inst := n.Start(t, "org-a.test")
	seed(t, inst)
	for _, res := range []string{"acct:gardening@org-a.test", "acct:alice@org-a.test", "acct:org-a.test@org-a.test"} {
		_, doc, _ := webfinger(t, n, inst, res)
		href := ""
		for _, l := range doc.Links {
			if l.Rel == "self" {
				href = l.Href
			}
		}
		resp, body := get(t, n, href, federation.ContentTypeActivity)
		if resp.StatusCode != 200 {
			t.Fatalf("%s: actor status %d", href, resp.StatusCode)
		}
		var actor struct {
			ID, PreferredUsername string
		}
		if err := json.Unmarshal(body, &actor); err != nil {
			t.Fatal(err)
		}
		u, _ := url.Parse(actor.ID)
		_, again, _ := webfinger(t, n, inst, "acct:"+actor.PreferredUsername+"@"+u.Host)
		found := false
		for _, l := range again.Links {
			if l.Rel == "self" && l.Href == actor.ID {
				found = true
			}
		}
		if !found || again.Subject != res {
			t.Errorf("%s does not round-trip: actor %s, second answer %+v", res, actor.ID, again)
		}
	}
}

func TestWebFingerRefusals(t *testing.T) {
	n := testrig.NewNetwork()
	inst := n.Start(t, "org-a.test")
	seed(t, inst)
	cases := map[string]int{
		"":                            400,
		"acct:":                       400,
		"acct:nobody":                 400,
		"acct:@org-a.test":            400,
		"acct:alice@":                 400,
		"acct:a/b@org-a.test":         400,
		"acct:nobody@org-a.test":      404,
		"acct:alice@victim.example":   404, // another host's names are not ours to answer
		"acct:alice@xn--org-a.test":   400,
		"http://org-a.test/u/nobody":  404,
		"http://org-a.test/elsewhere": 404,
		"acct:" + strings.Repeat("a", 2000) + "@org-a.test": 400,
	}
	for res, want := range cases {
		status, _, resp := webfinger(t, n, inst, res)
		if status != want {
			t.Errorf("%q: status %d, want %d", res, status, want)
		}
		if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
			t.Errorf("%q: error content type %q, want JSON", res, ct)
		}
	}
}

func TestHostMetaPointsAtWebFinger(t *testing.T) {
	n := testrig.NewNetwork()
	inst := n.Start(t, "org-a.test")
	resp, body := get(t, n, inst.BaseURL+"/.well-known/host-meta", "")
	if resp.StatusCode != 200 || !strings.Contains(string(body), `template="http://org-a.test/.well-known/webfinger?resource={uri}"`) {
		t.Fatalf("host-meta %d: %s", resp.StatusCode, body)
	}
}

func TestParseResource(t *testing.T) {
	for in, want := range map[string]string{
		"acct:Bob@Example.ORG":      "Bob example.org",
		"bob@bücher.example":        "bob xn--bcher-kva.example",
		"acct:bob@example.org.":     "bob example.org",
		"acct:bob@localhost:8080":   "bob localhost:8080",
		"acct:host:1@host:1":        "host:1 host:1",
		"acct:bob@example.org:0443": "bob example.org:443",
		"https://example.org/u/bob": "/u/bob example.org",
	} {
		u, h, _, err := federation.ParseResource(in)
		if err != nil || u+" "+h != want {
			t.Errorf("ParseResource(%q) = %q %q %v, want %q", in, u, h, err, want)
		}
	}
	// A port is a number from 1 to 65535 (the first found by fuzzing).
	for _, in := range []string{"0@0:A", "acct:bob@example.org:", "acct:bob@example.org:0", "acct:bob@example.org:65536", "acct:bob@example.org:+80", "https://example.org:x/u/bob"} {
		if u, h, _, err := federation.ParseResource(in); err == nil {
			t.Errorf("ParseResource(%q) = %q %q, want an error", in, u, h)
		}
	}
}

func FuzzParseResource(f *testing.F) {
	for _, s := range []string{"acct:a@b.c", "@a@b", "https://x.y/u/z", "acct:@", "a@b@c", "acct:x@[::1]:80", "acct:x@xn--"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		u, h, _, err := federation.ParseResource(s)
		if err == nil && (h == "" || h != strings.ToLower(h)) {
			t.Fatalf("ParseResource(%q) accepted host %q (user %q)", s, h, u)
		}
	})
}
