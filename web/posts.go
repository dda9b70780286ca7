package web

import (
	"context"
	"net/http"

	"github.com/labstack/echo/v4"
	"github.com/practica-social/practica/models"
	"github.com/practica-social/practica/service"
)

// postForm is the edit and delete forms' data.
type postForm struct {
	Community *models.Community
	Post      *models.Post
	ThreadID  int64
	Title     string
	Body      string
	Error     string
}

// Like records the logged-in person's like of a post.
func (h *Handlers) Like(c echo.Context) error { return h.react(c, h.svc.LikePost) }

// Unlike takes back the logged-in person's like of a post.
func (h *Handlers) Unlike(c echo.Context) error { return h.react(c, h.svc.UnlikePost) }

// react runs a like or an unlike of the :id post by the logged-in person,
// who must be able to see it, and returns to the post.
func (h *Handlers) react(c echo.Context, act func(ctx context.Context, actorID, postID int64) error) error {
	si, err := requireLogin(c)
	if si == nil {
		return err
	}
	ctx := c.Request().Context()
	id, err := idParam(c, "id")
	if err != nil {
		return err
	}
	cm, _, threadID, err := h.svc.PostLocation(ctx, id, viewer(c))
	if err != nil {
		return err
	}
	if err := act(ctx, si.Account.ActorID, id); err != nil {
		return err
	}
	return c.Redirect(http.StatusSeeOther, postAnchor(cm, id, threadID))
}

// ownPost loads a post for its author's edit or delete form. The service
// checks authorship again when the form is sent.
func (h *Handlers) ownPost(c echo.Context, si *service.SignedIn) (postForm, error) {
	id, err := idParam(c, "id")
	if err != nil {
		return postForm{}, err
	}
	cm, p, threadID, err := h.svc.PostLocation(c.Request().Context(), id, viewer(c))
	if err != nil {
		return postForm{}, err
	}
	if p.AuthorID != si.Account.ActorID || !p.Local {
		return postForm{}, service.Forbidden("only the author may change this post")
	}
	return postForm{Community: cm, Post: p, ThreadID: threadID, Title: p.Title, Body: p.Source}, nil
}

// EditPostForm shows a post's text for its author to edit.
func (h *Handlers) EditPostForm(c echo.Context) error {
	si, err := requireLogin(c)
	if si == nil {
		return err
	}
	f, err := h.ownPost(c, si)
	if err != nil {
		return err
	}
	return h.render(c, http.StatusOK, "post_edit", "Edit post", f)
}

// EditPost saves the author's edit.
func (h *Handlers) EditPost(c echo.Context) error {
	si, err := requireLogin(c)
	if si == nil {
		return err
	}
	id, err := idParam(c, "id")
	if err != nil {
		return err
	}
	ctx := c.Request().Context()
	title, body := c.FormValue("title"), c.FormValue("body")
	p, err := h.svc.EditPost(ctx, si.Account.ActorID, id, title, body)
	if err != nil {
		if msg, status, ok := formProblem(err); ok {
			f, ferr := h.ownPost(c, si)
			if ferr != nil {
				return ferr
			}
			f.Title, f.Body, f.Error = title, body, msg
			return h.render(c, status, "post_edit", "Edit post", f)
		}
		return err
	}
	cm, _, threadID, err := h.svc.PostLocation(ctx, p.ID, viewer(c))
	if err != nil {
		return err
	}
	return c.Redirect(http.StatusSeeOther, postAnchor(cm, p.ID, threadID))
}

// DeletePostForm asks the author to confirm a deletion: without
// JavaScript there is no confirm dialog, so it is a page.
func (h *Handlers) DeletePostForm(c echo.Context) error {
	si, err := requireLogin(c)
	if si == nil {
		return err
	}
	f, err := h.ownPost(c, si)
	if err != nil {
		return err
	}
	return h.render(c, http.StatusOK, "post_delete", "Delete post", f)
}

// DeletePost deletes the author's post and returns to its thread, or to
// the community when the thread itself went.
func (h *Handlers) DeletePost(c echo.Context) error {
	si, err := requireLogin(c)
	if si == nil {
		return err
	}
	ctx := c.Request().Context()
	f, err := h.ownPost(c, si)
	if err != nil {
		return err
	}
	if err := h.svc.DeletePost(ctx, si.Account.ActorID, f.Post.ID); err != nil {
		return err
	}
	if f.Post.ThreadID == nil {
		return c.Redirect(http.StatusSeeOther, communityPath(f.Community.Actor))
	}
	return c.Redirect(http.StatusSeeOther, threadPath(f.Community.Actor, f.ThreadID))
}
