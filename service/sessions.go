package service

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"time"

	"github.com/practica-social/practica/models"
	"github.com/practica-social/practica/store"
)

// SessionTTL is how long a browser login lasts.
const SessionTTL = 30 * 24 * time.Hour

// SignedIn is a logged-in account as one request sees it.
type SignedIn struct {
	Session *models.Session
	// Account carries its Person actor.
	Account *models.Account
}

// Viewer is the signed-in person as a viewer of content.
func (s *SignedIn) Viewer() Viewer {
	if s == nil {
		return Anonymous
	}
	return Viewer{ActorID: s.Account.ActorID}
}

// RandomToken returns n random bytes, base64url-encoded: session tokens,
// CSRF tokens and invite codes.
func RandomToken(n int) (string, error) {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("service: random token: %w", err)
	}
	return base64.RawURLEncoding.EncodeToString(b), nil
}

// hashToken is what the sessions table stores instead of the token.
func hashToken(token string) string {
	sum := sha256.Sum256([]byte(token))
	return hex.EncodeToString(sum[:])
}

// startSession creates a session for an account and returns the token for
// the cookie: the only place the raw token ever exists. A session the
// browser already had (replacing) is ended, so a token planted before the
// login never becomes a logged-in one (session fixation).
func (s *Service) startSession(ctx context.Context, accountID int64, replacing string) (string, *models.Session, error) {
	token, err := RandomToken(32)
	if err != nil {
		return "", nil, err
	}
	csrf, err := RandomToken(32)
	if err != nil {
		return "", nil, err
	}
	now := s.now().UTC()
	sess := &models.Session{TokenHash: hashToken(token), AccountID: accountID, CSRFToken: csrf, ExpiresAt: now.Add(SessionTTL)}
	err = s.store.WithTx(ctx, func(ctx context.Context) error {
		if replacing != "" {
			if err := s.store.DeleteSession(ctx, hashToken(replacing)); err != nil {
				return storeErr(err, "session")
			}
		}
		if err := s.store.CreateSession(ctx, sess); err != nil {
			return storeErr(err, "session")
		}
		return storeErr(s.store.SetLastLogin(ctx, accountID, now), "account")
	})
	if err != nil {
		return "", nil, err
	}
	return token, sess, nil
}

// SessionByToken returns who a session cookie belongs to. An unknown or
// expired token, or an account that was disabled or not yet approved,
// answers KindUnauthorized: the caller treats the request as logged out.
func (s *Service) SessionByToken(ctx context.Context, token string) (*SignedIn, error) {
	if token == "" || len(token) > 128 {
		return nil, Unauthorized("not logged in")
	}
	sess, err := s.store.GetSessionByHash(ctx, hashToken(token), s.now().UTC())
	if errors.Is(err, store.ErrNotFound) {
		return nil, Unauthorized("not logged in")
	}
	if err != nil {
		return nil, storeErr(err, "session")
	}
	a := sess.Account
	if a == nil || a.Actor == nil || !a.Approved || a.DisabledAt != nil {
		return nil, Unauthorized("not logged in")
	}
	return &SignedIn{Session: sess, Account: a}, nil
}

// EndSession logs a session out. An unknown token is not an error.
func (s *Service) EndSession(ctx context.Context, token string) error {
	if token == "" {
		return nil
	}
	return storeErr(s.store.DeleteSession(ctx, hashToken(token)), "session")
}

// PruneSessions deletes expired sessions; a periodic task may call it.
func (s *Service) PruneSessions(ctx context.Context) (int64, error) {
	n, err := s.store.DeleteExpiredSessions(ctx, s.now().UTC())
	return n, storeErr(err, "sessions")
}
