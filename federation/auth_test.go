package federation_test

import (
	"context"
	"crypto/rsa"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/go-fed/httpsig"
	"github.com/labstack/echo/v4"

	"github.com/practica-social/practica/federation"
	"github.com/practica-social/practica/federation/signing"
	"github.com/practica-social/practica/models"
	"github.com/practica-social/practica/service"
	"github.com/practica-social/practica/testrig"
)

// authSigner signs as a local person of inst.
func authSigner(t *testing.T, inst *testrig.Instance, username string) *signing.Signer {
	t.Helper()
	a, err := inst.Service.LocalPerson(context.Background(), username)
	if err != nil {
		t.Fatal(err)
	}
	k, err := signing.ParsePrivateKey(a.PrivateKeyPEM)
	if err != nil {
		t.Fatal(err)
	}
	return signing.NewSigner(a.PublicKeyID, k)
}

func TestSignatureAuthKnowsWhoSignedAGet(t *testing.T) {
	ctx := context.Background()
	n := testrig.NewNetwork()
	a := n.Start(t, "org-a.test")
	b := n.Start(t, "org-b.test")
	if _, err := b.Service.CreateAccount(ctx, service.NewAccount{Username: "alice", Email: "alice@example.org", Password: "correct horse"}); err != nil {
		t.Fatal(err)
	}
	alice := authSigner(t, b, "alice")
	auth := federation.NewSignatureAuth(a.Resolver, nil, nil)
	e := echo.New()
	viewer := func(prep func(r *http.Request)) (service.Viewer, error) {
		req := httptest.NewRequest(http.MethodGet, "http://org-a.test/c/private/followers", nil)
		if prep != nil {
			prep(req)
		}
		return auth.Viewer(e.NewContext(req, httptest.NewRecorder()))
	}
	signGet := func(s *signing.Signer, at time.Time) func(*http.Request) {
		return func(r *http.Request) {
			if err := s.SignGet(r, at); err != nil {
				t.Fatal(err)
			}
		}
	}

	if v, err := viewer(nil); err != nil || v != service.Anonymous {
		t.Fatalf("unsigned = %+v, %v; want anonymous", v, err)
	}
	v, err := viewer(signGet(alice, time.Now()))
	if err != nil {
		t.Fatal(err)
	}
	stored, err := a.Service.ActorByIRI(ctx, "http://org-b.test/u/alice")
	if err != nil || v.ActorID != stored.ID {
		t.Fatalf("signed by alice = %+v (alice is %v, %v)", v, stored, err)
	}
	// Bad signatures are anonymous, not errors: public pages still work.
	bad := map[string]func(*http.Request){
		"path changed after signing": func(r *http.Request) {
			signGet(alice, time.Now())(r)
			r.URL.Path = "/c/other/followers"
		},
		"13 hours old": signGet(alice, time.Now().Add(-13*time.Hour)),
		"host not signed": func(r *http.Request) {
			key := mustKey(t, b, "alice")
			r.Header.Set("Host", r.Host)
			r.Header.Set("Date", time.Now().UTC().Format(http.TimeFormat))
			s, _, _ := httpsig.NewSigner([]httpsig.Algorithm{httpsig.RSA_SHA256}, httpsig.DigestSha256, []string{httpsig.RequestTarget, "date"}, httpsig.Signature, 0)
			if err := s.SignRequest(key, alice.KeyID(), r, nil); err != nil {
				t.Fatal(err)
			}
		},
		"unknown key": signGet(signing.NewSigner("http://org-b.test/u/nobody#main-key", mustKey(t, b, "alice")), time.Now()),
		"garbage":     func(r *http.Request) { r.Header.Set("Signature", "garbage") },
	}
	for name, prep := range bad {
		if v, err := viewer(prep); err != nil || v != service.Anonymous {
			t.Errorf("%s = %+v, %v; want anonymous", name, v, err)
		}
	}
	// A rotated key is confirmed by one fresh fetch.
	actor, _ := b.Service.LocalPerson(ctx, "alice")
	priv, pub, err := signing.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	actor.PrivateKeyPEM, actor.PublicKeyPEM = priv, pub
	if err := b.Store.UpdateActor(ctx, actor); err != nil {
		t.Fatal(err)
	}
	if v, err := viewer(signGet(authSigner(t, b, "alice"), time.Now())); err != nil || v.ActorID != stored.ID {
		t.Fatalf("after rotation = %+v, %v", v, err)
	}
}

func TestChecklist17MembersOnlyCollectionNeedsAMembersSignature(t *testing.T) {
	ctx := context.Background()
	n := testrig.NewNetwork()
	a := n.Start(t, "org-a.test")
	b := n.Start(t, "org-b.test")
	for _, u := range []string{"alice", "eve"} {
		if _, err := b.Service.CreateAccount(ctx, service.NewAccount{Username: u, Email: u + "@example.org", Password: "correct horse"}); err != nil {
			t.Fatal(err)
		}
	}
	c, err := a.Service.CreateCommunity(ctx, service.NewCommunity{Handle: "private", Name: "Private", Visibility: models.VisibilityMembers, JoinPolicy: models.JoinOpen})
	if err != nil {
		t.Fatal(err)
	}
	member, err := a.Resolver.Actor(ctx, "http://org-b.test/u/alice")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := a.Service.ReceiveFollow(ctx, c, member, "http://org-b.test/activities/follow-private"); err != nil {
		t.Fatal(err)
	}
	status := func(s *signing.Signer) int {
		req, _ := http.NewRequest(http.MethodGet, "http://org-a.test/c/private/followers", nil)
		req.Header.Set("Accept", "application/activity+json")
		if s != nil {
			if err := s.SignGet(req, time.Now()); err != nil {
				t.Fatal(err)
			}
		}
		resp, err := n.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	if got := status(authSigner(t, b, "alice")); got != http.StatusOK {
		t.Fatalf("member's signed GET: %d, want 200", got)
	}
	if got := status(nil); got != http.StatusNotFound {
		t.Fatalf("unsigned GET: %d, want 404", got)
	}
	if got := status(authSigner(t, b, "eve")); got != http.StatusNotFound {
		t.Fatalf("non-member's signed GET: %d, want 404", got)
	}

	// A server holding a member reads with its instance actor (protocol.md
	// §8); a server without one does not, nor does B once alice is gone.
	cInst := n.Start(t, "org-c.test")
	if got := status(instanceSigner(t, b)); got != http.StatusOK {
		t.Fatalf("the member's server's instance actor: %d, want 200", got)
	}
	if got := status(instanceSigner(t, cInst)); got != http.StatusNotFound {
		t.Fatalf("another server's instance actor: %d, want 404", got)
	}
	if err := a.Service.ReceiveUnfollow(ctx, c, member); err != nil {
		t.Fatal(err)
	}
	if got := status(instanceSigner(t, b)); got != http.StatusNotFound {
		t.Fatalf("the instance actor of a server whose member left: %d, want 404", got)
	}
}

// instanceSigner signs as inst's instance actor, as its resolver does.
func instanceSigner(t *testing.T, inst *testrig.Instance) *signing.Signer {
	t.Helper()
	a, err := inst.Service.InstanceActor(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	k, err := signing.ParsePrivateKey(a.PrivateKeyPEM)
	if err != nil {
		t.Fatal(err)
	}
	return signing.NewSigner(a.PublicKeyID, k)
}

func mustPrivatePEM(t *testing.T, inst *testrig.Instance, username string) string {
	t.Helper()
	a, err := inst.Service.LocalPerson(context.Background(), username)
	if err != nil {
		t.Fatal(err)
	}
	return a.PrivateKeyPEM
}

func mustKey(t *testing.T, inst *testrig.Instance, username string) *rsa.PrivateKey {
	t.Helper()
	k, err := signing.ParsePrivateKey(mustPrivatePEM(t, inst, username))
	if err != nil {
		t.Fatal(err)
	}
	return k
}
