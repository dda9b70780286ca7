package web

import (
	"net/http"
	"strconv"

	"github.com/labstack/echo/v4"
	"github.com/practica-social/practica/service"
)

// loginView is the log-in form's data.
type loginView struct {
	Identifier, Next, Error string
}

// LoginForm shows the log-in form; to someone logged in too, who may want
// to switch accounts.
func (h *Handlers) LoginForm(c echo.Context) error {
	return h.render(c, http.StatusOK, "login", "Log in", loginView{Next: safeNext(c.QueryParam("next"))})
}

// Login checks the password and starts a session with a fresh token: any
// session cookie the browser held before is replaced, never promoted.
func (h *Handlers) Login(c echo.Context) error {
	in := service.LoginAttempt{
		Identifier: c.FormValue("identifier"), Password: c.FormValue("password"), ClientIP: c.RealIP(),
	}
	if ck, err := c.Cookie(h.sessionCookie); err == nil {
		in.Replacing = ck.Value
	}
	next := safeNext(c.FormValue("next"))
	res, err := h.svc.Login(c.Request().Context(), h.login, in)
	if err != nil {
		view := loginView{Identifier: in.Identifier, Next: next, Error: service.SafeMessage(err, "log-in failed")}
		switch service.KindOf(err) {
		case service.KindUnauthorized:
			return h.render(c, http.StatusUnauthorized, "login", "Log in", view)
		case service.KindForbidden:
			return h.render(c, http.StatusForbidden, "login", "Log in", view)
		case service.KindRateLimited:
			c.Response().Header().Set("Retry-After", strconv.Itoa(15*60))
		}
		return err
	}
	h.setCookie(c, h.sessionCookie, res.Token, int(service.SessionTTL.Seconds()))
	h.clearCookie(c, h.csrfCookie)
	return c.Redirect(http.StatusSeeOther, next)
}

// Logout ends the session.
func (h *Handlers) Logout(c echo.Context) error {
	if ck, err := c.Cookie(h.sessionCookie); err == nil {
		if err := h.svc.EndSession(c.Request().Context(), ck.Value); err != nil {
			return err
		}
	}
	h.clearCookie(c, h.sessionCookie)
	return c.Redirect(http.StatusSeeOther, "/")
}
