package api

import (
	"context"
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"
	"github.com/practica-social/practica/models"
	"github.com/practica-social/practica/service"
)

// Resolver finds a community by its handle on another server (WebFinger,
// then the Group actor) and records it as known, so that people here can
// join it. Errors are *service.Error values whose kind says what to
// answer: not found, invalid, or unavailable when the server is down.
type Resolver interface {
	LookupCommunity(ctx context.Context, handle string) (*models.Community, error)
}

// Lookup answers GET /lookup?handle=@name@host with the community of that
// handle: a local one from the database, a remote one through the
// Resolver (which may fetch it).
func (h *Handlers) Lookup(c echo.Context) error {
	ctx := c.Request().Context()
	raw := c.QueryParam("handle")
	if raw == "" {
		return service.Invalid("handle: required, e.g. @gardening@example.org")
	}
	name, host, ok := splitHandle(raw)
	if !ok {
		return service.Invalid("handle: must look like @name@host")
	}
	var cm *models.Community
	var err error
	switch {
	case strings.EqualFold(host, h.svc.URLs().Host()):
		cm, err = h.svc.LocalCommunity(ctx, name)
	case h.resolver == nil:
		err = &service.Error{Kind: service.KindUnavailable, Message: "this server cannot look up handles on other servers"}
	default:
		cm, err = h.resolver.LookupCommunity(ctx, name+"@"+host)
	}
	if err != nil {
		return err
	}
	out, err := h.communityFor(c, cm)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, out)
}

// splitHandle reads "@name@host", "name@host" or "acct:name@host". The
// resolver checks the host thoroughly; this only refuses what cannot be a
// handle, naming the parameter.
func splitHandle(raw string) (name, host string, ok bool) {
	h := strings.TrimPrefix(strings.TrimPrefix(strings.TrimSpace(raw), "acct:"), "@")
	name, host, ok = strings.Cut(h, "@")
	if !ok || name == "" || host == "" || len(h) > 512 || strings.ContainsAny(h[len(name)+1:], "@/?# \t\r\n") || strings.ContainsAny(name, "/?#% \t\r\n") {
		return "", "", false
	}
	return name, strings.TrimSuffix(strings.ToLower(host), "."), true
}
