package inbox_test

import (
	"bytes"
	"context"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/go-fed/httpsig"
	"github.com/labstack/echo/v4"

	"github.com/practica-social/practica/federation/inbox"
	"github.com/practica-social/practica/federation/signing"
	"github.com/practica-social/practica/service"
	"github.com/practica-social/practica/testrig"
)

// rcvRig is two instances of ours on a test network: org-a.test receives,
// org-b.test holds the senders alice and bob, whose keys sign as org-b
// itself would.
type rcvRig struct {
	t     *testing.T
	ctx   context.Context
	n     *testrig.Network
	a, b  *testrig.Instance
	alice *signing.Signer
	bob   *signing.Signer
	seq   atomic.Int64
}

const (
	rcvAlice = "http://org-b.test/u/alice"
	rcvBob   = "http://org-b.test/u/bob"
	rcvGroup = "http://org-a.test/c/gardening"
)

func newRcvRig(t *testing.T) *rcvRig {
	t.Helper()
	g := &rcvRig{t: t, ctx: context.Background(), n: testrig.NewNetwork()}
	g.a = g.n.Start(t, "org-a.test")
	g.b = g.n.Start(t, "org-b.test")
	if _, err := g.a.Service.CreateCommunity(g.ctx, service.NewCommunity{Handle: "gardening", Name: "Gardening"}); err != nil {
		t.Fatal(err)
	}
	for _, u := range []string{"alice", "bob"} {
		if _, err := g.b.Service.CreateAccount(g.ctx, service.NewAccount{Username: u, Email: u + "@example.org", Password: "correct horse"}); err != nil {
			t.Fatal(err)
		}
	}
	g.alice, g.bob = g.signerOf("alice"), g.signerOf("bob")
	return g
}

// signerOf signs with the key org-b.test holds for a local person.
func (g *rcvRig) signerOf(username string) *signing.Signer {
	g.t.Helper()
	a, err := g.b.Service.LocalPerson(g.ctx, username)
	if err != nil {
		g.t.Fatal(err)
	}
	key, err := signing.ParsePrivateKey(a.PrivateKeyPEM)
	if err != nil {
		g.t.Fatal(err)
	}
	return signing.NewSigner(a.PublicKeyID, key)
}

// activity returns a fresh activity of actor with a unique id on host.
func (g *rcvRig) activity(typ, actor string) (id string, body []byte) {
	host := strings.SplitN(strings.TrimPrefix(actor, "http://"), "/", 2)[0]
	id = fmt.Sprintf("http://%s/activities/%s-%d-%d", host, strings.ToLower(typ), time.Now().UnixNano(), g.seq.Add(1))
	doc := map[string]any{
		"@context": "https://www.w3.org/ns/activitystreams",
		"id":       id, "type": typ, "actor": actor, "object": rcvGroup,
	}
	b, err := json.Marshal(doc)
	if err != nil {
		g.t.Fatal(err)
	}
	return id, b
}

// rcvResult is an answer of the inbox.
type rcvResult struct {
	status int
	header http.Header
	body   string
}

// post sends body to org-a.test's path, prepared by prep (which signs).
func (g *rcvRig) post(path string, body []byte, prep func(*http.Request)) rcvResult {
	g.t.Helper()
	req, err := http.NewRequest(http.MethodPost, "http://org-a.test"+path, bytes.NewReader(body))
	if err != nil {
		g.t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/activity+json")
	if prep != nil {
		prep(req)
	}
	resp, err := g.n.Client().Do(req)
	if err != nil {
		g.t.Fatalf("POST %s: %v", path, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return rcvResult{status: resp.StatusCode, header: resp.Header, body: string(b)}
}

// signedBy signs a POST of body with s at time at.
func signedBy(s *signing.Signer, body []byte, at time.Time) func(*http.Request) {
	return func(r *http.Request) {
		if err := s.SignPost(r, body, at); err != nil {
			panic(err)
		}
	}
}

// stored reports whether org-a.test stored the activity id.
func (g *rcvRig) stored(id string) bool {
	g.t.Helper()
	_, err := g.a.Store.GetInboxItemByActivityIRI(g.ctx, id)
	return err == nil
}

// expect checks an answer's status and, when want is set, that its
// message contains want.
func (g *rcvRig) expect(what string, r rcvResult, status int, want string) {
	g.t.Helper()
	if r.status != status || !strings.Contains(r.body, want) {
		g.t.Errorf("%s: %d %s; want %d containing %q", what, r.status, r.body, status, want)
	}
}

// rawSign signs r with go-fed/httpsig over exactly headers, to build
// signatures our Signer would never produce.
func rawSign(t *testing.T, r *http.Request, key *rsa.PrivateKey, keyID string, headers []string) {
	t.Helper()
	// httpsig reads the Host header from the map; Go sends r.Host.
	r.Header.Set("Host", r.Host)
	if r.Header.Get("Date") == "" {
		r.Header.Set("Date", time.Now().UTC().Format(http.TimeFormat))
	}
	s, _, err := httpsig.NewSigner([]httpsig.Algorithm{httpsig.RSA_SHA256}, httpsig.DigestSha256, headers, httpsig.Signature, 0)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.SignRequest(key, keyID, r, nil); err != nil {
		t.Fatal(err)
	}
}

// privateKeyOf returns the private key org-b.test holds for username.
func (g *rcvRig) privateKeyOf(username string) *rsa.PrivateKey {
	g.t.Helper()
	a, err := g.b.Service.LocalPerson(g.ctx, username)
	if err != nil {
		g.t.Fatal(err)
	}
	k, err := signing.ParsePrivateKey(a.PrivateKeyPEM)
	if err != nil {
		g.t.Fatal(err)
	}
	return k
}

func sha256Digest(body []byte) string {
	sum := sha256.Sum256(body)
	return "SHA-256=" + base64.StdEncoding.EncodeToString(sum[:])
}

func TestReceiveStoresOnceAndAnswers202(t *testing.T) {
	g := newRcvRig(t)
	id, body := g.activity("Follow", rcvAlice)
	r := g.post("/inbox", body, signedBy(g.alice, body, time.Now()))
	g.expect("signed delivery", r, http.StatusAccepted, "")
	it, err := g.a.Store.GetInboxItemByActivityIRI(g.ctx, id)
	if err != nil {
		t.Fatalf("not stored: %v", err)
	}
	if it.ActorIRI != rcvAlice || it.KeyID != rcvAlice+"#main-key" || it.Type != "Follow" || it.Body != string(body) {
		t.Fatalf("stored = %+v", it)
	}
	// The same activity again: 202, and still the first row.
	r = g.post("/inbox", body, signedBy(g.alice, body, time.Now()))
	g.expect("duplicate", r, http.StatusAccepted, "")
	again, err := g.a.Store.GetInboxItemByActivityIRI(g.ctx, id)
	if err != nil || again.ID != it.ID || !again.ReceivedAt.Equal(it.ReceivedAt) {
		t.Fatalf("duplicate changed the row: %+v, %v", again, err)
	}
	// Every inbox receives; one of someone unknown does not exist.
	for _, path := range []string{"/c/gardening/inbox", "/actor/inbox"} {
		id, body := g.activity("Follow", rcvAlice)
		g.expect(path, g.post(path, body, signedBy(g.alice, body, time.Now())), http.StatusAccepted, "")
		if !g.stored(id) {
			t.Errorf("%s: not stored", path)
		}
	}
	id, body = g.activity("Follow", rcvAlice)
	g.expect("unknown community", g.post("/c/nobody/inbox", body, signedBy(g.alice, body, time.Now())), http.StatusNotFound, "")
	if g.stored(id) {
		t.Error("stored through the inbox of nobody")
	}
	// A clock 30 minutes off is within the accepted skew.
	id, body = g.activity("Like", rcvAlice)
	g.expect("skewed clock", g.post("/inbox", body, signedBy(g.alice, body, time.Now().Add(-30*time.Minute))), http.StatusAccepted, "")
}

func TestChecklist01UnsignedOrMalformedSignature(t *testing.T) {
	g := newRcvRig(t)
	alter := func(f func(h string) string) func(*http.Request) {
		return func(r *http.Request) {
			r.Header.Set("Signature", f(r.Header.Get("Signature")))
		}
	}
	cases := []struct {
		name string
		prep func(body []byte) func(*http.Request)
		want string
	}{
		{"unsigned", func([]byte) func(*http.Request) { return nil }, "missing signature"},
		{"malformed", func(body []byte) func(*http.Request) {
			return func(r *http.Request) { r.Header.Set("Signature", `keyId="`+rcvAlice+`#main-key",signature`) }
		}, "malformed signature header"},
		{"duplicate keyId", func(body []byte) func(*http.Request) {
			return func(r *http.Request) {
				signedBy(g.alice, body, time.Now())(r)
				alter(func(h string) string { return h + `,keyId="` + rcvBob + `#main-key"` })(r)
			}
		}, "duplicate signature parameter"},
		{"duplicate header line", func(body []byte) func(*http.Request) {
			return func(r *http.Request) {
				signedBy(g.alice, body, time.Now())(r)
				r.Header.Add("Signature", `keyId="`+rcvBob+`#main-key"`)
			}
		}, "duplicate signature parameter"},
		{"unknown algorithm", func(body []byte) func(*http.Request) {
			return func(r *http.Request) {
				signedBy(g.alice, body, time.Now())(r)
				alter(func(h string) string {
					return strings.Replace(h, `algorithm="rsa-sha256"`, `algorithm="hmac-sha256"`, 1)
				})(r)
			}
		}, "unsupported algorithm"},
		{"signed by another key", func(body []byte) func(*http.Request) {
			return func(r *http.Request) {
				signedBy(g.bob, body, time.Now())(r)
				alter(func(h string) string { return strings.Replace(h, rcvBob+"#main-key", rcvAlice+"#main-key", 1) })(r)
			}
		}, "signature mismatch"},
		{"keyId not a URL", func(body []byte) func(*http.Request) {
			return func(r *http.Request) {
				signedBy(g.alice, body, time.Now())(r)
				alter(func(h string) string { return strings.Replace(h, rcvAlice+"#main-key", "alice", 1) })(r)
			}
		}, "keyId is not an http(s) URL"},
	}
	for _, c := range cases {
		id, body := g.activity("Follow", rcvAlice)
		r := g.post("/inbox", body, c.prep(body))
		g.expect(c.name, r, http.StatusUnauthorized, c.want)
		if g.stored(id) {
			t.Errorf("%s: stored", c.name)
		}
	}
	// Authorization: Signature … is accepted like Signature.
	id, body := g.activity("Follow", rcvAlice)
	r := g.post("/inbox", body, func(r *http.Request) {
		signedBy(g.alice, body, time.Now())(r)
		r.Header.Set("Authorization", "Signature "+r.Header.Get("Signature"))
		r.Header.Del("Signature")
	})
	g.expect("Authorization header", r, http.StatusAccepted, "")
	if !g.stored(id) {
		t.Error("Authorization-signed activity not stored")
	}
}

func TestChecklist02Digest(t *testing.T) {
	g := newRcvRig(t)
	key := g.privateKeyOf("alice")
	keyID := rcvAlice + "#main-key"
	cases := []struct {
		name string
		prep func(id string, body []byte) ([]byte, func(*http.Request))
	}{
		{"body altered", func(id string, body []byte) ([]byte, func(*http.Request)) {
			altered := bytes.Replace(body, []byte(`"Follow"`), []byte(`"Delete"`), 1)
			return altered, signedBy(g.alice, body, time.Now())
		}},
		{"Digest missing", func(id string, body []byte) ([]byte, func(*http.Request)) {
			return body, func(r *http.Request) {
				signedBy(g.alice, body, time.Now())(r)
				r.Header.Del("Digest")
			}
		}},
		{"Digest not signed", func(id string, body []byte) ([]byte, func(*http.Request)) {
			return body, func(r *http.Request) {
				r.Header.Set("Digest", sha256Digest(body))
				rawSign(t, r, key, keyID, []string{httpsig.RequestTarget, "host", "date"})
			}
		}},
		{"Digest not SHA-256", func(id string, body []byte) ([]byte, func(*http.Request)) {
			return body, func(r *http.Request) {
				sum := sha512.Sum512(body)
				r.Header.Set("Digest", "SHA-512="+base64.StdEncoding.EncodeToString(sum[:]))
				rawSign(t, r, key, keyID, []string{httpsig.RequestTarget, "host", "date", "digest"})
			}
		}},
	}
	for _, c := range cases {
		id, body := g.activity("Follow", rcvAlice)
		sent, prep := c.prep(id, body)
		g.expect(c.name, g.post("/inbox", sent, prep), http.StatusUnauthorized, "digest mismatch")
		if g.stored(id) {
			t.Errorf("%s: stored", c.name)
		}
	}
	// The same hand-made signature with a correct Digest passes: the
	// refusals above are about the Digest, not the signing.
	id, body := g.activity("Follow", rcvAlice)
	g.expect("hand-signed with digest", g.post("/inbox", body, func(r *http.Request) {
		r.Header.Set("Digest", sha256Digest(body))
		rawSign(t, r, key, keyID, []string{httpsig.RequestTarget, "host", "date", "digest"})
	}), http.StatusAccepted, "")
	if !g.stored(id) {
		t.Error("valid hand-signed activity not stored")
	}
}

func TestChecklist03DateWindow(t *testing.T) {
	g := newRcvRig(t)
	key := g.privateKeyOf("alice")
	for name, at := range map[string]time.Time{
		"13 hours old":   time.Now().Add(-13 * time.Hour),
		"2 hours ahead":  time.Now().Add(2 * time.Hour),
		"a week too old": time.Now().Add(-7 * 24 * time.Hour),
	} {
		id, body := g.activity("Follow", rcvAlice)
		g.expect(name, g.post("/inbox", body, signedBy(g.alice, body, at)), http.StatusUnauthorized, "outside window")
		if g.stored(id) {
			t.Errorf("%s: stored", name)
		}
	}
	id, body := g.activity("Follow", rcvAlice)
	r := g.post("/inbox", body, func(r *http.Request) {
		r.Header.Set("Digest", sha256Digest(body))
		rawSign(t, r, key, rcvAlice+"#main-key", []string{httpsig.RequestTarget, "host", "digest"})
	})
	g.expect("neither date nor (created) signed", r, http.StatusUnauthorized, "date not signed")
	if g.stored(id) {
		t.Error("undated activity stored")
	}
	// 11 hours old is a queued retry, and accepted.
	id, body = g.activity("Follow", rcvAlice)
	g.expect("11 hours old", g.post("/inbox", body, signedBy(g.alice, body, time.Now().Add(-11*time.Hour))), http.StatusAccepted, "")
}

func TestChecklist04KeyMustBelongToTheActor(t *testing.T) {
	g := newRcvRig(t)
	evil := newRcvEvil(t, g.n)
	// A key of evil.example signs an activity of org-b's alice: refused
	// before evil's key is even fetched.
	id, body := g.activity("Follow", rcvAlice)
	g.expect("foreign key", g.post("/inbox", body, signedBy(evil.signer, body, time.Now())), http.StatusUnauthorized, "does not belong")
	if g.stored(id) || evil.hitCount() != 0 {
		t.Errorf("foreign key: stored %v, %d fetches of evil.example", g.stored(id), evil.hitCount())
	}
	// bob's key signs alice's activity (same host): refused once verified.
	for _, typ := range []string{"Follow", "Announce"} {
		id, body := g.activity(typ, rcvAlice)
		g.expect(typ+" signed by someone else", g.post("/inbox", body, signedBy(g.bob, body, time.Now())), http.StatusUnauthorized, "does not belong")
		if g.stored(id) {
			t.Errorf("%s by another signer stored", typ)
		}
	}
	// alice's activity with an id on evil.example.
	doc := map[string]any{"id": "http://evil.example/activities/1", "type": "Follow", "actor": rcvAlice, "object": rcvGroup}
	body, _ = json.Marshal(doc)
	g.expect("id on another host", g.post("/inbox", body, signedBy(g.alice, body, time.Now())), http.StatusBadRequest, "not on its actor's host")
	if g.stored("http://evil.example/activities/1") {
		t.Error("activity with a foreign id stored")
	}
	// Not an activity at all, or nested too deeply (row 14).
	for name, raw := range map[string]string{
		"not JSON":   "hello",
		"no actor":   `{"id":"http://org-b.test/activities/x","type":"Follow"}`,
		"depth bomb": `{"id":"http://org-b.test/a/1","type":"Note","actor":"` + rcvAlice + `","x":` + strings.Repeat("[", 100000) + strings.Repeat("]", 100000) + `}`,
		"not UTF-8":  "{\"id\":\"http://org-b.test/a/2\",\"type\":\"Note\",\"actor\":\"" + rcvAlice + "\",\"name\":\"\xff\"}",
	} {
		g.expect(name, g.post("/inbox", []byte(raw), signedBy(g.alice, []byte(raw), time.Now())), http.StatusBadRequest, "")
	}
}

func TestChecklist07KeyChangeNeedsAFreshFetch(t *testing.T) {
	g := newRcvRig(t)
	// A knows alice's key after a first delivery.
	id, body := g.activity("Follow", rcvAlice)
	g.expect("first", g.post("/inbox", body, signedBy(g.alice, body, time.Now())), http.StatusAccepted, "")

	// alice rotates her key at her origin: the signature fails against the
	// cached key, one fresh fetch confirms the new key, and it is taken.
	actor, err := g.b.Service.LocalPerson(g.ctx, "alice")
	if err != nil {
		t.Fatal(err)
	}
	priv, pub, err := signing.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	actor.PrivateKeyPEM, actor.PublicKeyPEM = priv, pub
	if err := g.b.Store.UpdateActor(g.ctx, actor); err != nil {
		t.Fatal(err)
	}
	rotated := g.signerOf("alice")
	id, body = g.activity("Like", rcvAlice)
	g.expect("after rotation", g.post("/inbox", body, signedBy(rotated, body, time.Now())), http.StatusAccepted, "")
	if !g.stored(id) {
		t.Fatal("activity signed with the rotated key not stored")
	}
	stored, err := g.a.Service.ActorByIRI(g.ctx, rcvAlice)
	if err != nil || stored.PublicKeyPEM != pub {
		t.Fatalf("rotated key not stored on A: %v", err)
	}
	// The old key no longer works.
	id, body = g.activity("Like", rcvAlice)
	g.expect("old key", g.post("/inbox", body, signedBy(g.alice, body, time.Now())), http.StatusUnauthorized, "signature mismatch")

	// mallory's key is known; someone signs with another key under her key
	// id. Her origin still publishes the old key: the fresh fetch does not
	// confirm the change, so it is refused and nothing changes.
	evil := newRcvEvil(t, g.n)
	mid, mbody := g.activity("Follow", evil.actor)
	g.expect("mallory", g.post("/inbox", mbody, signedBy(evil.signer, mbody, time.Now())), http.StatusAccepted, "")
	if !g.stored(mid) {
		t.Fatal("mallory's activity not stored")
	}
	// Count fetches of her document only: her Follow is now processed and
	// answered, and that Accept POST to her inbox is no key fetch.
	before := evil.hits("/users/mallory")
	thief := newRcvSigner(t, evil.keyID)
	mid, mbody = g.activity("Follow", evil.actor)
	g.expect("unconfirmed key", g.post("/inbox", mbody, signedBy(thief, mbody, time.Now())), http.StatusUnauthorized, "signature mismatch")
	if g.stored(mid) || evil.hits("/users/mallory") != before+1 {
		t.Fatalf("unconfirmed key: stored %v, %d fetches (want one fresh fetch)", g.stored(mid), evil.hits("/users/mallory")-before)
	}
	m, _ := g.a.Service.ActorByIRI(g.ctx, evil.actor)
	if m.PublicKeyPEM != evil.pubPEM {
		t.Fatal("mallory's stored key changed without confirmation")
	}
}

func TestChecklist13BodyOver1MiB(t *testing.T) {
	g := newRcvRig(t)
	id, small := g.activity("Create", rcvAlice)
	var doc map[string]any
	_ = json.Unmarshal(small, &doc)
	doc["content"] = strings.Repeat("x", 1<<20)
	big, _ := json.Marshal(doc)
	g.expect("over 1 MiB", g.post("/inbox", big, signedBy(g.alice, big, time.Now())), http.StatusRequestEntityTooLarge, "")
	// Without Content-Length, the cap holds while reading.
	g.expect("over 1 MiB, chunked", g.post("/inbox", big, func(r *http.Request) {
		signedBy(g.alice, big, time.Now())(r)
		r.ContentLength = -1
		r.Body = io.NopCloser(bytes.NewReader(big))
	}), http.StatusRequestEntityTooLarge, "")
	if g.stored(id) {
		t.Error("over-sized activity stored")
	}
	// A compressed body could hide a bomb: refused.
	id, body := g.activity("Follow", rcvAlice)
	g.expect("gzip", g.post("/inbox", body, func(r *http.Request) {
		signedBy(g.alice, body, time.Now())(r)
		r.Header.Set("Content-Encoding", "gzip")
	}), http.StatusUnsupportedMediaType, "")
	if g.stored(id) {
		t.Error("compressed activity stored")
	}
	// Exactly the cap is fine (in several fields: one string may not
	// exceed 256 KiB).
	doc["id"] = fmt.Sprintf("http://org-b.test/activities/near-cap-%d", time.Now().UnixNano())
	delete(doc, "content")
	for i := range 4 {
		doc["f"+strconv.Itoa(i)] = strings.Repeat("y", 250<<10)
	}
	doc["f4"] = ""
	shell, _ := json.Marshal(doc)
	doc["f4"] = strings.Repeat("y", (1<<20)-len(shell))
	near, _ := json.Marshal(doc)
	if len(near) != 1<<20 {
		t.Fatalf("test body is %d bytes", len(near))
	}
	g.expect("exactly 1 MiB", g.post("/inbox", near, signedBy(g.alice, near, time.Now())), http.StatusAccepted, "")
}

func TestChecklist19SameActivityTwiceAtOnce(t *testing.T) {
	g := newRcvRig(t)
	id, body := g.activity("Follow", rcvAlice)
	const n = 8
	var wg sync.WaitGroup
	statuses := make([]int, n)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			statuses[i] = g.post("/inbox", body, signedBy(g.alice, body, time.Now())).status
		}()
	}
	wg.Wait()
	for i, s := range statuses {
		if s != http.StatusAccepted {
			t.Fatalf("delivery %d: %d", i, s)
		}
	}
	first, err := g.a.Store.GetInboxItemByActivityIRI(g.ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	// One row: a later duplicate finds it rather than adding one.
	if _, created, err := g.a.Service.ReceiveActivity(g.ctx, *first); err != nil || created {
		t.Fatalf("one more duplicate: created %v, %v", created, err)
	}
}

func TestChecklist20FloodGets429ForThatHostOnly(t *testing.T) {
	g := newRcvRig(t)
	// Requests that claim evil.example's key and fail after the rate
	// check (the body is not JSON): cheap enough to outrun 200/s.
	flood := func() rcvResult {
		return g.post("/inbox", []byte("x"), func(r *http.Request) {
			r.Header.Set("Date", time.Now().UTC().Format(http.TimeFormat))
			r.Header.Set("Digest", sha256Digest([]byte("x")))
			r.Header.Set("Signature", `keyId="http://evil.example/users/m#main-key",algorithm="rsa-sha256",headers="(request-target) host date digest",signature="AAAA"`)
		})
	}
	var limited, other atomic.Int64
	var retryAfter atomic.Value
	var wg sync.WaitGroup
	jobs := make(chan struct{})
	for range 32 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range jobs {
				switch r := flood(); r.status {
				case http.StatusTooManyRequests:
					limited.Add(1)
					retryAfter.Store(r.header.Get("Retry-After"))
				case http.StatusBadRequest:
				default:
					other.Add(1)
				}
			}
		}()
	}
	// At least 2,000 requests, and more until one is limited: under the
	// race detector on a busy machine the first 2,000 can take longer
	// than the budget needs to refill (the request rate, not the count,
	// is what the limit is about). A minute bounds it.
	deadline := time.Now().Add(time.Minute)
	for n := 0; n < 2000 || (limited.Load() == 0 && time.Now().Before(deadline)); n++ {
		jobs <- struct{}{}
	}
	close(jobs)
	wg.Wait()
	if limited.Load() == 0 || other.Load() != 0 {
		t.Fatalf("flood: %d answered 429, %d unexpected answers", limited.Load(), other.Load())
	}
	if s, _ := retryAfter.Load().(string); s == "" || s == "0" {
		t.Fatalf("429 without a useful Retry-After: %q", s)
	}
	// org-b.test is not affected.
	id, body := g.activity("Follow", rcvAlice)
	g.expect("other host during the flood", g.post("/inbox", body, signedBy(g.alice, body, time.Now())), http.StatusAccepted, "")
	if !g.stored(id) {
		t.Fatal("other host's activity not stored")
	}
}

func TestReceiveGoneActors(t *testing.T) {
	g := newRcvRig(t)
	evil := newRcvEvil(t, g.n)
	// An actor we never knew deletes itself: 202, nothing stored, nothing
	// fetched (its key is gone with it).
	ghost := "http://evil.example/users/ghost"
	evil.gone("/users/ghost")
	body, _ := json.Marshal(map[string]any{"id": ghost + "#delete", "type": "Delete", "actor": ghost, "object": ghost})
	ghostSigner := newRcvSigner(t, ghost+"#main-key")
	g.expect("unknown self-delete", g.post("/inbox", body, signedBy(ghostSigner, body, time.Now())), http.StatusAccepted, "")
	if g.stored(ghost+"#delete") || evil.hits("/users/ghost") != 0 {
		t.Fatal("self-delete of an unknown actor stored or fetched")
	}

	// mallory is known; then her origin answers 410 and she is marked gone.
	id, b := g.activity("Follow", evil.actor)
	g.expect("mallory", g.post("/inbox", b, signedBy(evil.signer, b, time.Now())), http.StatusAccepted, "")
	if !g.stored(id) {
		t.Fatal("not stored")
	}
	evil.gone("/users/mallory")
	if _, err := g.a.Resolver.RefreshActor(g.ctx, evil.actor); err == nil {
		t.Fatal("refresh of a gone actor succeeded")
	}
	// Her activities are refused …
	id, b = g.activity("Follow", evil.actor)
	g.expect("gone actor", g.post("/inbox", b, signedBy(evil.signer, b, time.Now())), http.StatusUnauthorized, "gone")
	if g.stored(id) {
		t.Fatal("activity of a gone actor stored")
	}
	// … but her self-Delete, signed with the key we hold, is taken.
	del, _ := json.Marshal(map[string]any{"id": evil.actor + "#delete", "type": "Delete", "actor": evil.actor, "object": evil.actor})
	g.expect("self-delete of a gone actor", g.post("/inbox", del, signedBy(evil.signer, del, time.Now())), http.StatusAccepted, "")
	if !g.stored(evil.actor + "#delete") {
		t.Fatal("self-delete not stored")
	}
}

func TestReceiveKeyFetchFailures(t *testing.T) {
	g := newRcvRig(t)
	evil := newRcvEvil(t, g.n)
	// The key's origin is down: 503 and Retry-After, so the sender retries.
	evil.status("/users/mallory", http.StatusServiceUnavailable)
	id, b := g.activity("Follow", evil.actor)
	r := g.post("/inbox", b, signedBy(evil.signer, b, time.Now()))
	g.expect("origin down", r, http.StatusServiceUnavailable, "")
	if r.header.Get("Retry-After") == "" || g.stored(id) {
		t.Fatalf("origin down: Retry-After %q, stored %v", r.header.Get("Retry-After"), g.stored(id))
	}
	// An unknown key (404) is a 401.
	nobody := newRcvSigner(t, "http://evil.example/users/nobody#main-key")
	id, b = g.activity("Follow", "http://evil.example/users/nobody")
	g.expect("unknown key", g.post("/inbox", b, signedBy(nobody, b, time.Now())), http.StatusUnauthorized, "could not be verified")
	if g.stored(id) {
		t.Fatal("activity with an unknown key stored")
	}
}

func TestReceiveDatabaseDownAnswers503(t *testing.T) {
	g := newRcvRig(t)
	id, body := g.activity("Follow", rcvAlice)
	g.expect("first", g.post("/inbox", body, signedBy(g.alice, body, time.Now())), http.StatusAccepted, "")
	if !g.stored(id) {
		t.Fatal("not stored")
	}
	_ = g.a.Store.Close()
	_, body = g.activity("Like", rcvAlice)
	r := g.post("/inbox", body, signedBy(g.alice, body, time.Now()))
	g.expect("database down", r, http.StatusServiceUnavailable, "")
	if r.header.Get("Retry-After") == "" {
		t.Fatal("503 without Retry-After")
	}
}

// slowReceiver is a receiver of org-a.test's that takes 1 request a
// second per host, with a burst of 2, on the clock *now.
func (g *rcvRig) slowReceiver(now *time.Time) (*inbox.Receiver, *echo.Echo) {
	return inbox.NewReceiver(inbox.ReceiverDeps{
		Service: g.a.Service, Resolver: g.a.Resolver, Now: func() time.Time { return *now },
		HostRate: 1, HostBurst: 2,
	}), echo.New()
}

func TestReceiverRateLimitPerHost(t *testing.T) {
	g := newRcvRig(t)
	now := time.Now()
	rc, e := g.slowReceiver(&now)
	try := func(keyHost string) (error, string) {
		req := httptest.NewRequest(http.MethodPost, "http://org-a.test/inbox", strings.NewReader("x"))
		req.Header.Set("Date", now.UTC().Format(http.TimeFormat))
		req.Header.Set("Signature", `keyId="http://`+keyHost+`/k",headers="(request-target) host date digest",signature="AAAA"`)
		rec := httptest.NewRecorder()
		err := rc.Receive(e.NewContext(req, rec))
		return err, rec.Header().Get("Retry-After")
	}
	limited := func(err error) bool { return service.KindOf(err) == service.KindRateLimited }
	for i := range 2 {
		if err, _ := try("a.example"); limited(err) {
			t.Fatalf("request %d within the burst limited", i)
		}
	}
	err, retry := try("a.example")
	if !limited(err) || retry != "1" {
		t.Fatalf("over the burst: %v, Retry-After %q; want 429 after 1 s", err, retry)
	}
	if err, _ := try("b.example"); limited(err) {
		t.Fatal("another host limited")
	}
	now = now.Add(time.Second)
	if err, _ := try("a.example"); limited(err) {
		t.Fatal("not refilled after a second")
	}
	if err, _ := try("a.example"); !limited(err) {
		t.Fatal("refilled more than the rate")
	}
	// Many hosts do not break the limiter (its map is bounded; see
	// receive_internal_test.go).
	for i := range 20000 {
		_, _ = try("h" + strconv.Itoa(i) + ".example")
	}
	if err, _ := try("b.example"); limited(err) {
		t.Fatal("b.example limited after the churn")
	}
}

// rcvEvil is a fake remote server, evil.example, serving one actor,
// mallory, whose private key the test holds.
type rcvEvil struct {
	actor, keyID, pubPEM string
	signer               *signing.Signer
	mu                   sync.Mutex
	hitsByPath           map[string]int
	statusOf             map[string]int
	doc                  []byte
}

func newRcvEvil(t *testing.T, n *testrig.Network) *rcvEvil {
	t.Helper()
	priv, pub, err := signing.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	key, err := signing.ParsePrivateKey(priv)
	if err != nil {
		t.Fatal(err)
	}
	e := &rcvEvil{
		actor: "http://evil.example/users/mallory", keyID: "http://evil.example/users/mallory#main-key", pubPEM: pub,
		hitsByPath: map[string]int{}, statusOf: map[string]int{},
	}
	e.signer = signing.NewSigner(e.keyID, key)
	e.doc, _ = json.Marshal(map[string]any{
		"@context": "https://www.w3.org/ns/activitystreams", "id": e.actor, "type": "Person",
		"preferredUsername": "mallory", "inbox": e.actor + "/inbox",
		"publicKey": map[string]any{"id": e.keyID, "owner": e.actor, "publicKeyPem": pub},
	})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		e.mu.Lock()
		e.hitsByPath[r.URL.Path]++
		status := e.statusOf[r.URL.Path]
		e.mu.Unlock()
		switch {
		case status != 0:
			w.WriteHeader(status)
		case r.URL.Path == "/users/mallory":
			w.Header().Set("Content-Type", "application/activity+json")
			_, _ = w.Write(e.doc)
		default:
			http.NotFound(w, r)
		}
	}))
	t.Cleanup(srv.Close)
	n.Add("evil.example", srv.Listener.Addr().String())
	return e
}

// hitCount is the number of requests evil.example served.
func (e *rcvEvil) hitCount() int {
	e.mu.Lock()
	defer e.mu.Unlock()
	n := 0
	for _, c := range e.hitsByPath {
		n += c
	}
	return n
}

// hits is the number of requests for path.
func (e *rcvEvil) hits(path string) int {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.hitsByPath[path]
}

// status makes path answer code.
func (e *rcvEvil) status(path string, code int) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.statusOf[path] = code
}

// gone makes path answer 410.
func (e *rcvEvil) gone(path string) { e.status(path, http.StatusGone) }

// newRcvSigner signs with a fresh key under keyID.
func newRcvSigner(t *testing.T, keyID string) *signing.Signer {
	t.Helper()
	priv, _, err := signing.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	key, err := signing.ParsePrivateKey(priv)
	if err != nil {
		t.Fatal(err)
	}
	return signing.NewSigner(keyID, key)
}

// Anyone can name a host's keys, so a forged flood naming org-b.test's
// keys spends org-b.test's budget; its real deliveries, verified against
// the key in memory, still pass on its verified budget, which every real
// delivery spends, so that the host never gets more than its rate
// (checklist row 20). Over budget, the usual checks still apply.
func TestChecklist20ForgedFloodDoesNotLockOutTheHostItNames(t *testing.T) {
	g := newRcvRig(t)
	now := time.Now()
	rc, e := g.slowReceiver(&now)
	post := func(body []byte, sign func(*http.Request)) (int, error) {
		req := httptest.NewRequest(http.MethodPost, "http://org-a.test/inbox", bytes.NewReader(body))
		req.Header.Set("Content-Type", "application/activity+json")
		sign(req)
		rec := httptest.NewRecorder()
		err := rc.Receive(e.NewContext(req, rec))
		return rec.Code, err
	}
	real := func() (string, int, error) {
		id, body := g.activity("Follow", rcvAlice)
		code, err := post(body, signedBy(g.alice, body, now))
		return id, code, err
	}
	forged := func() (int, error) {
		return post([]byte("x"), func(r *http.Request) {
			r.Header.Set("Date", now.UTC().Format(http.TimeFormat))
			r.Header.Set("Digest", sha256Digest([]byte("x")))
			r.Header.Set("Signature", `keyId="`+g.alice.KeyID()+`",algorithm="rsa-sha256",headers="(request-target) host date digest",signature="AAAA"`)
		})
	}
	limited := func(err error) bool { return service.KindOf(err) == service.KindRateLimited }
	if _, code, err := real(); err != nil || code != http.StatusAccepted {
		t.Fatalf("first delivery: %d, %v", code, err)
	}
	if _, err := forged(); err == nil || limited(err) {
		t.Fatalf("forged request within the budget: %v, want refused for its signature", err)
	}
	if _, err := forged(); !limited(err) {
		t.Fatalf("forged request over the budget: %v, want 429", err)
	}
	// Over budget, alice's key on bob's activity is still refused, and
	// spends nothing.
	_, bobs := g.activity("Follow", rcvBob)
	if _, err := post(bobs, signedBy(g.alice, bobs, now)); err == nil || limited(err) || service.KindOf(err) == service.KindInvalid {
		t.Fatalf("alice's key on bob's activity over the budget: %v, want refused for its key", err)
	}
	id, code, err := real()
	if err != nil || code != http.StatusAccepted || !g.stored(id) {
		t.Fatalf("real delivery during the forged flood: %d, %v, stored %v; want 202 and stored", code, err, g.stored(id))
	}
	// Two real deliveries in all: the burst, not twice it.
	if _, _, err := real(); !limited(err) {
		t.Fatalf("a third real delivery with a burst of 2: %v, want 429", err)
	}
}

// Moderation from outside is refused with 403 (checklist row 9), and
// each refusal spends the host's budget like any request: a flood of them
// is limited (row 20).
func TestChecklist09ModerationFromOutsideSpendsTheBudget(t *testing.T) {
	g := newRcvRig(t)
	now := time.Now()
	rc, e := g.slowReceiver(&now)
	add := func() error {
		id := fmt.Sprintf("http://org-b.test/activities/add-%d", g.seq.Add(1))
		body, err := json.Marshal(map[string]any{"id": id, "type": "Add", "actor": rcvAlice, "object": rcvAlice, "target": rcvGroup + "/moderators"})
		if err != nil {
			t.Fatal(err)
		}
		req := httptest.NewRequest(http.MethodPost, "http://org-a.test/inbox", bytes.NewReader(body))
		req.Header.Set("Content-Type", "application/activity+json")
		signedBy(g.alice, body, now)(req)
		return rc.Receive(e.NewContext(req, httptest.NewRecorder()))
	}
	for i := range 2 {
		if err := add(); service.KindOf(err) != service.KindForbidden {
			t.Fatalf("Add %d within the burst: %v, want 403", i+1, err)
		}
	}
	for i := range 5 {
		if err := add(); service.KindOf(err) != service.KindRateLimited {
			t.Fatalf("Add %d over the burst: %v, want 429", i+3, err)
		}
	}
}
