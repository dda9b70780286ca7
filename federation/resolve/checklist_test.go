package resolve_test

import (
	"context"
	"errors"
	"net/http"
	"testing"

	"github.com/practica-social/practica/federation/resolve"
	"github.com/practica-social/practica/service"
)

// TestChecklist06FetchTrustsOnlyTheFinalURLAndActivityPubTypes: for every
// kind of fetch (actor, key, object), a document whose id is another URL, a
// redirect to another host, or an answer that is not an ActivityPub media
// type is refused and nothing is stored; a same-host redirect is followed
// and the document is trusted for the final URL only.
func TestChecklist06FetchTrustsOnlyTheFinalURLAndActivityPubTypes(t *testing.T) {
	g := newRig(t)
	rm := newRemote(t, g.n, "remote.example")
	other := newRemote(t, g.n, "other.example")
	pem := pubPEM(t, 0)
	note := func(id string) map[string]any {
		return map[string]any{"id": id, "type": "Note", "attributedTo": rm.base + "/users/ann", "content": "hi"}
	}
	// Documents other.example serves consistently about itself.
	other.serveJSON("/users/eve", person(other.base+"/users/eve", "eve", other.base+"/users/eve#main-key", pem))
	other.serveJSON("/notes/1", note(other.base+"/notes/1"))

	fetches := map[string]func(iri string) error{
		"actor":  func(iri string) error { _, err := g.r.Actor(g.ctx, iri); return err },
		"key":    func(iri string) error { _, err := g.r.Key(g.ctx, iri+"#main-key"); return err },
		"object": func(iri string) error { _, err := g.r.Object(g.ctx, iri); return err },
	}
	docFor := func(kind, id string) map[string]any {
		if kind == "object" {
			return note(id)
		}
		return person(id, "x", id+"#main-key", pem)
	}
	for kind, fetch := range fetches {
		// GET of X answers a document whose id is Y on another host.
		x := "/" + kind + "/claims-other"
		rm.serveJSON(x, docFor(kind, other.base+"/users/eve"))
		// A redirect to another host, whose document is consistent there.
		r := "/" + kind + "/redirected"
		target := other.base + "/users/eve"
		if kind == "object" {
			target = other.base + "/notes/1"
		}
		rm.handle(r, func(w http.ResponseWriter, req *http.Request) { http.Redirect(w, req, target, http.StatusFound) })
		// Not an ActivityPub media type, though the document is right.
		for _, ct := range []string{"text/html; charset=utf-8", "application/json", "application/ld+json"} {
			p := "/" + kind + "/typed-" + ct[:9]
			rm.handle(p, jsonHandler(ct, docFor(kind, rm.base+p)))
			if err := fetch(rm.base + p); !errors.Is(err, resolve.ErrRefused) || kindOf(err) != service.KindInvalid {
				t.Errorf("%s served as %q: %v; want refused", kind, ct, err)
			}
		}
		if err := fetch(rm.base + x); !errors.Is(err, resolve.ErrRefused) {
			t.Errorf("%s whose id is on another host: %v; want refused", kind, err)
		}
		if err := fetch(rm.base + r); !errors.Is(err, resolve.ErrRefused) {
			t.Errorf("%s redirected to another host: %v; want refused", kind, err)
		}
	}
	// None of the refused documents left an actor behind.
	for _, iri := range []string{other.base + "/users/eve", rm.base + "/actor/claims-other", rm.base + "/key/claims-other", rm.base + "/actor/redirected"} {
		if _, err := g.inst.Service.ActorByIRI(g.ctx, iri); kindOf(err) != service.KindNotFound {
			t.Errorf("%s stored after a refused fetch: %v", iri, err)
		}
	}

	// A same-host redirect is followed, and the document is trusted for the
	// final URL only: the actor is stored under its own id.
	rm.serveJSON("/users/ann", person(rm.base+"/users/ann", "ann", rm.base+"/users/ann#main-key", pem))
	rm.handle("/@ann", func(w http.ResponseWriter, req *http.Request) {
		http.Redirect(w, req, "/users/ann", http.StatusMovedPermanently)
	})
	a, err := g.r.Actor(g.ctx, rm.base+"/@ann")
	if err != nil || a.IRI != rm.base+"/users/ann" {
		t.Fatalf("same-host redirect: %+v, %v", a, err)
	}
	if _, err := g.inst.Service.ActorByIRI(g.ctx, rm.base+"/@ann"); kindOf(err) != service.KindNotFound {
		t.Errorf("the pre-redirect URL was stored as an actor: %v", err)
	}
	// application/ld+json with the ActivityStreams profile is ActivityPub.
	rm.handle("/notes/ld", jsonHandler(`application/ld+json; profile="https://www.w3.org/ns/activitystreams"`, note(rm.base+"/notes/ld")))
	if m, err := g.r.Object(context.Background(), rm.base+"/notes/ld"); err != nil || m["content"] != "hi" {
		t.Fatalf("ld+json with the AS profile: %v, %v", m, err)
	}
}
