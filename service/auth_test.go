package service_test

import (
	"testing"
	"time"

	"github.com/practica-social/practica/service"
)

func TestLoginChecksPasswordApprovalAndLimits(t *testing.T) {
	f := newFixture(t)
	f.person("alice")
	lim := service.NewLoginLimiter(service.LoginLimits{PerAccount: 2, PerIP: 100, Window: time.Hour}, nil)
	attempt := func(ident, pw string) error {
		_, err := f.svc.Login(f.ctx, lim, service.LoginAttempt{Identifier: ident, Password: pw, ClientIP: "192.0.2.1"})
		return err
	}
	if err := attempt("nobody", "long enough"); service.KindOf(err) != service.KindUnauthorized {
		t.Fatalf("unknown account: %v", err)
	}
	res, err := f.svc.Login(f.ctx, lim, service.LoginAttempt{Identifier: "ALICE@example.org", Password: "long enough", ClientIP: "192.0.2.1"})
	if err != nil {
		t.Fatalf("login by e-mail: %v", err)
	}
	if res.Token == "" || res.SignedIn.Account.Actor.Username != "alice" {
		t.Fatalf("login result %+v", res)
	}
	// E-mail and handle count against the same account.
	if err := attempt("alice", "wrong"); service.KindOf(err) != service.KindUnauthorized {
		t.Fatal(err)
	}
	if err := attempt("alice@example.org", "wrong"); service.KindOf(err) != service.KindUnauthorized {
		t.Fatal(err)
	}
	if err := attempt("@alice@org-a.test", "long enough"); service.KindOf(err) != service.KindRateLimited {
		t.Fatalf("third attempt after two failures: %v, want rate limited", err)
	}
}

func TestSessionsAreHashedAndExpire(t *testing.T) {
	f := newFixture(t)
	f.person("alice")
	res, err := f.svc.Login(f.ctx, nil, service.LoginAttempt{Identifier: "alice", Password: "long enough"})
	if err != nil {
		t.Fatal(err)
	}
	if res.SignedIn.Session.TokenHash == res.Token || len(res.SignedIn.Session.TokenHash) != 64 {
		t.Fatal("the session row holds the token itself")
	}
	if _, err := f.store.GetSessionByHash(f.ctx, res.Token, time.Now()); err == nil {
		t.Fatal("the raw token finds the session")
	}
	si, err := f.svc.SessionByToken(f.ctx, res.Token)
	if err != nil || si.Account.Actor.Username != "alice" || si.Viewer().ActorID != si.Account.ActorID {
		t.Fatalf("session by token: %+v, %v", si, err)
	}
	later := service.New(service.Deps{Store: f.store, URLs: f.svc.URLs(), Now: func() time.Time { return time.Now().Add(service.SessionTTL + time.Minute) }})
	if _, err := later.SessionByToken(f.ctx, res.Token); service.KindOf(err) != service.KindUnauthorized {
		t.Fatalf("expired session: %v", err)
	}
	if n, err := later.PruneSessions(f.ctx); err != nil || n != 1 {
		t.Fatalf("prune: %d, %v", n, err)
	}
	res2, err := f.svc.Login(f.ctx, nil, service.LoginAttempt{Identifier: "alice", Password: "long enough"})
	if err != nil {
		t.Fatal(err)
	}
	if err := f.svc.EndSession(f.ctx, res2.Token); err != nil {
		t.Fatal(err)
	}
	if _, err := f.svc.SessionByToken(f.ctx, res2.Token); service.KindOf(err) != service.KindUnauthorized {
		t.Fatalf("ended session: %v", err)
	}
}
