package store

import (
	"context"
	"fmt"
	"time"

	"github.com/practica-social/practica/models"
)

// GetAccount returns a local account by row id, with its actor.
func (s *Store) GetAccount(ctx context.Context, id int64) (*models.Account, error) {
	var a models.Account
	if err := s.conn(ctx).Preload("Actor").First(&a, id).Error; err != nil {
		return nil, translate(err, fmt.Sprintf("get account %d", id))
	}
	return &a, nil
}

// SetAccountApproved approves an account or holds it for approval.
func (s *Store) SetAccountApproved(ctx context.Context, id int64, approved bool) error {
	err := s.conn(ctx).Model(&models.Account{ID: id}).Update("approved", approved).Error
	return translate(err, fmt.Sprintf("set account %d approved", id))
}

// ListUnapprovedAccounts returns accounts waiting for approval, oldest
// first, with their actors.
func (s *Store) ListUnapprovedAccounts(ctx context.Context, limit int) ([]models.Account, error) {
	var as []models.Account
	err := s.conn(ctx).Preload("Actor").Where("approved = ? AND disabled_at IS NULL", false).
		Order("id").Limit(limit).Find(&as).Error
	return as, translate(err, "list unapproved accounts")
}

// DeleteAccountAndActor removes an account with its person actor (the
// account row cascades from the actor), freeing the handle and e-mail.
func (s *Store) DeleteAccountAndActor(ctx context.Context, a *models.Account) error {
	return s.WithTx(ctx, func(ctx context.Context) error {
		if err := s.conn(ctx).Where("account_id = ?", a.ID).Delete(&models.Session{}).Error; err != nil {
			return translate(err, "delete sessions")
		}
		if err := s.conn(ctx).Delete(&models.Account{}, a.ID).Error; err != nil {
			return translate(err, fmt.Sprintf("delete account %d", a.ID))
		}
		return translate(s.conn(ctx).Where("local = ?", true).Delete(&models.Actor{}, a.ActorID).Error,
			fmt.Sprintf("delete actor %d", a.ActorID))
	})
}

// UpdateAccountProfile saves the profile fields of an account.
func (s *Store) UpdateAccountProfile(ctx context.Context, a *models.Account) error {
	err := s.conn(ctx).Model(&models.Account{ID: a.ID}).
		Select("organization", "expertise", "updated_at").Updates(a).Error
	return translate(err, fmt.Sprintf("update profile of account %d", a.ID))
}

// UpdateActorProfile saves the public profile of a local actor: its name
// and summary.
func (s *Store) UpdateActorProfile(ctx context.Context, a *models.Actor) error {
	err := s.conn(ctx).Model(&models.Actor{ID: a.ID}).
		Select("name", "summary", "summary_source", "manually_approves_followers", "discoverable", "updated_at").Updates(a).Error
	return translate(err, fmt.Sprintf("update profile of actor %d", a.ID))
}

// SetLastLogin records when an account last logged in.
func (s *Store) SetLastLogin(ctx context.Context, id int64, at time.Time) error {
	err := s.conn(ctx).Model(&models.Account{ID: id}).Update("last_login_at", at).Error
	return translate(err, fmt.Sprintf("set last login of account %d", id))
}
