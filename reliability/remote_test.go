package reliability_test

import (
	"bytes"
	"crypto/rsa"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/practica-social/practica/federation/signing"
	"github.com/practica-social/practica/testrig"
)

// keyPool holds RSA key pairs shared by the fake remote people of every
// test in the package: generating 2048-bit keys is slow. Sharing a key
// between actors is harmless: each has its own key id.
var keyPool struct {
	once sync.Once
	priv [4]string
	pub  [4]string
}

func poolKey(i int) (priv, pub string) {
	keyPool.once.Do(func() {
		for k := range keyPool.priv {
			var err error
			if keyPool.priv[k], keyPool.pub[k], err = signing.GenerateKey(); err != nil {
				panic(err)
			}
		}
	})
	return keyPool.priv[i%4], keyPool.pub[i%4]
}

// fakePerson is a person on a fake remote server, who can sign.
type fakePerson struct {
	Name, IRI, KeyID string
	doc              []byte
	key              *rsa.PrivateKey
	signer           *signing.Signer
}

// fakeRemote is another fediverse server on the test network, played by
// the test: it serves its people's actor documents and records what
// reaches its inboxes, by activity.
type fakeRemote struct {
	t      testing.TB
	Host   string
	Base   string
	people []*fakePerson
	seq    atomic.Int64

	mu sync.Mutex
	// got counts, per inbox path, the activities received by id.
	got map[string]map[string]int
	// objects counts what was received by kind and object:
	// "Announce{Create} <object id>", "Announce <object id>".
	objects map[string]int
	// sink, when set, is given every received activity instead of got.
	sink func(path string, doc map[string]any)
	// served are objects the remote serves at their ids' paths; while
	// objectsDown is set it answers 503 for them instead.
	served      map[string][]byte
	objectsDown atomic.Bool
}

const asPublic = "https://www.w3.org/ns/activitystreams#Public"

// newFakeRemote starts a fake server named host with people p0 … p(n-1).
func newFakeRemote(t testing.TB, n *testrig.Network, host string, people int) *fakeRemote {
	t.Helper()
	r := &fakeRemote{t: t, Host: host, Base: "http://" + host, got: map[string]map[string]int{}, objects: map[string]int{}, served: map[string][]byte{}}
	byPath := map[string]*fakePerson{}
	for i := range people {
		name := fmt.Sprintf("p%d", i)
		iri := r.Base + "/u/" + name
		priv, pub := poolKey(i)
		key, err := signing.ParsePrivateKey(priv)
		if err != nil {
			t.Fatal(err)
		}
		p := &fakePerson{Name: name, IRI: iri, KeyID: iri + "#main-key", key: key, signer: signing.NewSigner(iri+"#main-key", key)}
		p.doc, _ = json.Marshal(map[string]any{
			"@context":          []any{"https://www.w3.org/ns/activitystreams", "https://w3id.org/security/v1"},
			"id":                iri,
			"type":              "Person",
			"preferredUsername": name,
			"name":              "Person " + name + " of " + host,
			"inbox":             iri + "/inbox",
			"outbox":            iri + "/outbox",
			"followers":         iri + "/followers",
			"endpoints":         map[string]any{"sharedInbox": r.Base + "/inbox"},
			"publicKey":         map[string]any{"id": p.KeyID, "owner": iri, "publicKeyPem": pub},
		})
		r.people = append(r.people, p)
		byPath["/u/"+name] = p
	}
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		switch {
		case req.Method == http.MethodGet && byPath[req.URL.Path] != nil:
			w.Header().Set("Content-Type", "application/activity+json")
			_, _ = w.Write(byPath[req.URL.Path].doc)
		case req.Method == http.MethodGet && r.object(req.URL.Path) != nil:
			if r.objectsDown.Load() {
				http.Error(w, "down for maintenance", http.StatusServiceUnavailable)
				return
			}
			w.Header().Set("Content-Type", "application/activity+json")
			_, _ = w.Write(r.object(req.URL.Path))
		case req.Method == http.MethodPost && strings.HasSuffix(req.URL.Path, "/inbox"):
			body, _ := io.ReadAll(req.Body)
			var doc map[string]any
			if json.Unmarshal(body, &doc) != nil {
				http.Error(w, "bad json", http.StatusBadRequest)
				return
			}
			r.record(req.URL.Path, doc)
			w.WriteHeader(http.StatusAccepted)
		default:
			http.NotFound(w, req)
		}
	})}
	l := listen(t)
	go func() { _ = srv.Serve(l) }()
	t.Cleanup(func() { _ = srv.Close() })
	n.Add(host, l.Addr().String())
	return r
}

// serve makes the remote serve doc at its id.
func (r *fakeRemote) serve(doc map[string]any) {
	id, _ := doc["id"].(string)
	b, err := json.Marshal(withContext(doc))
	if err != nil {
		r.t.Fatal(err)
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	r.served[strings.TrimPrefix(id, r.Base)] = b
}

func (r *fakeRemote) object(path string) []byte {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.served[path]
}

func withContext(doc map[string]any) map[string]any {
	out := map[string]any{"@context": "https://www.w3.org/ns/activitystreams"}
	for k, v := range doc {
		out[k] = v
	}
	return out
}

func (r *fakeRemote) record(path string, doc map[string]any) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.sink != nil {
		r.sink(path, doc)
		return
	}
	id, _ := doc["id"].(string)
	if r.got[path] == nil {
		r.got[path] = map[string]int{}
	}
	r.got[path][id]++
	if kind, obj := announcedObject(doc); obj != "" {
		r.objects[kind+" "+obj]++
	}
}

// announces is how often an Announce of kind ("Announce{Create}" or
// "Announce") of the object was received, at any inbox.
func (r *fakeRemote) announces(kind, object string) int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.objects[kind+" "+object]
}

// received returns, per activity id, how often the inbox at path got it.
func (r *fakeRemote) received(path string) map[string]int {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := map[string]int{}
	for k, v := range r.got[path] {
		out[k] = v
	}
	return out
}

// nextID returns a fresh id under the remote's base URL.
func (r *fakeRemote) nextID(kind string) string {
	return fmt.Sprintf("%s/%s/%d-%s", r.Base, kind, r.seq.Add(1), testrig.RandomID())
}

// follow is person p's Follow of an actor.
func (r *fakeRemote) follow(p *fakePerson, target string) map[string]any {
	return map[string]any{
		"@context": "https://www.w3.org/ns/activitystreams",
		"id":       r.nextID("activities"), "type": "Follow", "actor": p.IRI, "object": target,
	}
}

// create is person p's public post in a community: a new thread (title
// set) or a reply to inReplyTo.
func (r *fakeRemote) create(p *fakePerson, group, title, text, inReplyTo string) (activity map[string]any, objectID string) {
	objectID = r.nextID("objects")
	obj := map[string]any{
		"id": objectID, "type": "Note", "attributedTo": p.IRI, "content": "<p>" + text + "</p>",
		"to": []any{asPublic}, "cc": []any{group}, "audience": group,
		"published": time.Now().UTC().Format(time.RFC3339),
	}
	if title != "" {
		obj["type"], obj["name"] = "Page", title
	}
	if inReplyTo != "" {
		obj["inReplyTo"] = inReplyTo
	}
	return map[string]any{
		"@context": "https://www.w3.org/ns/activitystreams",
		"id":       r.nextID("activities"), "type": "Create", "actor": p.IRI,
		"to": []any{asPublic}, "cc": []any{group}, "audience": group, "object": obj,
	}, objectID
}

// send POSTs an activity of p, signed, to an inbox URL and returns the
// status and Retry-After of the answer (status 0 if no answer came).
func (r *fakeRemote) send(c *http.Client, p *fakePerson, inbox string, doc map[string]any) (int, string) {
	body, err := json.Marshal(doc)
	if err != nil {
		r.t.Fatal(err)
	}
	req, err := http.NewRequest(http.MethodPost, inbox, bytes.NewReader(body))
	if err != nil {
		r.t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/activity+json")
	if err := p.signer.SignPost(req, body, time.Now()); err != nil {
		r.t.Fatal(err)
	}
	resp, err := c.Do(req)
	if err != nil {
		return 0, ""
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode, resp.Header.Get("Retry-After")
}

// announcedObject names what an activity announces: "Announce{Create}"
// and the created object's id for FEP-1b12 redistribution, "Announce" and
// the object id for a boost, the activity type and "" otherwise.
func announcedObject(doc map[string]any) (kind, object string) {
	if doc["type"] != "Announce" {
		t, _ := doc["type"].(string)
		return t, ""
	}
	switch o := doc["object"].(type) {
	case string:
		return "Announce", o
	case map[string]any:
		t, _ := o["type"].(string)
		switch inner := o["object"].(type) {
		case map[string]any:
			id, _ := inner["id"].(string)
			return "Announce{" + t + "}", id
		case string:
			return "Announce{" + t + "}", inner
		}
		return "Announce{" + t + "}", ""
	}
	return "Announce", ""
}
