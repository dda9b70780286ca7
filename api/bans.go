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

// banTarget finds the actor ref (a handle or an actor id) names for a
// ban of cm: anyone known here, member or not (service.BanCandidate).
func (h *Handlers) banTarget(ctx context.Context, cm *models.Community, moderatorID int64, ref string) (int64, error) {
	a, err := h.svc.BanCandidate(ctx, cm, moderatorID, ref)
	if err != nil {
		return 0, err
	}
	return a.ID, nil
}
