package web

import (
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"
	"github.com/practica-social/practica/service"
)

// Home lists the instance's communities.
func (h *Handlers) Home(c echo.Context) error {
	cs, err := h.svc.ListLocalCommunities(c.Request().Context(), 50)
	if err != nil {
		return err
	}
	return h.render(c, http.StatusOK, "home", "Communities", map[string]any{"Communities": cs})
}

// Explore searches communities here and those we know of elsewhere, by
// name, handle, server or topic. A full handle (@name@server) is looked
// up on its server, and a community found opens at once: that is how
// people here find and join a community on another server.
func (h *Handlers) Explore(c echo.Context) error {
	q := strings.TrimSpace(c.QueryParam("q"))
	target, note := h.exploreHandle(c, q)
	if target != "" {
		return c.Redirect(http.StatusSeeOther, target)
	}
	cs, err := h.svc.Explore(c.Request().Context(), q, 100)
	if err != nil {
		return err
	}
	return h.render(c, http.StatusOK, "explore", "Explore communities", map[string]any{"Query": q, "Communities": cs, "Lookup": note})
}

// exploreHandle looks up a query that is a handle: it returns the page of
// the community found, or a note saying why there is none. Looking up a
// handle on another server makes this server fetch from that one, so only
// logged-in people may cause it.
func (h *Handlers) exploreHandle(c echo.Context, q string) (target, note string) {
	handle := strings.TrimPrefix(strings.TrimPrefix(q, "acct:"), "@")
	if h.finder == nil || !handlePattern.MatchString(strings.ToLower(handle)) {
		return "", ""
	}
	_, host, _ := strings.Cut(strings.ToLower(handle), "@")
	if host != h.svc.URLs().Host() && signedIn(c) == nil {
		return "", "Log in to look up @" + handle + " on its server."
	}
	cm, err := h.finder.LookupCommunity(c.Request().Context(), handle)
	if err != nil {
		return "", "No community @" + handle + " was found: " + service.SafeMessage(err, "the lookup failed") + "."
	}
	return communityPath(cm.Actor), ""
}

// PersonPage shows a local person's profile: name, organization,
// expertise and bio. It is the HTML side of the Person actor (/u/NAME).
func (h *Handlers) PersonPage(c echo.Context) error {
	p, err := h.svc.PersonProfile(c.Request().Context(), c.Param("name"))
	if err != nil {
		return err
	}
	return h.render(c, http.StatusOK, "person", p.Actor.Name, map[string]any{"Profile": p, "Actor": p.Actor, "Handle": handleOf(p.Actor)})
}

// InstancePage describes the instance (the instance actor's page), with
// the servers its admins blocked and why: people here, and on those
// servers, should be able to see whom this server does not talk to.
func (h *Handlers) InstancePage(c echo.Context) error {
	blocked, err := h.svc.BlockedServers(c.Request().Context())
	if err != nil {
		return err
	}
	return h.render(c, http.StatusOK, "about", "About "+h.svc.InstanceName(), map[string]any{"Blocked": blocked})
}

// ObjectPage is the HTML side of a local post's id (/objects/ID): a
// browser following a link from Mastodon lands on the thread page. The
// composition root mounts it by content negotiation with the JSON object.
func (h *Handlers) ObjectPage(c echo.Context) error {
	iri := h.svc.URLs().Object(c.Param("id"))
	cm, p, threadID, err := h.svc.PostLocationByIRI(c.Request().Context(), iri, viewer(c))
	if err != nil {
		return err
	}
	return c.Redirect(http.StatusSeeOther, postAnchor(cm, p.ID, threadID))
}
