package store

import (
	"context"
	"fmt"
	"time"

	"github.com/practica-social/practica/models"
)

// CreateAccessToken inserts a token; ErrConflict when its hash exists.
func (s *Store) CreateAccessToken(ctx context.Context, t *models.AccessToken) error {
	return translate(s.conn(ctx).Omit("Account").Create(t).Error, fmt.Sprintf("create access token of account %d", t.AccountID))
}

// GetAccessTokenByHash returns the token (revoked or not) whose hash is
// hash, with its account and the account's actor, so that authenticating a
// request is one round trip.
func (s *Store) GetAccessTokenByHash(ctx context.Context, hash string) (*models.AccessToken, error) {
	var t models.AccessToken
	if err := s.conn(ctx).Preload("Account.Actor").Where("token_hash = ?", hash).First(&t).Error; err != nil {
		return nil, translate(err, "get access token")
	}
	return &t, nil
}

// ListAccessTokens returns an account's tokens, revoked ones included,
// newest first.
func (s *Store) ListAccessTokens(ctx context.Context, accountID int64) ([]models.AccessToken, error) {
	var ts []models.AccessToken
	err := s.conn(ctx).Where("account_id = ?", accountID).Order("id DESC").Find(&ts).Error
	return ts, translate(err, fmt.Sprintf("list access tokens of account %d", accountID))
}

// RevokeAccessToken marks an account's token revoked at at. Revoking a
// revoked token keeps its first revocation time. ErrNotFound when the
// account has no such token, so one account cannot probe another's ids.
func (s *Store) RevokeAccessToken(ctx context.Context, accountID, id int64, at time.Time) error {
	return s.WithTx(ctx, func(ctx context.Context) error {
		var n int64
		err := s.conn(ctx).Model(&models.AccessToken{}).Where("id = ? AND account_id = ?", id, accountID).Count(&n).Error
		if err != nil {
			return translate(err, fmt.Sprintf("revoke access token %d", id))
		}
		if n == 0 {
			return fmt.Errorf("store: revoke access token %d: %w", id, ErrNotFound)
		}
		err = s.conn(ctx).Model(&models.AccessToken{}).Where("id = ? AND revoked_at IS NULL", id).
			Update("revoked_at", at).Error
		return translate(err, fmt.Sprintf("revoke access token %d", id))
	})
}

// TouchAccessToken records that a token was used at at.
func (s *Store) TouchAccessToken(ctx context.Context, id int64, at time.Time) error {
	err := s.conn(ctx).Model(&models.AccessToken{}).Where("id = ?", id).Update("last_used_at", at).Error
	return translate(err, fmt.Sprintf("touch access token %d", id))
}
