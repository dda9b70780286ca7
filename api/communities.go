package api

import (
	"net/http"
	"net/url"

	"github.com/labstack/echo/v4"
	"github.com/practica-social/practica/models"
	"github.com/practica-social/practica/service"
)

// ListCommunities answers GET /communities?q=&cursor=&limit=: local and
// known remote communities, newest first, optionally matching q (part of
// a handle, host, name or topic).
func (h *Handlers) ListCommunities(c echo.Context) error {
	cursor, limit, err := pageParams(c, cursorCommunities)
	if err != nil {
		return err
	}
	page, err := h.svc.CommunityDirectory(c.Request().Context(), c.QueryParam("q"), viewerOf(c), cursor, limit)
	if err != nil {
		return err
	}
	items := make([]Community, len(page.Items))
	for i := range page.Items {
		items[i] = CommunityToAPI(&page.Items[i])
	}
	return c.JSON(http.StatusOK, Page[Community]{Items: items, NextCursor: encodeCursor(cursorCommunities, page.Next)})
}

// GetCommunity answers GET /communities/{handle}: the profile, the member
// count where the caller may know it, and the caller's membership.
func (h *Handlers) GetCommunity(c echo.Context) error {
	cm, err := h.svc.CommunityByHandle(c.Request().Context(), handleParam(c))
	if err != nil {
		return err
	}
	out, err := h.communityFor(c, cm)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, out)
}

// communityFor renders a community with what the caller may know of it.
func (h *Handlers) communityFor(c echo.Context, cm *models.Community) (Community, error) {
	ctx := c.Request().Context()
	out := CommunityToAPI(cm)
	n, ok, err := h.svc.MemberCount(ctx, cm, viewerOf(c))
	if err != nil {
		return out, err
	}
	if ok {
		out.MemberCount = &n
	}
	m, err := h.svc.MembershipOf(ctx, cm, actorOf(c))
	if err != nil {
		return out, err
	}
	mm := MembershipToAPI(m)
	out.Membership = &mm
	return out, nil
}

// CreateCommunity answers POST /communities: the caller becomes its owner.
func (h *Handlers) CreateCommunity(c echo.Context) error {
	var req CreateCommunityRequest
	if err := decodeBody(c, &req); err != nil {
		return err
	}
	if err := required("handle", req.Handle); err != nil {
		return err
	}
	cm, err := h.svc.CreateCommunity(c.Request().Context(), service.NewCommunity{
		Handle: *req.Handle, Name: req.Name, Summary: req.Summary, Topics: req.Topics,
		Visibility: models.Visibility(req.Visibility), JoinPolicy: models.JoinPolicy(req.JoinPolicy), OwnerID: actorOf(c),
	})
	if err != nil {
		return err
	}
	out, err := h.communityFor(c, cm)
	if err != nil {
		return err
	}
	c.Response().Header().Set(echo.HeaderLocation, Prefix+"/communities/"+url.PathEscape(out.Handle))
	return c.JSON(http.StatusCreated, out)
}

// UpdateCommunity answers PATCH /communities/{handle}: owners and
// moderators change the domain statement and policies; absent fields keep
// their values.
func (h *Handlers) UpdateCommunity(c echo.Context) error {
	ctx := c.Request().Context()
	var req UpdateCommunityRequest
	if err := decodeBody(c, &req); err != nil {
		return err
	}
	cm, err := h.svc.CommunityByHandle(ctx, handleParam(c))
	if err != nil {
		return err
	}
	edit := service.CommunityEdit{
		Name: cm.Actor.Name, Summary: cm.Actor.SummarySource, Topics: cm.Topics,
		Visibility: cm.Visibility, JoinPolicy: cm.JoinPolicy,
	}
	if req.Name != nil {
		edit.Name = *req.Name
	}
	if req.Summary != nil {
		edit.Summary = *req.Summary
	}
	if req.Topics != nil {
		edit.Topics = *req.Topics
	}
	if req.Visibility != nil {
		edit.Visibility = models.Visibility(*req.Visibility)
	}
	if req.JoinPolicy != nil {
		edit.JoinPolicy = models.JoinPolicy(*req.JoinPolicy)
	}
	cm, err = h.svc.UpdateCommunity(ctx, actorOf(c), cm.ID, edit)
	if err != nil {
		return err
	}
	out, err := h.communityFor(c, cm)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, out)
}
