package service

import (
	"context"
	"errors"
	"strings"
	"time"

	"github.com/practica-social/practica/models"
	"github.com/practica-social/practica/store"
)

// SignupInput is what the sign-up form sends.
type SignupInput struct {
	Username, Email, Password, DisplayName, Organization string
	// InviteCode is the code of an invite link, if the person came by one.
	InviteCode string
}

// SignupResult says what became of a sign-up.
type SignupResult struct {
	Account *models.Account
	// NeedsApproval is set when an admin must approve the account before
	// it can log in.
	NeedsApproval bool
}

// SignUp creates an account as the instance's sign-up mode allows: open
// creates it at once; approval creates it held until an admin approves;
// invite requires a live invite code (which also lets a person skip
// approval); closed refuses. The invite's use is counted in the same
// transaction as the account, so a single-use link makes one account.
func (s *Service) SignUp(ctx context.Context, in SignupInput) (*SignupResult, error) {
	mode, err := s.SignupMode(ctx)
	if err != nil {
		return nil, err
	}
	code := strings.TrimSpace(in.InviteCode)
	if mode == models.SignupClosed {
		return nil, Forbidden("sign-ups are closed on this server; ask an admin to create an account for you")
	}
	if mode == models.SignupInvite && code == "" {
		return nil, Forbidden("this server takes new accounts by invitation only; ask an admin or a member for an invite link")
	}
	res := &SignupResult{NeedsApproval: mode == models.SignupApproval && code == ""}
	err = s.store.WithTx(ctx, func(ctx context.Context) error {
		if code != "" {
			ok, err := s.store.UseInvite(ctx, code, s.now().UTC())
			if err != nil {
				return storeErr(err, "invite")
			}
			if !ok {
				return Invalid("this invite link is not valid any more (used up or expired); ask for a new one")
			}
		}
		acct, err := s.CreateAccount(ctx, NewAccount{
			Username: in.Username, Email: in.Email, Password: in.Password,
			DisplayName: in.DisplayName, Organization: in.Organization,
		})
		if err != nil {
			return err
		}
		if res.NeedsApproval {
			if err := s.store.SetAccountApproved(ctx, acct.ID, false); err != nil {
				return storeErr(err, "account")
			}
			acct.Approved = false
		}
		res.Account = acct
		return nil
	})
	if err != nil {
		return nil, err
	}
	return res, nil
}

// CheckInvite reports whether an invite code is live, for the sign-up page
// to say so before the person fills the form in.
func (s *Service) CheckInvite(ctx context.Context, code string) error {
	inv, err := s.store.GetInviteByCode(ctx, strings.TrimSpace(code))
	if errors.Is(err, store.ErrNotFound) || (err == nil && !inviteLive(inv, s.now())) {
		return Invalid("this invite link is not valid any more (used up or expired); ask for a new one")
	}
	return storeErr(err, "invite")
}

func inviteLive(inv *models.Invite, now time.Time) bool {
	return inv.Uses < inv.MaxUses && (inv.ExpiresAt == nil || inv.ExpiresAt.After(now))
}

// requireAdmin fails unless accountID is an approved, active admin.
func (s *Service) requireAdmin(ctx context.Context, accountID int64) (*models.Account, error) {
	a, err := s.store.GetAccount(ctx, accountID)
	if err != nil || !a.Admin || !a.Approved || a.DisabledAt != nil {
		return nil, Forbidden("only admins may do this")
	}
	return a, nil
}

// SetSignupMode changes how people may sign up; admins only.
func (s *Service) SetSignupMode(ctx context.Context, adminID int64, mode models.SignupMode) error {
	if _, err := s.requireAdmin(ctx, adminID); err != nil {
		return err
	}
	switch mode {
	case models.SignupOpen, models.SignupApproval, models.SignupInvite, models.SignupClosed:
	default:
		return Invalid("sign-up mode must be open, approval, invite or closed")
	}
	return storeErr(s.store.PutSetting(ctx, SettingSignupMode, string(mode)), "setting")
}

// Limits on invite links.
const (
	maxInviteUses = 1000
	maxInviteTTL  = 365 * 24 * time.Hour
)

// CreateInvite makes an invite link good for maxUses sign-ups within ttl
// (0: no expiry); admins only.
func (s *Service) CreateInvite(ctx context.Context, adminID int64, maxUses int, ttl time.Duration) (*models.Invite, error) {
	if _, err := s.requireAdmin(ctx, adminID); err != nil {
		return nil, err
	}
	if maxUses < 1 || maxUses > maxInviteUses {
		return nil, Invalid("an invite link may be used 1 to %d times", maxInviteUses)
	}
	if ttl < 0 || ttl > maxInviteTTL {
		return nil, Invalid("an invite link may last at most a year")
	}
	code, err := RandomToken(18)
	if err != nil {
		return nil, err
	}
	inv := &models.Invite{Code: code, CreatedByID: adminID, MaxUses: maxUses}
	if ttl > 0 {
		exp := s.now().UTC().Add(ttl)
		inv.ExpiresAt = &exp
	}
	return inv, storeErr(s.store.CreateInvite(ctx, inv), "invite")
}

// Invites lists the newest invite links; admins only.
func (s *Service) Invites(ctx context.Context, adminID int64) ([]models.Invite, error) {
	if _, err := s.requireAdmin(ctx, adminID); err != nil {
		return nil, err
	}
	invs, err := s.store.ListInvites(ctx, 100)
	return invs, storeErr(err, "invites")
}

// InviteURL is the sign-up link of an invite.
func (s *Service) InviteURL(inv *models.Invite) string {
	return s.urls.Base + "/signup?invite=" + inv.Code
}

// PendingAccounts lists accounts waiting for approval; admins only.
func (s *Service) PendingAccounts(ctx context.Context, adminID int64) ([]models.Account, error) {
	if _, err := s.requireAdmin(ctx, adminID); err != nil {
		return nil, err
	}
	as, err := s.store.ListUnapprovedAccounts(ctx, 200)
	return as, storeErr(err, "accounts")
}

// DecideAccount approves a waiting account, or refuses it, which deletes
// it and frees its handle and e-mail; admins only.
func (s *Service) DecideAccount(ctx context.Context, adminID, accountID int64, approve bool) error {
	if _, err := s.requireAdmin(ctx, adminID); err != nil {
		return err
	}
	return s.store.WithTx(ctx, func(ctx context.Context) error {
		a, err := s.store.GetAccount(ctx, accountID)
		if err != nil {
			return storeErr(err, "account")
		}
		if a.Approved {
			return Conflict("this account was already approved")
		}
		if approve {
			return storeErr(s.store.SetAccountApproved(ctx, a.ID, true), "account")
		}
		return storeErr(s.store.DeleteAccountAndActor(ctx, a), "account")
	})
}

// InviteLive reports whether an invite link can still be used.
func (s *Service) InviteLive(inv *models.Invite) bool { return inviteLive(inv, s.now()) }
