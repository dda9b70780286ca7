package api

import (
	"net/http"
	"net/url"

	"github.com/labstack/echo/v4"
)

// BlockedServers answers GET /admin/blocked-servers: the servers this
// instance does not federate with, by host. Any token may read it, as the
// About page shows the same list to everyone.
func (h *Handlers) BlockedServers(c echo.Context) error {
	bs, err := h.svc.BlockedServers(c.Request().Context())
	if err != nil {
		return err
	}
	out := Page[BlockedServer]{Items: make([]BlockedServer, 0, len(bs))}
	for i := range bs {
		out.Items = append(out.Items, BlockedServerToAPI(&bs[i]))
	}
	return c.JSON(http.StatusOK, out)
}

// BlockServer answers POST /admin/blocked-servers with {"host", "reason"}:
// an admin blocks a server (see service.BlockServer), and learns what the
// block ended.
func (h *Handlers) BlockServer(c echo.Context) error {
	var req BlockServerRequest
	if err := decodeBody(c, &req); err != nil {
		return err
	}
	if err := required("host", req.Host); err != nil {
		return err
	}
	out, err := h.svc.BlockServer(c.Request().Context(), tokenOf(c).AccountID, *req.Host, req.Reason)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusCreated, ServerBlockedToAPI(out))
}

// UnblockServer answers DELETE /admin/blocked-servers/{host}: an admin
// lifts a block. What the block ended stays ended.
func (h *Handlers) UnblockServer(c echo.Context) error {
	host := c.Param("host")
	if u, err := url.PathUnescape(host); err == nil {
		host = u
	}
	if err := h.svc.UnblockServer(c.Request().Context(), tokenOf(c).AccountID, host); err != nil {
		return err
	}
	return c.NoContent(http.StatusNoContent)
}
