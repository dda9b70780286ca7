package store

import (
	"context"
	"fmt"
	"time"

	"github.com/practica-social/practica/models"
	"gorm.io/gorm"
)

// CreateInvite inserts an invite link. ErrConflict when the code exists.
func (s *Store) CreateInvite(ctx context.Context, inv *models.Invite) error {
	return translate(s.conn(ctx).Create(inv).Error, "create invite")
}

// ListInvites returns invites, newest first.
func (s *Store) ListInvites(ctx context.Context, limit int) ([]models.Invite, error) {
	var invs []models.Invite
	err := s.conn(ctx).Order("id DESC").Limit(limit).Find(&invs).Error
	return invs, translate(err, "list invites")
}

// GetInviteByCode returns the invite with that code.
func (s *Store) GetInviteByCode(ctx context.Context, code string) (*models.Invite, error) {
	var inv models.Invite
	if err := s.conn(ctx).Where("code = ?", code).First(&inv).Error; err != nil {
		return nil, translate(err, "get invite")
	}
	return &inv, nil
}

// UseInvite counts one use of a live invite (unexpired at now, uses left)
// and reports whether it was live. The check and the count are one UPDATE,
// so two sign-ups racing for a single-use link cannot both win.
func (s *Store) UseInvite(ctx context.Context, code string, now time.Time) (bool, error) {
	res := s.conn(ctx).Model(&models.Invite{}).
		Where("code = ? AND uses < max_uses AND (expires_at IS NULL OR expires_at > ?)", code, now).
		UpdateColumn("uses", gorm.Expr("uses + 1"))
	if res.Error != nil {
		return false, translate(res.Error, fmt.Sprintf("use invite %.6s…", code))
	}
	return res.RowsAffected == 1, nil
}
