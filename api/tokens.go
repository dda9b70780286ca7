package api

import (
	"net/http"
	"strconv"

	"github.com/labstack/echo/v4"
	"github.com/practica-social/practica/service"
)

// Tokens answers GET /tokens: the caller's access tokens, newest first,
// never the secrets themselves.
func (h *Handlers) Tokens(c echo.Context) error {
	ts, err := h.svc.ListAccessTokens(c.Request().Context(), tokenOf(c).AccountID)
	if err != nil {
		return err
	}
	out := Page[Token]{Items: make([]Token, 0, len(ts))}
	for i := range ts {
		out.Items = append(out.Items, TokenToAPI(&ts[i]))
	}
	return c.JSON(http.StatusOK, out)
}

// RevokeToken answers DELETE /tokens/{id}. A token may revoke itself: that
// is how a client signs out. Another person's token is "not found".
func (h *Handlers) RevokeToken(c echo.Context) error {
	id, err := strconv.ParseInt(c.Param("id"), 10, 64)
	if err != nil || id <= 0 {
		return service.NotFound("token")
	}
	if err := h.svc.RevokeAccessToken(c.Request().Context(), tokenOf(c).AccountID, id); err != nil {
		return err
	}
	return c.NoContent(http.StatusNoContent)
}
