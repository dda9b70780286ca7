package web

import (
	"net/http"

	"github.com/labstack/echo/v4"
	"github.com/practica-social/practica/models"
	"github.com/practica-social/practica/service"
)

// membersView is the members page's data.
type membersView struct {
	Community *models.Community
	Page      service.Page[models.Member]
	Rows      []memberRow
	Visible   bool
	Pending   []models.Member
	// Bans are shown to moderators only, newest first.
	Bans       []models.Member
	Membership service.Membership
}

// memberRow is one member with what the viewer may do to them.
type memberRow struct {
	*models.Member
	Can service.MemberActions
}

// MembersPage lists a community's members with their roles and where they
// come from, and — for moderators — the requests waiting for a decision,
// what they may do to each member, and the bans.
func (h *Handlers) MembersPage(c echo.Context) error {
	ctx := c.Request().Context()
	cm, err := h.svc.CommunityByHandle(ctx, c.Param("name"))
	if err != nil {
		return err
	}
	v := membersView{Community: cm}
	if !cm.Local {
		return h.render(c, http.StatusOK, "members", "Members of "+cm.Actor.Name, v)
	}
	me := viewer(c)
	v.Page, v.Visible, err = h.svc.Members(ctx, cm, me, nil, cursor(c, "after"), 100)
	if err != nil {
		return err
	}
	if v.Membership, err = h.svc.MembershipOf(ctx, cm, me.ActorID); err != nil {
		return err
	}
	for i := range v.Page.Items {
		m := &v.Page.Items[i]
		v.Rows = append(v.Rows, memberRow{Member: m, Can: service.ActionsOn(me.ActorID, v.Membership, m)})
	}
	if v.Membership.Moderates() {
		if v.Pending, err = h.svc.PendingMembers(ctx, cm, me.ActorID); err != nil {
			return err
		}
		if v.Bans, err = h.svc.Bans(ctx, cm, me.ActorID); err != nil {
			return err
		}
	}
	return h.render(c, http.StatusOK, "members", "Members of "+cm.Actor.Name, v)
}

// memberAction reads what every action on a member needs: the logged-in
// person's actor, the community of :name and the member's actor of
// :actor. As with loggedInCommunity, a nil community means stop and
// return err (nil when a login redirect was written). The service decides
// whether the person may act.
func (h *Handlers) memberAction(c echo.Context) (me int64, cm *models.Community, actorID int64, err error) {
	si, cm, err := h.loggedInCommunity(c)
	if cm == nil {
		return 0, nil, 0, err
	}
	if actorID, err = idParam(c, "actor"); err != nil {
		return 0, nil, 0, err
	}
	return si.Account.ActorID, cm, actorID, nil
}

// DecideMember approves or refuses a membership request; moderators only.
func (h *Handlers) DecideMember(c echo.Context) error {
	me, cm, actorID, err := h.memberAction(c)
	if cm == nil {
		return err
	}
	var approve bool
	switch c.FormValue("decision") {
	case "approve":
		approve = true
	case "reject":
	default:
		return service.Invalid("decision: choose approve or reject")
	}
	if err := h.svc.DecideMember(c.Request().Context(), cm, me, actorID, approve); err != nil {
		return err
	}
	return c.Redirect(http.StatusSeeOther, communityPath(cm.Actor)+"/members#requests")
}

// SetMemberRole appoints a member as moderator or dismisses one; the
// owner only.
func (h *Handlers) SetMemberRole(c echo.Context) error {
	me, cm, actorID, err := h.memberAction(c)
	if cm == nil {
		return err
	}
	role := models.Role(c.FormValue("role"))
	if err := h.svc.SetMemberRole(c.Request().Context(), cm, me, actorID, role); err != nil {
		return err
	}
	return c.Redirect(http.StatusSeeOther, communityPath(cm.Actor)+"/members")
}

// removeMemberView is the removal confirmation page's data.
type removeMemberView struct {
	Community *models.Community
	Member    *models.Member
}

// RemoveMemberForm asks a moderator to confirm a removal: it cannot be
// taken back (the person may ask to join again).
func (h *Handlers) RemoveMemberForm(c echo.Context) error {
	me, cm, actorID, err := h.memberAction(c)
	if cm == nil {
		return err
	}
	m, err := h.svc.MemberToRemove(c.Request().Context(), cm, me, actorID)
	if err != nil {
		return err
	}
	return h.render(c, http.StatusOK, "member_remove", "Remove a member", removeMemberView{Community: cm, Member: m})
}

// RemoveMember ends someone's membership; moderators only.
func (h *Handlers) RemoveMember(c echo.Context) error {
	me, cm, actorID, err := h.memberAction(c)
	if cm == nil {
		return err
	}
	if err := h.svc.RemoveMember(c.Request().Context(), cm, me, actorID); err != nil {
		return err
	}
	return c.Redirect(http.StatusSeeOther, communityPath(cm.Actor)+"/members")
}

// banMemberView is the ban confirmation page's data.
type banMemberView struct {
	Community *models.Community
	Member    *models.Member
	Reason    string
	Error     string
}

// BanMemberForm asks a moderator for the reason of a ban, and to confirm
// it; it shows only bans BanMember would make.
func (h *Handlers) BanMemberForm(c echo.Context) error {
	me, cm, actorID, err := h.memberAction(c)
	if cm == nil {
		return err
	}
	m, err := h.svc.MemberToBan(c.Request().Context(), cm, me, actorID)
	if err != nil {
		return err
	}
	return h.render(c, http.StatusOK, "member_ban", "Ban a member", banMemberView{Community: cm, Member: m})
}

// BanMember bans a member with the reason given; moderators only. A
// reason too long is shown on the form again; a ban made meanwhile by
// another moderator leaves no form to show, only its message.
func (h *Handlers) BanMember(c echo.Context) error {
	me, cm, actorID, err := h.memberAction(c)
	if cm == nil {
		return err
	}
	ctx := c.Request().Context()
	reason := c.FormValue("reason")
	if err := h.svc.BanMember(ctx, cm, me, actorID, reason); err != nil {
		msg, status, ok := formProblem(err)
		if !ok {
			return err
		}
		m, lookErr := h.svc.MemberToBan(ctx, cm, me, actorID)
		if lookErr != nil {
			return err
		}
		return h.render(c, status, "member_ban", "Ban a member", banMemberView{Community: cm, Member: m, Reason: reason, Error: msg})
	}
	return c.Redirect(http.StatusSeeOther, communityPath(cm.Actor)+"/members#banned")
}

// UnbanMember lifts a ban; moderators only. The person may then ask to
// join again.
func (h *Handlers) UnbanMember(c echo.Context) error {
	me, cm, actorID, err := h.memberAction(c)
	if cm == nil {
		return err
	}
	if err := h.svc.UnbanMember(c.Request().Context(), cm, me, actorID); err != nil {
		return err
	}
	return c.Redirect(http.StatusSeeOther, communityPath(cm.Actor)+"/members#banned")
}
