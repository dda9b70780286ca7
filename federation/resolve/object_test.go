package resolve_test

import (
	"errors"
	"net/http"
	"strings"
	"testing"

	"github.com/practica-social/practica/federation/resolve"
	"github.com/practica-social/practica/service"
)

func TestObjectIsTrustedOnlyFromItsOrigin(t *testing.T) {
	g := newRig(t)
	rm := newRemote(t, g.n, "remote.example")
	note := map[string]any{"id": rm.base + "/notes/1", "type": "Note", "attributedTo": rm.base + "/users/ann", "content": "hi"}
	rm.serveJSON("/notes/1", note)
	m, err := g.r.Object(g.ctx, rm.base+"/notes/1")
	if err != nil || m["content"] != "hi" {
		t.Fatalf("object = %v, %v", m, err)
	}
	// A document at one URL that claims another id (rows 5, 6, 10).
	rm.serveJSON("/notes/2", note)
	if _, err := g.r.Object(g.ctx, rm.base+"/notes/2"); !errors.Is(err, resolve.ErrRefused) {
		t.Fatalf("id mismatch: %v", err)
	}
	// Redirected to another host whose document is consistent with
	// itself: still not remote.example's object.
	other := newRemote(t, g.n, "other.example")
	other.serveJSON("/notes/r", map[string]any{"id": other.base + "/notes/r", "type": "Note"})
	rm.handle("/notes/r", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, other.base+"/notes/r", http.StatusFound)
	})
	if _, err := g.r.Object(g.ctx, rm.base+"/notes/r"); !errors.Is(err, resolve.ErrRefused) {
		t.Fatalf("cross-host redirect: %v", err)
	}
	// Deleted: gone, so a handler can take it as a tombstone.
	rm.handle("/notes/3", func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusGone) })
	if _, err := g.r.Object(g.ctx, rm.base+"/notes/3"); !errors.Is(err, resolve.ErrGone) {
		t.Fatalf("410: %v", err)
	}
	// Nested too deeply (row 14).
	deep := `{"id":"` + rm.base + `/notes/4","type":"Note","x":` + strings.Repeat("[", 100) + strings.Repeat("]", 100) + `}`
	rm.handle("/notes/4", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/activity+json")
		_, _ = w.Write([]byte(deep))
	})
	if _, err := g.r.Object(g.ctx, rm.base+"/notes/4"); !errors.Is(err, resolve.ErrRefused) {
		t.Fatalf("depth bomb: %v", err)
	}
	if _, err := g.r.Object(g.ctx, "http://org-a.test/objects/1"); kindOf(err) != service.KindInvalid {
		t.Fatalf("local object: %v", err)
	}
	// An origin that is down may come back: not final.
	rm.handle("/notes/5", func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusServiceUnavailable) })
	if _, err := g.r.Object(g.ctx, rm.base+"/notes/5"); kindOf(err) != service.KindUnavailable {
		t.Fatalf("503: %v", err)
	}
}
