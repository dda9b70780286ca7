package web

import (
	"net/http"

	"github.com/labstack/echo/v4"
	"github.com/practica-social/practica/models"
	"github.com/practica-social/practica/service"
)

// signupView is the sign-up page's data.
type signupView struct {
	Mode models.SignupMode
	// Closed explains why the form is not offered, when it is not.
	Closed string
	Invite string
	Form   service.SignupInput
	Error  string
	// Waiting is set after a sign-up that an admin must approve.
	Waiting bool
}

// SignupForm shows the sign-up form as the instance's sign-up mode allows.
func (h *Handlers) SignupForm(c echo.Context) error {
	ctx := c.Request().Context()
	mode, err := h.svc.SignupMode(ctx)
	if err != nil {
		return err
	}
	v := signupView{Mode: mode, Invite: c.QueryParam("invite")}
	switch {
	case mode == models.SignupClosed:
		v.Closed = "Sign-ups are closed on this server. Ask an admin to create an account for you."
	case v.Invite != "":
		if err := h.svc.CheckInvite(ctx, v.Invite); err != nil {
			if service.KindOf(err) != service.KindInvalid {
				return err
			}
			v.Closed = "This invite link is not valid any more: it was used up or has expired. Ask for a new one."
		}
	case mode == models.SignupInvite:
		v.Closed = "This server takes new accounts by invitation only. Ask an admin or a member for an invite link."
	}
	return h.render(c, http.StatusOK, "signup", "Sign up", v)
}

// Signup creates the account and, unless an admin must approve it first,
// logs the person in.
func (h *Handlers) Signup(c echo.Context) error {
	ctx := c.Request().Context()
	in := service.SignupInput{
		Username: c.FormValue("username"), Email: c.FormValue("email"), Password: c.FormValue("password"),
		DisplayName: c.FormValue("display_name"), Organization: c.FormValue("organization"),
		InviteCode: c.FormValue("invite"),
	}
	mode, err := h.svc.SignupMode(ctx)
	if err != nil {
		return err
	}
	res, err := h.svc.SignUp(ctx, in)
	if err != nil {
		if msg, status, ok := formProblem(err); ok {
			in.Password = ""
			return h.render(c, status, "signup", "Sign up", signupView{Mode: mode, Invite: in.InviteCode, Form: in, Error: msg})
		}
		return err
	}
	if res.NeedsApproval {
		return h.render(c, http.StatusOK, "signup", "Sign up", signupView{Mode: mode, Waiting: true})
	}
	login, err := h.svc.Login(ctx, h.login, service.LoginAttempt{Identifier: in.Email, Password: in.Password, ClientIP: c.RealIP()})
	if err != nil {
		return err
	}
	h.setCookie(c, h.sessionCookie, login.Token, int(service.SessionTTL.Seconds()))
	h.clearCookie(c, h.csrfCookie)
	return c.Redirect(http.StatusSeeOther, "/settings?welcome=1")
}
