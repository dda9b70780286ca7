package web

import (
	"fmt"
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"
	"github.com/practica-social/practica/models"
	"github.com/practica-social/practica/service"
	"github.com/practica-social/practica/service/content"
)

// repliesPerPage is how many replies a thread page shows.
const repliesPerPage = 50

// postAnchor is a post's place on its thread page.
func postAnchor(cm *models.Community, postID, threadID int64) string {
	return fmt.Sprintf("%s#p%d", threadPath(cm.Actor, threadID), postID)
}

// threadForm is the new-thread and reply forms' data.
type threadForm struct {
	Community *models.Community
	Title     string
	Body      string
	// Parent is the post a reply answers; RootID its thread.
	Parent *models.Post
	RootID int64
	Error  string
}

// NewThreadForm shows the form that starts a thread.
func (h *Handlers) NewThreadForm(c echo.Context) error {
	si, err := requireLogin(c)
	if si == nil {
		return err
	}
	cm, err := h.svc.CommunityByHandle(c.Request().Context(), c.Param("name"))
	if err != nil {
		return err
	}
	return h.render(c, http.StatusOK, "thread_form", "New thread in "+cm.Actor.Name, threadForm{Community: cm})
}

// CreateThread starts a thread.
func (h *Handlers) CreateThread(c echo.Context) error {
	si, cm, err := h.loggedInCommunity(c)
	if cm == nil {
		return err
	}
	ctx := c.Request().Context()
	f := threadForm{Community: cm, Title: c.FormValue("title"), Body: c.FormValue("body")}
	p, err := h.svc.CreatePost(ctx, service.NewPost{AuthorID: si.Account.ActorID, CommunityID: cm.ID, Title: f.Title, Body: f.Body})
	if err != nil {
		if msg, status, ok := formProblem(err); ok {
			f.Error = msg
			return h.render(c, status, "thread_form", "New thread in "+cm.Actor.Name, f)
		}
		return err
	}
	return c.Redirect(http.StatusSeeOther, threadPath(cm.Actor, p.ID))
}

// threadView is the thread page's data.
type threadView struct {
	*service.ThreadView
	// After is the cursor this page started at (0: the first page).
	After int64
}

// ThreadPage shows a thread: its first post and a page of replies nested
// one level, with likes, replies and quotes, and what is new since the
// reader's last visit.
func (h *Handlers) ThreadPage(c echo.Context) error {
	ctx := c.Request().Context()
	cm, err := h.svc.CommunityByHandle(ctx, c.Param("name"))
	if err != nil {
		return err
	}
	id, err := idParam(c, "id")
	if err != nil {
		return err
	}
	after := cursor(c, "after")
	tv, err := h.svc.ThreadPage(ctx, cm, id, viewer(c), after, repliesPerPage)
	if err != nil {
		return err
	}
	return h.render(c, http.StatusOK, "thread", tv.Root.Post.Title, threadView{ThreadView: tv, After: after})
}

// quote turns a post into a Markdown blockquote to answer under.
func quote(p *models.Post) string {
	text := p.Source
	if text == "" || !p.Local {
		// Remote posts' source may be in any markup; quote what readers saw.
		text = content.PlainText(p.Content)
	}
	var b strings.Builder
	if p.Author != nil {
		b.WriteString("> **" + handleOf(p.Author) + "** wrote:\n>\n")
	}
	for _, line := range strings.Split(strings.TrimSpace(text), "\n") {
		b.WriteString(strings.TrimRight("> "+line, " ") + "\n")
	}
	b.WriteString("\n")
	return b.String()
}

// ReplyForm shows the reply form for a post, prefilled with a quote of it
// when the reader chose "reply with quote".
func (h *Handlers) ReplyForm(c echo.Context) error {
	_, cm, err := h.loggedInCommunity(c)
	if cm == nil {
		return err
	}
	ctx := c.Request().Context()
	rootID, err := idParam(c, "id")
	if err != nil {
		return err
	}
	parentID := cursor(c, "to")
	if parentID == 0 {
		parentID = rootID
	}
	parent, threadID, err := h.svc.PostInCommunity(ctx, cm, parentID, viewer(c))
	if err != nil {
		return err
	}
	if threadID != rootID {
		return service.NotFound("post")
	}
	f := threadForm{Community: cm, Parent: parent, RootID: rootID}
	if c.QueryParam("quote") == "1" {
		f.Body = quote(parent)
	}
	return h.render(c, http.StatusOK, "reply_form", "Reply", f)
}

// Reply posts a reply in a thread.
func (h *Handlers) Reply(c echo.Context) error {
	si, cm, err := h.loggedInCommunity(c)
	if cm == nil {
		return err
	}
	ctx := c.Request().Context()
	rootID, err := idParam(c, "id")
	if err != nil {
		return err
	}
	parentID := rootID
	if v := c.FormValue("in_reply_to"); v != "" {
		if _, err := fmt.Sscan(v, &parentID); err != nil {
			return service.NotFound("post")
		}
	}
	parent, threadID, err := h.svc.PostInCommunity(ctx, cm, parentID, viewer(c))
	if err != nil {
		return err
	}
	if threadID != rootID {
		return service.NotFound("post")
	}
	body := c.FormValue("body")
	p, err := h.svc.CreatePost(ctx, service.NewPost{AuthorID: si.Account.ActorID, CommunityID: cm.ID, Body: body, InReplyToID: parent.ID})
	if err != nil {
		if msg, status, ok := formProblem(err); ok {
			return h.render(c, status, "reply_form", "Reply", threadForm{Community: cm, Parent: parent, RootID: rootID, Body: body, Error: msg})
		}
		return err
	}
	return c.Redirect(http.StatusSeeOther, postAnchor(cm, p.ID, rootID))
}
