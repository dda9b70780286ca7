package api

import (
	"net/http"
	"strconv"

	"github.com/labstack/echo/v4"
	"github.com/practica-social/practica/models"
	"github.com/practica-social/practica/service"
)

// Threads answers GET /communities/{handle}/threads?cursor=&limit=: the
// threads the caller may see, newest first. A members-only community's
// threads are 404 to outsiders.
func (h *Handlers) Threads(c echo.Context) error {
	ctx := c.Request().Context()
	cursor, limit, err := pageParams(c, cursorThreads)
	if err != nil {
		return err
	}
	cm, err := h.svc.CommunityByHandle(ctx, handleParam(c))
	if err != nil {
		return err
	}
	page, err := h.svc.CommunityThreads(ctx, cm, viewerOf(c), cursor, limit)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, postsToAPI(page, CommunityToAPI(cm).Handle, cursorThreads))
}

// CreateThread answers POST /communities/{handle}/threads with the new
// first post.
func (h *Handlers) CreateThread(c echo.Context) error {
	ctx := c.Request().Context()
	var req CreateThreadRequest
	if err := decodeBody(c, &req); err != nil {
		return err
	}
	if err := required("title", req.Title); err != nil {
		return err
	}
	if err := required("body", req.Body); err != nil {
		return err
	}
	cm, err := h.svc.CommunityByHandle(ctx, handleParam(c))
	if err != nil {
		return err
	}
	p, err := h.svc.CreatePost(ctx, service.NewPost{AuthorID: actorOf(c), CommunityID: cm.ID, Title: *req.Title, Body: *req.Body})
	if err != nil {
		return err
	}
	return created(c, p, cm)
}

// GetPost answers GET /posts/{id}?cursor=&limit=: a post the caller may
// see, with one page of replies (the whole thread's for a first post, the
// direct answers for a reply). Others' members-only posts are 404.
func (h *Handlers) GetPost(c echo.Context) error {
	id, err := postIDParam(c)
	if err != nil {
		return err
	}
	cursor, limit, err := pageParams(c, cursorReplies)
	if err != nil {
		return err
	}
	pv, err := h.svc.PostWithReplies(c.Request().Context(), id, viewerOf(c), cursor, limit)
	if err != nil {
		return err
	}
	handle := CommunityToAPI(pv.Community).Handle
	return c.JSON(http.StatusOK, PostWithReplies{
		Post:    PostToAPI(pv.Post, handle, pv.Liked),
		Replies: postsToAPI(pv.Replies, handle, cursorReplies),
	})
}

// Reply answers POST /posts/{id}/replies with the new reply.
func (h *Handlers) Reply(c echo.Context) error {
	var req ReplyRequest
	if err := decodeBody(c, &req); err != nil {
		return err
	}
	if err := required("body", req.Body); err != nil {
		return err
	}
	cm, parent, err := h.visiblePost(c)
	if err != nil {
		return err
	}
	p, err := h.svc.CreatePost(c.Request().Context(), service.NewPost{AuthorID: actorOf(c), CommunityID: cm.ID, InReplyToID: parent.ID, Body: *req.Body})
	if err != nil {
		return err
	}
	return created(c, p, cm)
}

// EditPost answers PATCH /posts/{id}: the author changes the title (of a
// first post) or the body; absent fields keep their values.
func (h *Handlers) EditPost(c echo.Context) error {
	var req EditPostRequest
	if err := decodeBody(c, &req); err != nil {
		return err
	}
	if req.Title == nil && req.Body == nil {
		return service.Invalid("body: send title, body or both")
	}
	cm, p, err := h.visiblePost(c)
	if err != nil {
		return err
	}
	title, body := p.Title, p.Source
	if req.Title != nil {
		title = *req.Title
	}
	if req.Body != nil {
		body = *req.Body
	}
	p, err = h.svc.EditPost(c.Request().Context(), actorOf(c), p.ID, title, body)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, PostToAPI(p, CommunityToAPI(cm).Handle, false))
}

// DeletePost answers DELETE /posts/{id}: the author deletes the post.
func (h *Handlers) DeletePost(c echo.Context) error {
	_, p, err := h.visiblePost(c)
	if err != nil {
		return err
	}
	if err := h.svc.DeletePost(c.Request().Context(), actorOf(c), p.ID); err != nil {
		return err
	}
	return c.NoContent(http.StatusNoContent)
}

// RemovePost answers POST /posts/{id}/remove: a moderator of the post's
// local community removes it, with an optional reason
// (service.RemovePost).
func (h *Handlers) RemovePost(c echo.Context) error {
	var req RemovePostRequest
	if err := decodeBody(c, &req); err != nil {
		return err
	}
	_, p, err := h.visiblePost(c)
	if err != nil {
		return err
	}
	if err := h.svc.RemovePost(c.Request().Context(), actorOf(c), p.ID, req.Reason); err != nil {
		return err
	}
	return c.NoContent(http.StatusNoContent)
}

// Like answers POST /posts/{id}/like. Liking twice is not an error.
func (h *Handlers) Like(c echo.Context) error {
	_, p, err := h.visiblePost(c)
	if err != nil {
		return err
	}
	if err := h.svc.LikePost(c.Request().Context(), actorOf(c), p.ID); err != nil {
		return err
	}
	return c.NoContent(http.StatusNoContent)
}

// Unlike answers DELETE /posts/{id}/like. Unliking a post not liked is
// not an error.
func (h *Handlers) Unlike(c echo.Context) error {
	_, p, err := h.visiblePost(c)
	if err != nil {
		return err
	}
	if err := h.svc.UnlikePost(c.Request().Context(), actorOf(c), p.ID); err != nil {
		return err
	}
	return c.NoContent(http.StatusNoContent)
}

// visiblePost loads the :id post as the caller may see it, before acting
// on it: a post the caller cannot see answers 404, never 403, so ids do
// not reveal members-only posts.
func (h *Handlers) visiblePost(c echo.Context) (*models.Community, *models.Post, error) {
	id, err := postIDParam(c)
	if err != nil {
		return nil, nil, err
	}
	cm, p, _, err := h.svc.PostLocation(c.Request().Context(), id, viewerOf(c))
	return cm, p, err
}

// created renders a new post with 201 and its location.
func created(c echo.Context, p *models.Post, cm *models.Community) error {
	c.Response().Header().Set(echo.HeaderLocation, Prefix+"/posts/"+strconv.FormatInt(p.ID, 10))
	return c.JSON(http.StatusCreated, PostToAPI(p, CommunityToAPI(cm).Handle, false))
}
