package store

import (
	"context"
	"fmt"
	"strings"

	"github.com/practica-social/practica/models"
)

// CreateAccount inserts a local account; its actor must exist.
func (s *Store) CreateAccount(ctx context.Context, a *models.Account) error {
	a.Email = strings.ToLower(strings.TrimSpace(a.Email))
	return translate(s.conn(ctx).Create(a).Error, "create account "+a.Email)
}

// GetAccountByEmail returns the account with that e-mail address.
func (s *Store) GetAccountByEmail(ctx context.Context, email string) (*models.Account, error) {
	var a models.Account
	err := s.conn(ctx).Preload("Actor").Where("email = ?", strings.ToLower(strings.TrimSpace(email))).First(&a).Error
	if err != nil {
		return nil, translate(err, "get account "+email)
	}
	return &a, nil
}

// GetAccountByActorID returns the account behind a local Person actor.
func (s *Store) GetAccountByActorID(ctx context.Context, actorID int64) (*models.Account, error) {
	var a models.Account
	if err := s.conn(ctx).Preload("Actor").Where("actor_id = ?", actorID).First(&a).Error; err != nil {
		return nil, translate(err, fmt.Sprintf("get account of actor %d", actorID))
	}
	return &a, nil
}

// CountAccounts counts local accounts that are approved and not disabled.
func (s *Store) CountAccounts(ctx context.Context) (int64, error) {
	var n int64
	err := s.conn(ctx).Model(&models.Account{}).Where("approved = ? AND disabled_at IS NULL", true).Count(&n).Error
	return n, translate(err, "count accounts")
}

// CountAdmins counts admin accounts.
func (s *Store) CountAdmins(ctx context.Context) (int64, error) {
	var n int64
	err := s.conn(ctx).Model(&models.Account{}).Where("admin = ?", true).Count(&n).Error
	return n, translate(err, "count admins")
}
