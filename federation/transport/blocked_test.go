package transport

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
)

// TestBlockedServersAreNeverReached: a POST, a GET, and a redirect from
// an allowed server to a blocked one all fail with ErrBlockedServer, and
// the blocked server sees no request; other servers are reached as usual.
func TestBlockedServersAreNeverReached(t *testing.T) {
	r := newRig(t)
	var reached atomic.Int64
	r.handle("spam.test", func(w http.ResponseWriter, req *http.Request) {
		reached.Add(1)
		apDoc("http://spam.test"+req.URL.Path, asType)(w, req)
	})
	r.handle("eu.spam.test", func(w http.ResponseWriter, req *http.Request) {
		reached.Add(1)
		w.WriteHeader(http.StatusAccepted)
	})
	r.handle("org-b.test", func(w http.ResponseWriter, req *http.Request) {
		switch req.URL.Path {
		case "/to-spam":
			redirectTo("http://spam.test/users/x")(w, req)
		case "/inbox":
			w.WriteHeader(http.StatusAccepted)
		default:
			apDoc("http://org-b.test"+req.URL.Path, asType)(w, req)
		}
	})
	opts := r.options()
	var asked []string
	opts.Blocked = func(_ context.Context, host string) bool {
		asked = append(asked, host)
		return host == "spam.test" || strings.HasSuffix(host, ".spam.test")
	}
	c := New(opts)
	ctx := context.Background()
	signer := mustSigner(t)

	if err := c.Post(ctx, "http://eu.spam.test/inbox", []byte(`{}`), signer); !errors.Is(err, ErrBlockedServer) {
		t.Errorf("POST to a blocked server: %v, want ErrBlockedServer", err)
	}
	if _, _, err := c.GetActivityPub(ctx, "http://spam.test/users/x", signer); !errors.Is(err, ErrBlockedServer) {
		t.Errorf("GET from a blocked server: %v, want ErrBlockedServer", err)
	}
	if _, _, err := c.GetJSON(ctx, "http://org-b.test/to-spam", "application/json", nil); !errors.Is(err, ErrBlockedServer) {
		t.Errorf("a redirect to a blocked server: %v, want ErrBlockedServer", err)
	}
	if n := reached.Load(); n != 0 {
		t.Fatalf("the blocked server got %d requests", n)
	}
	if err := c.Post(ctx, "http://org-b.test/inbox", []byte(`{}`), signer); err != nil {
		t.Errorf("POST to an allowed server: %v", err)
	}
	if _, _, err := c.GetActivityPub(ctx, "http://org-b.test/users/y", nil); err != nil {
		t.Errorf("GET from an allowed server: %v", err)
	}
	if len(asked) == 0 || asked[0] != "eu.spam.test" {
		t.Errorf("Blocked was asked %q; want the URL's host first", asked)
	}
}
