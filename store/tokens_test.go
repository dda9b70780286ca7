package store_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/practica-social/practica/models"
	"github.com/practica-social/practica/store"
	"github.com/practica-social/practica/testrig"
)

// tokenAccount stores a local person with an account.
func tokenAccount(t *testing.T, s *store.Store, name string) *models.Account {
	t.Helper()
	ctx := context.Background()
	a := newActor("http://org-a.test/u/"+name, name, models.ActorPerson, true)
	if err := s.CreateActor(ctx, a); err != nil {
		t.Fatal(err)
	}
	acct := &models.Account{ActorID: a.ID, Email: name + "@example.org", PasswordHash: "x", Approved: true}
	if err := s.CreateAccount(ctx, acct); err != nil {
		t.Fatal(err)
	}
	return acct
}

func TestAccessTokensLifecycle(t *testing.T) {
	ctx := context.Background()
	s := testrig.NewStore(t)
	ada, bob := tokenAccount(t, s, "ada"), tokenAccount(t, s, "bob")

	first := &models.AccessToken{AccountID: ada.ID, Name: "laptop", TokenHash: "aa", Scopes: []string{models.ScopeRead}}
	second := &models.AccessToken{AccountID: ada.ID, Name: "ci", TokenHash: "bb", Scopes: []string{models.ScopeRead, models.ScopeWrite}}
	for _, tok := range []*models.AccessToken{first, second} {
		if err := s.CreateAccessToken(ctx, tok); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.CreateAccessToken(ctx, &models.AccessToken{AccountID: bob.ID, Name: "x", TokenHash: "aa"}); !errors.Is(err, store.ErrConflict) {
		t.Fatalf("duplicate hash: %v, want ErrConflict", err)
	}

	got, err := s.GetAccessTokenByHash(ctx, "bb")
	if err != nil {
		t.Fatal(err)
	}
	if got.ID != second.ID || got.Account == nil || got.Account.Actor == nil || got.Account.Actor.Username != "ada" ||
		!got.HasScope(models.ScopeWrite) || got.Revoked() {
		t.Fatalf("by hash: %+v (account %+v)", got, got.Account)
	}
	if _, err := s.GetAccessTokenByHash(ctx, "cc"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("unknown hash: %v, want ErrNotFound", err)
	}

	list, err := s.ListAccessTokens(ctx, ada.ID)
	if err != nil || len(list) != 2 || list[0].ID != second.ID || list[1].ID != first.ID {
		t.Fatalf("list: %+v %v; want newest first", list, err)
	}

	// Bob cannot revoke Ada's token, nor learn that it exists.
	when := time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)
	if err := s.RevokeAccessToken(ctx, bob.ID, first.ID, when); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("revoke by another account: %v, want ErrNotFound", err)
	}
	if err := s.RevokeAccessToken(ctx, ada.ID, first.ID, when); err != nil {
		t.Fatal(err)
	}
	if err := s.RevokeAccessToken(ctx, ada.ID, first.ID, when.Add(time.Hour)); err != nil {
		t.Fatalf("revoke again: %v", err)
	}
	got, err = s.GetAccessTokenByHash(ctx, "aa")
	if err != nil || got.RevokedAt == nil || !got.RevokedAt.Equal(when) {
		t.Fatalf("revoked: %+v %v; want revoked at %v", got, err, when)
	}

	if err := s.TouchAccessToken(ctx, second.ID, when); err != nil {
		t.Fatal(err)
	}
	if got, _ = s.GetAccessTokenByHash(ctx, "bb"); got.LastUsedAt == nil || !got.LastUsedAt.Equal(when) {
		t.Fatalf("last used: %v, want %v", got.LastUsedAt, when)
	}

	// Deleting the account takes its tokens with it.
	if err := s.DeleteAccountAndActor(ctx, ada); err != nil {
		t.Fatal(err)
	}
	if _, err := s.GetAccessTokenByHash(ctx, "bb"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("token of a deleted account: %v, want ErrNotFound", err)
	}
}
