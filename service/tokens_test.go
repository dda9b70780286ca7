package service_test

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/practica-social/practica/models"
	"github.com/practica-social/practica/service"
	"github.com/practica-social/practica/testrig"
)

// clock is a settable time source for the service.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

func tokenFixture(t *testing.T) (context.Context, *service.Service, *clock, *models.Account) {
	t.Helper()
	ctx := context.Background()
	st := testrig.NewStore(t)
	clk := &clock{now: time.Date(2030, 5, 1, 12, 0, 0, 0, time.UTC)}
	svc := service.New(service.Deps{Store: st, URLs: service.NewURLs("http://org-a.test"), InstanceName: "A", Now: clk.Now})
	acct, err := svc.CreateAccount(ctx, service.NewAccount{Username: "ada", Email: "ada@example.org", Password: "long enough"})
	if err != nil {
		t.Fatal(err)
	}
	return ctx, svc, clk, acct
}

func TestAccessTokenIsShownOnceAndAuthenticates(t *testing.T) {
	ctx, svc, clk, acct := tokenFixture(t)
	token, tok, err := svc.CreateAccessToken(ctx, acct.ID, "  laptop ", []string{"write"})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(token, service.TokenPrefix) || len(token) != len(service.TokenPrefix)+43 {
		t.Fatalf("token %q: want %s and 43 base64url characters", token, service.TokenPrefix)
	}
	if tok.Name != "laptop" || strings.Join(tok.Scopes, ",") != "read,write" {
		t.Fatalf("stored %+v: want trimmed name and write implying read", tok)
	}
	if tok.TokenHash == "" || strings.Contains(tok.TokenHash, strings.TrimPrefix(token, service.TokenPrefix)) {
		t.Fatalf("the stored hash %q reveals the token", tok.TokenHash)
	}
	other, _, err := svc.CreateAccessToken(ctx, acct.ID, "ci", []string{"read"})
	if err != nil || other == token {
		t.Fatalf("second token %q %v: want a different token", other, err)
	}

	got, err := svc.AuthenticateToken(ctx, token)
	if err != nil {
		t.Fatal(err)
	}
	if got.ID != tok.ID || got.Account.Actor.Username != "ada" || got.LastUsedAt == nil || !got.LastUsedAt.Equal(clk.Now()) {
		t.Fatalf("authenticated %+v: want token %d of ada, used now", got, tok.ID)
	}
	// Use within a minute is not written again; later use is.
	first := *got.LastUsedAt
	clk.Advance(30 * time.Second)
	if got, _ = svc.AuthenticateToken(ctx, token); !got.LastUsedAt.Equal(first) {
		t.Fatalf("last used moved to %v within a minute", got.LastUsedAt)
	}
	clk.Advance(time.Minute)
	if got, _ = svc.AuthenticateToken(ctx, token); !got.LastUsedAt.Equal(clk.Now()) {
		t.Fatalf("last used %v, want %v", got.LastUsedAt, clk.Now())
	}

	list, err := svc.ListAccessTokens(ctx, acct.ID)
	if err != nil || len(list) != 2 || list[1].ID != tok.ID {
		t.Fatalf("list: %+v %v", list, err)
	}
}

func TestAccessTokenRefusals(t *testing.T) {
	ctx, svc, _, acct := tokenFixture(t)
	for _, c := range []struct {
		name   string
		scopes []string
		field  string
	}{
		{"", []string{"read"}, "name"},
		{strings.Repeat("x", 101), []string{"read"}, "name"},
		{"bell\a", []string{"read"}, "name"},
		{"ok", nil, "scopes"},
		{"ok", []string{"admin"}, "scopes"},
	} {
		_, _, err := svc.CreateAccessToken(ctx, acct.ID, c.name, c.scopes)
		if service.KindOf(err) != service.KindInvalid || !strings.HasPrefix(service.SafeMessage(err, ""), c.field+":") {
			t.Errorf("CreateAccessToken(%q, %v) = %v; want invalid naming %s", c.name, c.scopes, err, c.field)
		}
	}
	if _, _, err := svc.CreateAccessToken(ctx, acct.ID+1000, "x", []string{"read"}); service.KindOf(err) != service.KindNotFound {
		t.Errorf("token for a missing account: %v, want not found", err)
	}

	token, tok, err := svc.CreateAccessToken(ctx, acct.ID, "x", []string{"read"})
	if err != nil {
		t.Fatal(err)
	}
	flipped := token[:len(token)-1] + "A"
	if token[len(token)-1] == 'A' {
		flipped = token[:len(token)-1] + "B"
	}
	for _, bad := range []string{"", "Bearer", "prt_", "prt_" + strings.Repeat("!", 43), strings.TrimPrefix(token, service.TokenPrefix), flipped, token + "A"} {
		if _, err := svc.AuthenticateToken(ctx, bad); service.KindOf(err) != service.KindUnauthorized {
			t.Errorf("AuthenticateToken(%q) = %v; want unauthorized", bad, err)
		}
	}

	// Someone else cannot revoke it; its owner can, for good.
	bob, err := svc.CreateAccount(ctx, service.NewAccount{Username: "bob", Email: "bob@example.org", Password: "long enough"})
	if err != nil {
		t.Fatal(err)
	}
	if err := svc.RevokeAccessToken(ctx, bob.ID, tok.ID); service.KindOf(err) != service.KindNotFound {
		t.Fatalf("revoke by another account: %v, want not found", err)
	}
	if _, err := svc.AuthenticateToken(ctx, token); err != nil {
		t.Fatalf("still valid after a refused revoke: %v", err)
	}
	if err := svc.RevokeAccessToken(ctx, acct.ID, tok.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.AuthenticateToken(ctx, token); service.KindOf(err) != service.KindUnauthorized || !strings.Contains(service.SafeMessage(err, ""), "revoked") {
		t.Fatalf("revoked token: %v, want unauthorized and revoked", err)
	}
}

func TestNormalizeScopes(t *testing.T) {
	for in, want := range map[string]string{"read": "read", "write": "read,write", "WRITE,read,read": "read,write", " read ,": "read"} {
		got, err := service.NormalizeScopes(strings.Split(in, ","))
		if err != nil || strings.Join(got, ",") != want {
			t.Errorf("NormalizeScopes(%q) = %v %v; want %s", in, got, err, want)
		}
	}
}
