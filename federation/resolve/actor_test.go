package resolve_test

import (
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/practica-social/practica/federation/resolve"
	"github.com/practica-social/practica/models"
	"github.com/practica-social/practica/service"
)

func TestActorIsFetchedSignedStoredAndReusedWhileFresh(t *testing.T) {
	g := newRig(t)
	rm := newRemote(t, g.n, "remote.example")
	id := rm.base + "/users/ann"
	doc := person(id, "Ann", id+"#main-key", pubPEM(t, 0))
	var signedBy string
	rm.handle("/users/ann", func(w http.ResponseWriter, r *http.Request) {
		signedBy = r.Header.Get("Signature")
		jsonHandler("application/activity+json", doc)(w, r)
	})

	a, err := g.r.Actor(g.ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(signedBy, `keyId="http://org-a.test/actor#main-key"`) {
		t.Errorf("fetch not signed by the instance actor: %q", signedBy)
	}
	if a.IRI != id || a.Host != "remote.example" || a.Username != "Ann" || a.Kind != models.KindPerson ||
		a.InboxURL != id+"/inbox" || a.SharedInboxURL != "http://remote.example/inbox" || a.PublicKeyID != id+"#main-key" {
		t.Fatalf("actor = %+v", a)
	}
	// Fresh: the stored copy serves.
	if _, err := g.r.Actor(g.ctx, id); err != nil || rm.hitCount("/users/ann") != 1 {
		t.Fatalf("second lookup fetched again (%d hits), %v", rm.hitCount("/users/ann"), err)
	}
	// A day later it is fetched again, and changes are taken.
	doc["name"] = "Ann Renamed"
	rm.serveJSON("/users/ann", doc)
	g.clock.Add(25 * time.Hour)
	a, err = g.r.Actor(g.ctx, id)
	if err != nil || rm.hitCount("/users/ann") != 2 || a.Name != "Ann Renamed" {
		t.Fatalf("stale copy: %d hits, %+v, %v", rm.hitCount("/users/ann"), a, err)
	}
	// RefreshActor always fetches.
	if _, err := g.r.RefreshActor(g.ctx, id); err != nil || rm.hitCount("/users/ann") != 3 {
		t.Fatalf("refresh: %d hits, %v", rm.hitCount("/users/ann"), err)
	}
	// Local actors come from the database, unknown local ones are not found.
	local, err := g.r.Actor(g.ctx, "http://org-a.test/actor")
	if err != nil || !local.Local {
		t.Fatalf("instance actor = %+v, %v", local, err)
	}
	if _, err := g.r.Actor(g.ctx, "http://org-a.test/u/nobody"); kindOf(err) != service.KindNotFound {
		t.Fatalf("unknown local actor: %v", err)
	}
}

func TestActorDocumentWithAnotherIDIsRefused(t *testing.T) {
	g := newRig(t)
	rm := newRemote(t, g.n, "remote.example")
	// The document at /users/x claims to be /users/y (checklist row 6).
	rm.serveJSON("/users/x", person(rm.base+"/users/y", "y", rm.base+"/users/y#main-key", pubPEM(t, 0)))
	_, err := g.r.Actor(g.ctx, rm.base+"/users/x")
	if !errors.Is(err, resolve.ErrRefused) || kindOf(err) != service.KindInvalid {
		t.Fatalf("id mismatch: %v, want refused", err)
	}
	for _, iri := range []string{rm.base + "/users/x", rm.base + "/users/y"} {
		if _, err := g.inst.Service.ActorByIRI(g.ctx, iri); kindOf(err) != service.KindNotFound {
			t.Fatalf("%s stored after a refused fetch: %v", iri, err)
		}
	}
	// Nor a document that is not ActivityPub.
	rm.handle("/users/html", jsonHandler("text/html", person(rm.base+"/users/html", "h", rm.base+"/users/html#main-key", pubPEM(t, 0))))
	if _, err := g.r.Actor(g.ctx, rm.base+"/users/html"); !errors.Is(err, resolve.ErrRefused) {
		t.Fatalf("text/html actor: %v, want refused", err)
	}
	// Nor an actor whose key another actor owns: it is stored keyless.
	doc := person(rm.base+"/users/k", "k", rm.base+"/users/k#main-key", pubPEM(t, 0))
	doc["publicKey"].(map[string]any)["owner"] = rm.base + "/users/someone-else"
	rm.serveJSON("/users/k", doc)
	a, err := g.r.Actor(g.ctx, rm.base+"/users/k")
	if err != nil || a.PublicKeyID != "" {
		t.Fatalf("key of another owner taken: %+v, %v", a, err)
	}
}

func TestActorRedirects(t *testing.T) {
	g := newRig(t)
	rm := newRemote(t, g.n, "remote.example")
	other := newRemote(t, g.n, "other.example")
	// Same host: followed, and the actor is what the final URL serves.
	rm.handle("/@ann", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "/users/ann", http.StatusFound)
	})
	rm.serveJSON("/users/ann", person(rm.base+"/users/ann", "ann", rm.base+"/users/ann#main-key", pubPEM(t, 0)))
	a, err := g.r.Actor(g.ctx, rm.base+"/@ann")
	if err != nil || a.IRI != rm.base+"/users/ann" {
		t.Fatalf("same-host redirect = %+v, %v", a, err)
	}
	// Another host: refused, even though that host's document is
	// consistent with itself (checklist row 6).
	rm.handle("/users/bob", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, other.base+"/users/bob", http.StatusFound)
	})
	other.serveJSON("/users/bob", person(other.base+"/users/bob", "bob", other.base+"/users/bob#main-key", pubPEM(t, 1)))
	if _, err := g.r.Actor(g.ctx, rm.base+"/users/bob"); !errors.Is(err, resolve.ErrRefused) {
		t.Fatalf("cross-host redirect: %v, want refused", err)
	}
	if _, err := g.inst.Service.ActorByIRI(g.ctx, other.base+"/users/bob"); kindOf(err) != service.KindNotFound {
		t.Fatalf("the other host's actor was stored: %v", err)
	}
}

func TestActorGoneIsMarkedAndUnreachableOriginServesStaleCopy(t *testing.T) {
	g := newRig(t)
	rm := newRemote(t, g.n, "remote.example")
	id := rm.base + "/users/ann"
	rm.serveJSON("/users/ann", person(id, "ann", id+"#main-key", pubPEM(t, 0)))
	if _, err := g.r.Actor(g.ctx, id); err != nil {
		t.Fatal(err)
	}
	// The origin is down: the stale copy serves, and the failure is
	// remembered for a while so that every lookup does not wait on it.
	rm.handle("/users/ann", func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusBadGateway) })
	g.clock.Add(25 * time.Hour)
	for range 3 {
		a, err := g.r.Actor(g.ctx, id)
		if err != nil || a.IRI != id {
			t.Fatalf("origin down: %+v, %v; want the stale copy", a, err)
		}
	}
	if n := rm.hitCount("/users/ann"); n != 2 {
		t.Fatalf("%d fetches; want one attempt while the failure is remembered", n)
	}
	// A forced refresh says what happened.
	if _, err := g.r.RefreshActor(g.ctx, id); kindOf(err) != service.KindUnavailable || !errors.Is(err, resolve.ErrUnreachable) {
		t.Fatalf("refresh of an unreachable actor: %v", err)
	}
	// 410: gone, marked, and reported as gone while fresh.
	rm.handle("/users/ann", func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusGone) })
	if _, err := g.r.RefreshActor(g.ctx, id); !errors.Is(err, resolve.ErrGone) || kindOf(err) != service.KindNotFound {
		t.Fatalf("410: %v, want gone", err)
	}
	stored, err := g.inst.Service.ActorByIRI(g.ctx, id)
	if err != nil || stored.GoneAt == nil {
		t.Fatalf("not marked gone: %+v, %v", stored, err)
	}
	if _, err := g.r.Actor(g.ctx, id); !errors.Is(err, resolve.ErrGone) {
		t.Fatalf("lookup of a gone actor: %v", err)
	}
	if _, err := g.r.Actor(g.ctx, "ftp://remote.example/x"); kindOf(err) != service.KindInvalid {
		t.Fatalf("non-http id: %v", err)
	}
}
