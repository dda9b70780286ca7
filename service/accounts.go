package service

import (
	"context"
	"net/mail"
	"strings"

	"github.com/practica-social/practica/models"
)

// NewAccount is what it takes to create a local account.
type NewAccount struct {
	Username     string
	Email        string
	Password     string
	DisplayName  string
	Organization string
	Admin        bool
}

// minPasswordLen follows NIST SP 800-63B's minimum for user-chosen secrets.
const minPasswordLen = 8

// CreateAccount creates a local person and its login in one transaction.
// The CLI, the sign-up form and the API all end here.
func (s *Service) CreateAccount(ctx context.Context, in NewAccount) (*models.Account, error) {
	username, err := NormalizeUsername(in.Username)
	if err != nil {
		return nil, err
	}
	email := strings.ToLower(strings.TrimSpace(in.Email))
	if addr, err := mail.ParseAddress(email); err != nil || addr.Address != email {
		return nil, Invalid("e-mail address %q is not valid", in.Email)
	}
	if len([]rune(in.Password)) < minPasswordLen {
		return nil, Invalid("the password must have at least %d characters", minPasswordLen)
	}
	hash, err := HashPassword(in.Password)
	if err != nil {
		return nil, err
	}
	name := strings.TrimSpace(in.DisplayName)
	if name == "" {
		name = username
	}
	actor, err := s.newLocalActor(models.ActorPerson, s.urls.Person(username), username, name)
	if err != nil {
		return nil, err
	}
	acct := &models.Account{
		Email: email, PasswordHash: hash, Admin: in.Admin, Approved: true,
		Organization: strings.TrimSpace(in.Organization), Expertise: []string{},
	}
	err = s.store.WithTx(ctx, func(ctx context.Context) error {
		if err := s.store.CreateActor(ctx, actor); err != nil {
			return storeErr(err, "the handle "+username)
		}
		acct.ActorID = actor.ID
		if err := s.store.CreateAccount(ctx, acct); err != nil {
			return storeErr(err, "an account with this e-mail")
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	acct.Actor = actor
	return acct, nil
}

// AdminCount counts admin accounts, so first-run hints know when to stop.
func (s *Service) AdminCount(ctx context.Context) (int64, error) {
	n, err := s.store.CountAdmins(ctx)
	return n, storeErr(err, "admins")
}
