package web

import (
	"net/http"
	"net/url"
	"regexp"
	"strings"

	"github.com/labstack/echo/v4"
	"github.com/practica-social/practica/service"
)

// threadsPerPage is how many threads a community page lists.
const threadsPerPage = 20

// communityView is the community page's data.
type communityView struct {
	*service.CommunityOverview
	Handle string
	// RemoteFollow says whether the "follow from your server" form works.
	RemoteFollow bool
}

// CommunityPage is the HTML side of a Group actor (/c/NAME), and the local
// view of a remote community we know of (/c/NAME@HOST): domain statement,
// members, moderators, recent threads, joining, and how to follow it from
// Mastodon.
func (h *Handlers) CommunityPage(c echo.Context) error {
	ctx := c.Request().Context()
	cm, err := h.svc.CommunityByHandle(ctx, c.Param("name"))
	if err != nil {
		return err
	}
	o, err := h.svc.CommunityOverview(ctx, cm, viewer(c), cursor(c, "before"), threadsPerPage)
	if err != nil {
		return err
	}
	return h.render(c, http.StatusOK, "community", cm.Actor.Name, communityView{
		CommunityOverview: o, Handle: handleOf(cm.Actor), RemoteFollow: h.remote != nil && cm.Local,
	})
}

// handlePattern is the shape of a fediverse handle: user@host.
var handlePattern = regexp.MustCompile(`^[^@\s/]{1,100}@[a-z0-9.\-:\[\]]{1,253}$`)

// RemoteFollowRedirect sends a visitor to their own server's follow page
// for this community: they type @me@mastodon.example, we look up their
// server's subscribe template and redirect them there.
func (h *Handlers) RemoteFollowRedirect(c echo.Context) error {
	ctx := c.Request().Context()
	cm, err := h.svc.CommunityByHandle(ctx, c.Param("name"))
	if err != nil {
		return err
	}
	handle := strings.ToLower(strings.TrimPrefix(strings.TrimSpace(c.FormValue("handle")), "@"))
	if !handlePattern.MatchString(handle) {
		return service.Invalid("type your handle as @you@your.server, for example @alice@mastodon.social")
	}
	if h.remote == nil || !cm.Local {
		return &service.Error{Kind: service.KindUnavailable, Message: "following from another server is not available here yet; search for " + handleOf(cm.Actor) + " on your server and follow it there"}
	}
	tmpl, err := h.remote.RemoteFollow(ctx, handle)
	if err != nil || !strings.Contains(tmpl, "{uri}") {
		return &service.Error{Kind: service.KindInvalid, Err: err,
			Message: "we could not find the follow page of your server; search for " + handleOf(cm.Actor) + " on your server and follow it there"}
	}
	target := strings.ReplaceAll(tmpl, "{uri}", url.QueryEscape(cm.Actor.IRI))
	u, err := url.Parse(target)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return service.Invalid("your server's follow page has an address we cannot send you to; search for %s on your server instead", handleOf(cm.Actor))
	}
	return c.Redirect(http.StatusSeeOther, u.String())
}
