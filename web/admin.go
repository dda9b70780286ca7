package web

import (
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/practica-social/practica/models"
	"github.com/practica-social/practica/service"
)

// inviteRow is an invite link as the admin page lists it.
type inviteRow struct {
	Invite models.Invite
	URL    string
	Live   bool
}

// adminView is the admin page's data.
type adminView struct {
	Mode    models.SignupMode
	Modes   []models.SignupMode
	Pending []models.Account
	Invites []inviteRow
	// NewInvite is the link just created, shown prominently.
	NewInvite string
	// Blocks are the servers this instance does not federate with.
	Blocks []models.DomainBlock
	// BlockForm is the block form sent back with its mistake.
	BlockForm blockForm
	// BlockNotice confirms the block or unblock just made.
	BlockNotice string
}

// blockForm is the "block a server" form as sent.
type blockForm struct {
	Host, Reason, Error string
}

// Admin shows the sign-up mode, the accounts waiting for approval, the
// invite links and the blocked servers. Admins only.
func (h *Handlers) Admin(c echo.Context) error {
	si, err := requireLogin(c)
	if si == nil {
		return err
	}
	return h.renderAdmin(c, si.Account.ID, http.StatusOK, blockForm{})
}

// renderAdmin shows the admin page, with the block form as given: a
// mistake in it comes back on the page rather than as an error page, so
// the admin keeps what they typed.
func (h *Handlers) renderAdmin(c echo.Context, adminID int64, status int, form blockForm) error {
	ctx := c.Request().Context()
	pending, err := h.svc.PendingAccounts(ctx, adminID)
	if err != nil {
		return err
	}
	invites, err := h.svc.Invites(ctx, adminID)
	if err != nil {
		return err
	}
	mode, err := h.svc.SignupMode(ctx)
	if err != nil {
		return err
	}
	blocks, err := h.svc.BlockedServers(ctx)
	if err != nil {
		return err
	}
	v := adminView{
		Mode: mode, Pending: pending, Blocks: blocks, BlockForm: form,
		Modes:       []models.SignupMode{models.SignupOpen, models.SignupApproval, models.SignupInvite, models.SignupClosed},
		BlockNotice: blockNotice(c.QueryParams(), blocks),
	}
	for _, inv := range invites {
		url := h.svc.InviteURL(&inv)
		v.Invites = append(v.Invites, inviteRow{Invite: inv, URL: url, Live: h.svc.InviteLive(&inv)})
		if c.QueryParam("invite") == strconv.FormatInt(inv.ID, 10) {
			v.NewInvite = url
		}
	}
	return h.render(c, status, "admin", "Administration", v)
}

// AdminSignupMode changes the sign-up mode.
func (h *Handlers) AdminSignupMode(c echo.Context) error {
	si, err := requireLogin(c)
	if si == nil {
		return err
	}
	if err := h.svc.SetSignupMode(c.Request().Context(), si.Account.ID, models.SignupMode(c.FormValue("mode"))); err != nil {
		return err
	}
	return c.Redirect(http.StatusSeeOther, "/admin")
}

// AdminCreateInvite makes an invite link.
func (h *Handlers) AdminCreateInvite(c echo.Context) error {
	si, err := requireLogin(c)
	if si == nil {
		return err
	}
	uses, err := strconv.Atoi(c.FormValue("max_uses"))
	if err != nil {
		uses = 1
	}
	days, err := strconv.Atoi(c.FormValue("days"))
	if err != nil || days < 0 {
		days = 0
	}
	inv, err := h.svc.CreateInvite(c.Request().Context(), si.Account.ID, uses, time.Duration(days)*24*time.Hour)
	if err != nil {
		return err
	}
	return c.Redirect(http.StatusSeeOther, "/admin?invite="+strconv.FormatInt(inv.ID, 10)+"#invites")
}

// AdminDecideAccount approves or refuses an account waiting for approval.
func (h *Handlers) AdminDecideAccount(c echo.Context) error {
	si, err := requireLogin(c)
	if si == nil {
		return err
	}
	id, err := idParam(c, "id")
	if err != nil {
		return err
	}
	if err := h.svc.DecideAccount(c.Request().Context(), si.Account.ID, id, c.FormValue("decision") == "approve"); err != nil {
		return err
	}
	return c.Redirect(http.StatusSeeOther, "/admin#pending")
}

// AdminBlockServer blocks a server, then shows what the block ended.
func (h *Handlers) AdminBlockServer(c echo.Context) error {
	si, err := requireLogin(c)
	if si == nil {
		return err
	}
	form := blockForm{Host: c.FormValue("host"), Reason: c.FormValue("reason")}
	out, err := h.svc.BlockServer(c.Request().Context(), si.Account.ID, form.Host, form.Reason)
	if err != nil {
		if msg, status, ok := formProblem(err); ok {
			form.Error = msg
			return h.renderAdmin(c, si.Account.ID, status, form)
		}
		return err
	}
	// The counts travel in the address, as there is no flash storage:
	// blockNotice shows them only while the host is blocked.
	q := url.Values{
		"blocked":    {out.Block.Host},
		"members":    {strconv.FormatInt(out.Members, 10)},
		"follows":    {strconv.FormatInt(out.Follows, 10)},
		"deliveries": {strconv.FormatInt(out.Deliveries, 10)},
	}
	return c.Redirect(http.StatusSeeOther, "/admin?"+q.Encode()+"#blocked-servers")
}

// AdminUnblockServer lifts the block of the server named in the path.
func (h *Handlers) AdminUnblockServer(c echo.Context) error {
	si, err := requireLogin(c)
	if si == nil {
		return err
	}
	host := c.Param("host")
	if u, err := url.PathUnescape(host); err == nil {
		host = u
	}
	if err := h.svc.UnblockServer(c.Request().Context(), si.Account.ID, host); err != nil {
		return err
	}
	// Name the host as the list did, whatever spelling the path used.
	if n, err := service.NormalizeServerHost(host); err == nil {
		host = n
	}
	return c.Redirect(http.StatusSeeOther, "/admin?"+url.Values{"unblocked": {host}}.Encode()+"#blocked-servers")
}

// blockNotice is the confirmation of the block or unblock the query names.
// It is shown only while it is still true, so that an old or made-up
// address does not claim a block that is not there.
func blockNotice(q url.Values, blocks []models.DomainBlock) string {
	isBlocked := func(host string) bool {
		for _, b := range blocks {
			if b.Host == host {
				return true
			}
		}
		return false
	}
	if host := q.Get("unblocked"); host != "" && !isBlocked(host) {
		return host + " is no longer blocked. The memberships and follows its block ended stay ended: its people may join and follow again."
	}
	host := q.Get("blocked")
	if host == "" || !isBlocked(host) {
		return ""
	}
	var n [3]int64
	for i, k := range []string{"members", "follows", "deliveries"} {
		v, err := strconv.ParseInt(q.Get(k), 10, 64)
		if err != nil || v < 0 {
			return host + " is blocked."
		}
		n[i] = v
	}
	return fmt.Sprintf("%s is blocked: %s, %s and %s ended.", host,
		counted(n[0], "membership", "memberships"), counted(n[1], "follow", "follows"),
		counted(n[2], "pending delivery", "pending deliveries"))
}

// counted is "1 follow" or "3 follows".
func counted(n int64, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return strconv.FormatInt(n, 10) + " " + many
}
