package federation_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/practica-social/practica/service"
	"github.com/practica-social/practica/testrig"
)

// EnvWriteExamples makes TestWireExamples write what it captured to
// docs/examples, the examples docs/FEDERATION.md quotes:
//
//	PRACTICA_WRITE_EXAMPLES=1 go test ./federation -run TestWireExamples
const EnvWriteExamples = "PRACTICA_WRITE_EXAMPLES"

// exampleDir is docs/examples relative to this package.
const exampleDir = "../docs/examples"

// exTap sits between the test network and an instance and records every
// request the instance receives, byte for byte, before passing it on.
type exTap struct {
	mu   sync.Mutex
	reqs []exRequest
}

// exRequest is one recorded request.
type exRequest struct {
	Method, Host, Path, RawQuery string
	Header                       http.Header
	Body                         []byte
	Doc                          map[string]any
}

// tapInstance routes inst's host name through a recording proxy.
func tapInstance(t *testing.T, n *testrig.Network, inst *testrig.Instance) *exTap {
	t.Helper()
	tap := &exTap{}
	proxy := httputil.NewSingleHostReverseProxy(&url.URL{Scheme: "http", Host: inst.Addr})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		r.Body = io.NopCloser(bytes.NewReader(body))
		var doc map[string]any
		_ = json.Unmarshal(body, &doc)
		tap.mu.Lock()
		h := r.Header.Clone()
		h.Set("Host", r.Host)
		tap.reqs = append(tap.reqs, exRequest{Method: r.Method, Host: r.Host, Path: r.URL.Path, RawQuery: r.URL.RawQuery, Header: h, Body: body, Doc: doc})
		tap.mu.Unlock()
		proxy.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	n.Add(inst.Host, srv.Listener.Addr().String())
	return tap
}

// find waits (bounded) for a recorded request that matches.
func (tp *exTap) find(t *testing.T, what string, match func(exRequest) bool) exRequest {
	t.Helper()
	var got exRequest
	eventually(t, what, func() bool {
		tp.mu.Lock()
		defer tp.mu.Unlock()
		for _, r := range tp.reqs {
			if match(r) {
				got = r
				return true
			}
		}
		return false
	})
	return got
}

// inboxPost matches a POST to an inbox of an activity of type typ for
// which more (when set) holds.
func inboxPost(typ string, more func(doc map[string]any) bool) func(exRequest) bool {
	return func(r exRequest) bool {
		return r.Method == http.MethodPost && strings.HasSuffix(r.Path, "inbox") && r.Doc != nil &&
			r.Doc["type"] == typ && (more == nil || more(r.Doc))
	}
}

// exGet fetches a document from an instance as a peer would.
func exGet(t *testing.T, n *testrig.Network, rawURL, accept string) (map[string]any, http.Header, []byte) {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, rawURL, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Accept", accept)
	resp, err := n.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %d %s", rawURL, resp.StatusCode, body)
	}
	var doc map[string]any
	if err := json.Unmarshal(body, &doc); err != nil {
		t.Fatalf("GET %s: %v", rawURL, err)
	}
	return doc, resp.Header, body
}

// exField reads a nested field: exField(doc, "object", "type").
func exField(doc map[string]any, path ...string) any {
	var v any = doc
	for _, k := range path {
		m, ok := v.(map[string]any)
		if !ok {
			return nil
		}
		v = m[k]
	}
	return v
}

// exHas reports whether a string or list field holds s.
func exHas(v any, s string) bool {
	switch x := v.(type) {
	case string:
		return x == s
	case []any:
		for _, e := range x {
			if e == s {
				return true
			}
		}
	}
	return false
}

// TestWireExamples runs a small two-instance scenario — bob on org-b.test
// joins gardening on org-a.test, posts, is announced, edits, likes and
// deletes — records what goes over the wire and checks the key fields of
// every document Practica sends. With PRACTICA_WRITE_EXAMPLES=1 it writes
// them to docs/examples, from which docs/FEDERATION.md quotes.
func TestWireExamples(t *testing.T) {
	ctx := context.Background()
	n := testrig.NewNetwork()
	a := n.Start(t, "org-a.test")
	b := n.Start(t, "org-b.test")
	tapA, tapB := tapInstance(t, n, a), tapInstance(t, n, b)
	const (
		groupIRI = "http://org-a.test/c/gardening"
		bobIRI   = "http://org-b.test/u/bob"
		public   = "https://www.w3.org/ns/activitystreams#Public"
	)

	alice := person(t, a, "alice")
	bob := person(t, b, "bob")
	garden, err := a.Service.CreateCommunity(ctx, service.NewCommunity{
		Handle: "gardening", Name: "Urban Gardening", Summary: "Growing food in **small** city spaces.",
		Topics: []string{"compost", "allotments"}, OwnerID: alice.ID,
	})
	if err != nil {
		t.Fatal(err)
	}
	gardenOnB, err := b.LookupCommunity(ctx, "@gardening@org-a.test")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := b.Service.Join(ctx, bob.ID, gardenOnB); err != nil {
		t.Fatal(err)
	}
	eventually(t, "bob's follow accepted", func() bool { ok, _ := b.Service.LocalMembersFollow(ctx, gardenOnB); return ok })

	thread := postIn(t, b, bob.ID, gardenOnB.ID, "Compost in winter")
	aliceThread := postIn(t, a, alice.ID, garden.ID, "Seed swap on Saturday")
	eventually(t, "B receives alice's thread", func() bool { return postOn(t, b, aliceThread.IRI) != nil })
	if _, err := b.Service.EditPost(ctx, bob.ID, thread.ID, "Compost in winter (solved)", "Straw bales around the heap keep it warm."); err != nil {
		t.Fatal(err)
	}
	aliceOnB := postOn(t, b, aliceThread.IRI)
	if err := b.Service.LikePost(ctx, bob.ID, aliceOnB.ID); err != nil {
		t.Fatal(err)
	}
	// The Delete goes last: the Update must reach A first.
	tapA.find(t, "Update at A", inboxPost("Update", nil))
	if err := b.Service.DeletePost(ctx, bob.ID, thread.ID); err != nil {
		t.Fatal(err)
	}

	// ex holds each example as the bytes that went over the wire.
	ex := map[string][]byte{}
	// Documents fetched.
	group, gh, raw := exGet(t, n, groupIRI, "application/activity+json")
	ex["group-actor"] = raw
	personDoc, _, raw := exGet(t, n, bobIRI, "application/activity+json")
	ex["person-actor"] = raw
	wf, wh, raw := exGet(t, n, "http://org-a.test/.well-known/webfinger?resource=acct:gardening@org-a.test", "application/jrd+json")
	ex["webfinger"] = raw
	_, _, ex["nodeinfo-index"] = exGet(t, n, "http://org-a.test/.well-known/nodeinfo", "application/json")
	nodeinfo, _, raw := exGet(t, n, "http://org-a.test/nodeinfo/2.1", "application/json")
	ex["nodeinfo"] = raw

	// Activities as they arrived.
	follow := tapA.find(t, "Follow at A", inboxPost("Follow", nil))
	ex["follow"] = follow.Body
	accept := tapB.find(t, "Accept at B", inboxPost("Accept", nil))
	ex["accept"] = accept.Body
	create := tapA.find(t, "Create{Page} at A", inboxPost("Create", func(d map[string]any) bool { return exField(d, "object", "id") == thread.IRI }))
	ex["create-page"] = create.Body
	annCreate := tapB.find(t, "Announce{Create} at B", inboxPost("Announce", func(d map[string]any) bool { return exField(d, "object", "id") == create.Doc["id"] }))
	ex["announce-create"] = annCreate.Body
	annObject := tapB.find(t, "Announce{object} at B", inboxPost("Announce", func(d map[string]any) bool { return d["object"] == thread.IRI }))
	ex["announce-object"] = annObject.Body
	update := tapA.find(t, "Update at A", inboxPost("Update", nil))
	ex["update"] = update.Body
	like := tapA.find(t, "Like at A", inboxPost("Like", nil))
	ex["like"] = like.Body
	del := tapA.find(t, "Delete at A", inboxPost("Delete", nil))
	ex["delete"] = del.Body
	// How requests are signed: the Follow's POST, and a signed GET of the
	// group that B's resolver made.
	postHeaders := exHeaders(follow.Header, "Host", "Date", "Digest", "Content-Type", "Signature", "User-Agent")
	fetch := tapA.find(t, "signed GET of the group", func(r exRequest) bool {
		return r.Method == http.MethodGet && r.Path == "/c/gardening" && r.Header.Get("Signature") != ""
	})
	getHeaders := exHeaders(fetch.Header, "Host", "Date", "Accept", "Signature", "User-Agent")
	postHeaders["(request-target)"] = "post " + follow.Path
	getHeaders["(request-target)"] = "get " + fetch.Path
	ex["signed-post-headers"], _ = json.Marshal(postHeaders)
	ex["signed-get-headers"], _ = json.Marshal(getHeaders)

	// Key fields, checked whether or not the examples are written.
	check := func(what string, ok bool) {
		t.Helper()
		if !ok {
			t.Errorf("%s; captured:", what)
			for name, b := range ex {
				t.Logf("%s: %s", name, b)
			}
		}
	}
	check("group actor", group["id"] == groupIRI && group["type"] == "Group" && group["preferredUsername"] == "gardening" &&
		group["inbox"] == groupIRI+"/inbox" && group["outbox"] == groupIRI+"/outbox" && group["followers"] == groupIRI+"/followers" &&
		group["featured"] == groupIRI+"/featured" && group["attributedTo"] == groupIRI+"/moderators" &&
		exField(group, "endpoints", "sharedInbox") == "http://org-a.test/inbox" &&
		exField(group, "publicKey", "id") == groupIRI+"#main-key" && exField(group, "publicKey", "owner") == groupIRI &&
		strings.Contains(exField(group, "publicKey", "publicKeyPem").(string), "BEGIN PUBLIC KEY") &&
		exHas(group["@context"], "https://w3id.org/security/v1") && group["postingRestrictedToMods"] == false &&
		group["manuallyApprovesFollowers"] == false)
	check("group served as ActivityPub", strings.HasPrefix(gh.Get("Content-Type"), "application/activity+json"))
	check("person actor", personDoc["id"] == bobIRI && personDoc["type"] == "Person" && personDoc["preferredUsername"] == "bob" &&
		exField(personDoc, "publicKey", "owner") == bobIRI && personDoc["inbox"] == bobIRI+"/inbox")
	links, _ := wf["links"].([]any)
	check("webfinger", wf["subject"] == "acct:gardening@org-a.test" && slices.ContainsFunc(links, func(l any) bool {
		m, _ := l.(map[string]any)
		return m["rel"] == "self" && m["type"] == "application/activity+json" && m["href"] == groupIRI
	}) && strings.HasPrefix(wh.Get("Content-Type"), "application/jrd+json"))
	check("nodeinfo", nodeinfo["version"] == "2.1" && exField(nodeinfo, "software", "name") == "practica" && exHas(nodeinfo["protocols"], "activitypub"))
	check("follow", follow.Doc["actor"] == bobIRI && follow.Doc["object"] == groupIRI)
	check("accept", accept.Doc["actor"] == groupIRI && exField(accept.Doc, "object", "type") == "Follow" &&
		exField(accept.Doc, "object", "id") == follow.Doc["id"] && exField(accept.Doc, "object", "actor") == bobIRI &&
		exField(accept.Doc, "object", "object") == groupIRI)
	check("create", create.Doc["actor"] == bobIRI && exField(create.Doc, "object", "type") == "Page" &&
		exField(create.Doc, "object", "attributedTo") == bobIRI && exField(create.Doc, "object", "audience") == groupIRI &&
		exField(create.Doc, "object", "name") == "Compost in winter" &&
		exHas(exField(create.Doc, "object", "to"), groupIRI) && exHas(exField(create.Doc, "object", "to"), public))
	check("announce{create} carries the Create unchanged", annCreate.Doc["actor"] == groupIRI &&
		reflect.DeepEqual(annCreate.Doc["object"], create.Doc) && exHas(annCreate.Doc["to"], public) &&
		exHas(annCreate.Doc["cc"], groupIRI+"/followers") && annCreate.Doc["audience"] == groupIRI)
	check("announce{object}", annObject.Doc["actor"] == groupIRI && annObject.Doc["object"] == thread.IRI && exHas(annObject.Doc["to"], public))
	check("update", update.Doc["actor"] == bobIRI && exField(update.Doc, "object", "id") == thread.IRI &&
		exField(update.Doc, "object", "name") == "Compost in winter (solved)" && exField(update.Doc, "object", "updated") != nil)
	check("like", like.Doc["actor"] == bobIRI && like.Doc["object"] == aliceThread.IRI && like.Doc["audience"] == groupIRI)
	check("delete", del.Doc["actor"] == bobIRI && (del.Doc["object"] == thread.IRI || exField(del.Doc, "object", "id") == thread.IRI))
	check("signed POST", strings.HasPrefix(follow.Header.Get("Digest"), "SHA-256=") &&
		strings.Contains(follow.Header.Get("Signature"), `headers="(request-target) host date digest"`) &&
		strings.Contains(follow.Header.Get("Signature"), `keyId="`+bobIRI+`#main-key"`))
	check("signed GET by the instance actor", strings.Contains(fetch.Header.Get("Signature"), `keyId="http://org-b.test/actor#main-key"`) &&
		strings.Contains(fetch.Header.Get("Signature"), `headers="(request-target) host date"`))

	if os.Getenv(EnvWriteExamples) != "1" {
		// The committed examples are the ones FEDERATION.md quotes.
		doc, err := os.ReadFile("../docs/FEDERATION.md")
		if err != nil {
			t.Fatal(err)
		}
		for name := range ex {
			b, err := os.ReadFile(filepath.Join(exampleDir, name+".json"))
			if err != nil {
				t.Errorf("docs/examples/%s.json: %v (run with %s=1)", name, err, EnvWriteExamples)
				continue
			}
			if !bytes.Contains(doc, bytes.TrimSpace(b)) {
				t.Errorf("docs/FEDERATION.md does not quote docs/examples/%s.json as it is; copy it in", name)
			}
		}
		return
	}
	if err := os.MkdirAll(exampleDir, 0o755); err != nil {
		t.Fatal(err)
	}
	for name, raw := range ex {
		// Indented, key order as sent.
		var b bytes.Buffer
		if err := json.Indent(&b, raw, "", "  "); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		b.WriteByte('\n')
		if err := os.WriteFile(filepath.Join(exampleDir, name+".json"), b.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	t.Logf("wrote %d examples to %s", len(ex), exampleDir)
}

// exHeaders copies the named headers of a request, for the examples.
func exHeaders(h http.Header, names ...string) map[string]any {
	out := map[string]any{}
	for _, name := range names {
		if v := h.Get(name); v != "" {
			out[name] = v
		}
	}
	return out
}
