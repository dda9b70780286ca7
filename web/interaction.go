package web

import (
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"
	"github.com/practica-social/practica/service"
)

// maxInteractionRef bounds the uri of /authorize_interaction: an actor id
// fits the IRI columns.
const maxInteractionRef = 2048

// AuthorizeInteraction is the target of our WebFinger's subscribe
// template (/authorize_interaction?uri={uri}): a person of ours, on a
// community's page on another server, typed their handle and was sent
// here. They see the community and a Join button, which posts to the
// community's ordinary join route. uri is the community's actor id or
// handle. Logged out, they log in first and come back.
func (h *Handlers) AuthorizeInteraction(c echo.Context) error {
	si, err := requireLogin(c)
	if si == nil {
		return err
	}
	ref := strings.TrimSpace(c.QueryParam("uri"))
	if ref == "" || len(ref) > maxInteractionRef {
		return service.Invalid("uri: name the community to join by its address or as @name@server")
	}
	if h.finder == nil {
		return &service.Error{Kind: service.KindUnavailable, Message: "joining communities on other servers is not available here"}
	}
	ctx := c.Request().Context()
	cm, err := h.finder.LookupCommunity(ctx, ref)
	if err != nil {
		if service.KindOf(err) == service.KindNotFound {
			return &service.Error{Kind: service.KindNotFound, Err: err,
				Message: "no community was found at " + ref + "; only communities can be joined from here"}
		}
		return err
	}
	m, err := h.svc.MembershipOf(ctx, cm, si.Account.ActorID)
	if err != nil {
		return err
	}
	return h.render(c, http.StatusOK, "authorize_interaction", "Join "+cm.Actor.Name, map[string]any{
		"Community": cm, "Handle": handleOf(cm.Actor), "Membership": m,
	})
}
