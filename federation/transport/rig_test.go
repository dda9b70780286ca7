package transport

import (
	"context"
	"crypto"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/practica-social/practica/federation/signing"
)

// rig is one loopback HTTP server standing in for several fediverse hosts
// ("org-a.test", "org-b.test", …): the client resolves every *.test name to
// 127.0.0.1 and dials the server's port, and the server dispatches on Host.
type rig struct {
	srv   *httptest.Server
	port  string
	mu    sync.Mutex
	hosts map[string]http.Handler
	// conns counts connections the server accepted.
	conns atomic.Int64
}

// newRig starts the server and stops it at the end of the test.
func newRig(t *testing.T) *rig {
	t.Helper()
	r := &rig{hosts: map[string]http.Handler{}}
	r.srv = httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		host, _, err := net.SplitHostPort(req.Host)
		if err != nil {
			host = req.Host
		}
		r.mu.Lock()
		h, ok := r.hosts[host]
		r.mu.Unlock()
		if !ok {
			http.Error(w, "unknown host "+host, http.StatusMisdirectedRequest)
			return
		}
		h.ServeHTTP(w, req)
	}))
	r.srv.Config.ConnState = func(_ net.Conn, s http.ConnState) {
		if s == http.StateNew {
			r.conns.Add(1)
		}
	}
	r.srv.Start()
	t.Cleanup(r.srv.Close)
	_, r.port, _ = net.SplitHostPort(r.srv.Listener.Addr().String())
	return r
}

// handle serves host with h.
func (r *rig) handle(host string, h http.HandlerFunc) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.hosts[host] = h
}

// options returns Options that reach the rig: *.test names resolve to
// 127.0.0.1, which is allowed, and port 80 maps to the server's port.
func (r *rig) options() Options {
	return Options{
		UserAgent:    "Practica/test (+http://org-a.test)",
		AllowPrivate: []netip.Prefix{netip.MustParsePrefix("127.0.0.1/32")},
		Resolve:      testResolver(map[string]string{}),
		PortOverride: func(hostport string) (string, bool) {
			if strings.HasSuffix(hostport, ".test:80") {
				return r.port, true
			}
			return "", false
		},
	}
}

// testResolver resolves names in m, and any other *.test name to 127.0.0.1.
func testResolver(m map[string]string) func(context.Context, string) ([]netip.Addr, error) {
	return func(_ context.Context, host string) ([]netip.Addr, error) {
		if ip, ok := m[host]; ok {
			return []netip.Addr{netip.MustParseAddr(ip)}, nil
		}
		if strings.HasSuffix(host, ".test") {
			return []netip.Addr{netip.MustParseAddr("127.0.0.1")}, nil
		}
		return nil, fmt.Errorf("no such host %q", host)
	}
}

// apDoc serves a JSON document with the given id and content type.
func apDoc(id, contentType string) http.HandlerFunc {
	return func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", contentType)
		fmt.Fprintf(w, `{"@context":"https://www.w3.org/ns/activitystreams","id":%q,"type":"Group"}`, id)
	}
}

// redirectTo answers with a 302 to target.
func redirectTo(target string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, target, http.StatusFound)
	}
}

// newTestSigner makes a fresh key and a Signer, and returns the public key.
func newTestSigner(t *testing.T, keyID string) (*signing.Signer, crypto.PublicKey) {
	t.Helper()
	privPEM, pubPEM, err := signing.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	priv, err := signing.ParsePrivateKey(privPEM)
	if err != nil {
		t.Fatal(err)
	}
	pub, err := signing.ParsePublicKey(pubPEM)
	if err != nil {
		t.Fatal(err)
	}
	return signing.NewSigner(keyID, priv), pub
}

// mustSigner returns a Signer with a fresh key.
func mustSigner(t *testing.T) *signing.Signer {
	t.Helper()
	s, _ := newTestSigner(t, "http://org-a.test/actor#main-key")
	return s
}
