package service

import (
	"context"
	"errors"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/practica-social/practica/models"
	"github.com/practica-social/practica/store"
)

// TokenPrefix starts every personal access token, so that people and
// secret scanners recognise a leaked one at a glance.
const TokenPrefix = "prt_"

// tokenBytes is the token's entropy: 256 bits, beyond any guessing.
const tokenBytes = 32

// maxTokenNameLen bounds a token's label.
const maxTokenNameLen = 100

// tokenTouchEvery is how stale LastUsedAt may get: recording every request
// would turn each API read into a write.
const tokenTouchEvery = time.Minute

// CreateAccessToken creates a personal access token for an account and
// returns the token, which exists only in this return value (the store
// keeps its hash): the CLI prints it, the settings page shows it once.
// Scopes are models.ScopeRead and models.ScopeWrite; write implies read.
func (s *Service) CreateAccessToken(ctx context.Context, accountID int64, name string, scopes []string) (string, *models.AccessToken, error) {
	name = strings.TrimSpace(name)
	if name == "" {
		return "", nil, Invalid("name: a token needs a name, e.g. the machine or script that uses it")
	}
	if utf8.RuneCountInString(name) > maxTokenNameLen {
		return "", nil, Invalid("name: a token name may have at most %d characters", maxTokenNameLen)
	}
	if strings.IndexFunc(name, unicode.IsControl) >= 0 {
		return "", nil, Invalid("name: a token name may not hold control characters")
	}
	scopes, err := NormalizeScopes(scopes)
	if err != nil {
		return "", nil, err
	}
	acct, err := s.store.GetAccount(ctx, accountID)
	if err != nil {
		return "", nil, storeErr(err, "account")
	}
	if acct.DisabledAt != nil || !acct.Approved {
		return "", nil, Forbidden("this account is disabled or not yet approved")
	}
	secret, err := RandomToken(tokenBytes)
	if err != nil {
		return "", nil, err
	}
	token := TokenPrefix + secret
	t := &models.AccessToken{AccountID: acct.ID, Name: name, TokenHash: hashToken(token), Scopes: scopes}
	if err := s.store.CreateAccessToken(ctx, t); err != nil {
		return "", nil, storeErr(err, "access token")
	}
	t.Account = acct
	return token, t, nil
}

// AccountByUsername returns the account of the local person named
// username, so that commands can name people by handle.
func (s *Service) AccountByUsername(ctx context.Context, username string) (*models.Account, error) {
	a, err := s.store.GetLocalActor(ctx, models.KindPerson, strings.TrimPrefix(strings.TrimSpace(username), "@"))
	if err != nil {
		return nil, storeErr(err, "person")
	}
	acct, err := s.store.GetAccountByActorID(ctx, a.ID)
	if err != nil {
		return nil, storeErr(err, "account")
	}
	acct.Actor = a
	return acct, nil
}

// NormalizeScopes checks a list of scopes and returns it deduplicated in
// canonical order (read, write). A token that may write may also read:
// writing without seeing the result is of no use to anyone.
func NormalizeScopes(scopes []string) ([]string, error) {
	var read, write bool
	for _, sc := range scopes {
		switch strings.ToLower(strings.TrimSpace(sc)) {
		case models.ScopeRead:
			read = true
		case models.ScopeWrite:
			read, write = true, true
		case "":
		default:
			return nil, Invalid("scopes: unknown scope %q; use read and/or write", sc)
		}
	}
	switch {
	case write:
		return []string{models.ScopeRead, models.ScopeWrite}, nil
	case read:
		return []string{models.ScopeRead}, nil
	}
	return nil, Invalid("scopes: name at least one of read, write")
}

// ListAccessTokens returns an account's tokens, revoked ones included,
// newest first. Only hashes are stored, so no token can be shown again.
func (s *Service) ListAccessTokens(ctx context.Context, accountID int64) ([]models.AccessToken, error) {
	ts, err := s.store.ListAccessTokens(ctx, accountID)
	return ts, storeErr(err, "access tokens")
}

// RevokeAccessToken revokes one of an account's tokens for good. Another
// account's token answers "not found", like a missing one.
func (s *Service) RevokeAccessToken(ctx context.Context, accountID, tokenID int64) error {
	return storeErr(s.store.RevokeAccessToken(ctx, accountID, tokenID, s.now().UTC()), "access token")
}

// AuthenticateToken returns the live token a request presented, with its
// account and the account's Person actor. A malformed, unknown or revoked
// token, or one whose account is disabled, answers KindUnauthorized.
func (s *Service) AuthenticateToken(ctx context.Context, token string) (*models.AccessToken, error) {
	secret, ok := strings.CutPrefix(token, TokenPrefix)
	// A wrong shape cannot be a token of ours: refuse it without a query.
	if !ok || len(secret) < 40 || len(secret) > 64 || strings.IndexFunc(secret, notBase64URL) >= 0 {
		return nil, Unauthorized("the access token is not valid")
	}
	t, err := s.store.GetAccessTokenByHash(ctx, hashToken(token))
	if errors.Is(err, store.ErrNotFound) {
		return nil, Unauthorized("the access token is not valid")
	}
	if err != nil {
		return nil, storeErr(err, "access token")
	}
	if t.Revoked() {
		return nil, Unauthorized("the access token was revoked")
	}
	a := t.Account
	if a == nil || a.Actor == nil || a.DisabledAt != nil || !a.Approved {
		return nil, Unauthorized("the account of this access token is disabled")
	}
	now := s.now().UTC()
	if t.LastUsedAt == nil || now.Sub(*t.LastUsedAt) >= tokenTouchEvery {
		// Bookkeeping only: a failed write must not refuse a valid token.
		if err := s.store.TouchAccessToken(ctx, t.ID, now); err != nil {
			s.log.WarnContext(ctx, "record access token use", "token", t.ID, "err", err)
		} else {
			t.LastUsedAt = &now
		}
	}
	return t, nil
}

func notBase64URL(r rune) bool {
	return !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_')
}
