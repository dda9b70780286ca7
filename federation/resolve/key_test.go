package resolve_test

import (
	"crypto/rsa"
	"errors"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/practica-social/practica/federation/resolve"
	"github.com/practica-social/practica/federation/signing"
	"github.com/practica-social/practica/service"
)

// sameKey reports whether a parsed key is the PEM's.
func sameKey(t *testing.T, k *resolve.Key, pem string) bool {
	t.Helper()
	want, err := signing.ParsePublicKey(pem)
	if err != nil {
		t.Fatal(err)
	}
	return k.Public.(*rsa.PublicKey).Equal(want)
}

func TestKeyOfMastodonActorIsCached(t *testing.T) {
	g := newRig(t)
	rm := newRemote(t, g.n, "remote.example")
	id := rm.base + "/users/ann"
	rm.serveJSON("/users/ann", person(id, "ann", id+"#main-key", pubPEM(t, 0)))

	k, err := g.r.Key(g.ctx, id+"#main-key")
	if err != nil {
		t.Fatal(err)
	}
	if !k.Fresh || k.Owner.IRI != id || k.ID != id+"#main-key" || !sameKey(t, k, pubPEM(t, 0)) {
		t.Fatalf("key = %+v", k)
	}
	for range 5 {
		k, err = g.r.Key(g.ctx, id+"#main-key")
		if err != nil || k.Fresh || k.Owner.IRI != id {
			t.Fatalf("cached key = %+v, %v", k, err)
		}
	}
	if n := rm.hitCount("/users/ann"); n != 1 {
		t.Fatalf("%d fetches for one key", n)
	}
	a, err := g.r.ActorByKeyID(g.ctx, id+"#main-key")
	if err != nil || a.IRI != id {
		t.Fatalf("ActorByKeyID = %+v, %v", a, err)
	}
	// A key id the actor does not publish is refused.
	if _, err := g.r.Key(g.ctx, id+"#other-key"); !errors.Is(err, resolve.ErrRefused) {
		t.Fatalf("unpublished key: %v", err)
	}
}

func TestKeyDocumentWithOwner(t *testing.T) {
	g := newRig(t)
	rm := newRemote(t, g.n, "remote.example")
	id, keyID := rm.base+"/users/kim", rm.base+"/users/kim/main-key"
	rm.serveJSON("/users/kim", person(id, "kim", keyID, pubPEM(t, 1)))
	rm.serveJSON("/users/kim/main-key", map[string]any{
		"@context": "https://w3id.org/security/v1", "id": keyID, "type": "Key", "owner": id, "publicKeyPem": pubPEM(t, 1),
	})
	k, err := g.r.Key(g.ctx, keyID)
	if err != nil || k.Owner.IRI != id || !sameKey(t, k, pubPEM(t, 1)) {
		t.Fatalf("key document = %+v, %v", k, err)
	}

	// A key document naming an owner that does not publish the key.
	liar := rm.base + "/users/liar/main-key"
	rm.serveJSON("/users/liar/main-key", map[string]any{"id": liar, "type": "Key", "owner": id, "publicKeyPem": pubPEM(t, 2)})
	if _, err := g.r.Key(g.ctx, liar); !errors.Is(err, resolve.ErrRefused) {
		t.Fatalf("key of an owner who does not list it: %v", err)
	}
	// A key document whose owner is on another host.
	other := newRemote(t, g.n, "other.example")
	other.serveJSON("/users/o", person(other.base+"/users/o", "o", rm.base+"/keys/o", pubPEM(t, 2)))
	rm.serveJSON("/keys/o", map[string]any{"id": rm.base + "/keys/o", "type": "Key", "owner": other.base + "/users/o", "publicKeyPem": pubPEM(t, 2)})
	if _, err := g.r.Key(g.ctx, rm.base+"/keys/o"); !errors.Is(err, resolve.ErrRefused) {
		t.Fatalf("key owned across hosts: %v", err)
	}
	if other.hitCount("/users/o") != 0 {
		t.Fatal("the other host was asked about a key it does not serve")
	}
	// A key document without owner.
	rm.serveJSON("/keys/orphan", map[string]any{"id": rm.base + "/keys/orphan", "type": "Key", "publicKeyPem": pubPEM(t, 2)})
	if _, err := g.r.Key(g.ctx, rm.base+"/keys/orphan"); !errors.Is(err, resolve.ErrRefused) {
		t.Fatalf("orphan key: %v", err)
	}
}

func TestKeyStubUnderAnotherID(t *testing.T) {
	// GoToSocial serves, at its key path, a stub of the actor with the
	// actor's id: the actor is then fetched from its own id.
	g := newRig(t)
	rm := newRemote(t, g.n, "gts.example")
	id, keyID := rm.base+"/users/gus", rm.base+"/users/gus/main-key"
	rm.serveJSON("/users/gus", person(id, "gus", keyID, pubPEM(t, 0)))
	rm.serveJSON("/users/gus/main-key", map[string]any{"id": id, "type": "Person", "publicKey": map[string]any{"id": keyID, "owner": id, "publicKeyPem": pubPEM(t, 2)}})
	k, err := g.r.Key(g.ctx, keyID)
	if err != nil || k.Owner.IRI != id {
		t.Fatalf("stub = %+v, %v", k, err)
	}
	// The key is the one the actor's own document publishes, not the stub's.
	if !sameKey(t, k, pubPEM(t, 0)) {
		t.Fatal("key taken from the stub")
	}
	// A stub pointing to another host is refused.
	other := newRemote(t, g.n, "other.example")
	other.serveJSON("/users/x", person(other.base+"/users/x", "x", rm.base+"/users/x/main-key", pubPEM(t, 0)))
	rm.serveJSON("/users/x/main-key", map[string]any{"id": other.base + "/users/x", "type": "Person"})
	if _, err := g.r.Key(g.ctx, rm.base+"/users/x/main-key"); !errors.Is(err, resolve.ErrRefused) {
		t.Fatalf("stub to another host: %v", err)
	}
}

func TestKeyRotationIsSeenOnlyThroughAFreshFetch(t *testing.T) {
	g := newRig(t)
	rm := newRemote(t, g.n, "remote.example")
	id := rm.base + "/users/ann"
	rm.serveJSON("/users/ann", person(id, "ann", id+"#main-key", pubPEM(t, 0)))
	if _, err := g.r.Key(g.ctx, id+"#main-key"); err != nil {
		t.Fatal(err)
	}
	// The actor rotates its key: the cache and the database still hold the
	// old one until somebody asks for a fresh fetch.
	rm.serveJSON("/users/ann", person(id, "ann", id+"#main-key", pubPEM(t, 1)))
	k, err := g.r.Key(g.ctx, id+"#main-key")
	if err != nil || !sameKey(t, k, pubPEM(t, 0)) {
		t.Fatalf("key changed without a fetch: %v", err)
	}
	k, err = g.r.RefreshKey(g.ctx, id+"#main-key")
	if err != nil || !k.Fresh || !sameKey(t, k, pubPEM(t, 1)) {
		t.Fatalf("refresh = %+v, %v", k, err)
	}
	k, err = g.r.Key(g.ctx, id+"#main-key")
	if err != nil || !sameKey(t, k, pubPEM(t, 1)) {
		t.Fatalf("after refresh = %v", err)
	}
	stored, _ := g.inst.Service.ActorByIRI(g.ctx, id)
	if stored.PublicKeyPEM != pubPEM(t, 1) {
		t.Fatal("new key not stored")
	}
	// A new key id replaces the old one, which then resolves no more.
	rm.serveJSON("/users/ann", person(id, "ann", id+"#key-2", pubPEM(t, 2)))
	if _, err := g.r.RefreshKey(g.ctx, id+"#main-key"); !errors.Is(err, resolve.ErrRefused) {
		t.Fatalf("old key id after its replacement: %v", err)
	}
	if k, err := g.r.Key(g.ctx, id+"#key-2"); err != nil || !sameKey(t, k, pubPEM(t, 2)) {
		t.Fatalf("new key id: %v", err)
	}
}

func TestKeyFailuresAreRememberedAndFetchesShared(t *testing.T) {
	g := newRig(t)
	rm := newRemote(t, g.n, "remote.example")
	missing := rm.base + "/users/nobody#main-key"
	for range 3 {
		if _, err := g.r.Key(g.ctx, missing); kindOf(err) != service.KindNotFound {
			t.Fatalf("unknown key: %v, want not found", err)
		}
	}
	if n := rm.hitCount("/users/nobody"); n != 1 {
		t.Fatalf("%d fetches of a missing key; the failure must be remembered", n)
	}
	g.clock.Add(2 * time.Minute)
	_, _ = g.r.Key(g.ctx, missing)
	if n := rm.hitCount("/users/nobody"); n != 2 {
		t.Fatalf("%d fetches; the failure must be forgotten after a while", n)
	}

	// Concurrent requests naming one unknown key share one fetch.
	id := rm.base + "/users/slow"
	doc := person(id, "slow", id+"#main-key", pubPEM(t, 0))
	rm.handle("/users/slow", func(w http.ResponseWriter, r *http.Request) {
		time.Sleep(200 * time.Millisecond)
		jsonHandler("application/activity+json", doc)(w, r)
	})
	var wg sync.WaitGroup
	for range 20 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if k, err := g.r.Key(g.ctx, id+"#main-key"); err != nil || k.Owner.IRI != id {
				t.Errorf("concurrent key = %v, %v", k, err)
			}
		}()
	}
	wg.Wait()
	if n := rm.hitCount("/users/slow"); n != 1 {
		t.Fatalf("%d fetches for 20 concurrent lookups of one key", n)
	}
	// A malformed key id is refused without a fetch.
	if _, err := g.r.Key(g.ctx, "not a url"); kindOf(err) != service.KindInvalid {
		t.Fatalf("malformed key id: %v", err)
	}
}
