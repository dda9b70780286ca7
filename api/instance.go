package api

import (
	"net/http"

	"github.com/labstack/echo/v4"
)

// Instance answers GET /instance: what this server is and its public
// counts. It needs no token, so clients can discover a server first.
func (h *Handlers) Instance(c echo.Context) error {
	ctx := c.Request().Context()
	mode, err := h.svc.SignupMode(ctx)
	if err != nil {
		return err
	}
	u, err := h.svc.Usage(ctx)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, Instance{
		Name: h.svc.InstanceName(), Domain: h.svc.URLs().Host(), Version: h.version, SignupMode: string(mode),
		Counts: InstanceCounts{Users: u.Users, Communities: u.Communities, Threads: u.LocalPosts, Replies: u.LocalComments},
	})
}

// Me answers GET /me: the caller's account and the token in use. Only here
// does an e-mail address appear, and only the caller's own.
func (h *Handlers) Me(c echo.Context) error {
	t := tokenOf(c)
	a := t.Account
	return c.JSON(http.StatusOK, Me{
		Actor: ActorToAPI(a.Actor), Email: a.Email, Admin: a.Admin, Organization: a.Organization, Token: TokenToAPI(t),
	})
}
