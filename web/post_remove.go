package web

import (
	"context"
	"errors"
	"net/http"

	"github.com/labstack/echo/v4"
	"github.com/practica-social/practica/models"
	"github.com/practica-social/practica/service"
)

// removePostView is the removal page's data: the post, and what it offers
// about banning its author.
type removePostView struct {
	postForm
	// CanBan shows "Also ban the author"; AuthorBanned says instead that
	// they are banned already; Ban keeps the box ticked when the form
	// comes back with a mistake.
	CanBan, AuthorBanned, Ban bool
}

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
	ctx := c.Request().Context()
	p, cm, threadID, err := h.svc.PostToRemove(ctx, si.Account.ActorID, id)
	if err != nil {
		return err
	}
	v, err := h.removePostView(ctx, si.Account.ActorID, cm, p, threadID)
	if err != nil {
		return err
	}
	return h.render(c, http.StatusOK, "post_remove", "Remove post", v)
}

// RemovePost removes a post on a moderator's decision, bans its author
// too when asked, and returns to its thread, or to the community when the
// thread itself went.
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
	me := si.Account.ActorID
	p, cm, threadID, err := h.svc.PostToRemove(ctx, me, id)
	if err != nil {
		return err
	}
	reason, ban := c.FormValue("reason"), c.FormValue("ban") != ""
	if err := h.svc.RemovePost(ctx, me, id, reason); err != nil {
		msg, status, ok := formProblem(err)
		if !ok {
			return err
		}
		v, verr := h.removePostView(ctx, me, cm, p, threadID)
		if verr != nil {
			return verr
		}
		v.Body, v.Error, v.Ban = reason, msg, ban
		return h.render(c, status, "post_remove", "Remove post", v)
	}
	if ban {
		// The removal stands whatever the ban's fate; one made meanwhile
		// by another moderator is as good as this one.
		if err := h.svc.BanMember(ctx, cm, me, p.AuthorID, reason); err != nil && service.KindOf(err) != service.KindConflict {
			return removedButNotBanned(err)
		}
	}
	if p.ThreadID == nil {
		return c.Redirect(http.StatusSeeOther, communityPath(cm.Actor))
	}
	return c.Redirect(http.StatusSeeOther, threadPath(cm.Actor, threadID))
}

// removePostView builds the removal page for moderator me. The ban is
// offered where BanMember would make it, by ActionsOn's rules for a
// member, so that ticking the box cannot fail after the post is gone: not
// for the moderator's own post, nor an owner's (which only an owner
// removes). Anyone else is offered, strangers above all — a spammer who
// posts to a public community by mentioning it never joins, and only a
// ban stops them.
func (h *Handlers) removePostView(ctx context.Context, me int64, cm *models.Community, p *models.Post, threadID int64) (removePostView, error) {
	v := removePostView{postForm: postForm{Community: cm, Post: p, ThreadID: threadID}}
	if !cm.Local || p.AuthorID == me || p.AuthorID == cm.ActorID {
		return v, nil
	}
	author, err := h.svc.MembershipOf(ctx, cm, p.AuthorID)
	if err != nil {
		return v, err
	}
	switch {
	case author.State == string(models.MemberBanned):
		v.AuthorBanned = true
	case author.Member():
		mine, err := h.svc.MembershipOf(ctx, cm, me)
		if err != nil {
			return v, err
		}
		m := models.Member{CommunityID: cm.ID, ActorID: p.AuthorID, Role: author.Role, State: models.MemberAccepted, Actor: p.Author}
		v.CanBan = service.ActionsOn(me, mine, &m).Ban
	default:
		v.CanBan = true
	}
	return v, nil
}

// removedButNotBanned says that a ban asked for with a removal failed
// while the removal was made, keeping the ban error's kind (and so the
// status): otherwise the error page would leave the moderator unsure
// whether the post went.
func removedButNotBanned(err error) error {
	var se *service.Error
	if !errors.As(err, &se) || se.Kind == service.KindInternal || se.Message == "" {
		// The cause stays in the log; the moderator learns what stands.
		return &service.Error{Kind: service.KindUnavailable, Message: "the post is removed, but banning its author failed; try again from the members page", Err: err}
	}
	return &service.Error{Kind: se.Kind, Message: "the post is removed, but its author is not banned: " + se.Message, Err: err}
}
