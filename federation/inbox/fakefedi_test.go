package inbox_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/practica-social/practica/app"
	"github.com/practica-social/practica/federation/signing"
	"github.com/practica-social/practica/models"
	"github.com/practica-social/practica/service"
	"github.com/practica-social/practica/testrig"
)

// asPublic is the ActivityStreams Public collection.
const asPublic = "https://www.w3.org/ns/activitystreams#Public"

// fediWorld is one instance of ours, org-a.test, holding a public, open
// community, next to fake remote servers (fakeFedi) whose actors' keys the
// test holds: it signs as any of them and posts to our shared inbox.
type fediWorld struct {
	t     *testing.T
	ctx   context.Context
	n     *testrig.Network
	a     *testrig.Instance
	fedi  *fakeFedi
	c     *models.Community
	owner *models.Actor
}

// newFediWorld starts org-a.test with the community handle, owned by the
// local person olga.
func newFediWorld(t *testing.T, handle string) *fediWorld {
	t.Helper()
	w := &fediWorld{t: t, ctx: context.Background(), n: testrig.NewNetwork()}
	// A thread's origin that does not answer is tried again after 20,
	// 40, 80 and 160 ms, and the reply refused then, within the wait of
	// expectOutcome.
	w.a = w.n.StartTuned(t, "org-a.test", app.Tuning{FetchParentsRetryBase: 20 * time.Millisecond})
	w.fedi = newFakeFedi(t, w.n)
	acc, err := w.a.Service.CreateAccount(w.ctx, service.NewAccount{Username: "olga", Email: "olga@example.org", Password: "correct horse"})
	if err != nil {
		t.Fatal(err)
	}
	w.owner = acc.Actor
	w.c, err = w.a.Service.CreateCommunity(w.ctx, service.NewCommunity{Handle: handle, Name: "Practice", OwnerID: w.owner.ID})
	if err != nil {
		t.Fatal(err)
	}
	return w
}

// inboxAnswer is what our inbox answered.
type inboxAnswer struct {
	status int
	body   string
}

// deliver POSTs body to our shared inbox signed by s.
func (w *fediWorld) deliver(s *signing.Signer, body []byte) inboxAnswer {
	w.t.Helper()
	req, err := http.NewRequest(http.MethodPost, w.a.BaseURL+"/inbox", bytes.NewReader(body))
	if err != nil {
		w.t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/activity+json")
	if err := s.SignPost(req, body, time.Now()); err != nil {
		w.t.Fatal(err)
	}
	resp, err := w.n.Client().Do(req)
	if err != nil {
		w.t.Fatalf("POST /inbox: %v", err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return inboxAnswer{status: resp.StatusCode, body: string(b)}
}

// deliverDoc marshals doc, delivers it signed by its actor's key and
// returns the answer; doc["actor"] must be a fake actor.
func (w *fediWorld) deliverDoc(doc map[string]any) inboxAnswer {
	w.t.Helper()
	body, err := json.Marshal(doc)
	if err != nil {
		w.t.Fatal(err)
	}
	return w.deliver(w.fedi.signer(doc["actor"].(string)), body)
}

// outcome waits (bounded) until the inbox item of activityID is processed
// or refused and returns it. A missing item or one left received or failed
// fails the test.
func (w *fediWorld) outcome(activityID string) *models.InboxItem {
	w.t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for {
		it, err := w.a.Store.GetInboxItemByActivityIRI(w.ctx, activityID)
		if err == nil && (it.State == models.InboxProcessed || it.State == models.InboxRefused) {
			return it
		}
		if time.Now().After(deadline) {
			if err != nil {
				w.t.Fatalf("%s: not stored: %v", activityID, err)
			}
			w.t.Fatalf("%s: still %s after 15 s (error %q)", activityID, it.State, it.Error)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// expectOutcome delivers doc, expects 202 and the final state, and, for a
// refusal, a reason containing reason.
func (w *fediWorld) expectOutcome(what string, doc map[string]any, state models.InboxState, reason string) *models.InboxItem {
	w.t.Helper()
	if r := w.deliverDoc(doc); r.status != http.StatusAccepted {
		w.t.Fatalf("%s: inbox answered %d %s, want 202", what, r.status, r.body)
	}
	it := w.outcome(doc["id"].(string))
	if it.State != state || (state == models.InboxRefused && (it.Error == "" || !strings.Contains(it.Error, reason))) {
		w.t.Fatalf("%s: %s %q; want %s %q", what, it.State, it.Error, state, reason)
	}
	return it
}

// eventually polls cond until it holds, for at most 15 s.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for: %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// member returns a's membership of c, or nil.
func (w *fediWorld) member(c *models.Community, actorIRI string) *models.Member {
	w.t.Helper()
	a, err := w.a.Store.GetActorByIRI(w.ctx, actorIRI)
	if err != nil {
		return nil
	}
	m, err := w.a.Store.GetMember(w.ctx, c.ID, a.ID)
	if err != nil {
		return nil
	}
	return m
}

// post returns the stored post iri (deleted or not), or nil.
func (w *fediWorld) post(iri string) *models.Post {
	w.t.Helper()
	p, err := w.a.Store.GetPostByIRI(w.ctx, iri)
	if err != nil {
		return nil
	}
	return p
}

// fakeFedi is one loopback HTTP server standing in for any number of
// remote hosts of the test network: it serves the documents it is given by
// host and path, answers 202 to every POST and records it.
type fakeFedi struct {
	t    testing.TB
	n    *testrig.Network
	addr string

	mu      sync.Mutex
	docs    map[string]fakeDoc
	hits    map[string]int
	posts   []fakePost
	signers map[string]*signing.Signer
}

// fakeDoc is an answer of the fake server.
type fakeDoc struct {
	status      int
	contentType string
	body        []byte
}

// fakePost is a request some remote host received.
type fakePost struct {
	URL  string
	Doc  map[string]any
	Body []byte
}

func newFakeFedi(t testing.TB, n *testrig.Network) *fakeFedi {
	f := &fakeFedi{t: t, n: n, docs: map[string]fakeDoc{}, hits: map[string]int{}, signers: map[string]*signing.Signer{}}
	srv := httptest.NewServer(http.HandlerFunc(f.serveHTTP))
	t.Cleanup(srv.Close)
	f.addr = srv.Listener.Addr().String()
	return f
}

func (f *fakeFedi) serveHTTP(w http.ResponseWriter, r *http.Request) {
	key := r.Host + r.URL.EscapedPath()
	if r.URL.RawQuery != "" {
		key += "?" + r.URL.RawQuery
	}
	if r.Method == http.MethodPost {
		body, _ := io.ReadAll(io.LimitReader(r.Body, 4<<20))
		var doc map[string]any
		_ = json.Unmarshal(body, &doc)
		f.mu.Lock()
		f.posts = append(f.posts, fakePost{URL: "http://" + key, Doc: doc, Body: body})
		f.mu.Unlock()
		w.WriteHeader(http.StatusAccepted)
		return
	}
	f.mu.Lock()
	f.hits[key]++
	d, ok := f.docs[key]
	f.mu.Unlock()
	switch {
	case !ok:
		http.NotFound(w, r)
	default:
		if d.contentType != "" {
			w.Header().Set("Content-Type", d.contentType)
		}
		w.WriteHeader(d.status)
		_, _ = w.Write(d.body)
	}
}

// keyOf is the fake server's key for an IRI: host (with port) and path.
func keyOf(t testing.TB, iri string) string {
	u, err := url.Parse(iri)
	if err != nil || u.Host == "" {
		t.Fatalf("fake server: bad IRI %q", iri)
	}
	k := u.Host + u.EscapedPath()
	if u.RawQuery != "" {
		k += "?" + u.RawQuery
	}
	return k
}

// route makes the test network send iri's host to the fake server.
func (f *fakeFedi) route(iri string) {
	u, err := url.Parse(iri)
	if err != nil || u.Host == "" {
		f.t.Fatalf("fake server: bad IRI %q", iri)
	}
	host := u.Hostname()
	if _, ok := f.n.Lookup(host); !ok {
		f.n.Add(host, f.addr)
	}
}

// set installs an answer for iri.
func (f *fakeFedi) set(iri string, d fakeDoc) {
	f.route(iri)
	f.mu.Lock()
	defer f.mu.Unlock()
	f.docs[keyOf(f.t, iri)] = d
}

// serveJSON serves doc at iri as application/activity+json.
func (f *fakeFedi) serveJSON(iri string, doc any) {
	b, err := json.Marshal(doc)
	if err != nil {
		f.t.Fatal(err)
	}
	f.serveRaw(iri, http.StatusOK, "application/activity+json", b)
}

// serveRaw serves body at iri with the given status and content type.
func (f *fakeFedi) serveRaw(iri string, status int, contentType string, body []byte) {
	f.set(iri, fakeDoc{status: status, contentType: contentType, body: body})
}

// hitCount is how many GETs iri received.
func (f *fakeFedi) hitCount(iri string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.hits[keyOf(f.t, iri)]
}

// actor serves an actor document at iri with a test key of its own (the
// same key every time for the same iri) and returns its signer. doc may be
// a captured document, whose publicKey is replaced; nil makes a minimal one
// of type typ.
func (f *fakeFedi) actor(iri, typ string, doc map[string]any) *signing.Signer {
	f.t.Helper()
	s, pub := testKeyOf(f.t, iri)
	if doc == nil {
		u, _ := url.Parse(iri)
		name := iri[strings.LastIndexAny(strings.TrimRight(iri, "/"), "/@")+1:]
		doc = map[string]any{
			"@context":          []any{"https://www.w3.org/ns/activitystreams", "https://w3id.org/security/v1"},
			"id":                iri,
			"type":              typ,
			"preferredUsername": strings.TrimRight(name, "/"),
			"name":              strings.TrimRight(name, "/"),
			"inbox":             iri + "/inbox",
			"outbox":            iri + "/outbox",
			"followers":         iri + "/followers",
			"endpoints":         map[string]any{"sharedInbox": u.Scheme + "://" + u.Host + "/inbox"},
		}
	}
	doc["publicKey"] = map[string]any{"id": iri + "#main-key", "owner": iri, "publicKeyPem": pub}
	f.serveJSON(iri, doc)
	f.mu.Lock()
	f.signers[iri] = s
	f.mu.Unlock()
	return s
}

// signer returns the signer of a fake actor.
func (f *fakeFedi) signer(iri string) *signing.Signer {
	f.t.Helper()
	f.mu.Lock()
	s := f.signers[iri]
	f.mu.Unlock()
	if s == nil {
		f.t.Fatalf("no fake actor %s", iri)
	}
	return s
}

// received lists the POSTs that match.
func (f *fakeFedi) received(match func(fakePost) bool) []fakePost {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []fakePost
	for _, p := range f.posts {
		if match(p) {
			out = append(out, p)
		}
	}
	return out
}

// waitReceived waits (bounded) until a POST matches and returns it.
func (f *fakeFedi) waitReceived(t *testing.T, what string, match func(fakePost) bool) fakePost {
	t.Helper()
	var got []fakePost
	eventually(t, what, func() bool { got = f.received(match); return len(got) > 0 })
	return got[0]
}

// isActivity matches a POST of an activity of type typ whose object's id
// (embedded or bare) is object, sent to host.
func isActivity(host, typ, object string) func(fakePost) bool {
	return func(p fakePost) bool {
		if p.Doc == nil || p.Doc["type"] != typ || !strings.HasPrefix(p.URL, "http://"+host+"/") {
			return false
		}
		switch o := p.Doc["object"].(type) {
		case string:
			return o == object
		case map[string]any:
			return o["id"] == object
		}
		return false
	}
}

// testKeys caches generated keys by actor IRI across the package's tests:
// 2048-bit RSA keys are slow to make.
var testKeys sync.Map // iri -> testKey

type testKey struct {
	key    *signing.Signer
	pubPEM string
}

func testKeyOf(t testing.TB, iri string) (*signing.Signer, string) {
	if k, ok := testKeys.Load(iri); ok {
		return k.(testKey).key, k.(testKey).pubPEM
	}
	priv, pub, err := signing.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	pk, err := signing.ParsePrivateKey(priv)
	if err != nil {
		t.Fatal(err)
	}
	k, _ := testKeys.LoadOrStore(iri, testKey{key: signing.NewSigner(iri+"#main-key", pk), pubPEM: pub})
	return k.(testKey).key, k.(testKey).pubPEM
}

// hostOf returns the host (with port) of an IRI.
func hostOf(iri string) string {
	u, err := url.Parse(iri)
	if err != nil {
		return ""
	}
	return u.Host
}
