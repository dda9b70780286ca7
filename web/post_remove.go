package web

import (
	"net/http"

	"github.com/labstack/echo/v4"
)

// RemovePostForm asks a moderator for the reason of a removal, and to
// confirm it.
func (h *Handlers) RemovePostForm(c echo.Context) error {
	si, err := requireLogin(c)
	if si == nil {
		return err
	}
	id, err := idParam(c, "id")
	if err != nil {
		return err
	}
	p, cm, threadID, err := h.svc.PostToRemove(c.Request().Context(), si.Account.ActorID, id)
	if err != nil {
		return err
	}
	return h.render(c, http.StatusOK, "post_remove", "Remove post", postForm{Community: cm, Post: p, ThreadID: threadID})
}

// RemovePost removes a post on a moderator's decision and returns to its
// thread, or to the community when the thread itself went.
func (h *Handlers) RemovePost(c echo.Context) error {
	si, err := requireLogin(c)
	if si == nil {
		return err
	}
	id, err := idParam(c, "id")
	if err != nil {
		return err
	}
	ctx := c.Request().Context()
	p, cm, threadID, err := h.svc.PostToRemove(ctx, si.Account.ActorID, id)
	if err != nil {
		return err
	}
	reason := c.FormValue("reason")
	if err := h.svc.RemovePost(ctx, si.Account.ActorID, id, reason); err != nil {
		if msg, status, ok := formProblem(err); ok {
			return h.render(c, status, "post_remove", "Remove post", postForm{Community: cm, Post: p, ThreadID: threadID, Body: reason, Error: msg})
		}
		return err
	}
	if p.ThreadID == nil {
		return c.Redirect(http.StatusSeeOther, communityPath(cm.Actor))
	}
	return c.Redirect(http.StatusSeeOther, threadPath(cm.Actor, threadID))
}
