package web

import (
	"net/http"
	"strconv"

	"github.com/labstack/echo/v4"
	"github.com/practica-social/practica/models"
	"github.com/practica-social/practica/service"
)

// tokensView is the access-token page's data. Token is the new token,
// shown exactly once, right after it was created.
type tokensView struct {
	Tokens []models.AccessToken
	Token  string
	Name   string
	Error  string
}

// TokensPage lists the logged-in person's personal access tokens for the
// JSON API and offers to create one.
func (h *Handlers) TokensPage(c echo.Context) error {
	si, err := requireLogin(c)
	if si == nil {
		return err
	}
	return h.renderTokens(c, si.Account.ID, http.StatusOK, tokensView{})
}

func (h *Handlers) renderTokens(c echo.Context, accountID int64, status int, v tokensView) error {
	ts, err := h.svc.ListAccessTokens(c.Request().Context(), accountID)
	if err != nil {
		return err
	}
	v.Tokens = ts
	// The page may show a secret: keep it out of every cache.
	c.Response().Header().Set("Cache-Control", "no-store")
	return h.render(c, status, "tokens", "Access tokens", v)
}

// CreateToken creates a token (the same service method as the CLI's) and
// shows it once.
func (h *Handlers) CreateToken(c echo.Context) error {
	si, err := requireLogin(c)
	if si == nil {
		return err
	}
	name := c.FormValue("name")
	scopes := []string{models.ScopeRead}
	if c.FormValue("write") == "on" {
		scopes = append(scopes, models.ScopeWrite)
	}
	token, _, err := h.svc.CreateAccessToken(c.Request().Context(), si.Account.ID, name, scopes)
	if err != nil {
		if msg, status, ok := formProblem(err); ok {
			return h.renderTokens(c, si.Account.ID, status, tokensView{Name: name, Error: msg})
		}
		return err
	}
	return h.renderTokens(c, si.Account.ID, http.StatusCreated, tokensView{Token: token})
}

// RevokeToken revokes one of the logged-in person's tokens.
func (h *Handlers) RevokeToken(c echo.Context) error {
	si, err := requireLogin(c)
	if si == nil {
		return err
	}
	id, err := strconv.ParseInt(c.Param("id"), 10, 64)
	if err != nil {
		return service.NotFound("token")
	}
	if err := h.svc.RevokeAccessToken(c.Request().Context(), si.Account.ID, id); err != nil {
		return err
	}
	return c.Redirect(http.StatusSeeOther, "/settings/tokens")
}
