package api

import (
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"
	"github.com/practica-social/practica/models"
)

// Join answers POST /communities/{handle}/join with the caller's
// membership: accepted at once in an open local community, pending where
// moderators approve or the community is on another server.
func (h *Handlers) Join(c echo.Context) error {
	ctx := c.Request().Context()
	cm, err := h.svc.CommunityByHandle(ctx, handleParam(c))
	if err != nil {
		return err
	}
	if _, err := h.svc.Join(ctx, actorOf(c), cm); err != nil {
		return err
	}
	m, err := h.svc.MembershipOf(ctx, cm, actorOf(c))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, MembershipToAPI(m))
}

// Leave answers POST /communities/{handle}/leave. Leaving a community one
// is not in is not an error.
func (h *Handlers) Leave(c echo.Context) error {
	ctx := c.Request().Context()
	cm, err := h.svc.CommunityByHandle(ctx, handleParam(c))
	if err != nil {
		return err
	}
	if err := h.svc.Leave(ctx, actorOf(c), cm); err != nil {
		return err
	}
	return c.NoContent(http.StatusNoContent)
}

// Members answers GET /communities/{handle}/members?role=&cursor=&limit=:
// accepted members with their roles and origin. Outsiders of a public
// community get only the total; of a members-only community, 404. The
// moderators (role=owner,moderator) are public.
func (h *Handlers) Members(c echo.Context) error {
	ctx := c.Request().Context()
	cursor, limit, err := pageParams(c, cursorMembers)
	if err != nil {
		return err
	}
	var roles []models.Role
	for _, v := range c.QueryParams()["role"] {
		for _, r := range strings.Split(v, ",") {
			if r = strings.TrimSpace(r); r != "" {
				roles = append(roles, models.Role(r))
			}
		}
	}
	cm, err := h.svc.CommunityByHandle(ctx, handleParam(c))
	if err != nil {
		return err
	}
	page, show, err := h.svc.MembersPage(ctx, cm, viewerOf(c), roles, cursor, limit)
	if err != nil {
		return err
	}
	out := Page[Member]{Items: []Member{}}
	if show {
		for i := range page.Items {
			out.Items = append(out.Items, MemberToAPI(&page.Items[i]))
		}
		out.NextCursor = encodeCursor(cursorMembers, page.Next)
	}
	if len(roles) == 0 {
		out.Total = &page.Total
	}
	return c.JSON(http.StatusOK, out)
}
