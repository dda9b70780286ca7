package web

import (
	"github.com/labstack/echo/v4"
	"github.com/practica-social/practica/models"
)

// Home lists the instance's communities.
func (h *Handlers) Home(c echo.Context) error {
	cs, err := h.svc.ListLocalCommunities(c.Request().Context(), 50)
	if err != nil {
		return err
	}
	return h.render(c, 200, "home", "Communities", map[string]any{"Communities": cs})
}

// CommunityPage shows a community's domain statement and how to follow it
// from another server.
func (h *Handlers) CommunityPage(c echo.Context) error {
	ctx := c.Request().Context()
	cm, err := h.svc.LocalCommunity(ctx, c.Param("name"))
	if err != nil {
		return err
	}
	return h.render(c, 200, "community", cm.Actor.Name, map[string]any{
		"Community": cm,
		"Handle":    "@" + cm.Actor.Username + "@" + cm.Actor.Host,
		"Members":   cm.Visibility == models.VisibilityPublic,
	})
}

// PersonPage shows a local person's profile.
func (h *Handlers) PersonPage(c echo.Context) error {
	a, err := h.svc.LocalPerson(c.Request().Context(), c.Param("name"))
	if err != nil {
		return err
	}
	return h.render(c, 200, "person", a.Name, map[string]any{"Actor": a, "Handle": "@" + a.Username + "@" + a.Host})
}

// InstancePage describes the instance (the instance actor's page).
func (h *Handlers) InstancePage(c echo.Context) error {
	return h.render(c, 200, "about", "About "+h.svc.InstanceName(), nil)
}
