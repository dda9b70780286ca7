package web

import (
	"net/http"
	"strconv"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/practica-social/practica/models"
)

// inviteRow is an invite link as the admin page lists it.
type inviteRow struct {
	Invite models.Invite
	URL    string
	Live   bool
}

// adminView is the admin page's data.
type adminView struct {
	Mode    models.SignupMode
	Modes   []models.SignupMode
	Pending []models.Account
	Invites []inviteRow
	// NewInvite is the link just created, shown prominently.
	NewInvite string
}

// Admin shows the sign-up mode, the accounts waiting for approval and the
// invite links. Admins only.
func (h *Handlers) Admin(c echo.Context) error {
	si, err := requireLogin(c)
	if si == nil {
		return err
	}
	ctx := c.Request().Context()
	pending, err := h.svc.PendingAccounts(ctx, si.Account.ID)
	if err != nil {
		return err
	}
	invites, err := h.svc.Invites(ctx, si.Account.ID)
	if err != nil {
		return err
	}
	mode, err := h.svc.SignupMode(ctx)
	if err != nil {
		return err
	}
	v := adminView{
		Mode: mode, Pending: pending,
		Modes: []models.SignupMode{models.SignupOpen, models.SignupApproval, models.SignupInvite, models.SignupClosed},
	}
	for _, inv := range invites {
		url := h.svc.InviteURL(&inv)
		v.Invites = append(v.Invites, inviteRow{Invite: inv, URL: url, Live: h.svc.InviteLive(&inv)})
		if c.QueryParam("invite") == strconv.FormatInt(inv.ID, 10) {
			v.NewInvite = url
		}
	}
	return h.render(c, http.StatusOK, "admin", "Administration", v)
}

// AdminSignupMode changes the sign-up mode.
func (h *Handlers) AdminSignupMode(c echo.Context) error {
	si, err := requireLogin(c)
	if si == nil {
		return err
	}
	if err := h.svc.SetSignupMode(c.Request().Context(), si.Account.ID, models.SignupMode(c.FormValue("mode"))); err != nil {
		return err
	}
	return c.Redirect(http.StatusSeeOther, "/admin")
}

// AdminCreateInvite makes an invite link.
func (h *Handlers) AdminCreateInvite(c echo.Context) error {
	si, err := requireLogin(c)
	if si == nil {
		return err
	}
	uses, err := strconv.Atoi(c.FormValue("max_uses"))
	if err != nil {
		uses = 1
	}
	days, err := strconv.Atoi(c.FormValue("days"))
	if err != nil || days < 0 {
		days = 0
	}
	inv, err := h.svc.CreateInvite(c.Request().Context(), si.Account.ID, uses, time.Duration(days)*24*time.Hour)
	if err != nil {
		return err
	}
	return c.Redirect(http.StatusSeeOther, "/admin?invite="+strconv.FormatInt(inv.ID, 10)+"#invites")
}

// AdminDecideAccount approves or refuses an account waiting for approval.
func (h *Handlers) AdminDecideAccount(c echo.Context) error {
	si, err := requireLogin(c)
	if si == nil {
		return err
	}
	id, err := idParam(c, "id")
	if err != nil {
		return err
	}
	if err := h.svc.DecideAccount(c.Request().Context(), si.Account.ID, id, c.FormValue("decision") == "approve"); err != nil {
		return err
	}
	return c.Redirect(http.StatusSeeOther, "/admin#pending")
}
