// Package fedify_test drives an independent ActivityPub implementation —
// a small peer built on Fedify (peer.mjs, @fedify/fedify from npm) —
// against a real Practica instance. Our own code can agree with itself on
// a mistake; Fedify will not.
//
// The network: Practica runs under the name practica.test with
// Protocol "https", as in production, behind a TLS front in this test (a
// byte-for-byte TCP forwarder terminating TLS with a certificate from a
// throw-away CA, which Node trusts through NODE_EXTRA_CA_CERTS). Fedify
// 1.5 always asks WebFinger for acct: over https, so to look up
// @gardening@practica.test honestly we must answer https. The peer serves
// plain http as http://fedify.test. Neither side needs DNS or
// /etc/hosts: our Go client routes fedify.test through testrig.Network,
// and the peer routes practica.test:443 through the same kind of table
// (PEER_ROUTES), in both cases keeping the URL, Host header, TLS name and
// signatures exactly as they would be on the internet — only the TCP
// destination changes.
//
// Requires `npm ci --prefix testrig/fedify` (.ci/setup-extra runs it);
// skipped without it unless PRACTICA_TEST_REQUIRE_SERVICES=1.
package fedify_test

import (
	"bufio"
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"io"
	"math/big"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/practica-social/practica/config"
	"github.com/practica-social/practica/service"
	"github.com/practica-social/practica/testrig"
)

const (
	ourHost    = "practica.test"
	peerHost   = "fedify.test"
	peerOrigin = "http://" + peerHost
	// waitFor polls at most this long for something asynchronous.
	patience = 30 * time.Second
)

func TestFedifyPeerFollowsAndPostsToACommunity(t *testing.T) {
	requirePeerDeps(t)
	ctx := context.Background()

	n := testrig.NewNetwork()
	front := newTLSFront(t, ourHost)
	inst := n.Start(t, ourHost, func(c *config.Config) { c.Protocol = "https" })
	front.forwardTo(inst.Addr)

	alice, err := inst.Service.CreateAccount(ctx, service.NewAccount{
		Username: "alice", Email: "alice@example.org", Password: "correct horse battery",
	})
	if err != nil {
		t.Fatalf("create account: %v", err)
	}
	community, err := inst.Service.CreateCommunity(ctx, service.NewCommunity{
		Handle: "gardening", Name: "Gardening", Summary: "Growing food in small plots.",
		OwnerID: alice.ActorID,
	})
	if err != nil {
		t.Fatalf("create community: %v", err)
	}
	groupIRI := community.Actor.IRI
	if want := "https://" + ourHost + "/c/gardening"; groupIRI != want {
		t.Fatalf("group IRI = %q, want %q (the instance must run as https)", groupIRI, want)
	}

	peer := startPeer(t, n, front)

	step := func(name string, f func(t *testing.T)) {
		if !t.Run(name, f) {
			t.FailNow()
		}
	}

	step("webfinger_and_signed_actor_fetch", func(t *testing.T) {
		var got lookupResult
		peer.call(t, "POST", "/lookup", map[string]string{"handle": "@gardening@" + ourHost}, &got)
		if got.WebFinger.Subject != "acct:gardening@"+ourHost {
			t.Errorf("WebFinger subject = %q, want acct:gardening@%s", got.WebFinger.Subject, ourHost)
		}
		if len(got.Fetched) == 0 {
			t.Errorf("no self link fetched")
		}
		for _, f := range got.Fetched {
			if f.DocumentURL != f.Href || f.ID != f.Href {
				t.Errorf("signed fetch of %s: document URL %q, id %q: both must equal the URL", f.Href, f.DocumentURL, f.ID)
			}
		}
		a := got.Actor
		if a.Type != "Group" || a.ID != groupIRI || a.PreferredUsername != "gardening" {
			t.Errorf("Fedify parsed the actor as %s %q (preferredUsername %q), want Group %q", a.Type, a.ID, a.PreferredUsername, groupIRI)
		}
		for name, u := range map[string]string{"inbox": a.Inbox, "outbox": a.Outbox, "followers": a.Followers} {
			if !strings.HasPrefix(u, "https://"+ourHost+"/") {
				t.Errorf("actor %s = %q, want an https URL on %s", name, u, ourHost)
			}
		}
		if a.PublicKeyID != groupIRI+"#main-key" || a.PublicKeyOwner != groupIRI {
			t.Errorf("public key %q owned by %q, want %s#main-key owned by the group", a.PublicKeyID, a.PublicKeyOwner, groupIRI)
		}
		if got.RoundTrip.ByIDSubject != "acct:gardening@"+ourHost {
			t.Errorf("WebFinger by actor id: subject %q, want acct:gardening@%s", got.RoundTrip.ByIDSubject, ourHost)
		}
		if !contains(got.RoundTrip.ByHandleSelf, groupIRI) {
			t.Errorf("WebFinger of preferredUsername@host: self links %q, want %s among them", got.RoundTrip.ByHandleSelf, groupIRI)
		}
	})

	step("follow_is_accepted", func(t *testing.T) {
		var got struct{ FollowID string }
		peer.call(t, "POST", "/follow", map[string]string{"actor": groupIRI}, &got)
		peer.waitFor(t, "an Accept of "+got.FollowID+" from the group", func(st *peerStatus) bool {
			for _, a := range st.Received {
				if a.Type == "Accept" && a.Actor == groupIRI && (a.ObjectID == got.FollowID || a.Object != nil && a.Object.ID == got.FollowID) {
					return st.Follows[got.FollowID].State == "accepted"
				}
			}
			return false
		})
	})

	step("local_thread_is_announced_to_the_peer", func(t *testing.T) {
		post, err := inst.Service.CreatePost(ctx, service.NewPost{
			AuthorID: alice.ActorID, CommunityID: community.ID,
			Title: "Tomatoes in clay soil", Body: "What works for you? I am trying *compost* and mulch.",
		})
		if err != nil {
			t.Fatalf("create post: %v", err)
		}
		peer.waitFor(t, "Announce{Create{"+post.IRI+"}} and Announce{"+post.IRI+"} from the group", func(st *peerStatus) bool {
			return hasAnnounceOfCreate(st, groupIRI, post.IRI) && hasBoost(st, groupIRI, post.IRI)
		})
	})

	step("peer_post_is_stored_and_announced_back", func(t *testing.T) {
		var got struct{ NoteID, CreateID string }
		peer.call(t, "POST", "/post", map[string]string{
			"group": groupIRI,
			"text":  "Raised beds solved it for me: clay stays below, roots stay dry.",
		}, &got)
		waitUntil(t, "our side to store "+got.NoteID+" as a thread of the community", func() (bool, string) {
			threads, err := inst.Service.Threads(ctx, community, service.Viewer{}, 0, 20)
			if err != nil {
				return false, err.Error()
			}
			var iris []string
			for _, p := range threads {
				if p.IRI != got.NoteID {
					iris = append(iris, p.IRI)
					continue
				}
				author, err := inst.Service.ActorByIRI(ctx, peerOrigin+"/users/peer")
				if err != nil {
					return false, "stored, but its author is unknown: " + err.Error()
				}
				if p.AuthorID != author.ID || p.Local {
					return false, fmt.Sprintf("stored with author %d (local %v), want the peer's actor %d", p.AuthorID, p.Local, author.ID)
				}
				return true, ""
			}
			return false, fmt.Sprintf("threads: %q", iris)
		})
		peer.waitFor(t, "Announce{Create{"+got.NoteID+"}} and Announce{"+got.NoteID+"} from the group", func(st *peerStatus) bool {
			return hasAnnounceOfCreate(st, groupIRI, got.NoteID) && hasBoost(st, groupIRI, got.NoteID)
		})
	})
}

// requirePeerDeps skips the test when the peer's npm packages or node are
// missing, unless the environment demands every service.
func requirePeerDeps(t *testing.T) {
	t.Helper()
	var missing string
	if _, err := os.Stat(filepath.Join("node_modules", "@fedify", "fedify", "package.json")); err != nil {
		missing = "testrig/fedify/node_modules is missing (run `npm ci --prefix testrig/fedify`, as .ci/setup-extra does)"
	} else if _, err := exec.LookPath("node"); err != nil {
		missing = "node is not on PATH"
	}
	if missing == "" {
		return
	}
	if os.Getenv(testrig.EnvRequireServices) == "1" {
		t.Fatalf("%s, but %s=1", missing, testrig.EnvRequireServices)
	}
	t.Skipf("Fedify peer unavailable: %s", missing)
}

// ---------------------------------------------------------------- peer

// peer is the running node process and its control API.
type peer struct {
	control string
	client  *http.Client
}

// lookupResult is the control API's answer to POST /lookup.
type lookupResult struct {
	WebFinger struct {
		Subject string
		Links   []struct{ Rel, Type, Href string }
	}
	Fetched []struct {
		Href, DocumentURL, ID, Type string
	}
	Actor struct {
		Type, ID, PreferredUsername, Name          string
		Inbox, Outbox, Followers, SharedInbox, URL string
		PublicKeyID, PublicKeyOwner                string
		ManuallyApprovesFollowers                  *bool
	}
	RoundTrip struct {
		ByIDSubject  string
		ByHandleSelf []string
	}
}

// asObject is how the peer describes what it received (nested up to two
// levels, each level parsed — and, for IRIs, fetched — by Fedify).
type asObject struct {
	Type, ID, Actor, AttributedTo, Name, Content string
	ObjectID                                     string
	ObjectError                                  string
	Object                                       *asObject
	To, Cc                                       []string
}

type peerStatus struct {
	Received []asObject
	Requests []struct {
		Method, Path, Host, KeyID string
		Status                    int
		Response                  string
	}
	Errors  []string
	Follows map[string]struct{ Target, State string }
}

func hasAnnounceOfCreate(st *peerStatus, group, object string) bool {
	for _, a := range st.Received {
		if a.Type == "Announce" && a.Actor == group && a.Object != nil && a.Object.Type == "Create" &&
			a.Object.Object != nil && a.Object.Object.ID == object {
			return true
		}
	}
	return false
}

func hasBoost(st *peerStatus, group, object string) bool {
	for _, a := range st.Received {
		if a.Type == "Announce" && a.Actor == group && a.ObjectID == object && a.Object != nil && a.Object.ID == object {
			return true
		}
	}
	return false
}

// startPeer runs peer.mjs, waits until it listens, and adds it to the
// network. It is killed at cleanup; its log is printed if the test failed.
func startPeer(t *testing.T, n *testrig.Network, front *tlsFront) *peer {
	t.Helper()
	routes, _ := json.Marshal(map[string]string{ourHost + ":443": front.addr()})
	cmd := exec.Command("node", "peer.mjs")
	cmd.Env = append(os.Environ(),
		"NODE_EXTRA_CA_CERTS="+front.caFile,
		"PEER_ORIGIN="+peerOrigin,
		"PEER_ROUTES="+string(routes),
	)
	logs := &testrig.SyncBuffer{}
	cmd.Stderr = logs
	stdin, err := cmd.StdinPipe() // closing it tells the peer to exit
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatalf("start node peer.mjs: %v", err)
	}
	p := &peer{client: &http.Client{Timeout: 2 * patience}}
	t.Cleanup(func() {
		if t.Failed() {
			if st, err := p.status(); err == nil {
				b, _ := json.MarshalIndent(st, "", "  ")
				t.Logf("peer status:\n%s", b)
			}
		}
		_ = stdin.Close()
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		if t.Failed() {
			t.Logf("peer log:\n%s", logs.String())
		}
	})

	type ready struct {
		Event         string
		Port, Control int
	}
	readyc := make(chan ready, 1)
	errc := make(chan error, 1)
	go func() {
		r := bufio.NewReader(stdout)
		line, err := r.ReadBytes('\n')
		if err != nil {
			errc <- fmt.Errorf("peer exited before it was ready: %v", err)
			return
		}
		var rd ready
		if err := json.Unmarshal(line, &rd); err != nil || rd.Event != "ready" {
			errc <- fmt.Errorf("peer said %q, want a ready line", line)
			return
		}
		readyc <- rd
		_, _ = io.Copy(logs, r)
	}()
	select {
	case rd := <-readyc:
		n.Add(peerHost, fmt.Sprintf("127.0.0.1:%d", rd.Port))
		p.control = fmt.Sprintf("http://127.0.0.1:%d", rd.Control)
	case err := <-errc:
		t.Fatal(err)
	case <-time.After(patience):
		t.Fatalf("peer not ready after %v", patience)
	}
	return p
}

// call invokes a control endpoint and decodes its JSON answer into out.
func (p *peer) call(t *testing.T, method, path string, in, out any) {
	t.Helper()
	if err := p.do(method, path, in, out); err != nil {
		t.Fatalf("peer %s %s: %v", method, path, err)
	}
}

func (p *peer) do(method, path string, in, out any) error {
	var body io.Reader
	if in != nil {
		b, err := json.Marshal(in)
		if err != nil {
			return err
		}
		body = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, p.control+path, body)
	if err != nil {
		return err
	}
	resp, err := p.client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return err
	}
	if resp.StatusCode != http.StatusOK {
		var e struct{ Error string }
		_ = json.Unmarshal(b, &e)
		if e.Error == "" {
			e.Error = string(b)
		}
		return fmt.Errorf("status %d: %s", resp.StatusCode, e.Error)
	}
	return json.Unmarshal(b, out)
}

func (p *peer) status() (*peerStatus, error) {
	var st peerStatus
	err := p.do("GET", "/status", nil, &st)
	return &st, err
}

// waitFor polls the peer's status until ok holds, for at most patience.
func (p *peer) waitFor(t *testing.T, what string, ok func(*peerStatus) bool) {
	t.Helper()
	waitUntil(t, what, func() (bool, string) {
		st, err := p.status()
		if err != nil {
			return false, err.Error()
		}
		if ok(st) {
			return true, ""
		}
		var seen []string
		for _, a := range st.Received {
			s := a.Type + " " + a.ID
			if a.Object != nil {
				s += " of " + a.Object.Type + " " + a.Object.ID
			} else if a.ObjectID != "" {
				s += " of " + a.ObjectID
			}
			seen = append(seen, s)
		}
		var refused []string
		for _, r := range st.Requests {
			if r.Status >= 400 {
				refused = append(refused, fmt.Sprintf("%s %s -> %d %s", r.Method, r.Path, r.Status, strings.TrimSpace(r.Response)))
			}
		}
		return false, fmt.Sprintf("received %q; requests the peer refused %q; inbox errors %q", seen, refused, st.Errors)
	})
}

// waitUntil polls cond every 100 ms until it holds or patience runs out.
func waitUntil(t *testing.T, what string, cond func() (bool, string)) {
	t.Helper()
	deadline := time.Now().Add(patience)
	for {
		ok, state := cond()
		if ok {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("gave up after %v waiting for %s; last state: %s", patience, what, state)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// ------------------------------------------------------------ TLS front

// tlsFront terminates TLS for host with a certificate from a throw-away CA
// and forwards the plain bytes to the instance's listener, unchanged: the
// instance sees exactly the HTTP requests Fedify sent.
type tlsFront struct {
	l      net.Listener
	caFile string

	mu     sync.Mutex
	target string
	conns  map[net.Conn]struct{}
	closed bool
}

func newTLSFront(t *testing.T, host string) *tlsFront {
	t.Helper()
	caPEM, cert := testCertificate(t, host)
	caFile := filepath.Join(t.TempDir(), "ca.pem")
	if err := os.WriteFile(caFile, caPEM, 0o600); err != nil {
		t.Fatal(err)
	}
	l, err := tls.Listen("tcp", "127.0.0.1:0", &tls.Config{
		Certificates: []tls.Certificate{cert},
		MinVersion:   tls.VersionTLS12,
		NextProtos:   []string{"http/1.1"},
	})
	if err != nil {
		t.Fatal(err)
	}
	f := &tlsFront{l: l, caFile: caFile, conns: map[net.Conn]struct{}{}}
	go f.serve()
	t.Cleanup(f.close)
	return f
}

func (f *tlsFront) addr() string { return f.l.Addr().String() }

func (f *tlsFront) forwardTo(addr string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.target = addr
}

func (f *tlsFront) track(c net.Conn) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.closed {
		return false
	}
	f.conns[c] = struct{}{}
	return true
}

func (f *tlsFront) untrack(c net.Conn) {
	f.mu.Lock()
	defer f.mu.Unlock()
	delete(f.conns, c)
}

func (f *tlsFront) serve() {
	for {
		c, err := f.l.Accept()
		if err != nil {
			return
		}
		go f.forward(c)
	}
}

func (f *tlsFront) forward(c net.Conn) {
	defer c.Close()
	f.mu.Lock()
	target := f.target
	f.mu.Unlock()
	if target == "" {
		return
	}
	up, err := net.DialTimeout("tcp", target, 5*time.Second)
	if err != nil {
		return
	}
	defer up.Close()
	if !f.track(c) || !f.track(up) {
		return
	}
	defer f.untrack(c)
	defer f.untrack(up)
	done := make(chan struct{}, 2)
	go func() { _, _ = io.Copy(up, c); closeWrite(up); done <- struct{}{} }()
	go func() { _, _ = io.Copy(c, up); closeWrite(c); done <- struct{}{} }()
	<-done
	<-done
}

func closeWrite(c net.Conn) {
	switch c := c.(type) {
	case *net.TCPConn:
		_ = c.CloseWrite()
	case *tls.Conn:
		_ = c.CloseWrite()
	}
}

func (f *tlsFront) close() {
	_ = f.l.Close()
	f.mu.Lock()
	defer f.mu.Unlock()
	f.closed = true
	for c := range f.conns {
		_ = c.Close()
	}
}

// testCertificate makes a CA and a server certificate for host signed by
// it; it returns the CA in PEM and the server's key pair.
func testCertificate(t *testing.T, host string) ([]byte, tls.Certificate) {
	t.Helper()
	now := time.Now()
	caKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	caTmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: "Practica test CA"},
		NotBefore:             now.Add(-time.Hour),
		NotAfter:              now.Add(24 * time.Hour),
		IsCA:                  true,
		BasicConstraintsValid: true,
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageCRLSign,
	}
	caDER, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, &caKey.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	ca, err := x509.ParseCertificate(caDER)
	if err != nil {
		t.Fatal(err)
	}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(2),
		Subject:      pkix.Name{CommonName: host},
		DNSNames:     []string{host},
		NotBefore:    now.Add(-time.Hour),
		NotAfter:     now.Add(24 * time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca, &key.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: caDER}),
		tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}
}
