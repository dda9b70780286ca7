package resolve_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"sync"
	"testing"
	"time"

	"github.com/practica-social/practica/federation/resolve"
	"github.com/practica-social/practica/federation/signing"
	"github.com/practica-social/practica/federation/transport"
	"github.com/practica-social/practica/service"
	"github.com/practica-social/practica/testrig"
)

// testKeys are RSA key pairs shared by the package's tests: generating
// 2048-bit keys is slow.
var testKeys struct {
	once sync.Once
	pub  [3]string
}

// pubPEM returns public key i (0–2).
func pubPEM(t *testing.T, i int) string {
	t.Helper()
	testKeys.once.Do(func() {
		for k := range testKeys.pub {
			_, pub, err := signing.GenerateKey()
			if err != nil {
				panic(err)
			}
			testKeys.pub[k] = pub
		}
	})
	return testKeys.pub[i]
}

// clock is a settable test clock.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// remote is a fake fediverse server under a host name of the test network:
// it serves whatever handlers a test sets and counts hits per path.
type remote struct {
	host string
	base string
	mu   sync.Mutex
	h    map[string]http.HandlerFunc
	hits map[string]int
}

// newRemote starts a fake server named host on n.
func newRemote(t *testing.T, n *testrig.Network, host string) *remote {
	t.Helper()
	r := &remote{host: host, base: "http://" + host, h: map[string]http.HandlerFunc{}, hits: map[string]int{}}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		path := req.URL.Path
		r.mu.Lock()
		r.hits[path]++
		h := r.h[path]
		r.mu.Unlock()
		if h == nil {
			http.NotFound(w, req)
			return
		}
		h(w, req)
	}))
	t.Cleanup(srv.Close)
	n.Add(host, srv.Listener.Addr().String())
	return r
}

// handle serves path with h.
func (r *remote) handle(path string, h http.HandlerFunc) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.h[path] = h
}

// serveJSON serves doc at path as ActivityPub.
func (r *remote) serveJSON(path string, doc any) {
	r.handle(path, jsonHandler("application/activity+json", doc))
}

// hitCount is how often path was asked for.
func (r *remote) hitCount(path string) int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.hits[path]
}

func jsonHandler(contentType string, doc any) http.HandlerFunc {
	b, err := json.Marshal(doc)
	if err != nil {
		panic(err)
	}
	return func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", contentType)
		_, _ = w.Write(b)
	}
}

// person builds a Person document at id whose key is keyID with PEM pem.
func person(id, user, keyID, pem string) map[string]any {
	return map[string]any{
		"@context":          []any{"https://www.w3.org/ns/activitystreams", "https://w3id.org/security/v1"},
		"id":                id,
		"type":              "Person",
		"preferredUsername": user,
		"name":              "Name of " + user,
		"inbox":             id + "/inbox",
		"outbox":            id + "/outbox",
		"followers":         id + "/followers",
		"endpoints":         map[string]any{"sharedInbox": "http://" + hostOfURL(id) + "/inbox"},
		"publicKey":         map[string]any{"id": keyID, "owner": id, "publicKeyPem": pem},
	}
}

// hostOfURL is the host part of an absolute URL.
func hostOfURL(u string) string {
	h, err := resolve.HostOf(u)
	if err != nil {
		panic(err)
	}
	return h
}

// webfingerDoc is a JRD with one ActivityPub self link per href.
func webfingerDoc(subject string, hrefs ...string) map[string]any {
	var links []any
	for _, h := range hrefs {
		links = append(links, map[string]any{"rel": "self", "type": "application/activity+json", "href": h})
	}
	return map[string]any{"subject": subject, "links": links}
}

// rig is a running instance org-a.test, a network to add fakes to, and a
// Resolver of org-a's with a settable clock.
type rig struct {
	n      *testrig.Network
	inst   *testrig.Instance
	clock  *clock
	client *transport.Client
	r      *resolve.Resolver
	ctx    context.Context
}

func newRig(t *testing.T) *rig {
	t.Helper()
	n := testrig.NewNetwork()
	inst := n.Start(t, "org-a.test")
	clk := &clock{t: time.Now()}
	ov := n.Override()
	client := transport.New(transport.Options{
		UserAgent:      "Practica/test (+http://org-a.test)",
		AllowPrivate:   []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")},
		Resolve:        ov.Resolve,
		PortOverride:   ov.PortOverride,
		RequestTimeout: 5 * time.Second,
	})
	t.Cleanup(client.CloseIdleConnections)
	r := resolve.New(resolve.Deps{Service: inst.Service, Client: client, Scheme: "http", Now: clk.Now})
	return &rig{n: n, inst: inst, clock: clk, client: client, r: r, ctx: context.Background()}
}

// kindOf is service.KindOf, short.
func kindOf(err error) service.Kind { return service.KindOf(err) }
