package store

import (
	"context"
	"fmt"
	"time"

	"github.com/practica-social/practica/models"
)

// CreateSession inserts a browser session.
func (s *Store) CreateSession(ctx context.Context, sess *models.Session) error {
	return translate(s.conn(ctx).Omit("Account").Create(sess).Error, fmt.Sprintf("create session of account %d", sess.AccountID))
}

// GetSessionByHash returns the unexpired session whose token hashes to
// hash, with its account and the account's actor.
func (s *Store) GetSessionByHash(ctx context.Context, hash string, now time.Time) (*models.Session, error) {
	var sess models.Session
	err := s.conn(ctx).Preload("Account").Preload("Account.Actor").
		Where("token_hash = ? AND expires_at > ?", hash, now).First(&sess).Error
	if err != nil {
		return nil, translate(err, "get session")
	}
	return &sess, nil
}

// DeleteSession removes the session whose token hashes to hash; absent is
// not an error.
func (s *Store) DeleteSession(ctx context.Context, hash string) error {
	return translate(s.conn(ctx).Where("token_hash = ?", hash).Delete(&models.Session{}).Error, "delete session")
}

// DeleteExpiredSessions removes sessions that expired before now, and
// reports how many.
func (s *Store) DeleteExpiredSessions(ctx context.Context, now time.Time) (int64, error) {
	res := s.conn(ctx).Where("expires_at <= ?", now).Delete(&models.Session{})
	return res.RowsAffected, translate(res.Error, "delete expired sessions")
}

// DeleteAccountSessions ends every session of an account.
func (s *Store) DeleteAccountSessions(ctx context.Context, accountID int64) error {
	err := s.conn(ctx).Where("account_id = ?", accountID).Delete(&models.Session{}).Error
	return translate(err, fmt.Sprintf("delete sessions of account %d", accountID))
}
