package api

import (
	"context"
	"net/http"
	"strings"
	"unicode/utf8"

	"github.com/labstack/echo/v4"
	"github.com/practica-social/practica/models"
	"github.com/practica-social/practica/service"
)

// Bans answers GET /communities/{handle}/bans: the people banned from a
// local community, newest first, for its moderators.
func (h *Handlers) Bans(c echo.Context) error {
	ctx := c.Request().Context()
	cm, err := h.svc.CommunityByHandle(ctx, handleParam(c))
	if err != nil {
		return err
	}
	bans, err := h.svc.Bans(ctx, cm, actorOf(c))
	if err != nil {
		return err
	}
	out := Page[Ban]{Items: make([]Ban, 0, len(bans))}
	for i := range bans {
		out.Items = append(out.Items, BanToAPI(&bans[i]))
	}
	return c.JSON(http.StatusOK, out)
}

// BanMember answers POST /communities/{handle}/bans with {"member",
// "reason"}: a moderator bans a member, or a stranger who posted without
// joining (see service.BanMember), and gets the ban back.
func (h *Handlers) BanMember(c echo.Context) error {
	var req BanRequest
	if err := decodeBody(c, &req); err != nil {
		return err
	}
	if err := required("member", req.Member); err != nil {
		return err
	}
	// The service's own refusal does not name the field, as the API's
	// messages do.
	if utf8.RuneCountInString(strings.TrimSpace(req.Reason)) > service.MaxBanReasonRunes {
		return service.Invalid("reason: at most %d characters", service.MaxBanReasonRunes)
	}
	ctx := c.Request().Context()
	cm, err := h.svc.CommunityByHandle(ctx, handleParam(c))
	if err != nil {
		return err
	}
	actorID, err := h.banTarget(ctx, cm, actorOf(c), *req.Member)
	if err != nil {
		return err
	}
	if err := h.svc.BanMember(ctx, cm, actorOf(c), actorID, req.Reason); err != nil {
		return err
	}
	bans, err := h.svc.Bans(ctx, cm, actorOf(c))
	if err != nil {
		return err
	}
	for i := range bans {
		if bans[i].ActorID == actorID {
			return c.JSON(http.StatusCreated, BanToAPI(&bans[i]))
		}
	}
	// Lifted by another moderator in the meantime.
	return service.NotFound("ban")
}

// UnbanMember answers DELETE /communities/{handle}/bans/{member}: a
// moderator lifts a ban. A banned person keeps a membership (in state
// banned), so the handle always finds them.
func (h *Handlers) UnbanMember(c echo.Context) error {
	cm, m, err := h.moderatedMember(c)
	if err != nil {
		return err
	}
	if err := h.svc.UnbanMember(c.Request().Context(), cm, actorOf(c), m.ActorID); err != nil {
		return err
	}
	return c.NoContent(http.StatusNoContent)
}

// banTarget finds the actor ref names for a ban of cm. Every ref goes to
// MemberByHandle first, which refuses non-moderators before anything is
// looked up and finds by handle anyone holding a membership in any state
// (an iri finds nobody there); then a handle may name a person of this
// server who never joined. A stranger of another server holds no
// membership, and the service finds remote actors by handle only through
// one, so they are named by their actor's iri (their post's author.iri).
func (h *Handlers) banTarget(ctx context.Context, cm *models.Community, moderatorID int64, ref string) (int64, error) {
	ref = strings.TrimSpace(ref)
	m, err := h.svc.MemberByHandle(ctx, cm, moderatorID, ref)
	if err == nil {
		return m.ActorID, nil
	}
	if service.KindOf(err) != service.KindNotFound {
		return 0, err
	}
	var a *models.Actor
	var lookErr error
	if strings.HasPrefix(ref, "https://") || strings.HasPrefix(ref, "http://") {
		a, lookErr = h.svc.ActorByIRI(ctx, ref)
	} else if name, ok := h.localName(ref); ok {
		a, lookErr = h.svc.LocalPerson(ctx, name)
	} else {
		return 0, err
	}
	if lookErr != nil {
		if service.KindOf(lookErr) == service.KindNotFound {
			return 0, err
		}
		return 0, lookErr
	}
	return a.ID, nil
}

// localName returns the user name of a handle of this server: "name",
// "@name" or "name@this-host".
func (h *Handlers) localName(handle string) (string, bool) {
	name, host, remote := strings.Cut(strings.ToLower(strings.TrimPrefix(handle, "@")), "@")
	if name == "" || remote && host != h.svc.URLs().Host() {
		return "", false
	}
	return name, true
}
