package api

import (
	"net/http"
	"net/url"

	"github.com/labstack/echo/v4"
	"github.com/practica-social/practica/models"
)

// memberParam is the {member} path parameter: the handle of the person
// concerned, "name" or "name@host".
func memberParam(c echo.Context) string {
	m := c.Param("member")
	if u, err := url.PathUnescape(m); err == nil {
		m = u
	}
	return m
}

// moderatedMember finds the local community of the request's {handle} and
// the membership named by {member}, for a moderator's action.
func (h *Handlers) moderatedMember(c echo.Context) (*models.Community, *models.Member, error) {
	ctx := c.Request().Context()
	cm, err := h.svc.CommunityByHandle(ctx, handleParam(c))
	if err != nil {
		return nil, nil, err
	}
	m, err := h.svc.MemberByHandle(ctx, cm, actorOf(c), memberParam(c))
	if err != nil {
		return nil, nil, err
	}
	return cm, m, nil
}

// MembershipRequests answers GET /communities/{handle}/requests: the
// requests to join waiting for a decision, oldest first (at most 200), for
// the community's moderators.
func (h *Handlers) MembershipRequests(c echo.Context) error {
	ctx := c.Request().Context()
	cm, err := h.svc.CommunityByHandle(ctx, handleParam(c))
	if err != nil {
		return err
	}
	pending, err := h.svc.PendingMembers(ctx, cm, actorOf(c))
	if err != nil {
		return err
	}
	out := Page[MembershipRequest]{Items: make([]MembershipRequest, 0, len(pending))}
	for i := range pending {
		out.Items = append(out.Items, MembershipRequestToAPI(&pending[i]))
	}
	return c.JSON(http.StatusOK, out)
}

// ApproveMember answers POST /communities/{handle}/requests/{member}/approve.
func (h *Handlers) ApproveMember(c echo.Context) error { return h.decide(c, true) }

// RejectMember answers POST /communities/{handle}/requests/{member}/reject.
func (h *Handlers) RejectMember(c echo.Context) error { return h.decide(c, false) }

func (h *Handlers) decide(c echo.Context, approve bool) error {
	cm, m, err := h.moderatedMember(c)
	if err != nil {
		return err
	}
	if err := h.svc.DecideMember(c.Request().Context(), cm, actorOf(c), m.ActorID, approve); err != nil {
		return err
	}
	return c.NoContent(http.StatusNoContent)
}

// SetMemberRole answers PATCH /communities/{handle}/members/{member} with
// {"role": "moderator"} or {"role": "member"}: the owner appoints or
// dismisses a moderator.
func (h *Handlers) SetMemberRole(c echo.Context) error {
	var req SetMemberRoleRequest
	if err := decodeBody(c, &req); err != nil {
		return err
	}
	cm, m, err := h.moderatedMember(c)
	if err != nil {
		return err
	}
	ctx := c.Request().Context()
	if err := h.svc.SetMemberRole(ctx, cm, actorOf(c), m.ActorID, models.Role(req.Role)); err != nil {
		return err
	}
	updated, err := h.svc.MemberByHandle(ctx, cm, actorOf(c), memberParam(c))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, MemberToAPI(updated))
}

// RemoveMember answers DELETE /communities/{handle}/members/{member}: a
// moderator ends someone's membership (see service.RemoveMember).
func (h *Handlers) RemoveMember(c echo.Context) error {
	cm, m, err := h.moderatedMember(c)
	if err != nil {
		return err
	}
	if err := h.svc.RemoveMember(c.Request().Context(), cm, actorOf(c), m.ActorID); err != nil {
		return err
	}
	return c.NoContent(http.StatusNoContent)
}
