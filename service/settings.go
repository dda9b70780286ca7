package service

import (
	"context"

	"github.com/practica-social/practica/models"
)

// Instance setting keys.
const (
	// SettingSignupMode holds a models.SignupMode.
	SettingSignupMode = "signup_mode"
)

// SignupMode returns how people may sign up; closed until an admin opens it.
func (s *Service) SignupMode(ctx context.Context) (models.SignupMode, error) {
	v, err := s.store.GetSetting(ctx, SettingSignupMode, string(models.SignupClosed))
	return models.SignupMode(v), storeErr(err, "setting")
}

// OpenRegistrations reports whether anyone may sign up (NodeInfo).
func (s *Service) OpenRegistrations(ctx context.Context) (bool, error) {
	m, err := s.SignupMode(ctx)
	return m == models.SignupOpen || m == models.SignupApproval, err
}
