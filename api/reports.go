package api

import (
	"net/http"
	"strconv"

	"github.com/labstack/echo/v4"
	"github.com/practica-social/practica/service"
)

// ReportPost answers POST /posts/{id}/report with {"comment": "…"}: the
// post goes to its community's moderators (service.ReportPost).
func (h *Handlers) ReportPost(c echo.Context) error {
	var req ReportPostRequest
	if err := decodeBody(c, &req); err != nil {
		return err
	}
	_, p, err := h.visiblePost(c)
	if err != nil {
		return err
	}
	if _, err := h.svc.ReportPost(c.Request().Context(), actorOf(c), p.ID, req.Comment); err != nil {
		return err
	}
	return c.NoContent(http.StatusNoContent)
}

// Reports answers GET /communities/{handle}/reports?state=open|closed for
// the community's moderators: open reports oldest first, closed ones
// newest first.
func (h *Handlers) Reports(c echo.Context) error {
	ctx := c.Request().Context()
	cursor, limit, err := pageParams(c, cursorReports)
	if err != nil {
		return err
	}
	open := true
	switch c.QueryParam("state") {
	case "", "open":
	case "closed":
		open = false
	default:
		return service.Invalid("state: must be open or closed")
	}
	cm, err := h.svc.CommunityByHandle(ctx, handleParam(c))
	if err != nil {
		return err
	}
	rs, err := h.svc.Reports(ctx, cm, actorOf(c), open, cursor, limit+1)
	if err != nil {
		return err
	}
	out := Page[Report]{Items: []Report{}}
	if len(rs) > limit {
		rs = rs[:limit]
		out.NextCursor = encodeCursor(cursorReports, rs[limit-1].ID)
	}
	handle := CommunityToAPI(cm).Handle
	for i := range rs {
		out.Items = append(out.Items, ReportToAPI(&rs[i], handle))
	}
	return c.JSON(http.StatusOK, out)
}

// ResolveReport answers POST /communities/{handle}/reports/{id}/resolve.
func (h *Handlers) ResolveReport(c echo.Context) error { return h.closeReport(c, false) }

// DismissReport answers POST /communities/{handle}/reports/{id}/dismiss.
func (h *Handlers) DismissReport(c echo.Context) error { return h.closeReport(c, true) }

func (h *Handlers) closeReport(c echo.Context, dismiss bool) error {
	ctx := c.Request().Context()
	id, err := strconv.ParseInt(c.Param("id"), 10, 64)
	if err != nil || id <= 0 {
		return service.NotFound("report")
	}
	cm, err := h.svc.CommunityByHandle(ctx, handleParam(c))
	if err != nil {
		return err
	}
	if err := h.svc.CloseReport(ctx, cm, actorOf(c), id, dismiss); err != nil {
		return err
	}
	return c.NoContent(http.StatusNoContent)
}
