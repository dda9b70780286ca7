package inbox_test

import (
	"net/http"
	"testing"
	"time"

	"github.com/practica-social/practica/federation/signing"
)

// TestBadSignaturesRefreshAKeyAtMostOnce: a signature that fails against a
// cached key earns one fresh fetch of the key (the actor may have rotated
// it); a flood of bad signatures naming the same key earns no more, so it
// cannot be turned into a flood of signed fetches from the key's origin.
func TestBadSignaturesRefreshAKeyAtMostOnce(t *testing.T) {
	g := newRcvRig(t)
	evil := newRcvEvil(t, g.n)
	id, body := g.activity("Follow", evil.actor)
	g.expect("first", g.post("/inbox", body, signedBy(evil.signer, body, time.Now())), http.StatusAccepted, "")
	if !g.stored(id) {
		t.Fatal("mallory's activity not stored")
	}
	fetches := evil.hits("/users/mallory")
	if fetches != 1 {
		t.Fatalf("%d fetches of the key's owner, want 1", fetches)
	}
	priv, _, err := signing.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	other, err := signing.ParsePrivateKey(priv)
	if err != nil {
		t.Fatal(err)
	}
	forger := signing.NewSigner(evil.keyID, other)
	for range 10 {
		_, body := g.activity("Like", evil.actor)
		g.expect("forged", g.post("/inbox", body, signedBy(forger, body, time.Now())), http.StatusUnauthorized, "signature mismatch")
	}
	if n := evil.hits("/users/mallory"); n != fetches+1 {
		t.Fatalf("%d fetches after ten bad signatures, want %d", n, fetches+1)
	}
	// The real key still works.
	id, body = g.activity("Like", evil.actor)
	g.expect("genuine", g.post("/inbox", body, signedBy(evil.signer, body, time.Now())), http.StatusAccepted, "")
	if !g.stored(id) {
		t.Fatal("genuine activity after the forgeries not stored")
	}
}
