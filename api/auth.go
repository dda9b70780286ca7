package api

import (
	"fmt"
	"strings"

	"github.com/labstack/echo/v4"
	"github.com/practica-social/practica/models"
	"github.com/practica-social/practica/service"
)

// Scopes a route may require (models.ScopeRead, models.ScopeWrite).
const (
	scopeRead  = models.ScopeRead
	scopeWrite = models.ScopeWrite
)

// tokenKey is where authenticate leaves the caller's token in the Echo
// context.
const tokenKey = "api.token"

// authenticate requires a live personal access token carrying scope
// (RFC 6750): 401 for a missing, malformed, unknown or revoked token, 403
// for a token without the scope. The WWW-Authenticate header tells clients
// which it was.
func (h *Handlers) authenticate(scope string) echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			header := c.Response().Header()
			raw := strings.TrimSpace(c.Request().Header.Get(echo.HeaderAuthorization))
			if raw == "" {
				header.Set(echo.HeaderWWWAuthenticate, `Bearer realm="practica"`)
				return service.Unauthorized("this endpoint needs an access token: send Authorization: Bearer <token>")
			}
			scheme, token, ok := strings.Cut(raw, " ")
			if !ok || !strings.EqualFold(scheme, "Bearer") || strings.TrimSpace(token) == "" {
				header.Set(echo.HeaderWWWAuthenticate, `Bearer realm="practica", error="invalid_request"`)
				return service.Unauthorized("the Authorization header must be: Bearer <token>")
			}
			t, err := h.svc.AuthenticateToken(c.Request().Context(), strings.TrimSpace(token))
			if err != nil {
				if service.KindOf(err) == service.KindUnauthorized {
					header.Set(echo.HeaderWWWAuthenticate, `Bearer realm="practica", error="invalid_token"`)
				}
				return err
			}
			if !t.HasScope(scope) {
				header.Set(echo.HeaderWWWAuthenticate, fmt.Sprintf(`Bearer realm="practica", error="insufficient_scope", scope=%q`, scope))
				return service.Forbidden(fmt.Sprintf("this token lacks the %s scope", scope))
			}
			c.Set(tokenKey, t)
			return next(c)
		}
	}
}

// tokenOf is the authenticated caller's token, with its account and actor.
// Only routes behind authenticate call it.
func tokenOf(c echo.Context) *models.AccessToken {
	t, _ := c.Get(tokenKey).(*models.AccessToken)
	return t
}

// actorOf is the caller's Person actor id.
func actorOf(c echo.Context) int64 {
	if t := tokenOf(c); t != nil {
		return t.Account.ActorID
	}
	return 0
}

// viewerOf is the caller as a viewer of content.
func viewerOf(c echo.Context) service.Viewer {
	return service.Viewer{ActorID: actorOf(c)}
}
