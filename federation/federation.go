// Package federation is Practica's side of the ActivityPub protocol: the
// endpoints peers call (WebFinger, NodeInfo, actors, collections, inboxes),
// the ActivityStreams documents we render, and — in its sub-packages —
// signatures, the guarded HTTP client and the activity handlers. It calls
// the domain service for every rule.
package federation

import (
	"encoding/json"
	"net/http"

	"github.com/labstack/echo/v4"
	"github.com/practica-social/practica/service"
)

// Pages renders the HTML side of content-negotiated URLs: a browser asking
// for an actor's IRI gets its page. The web package implements it; the
// composition root passes it in, so federation never imports web.
type Pages interface {
	CommunityPage(c echo.Context) error
	PersonPage(c echo.Context) error
	InstancePage(c echo.Context) error
	ObjectPage(c echo.Context) error
}

// Authenticator proves who signed a request (HTTP signatures). A nil
// Authenticator treats every request as anonymous.
type Authenticator interface {
	Viewer(c echo.Context) (service.Viewer, error)
}

// Software describes this build for NodeInfo and User-Agent strings.
type Software struct {
	Name, Version, Repository, Homepage string
}

// Deps are what the endpoints need.
type Deps struct {
	Service  *service.Service
	Pages    Pages
	Auth     Authenticator
	Software Software
	// Inbox receives POSTs to every inbox (inbox.Receiver.Receive); nil
	// mounts no inbox. The composition root passes the handler in, so
	// federation does not depend on its inbox sub-package.
	Inbox echo.HandlerFunc
}

// Handlers serve the federation endpoints.
type Handlers struct {
	svc   *service.Service
	pages Pages
	auth  Authenticator
	sw    Software
	inbox echo.HandlerFunc
	docs  *docCache
}

// NewHandlers builds the endpoints.
func NewHandlers(d Deps) *Handlers {
	return &Handlers{svc: d.Service, pages: d.Pages, auth: d.Auth, sw: d.Software, inbox: d.Inbox, docs: newDocCache()}
}

// Register mounts the endpoints on e.
func (h *Handlers) Register(e *echo.Echo) {
	e.GET("/.well-known/webfinger", h.WebFinger)
	e.GET("/.well-known/host-meta", h.HostMeta)
	e.GET("/.well-known/nodeinfo", h.NodeInfoIndex)
	e.GET("/nodeinfo/2.1", h.NodeInfo)
	e.GET("/actor", h.negotiate(h.cached(h.InstanceActor), h.pages.InstancePage))
	e.GET("/c/:name", h.negotiate(h.cached(h.GroupActor), h.pages.CommunityPage))
	e.GET("/u/:name", h.negotiate(h.cached(h.PersonActor), h.pages.PersonPage))
	for _, kind := range []string{"c", "u"} {
		e.GET("/"+kind+"/:name/outbox", h.cached(h.Outbox))
		e.GET("/"+kind+"/:name/followers", h.Followers)
		e.GET("/"+kind+"/:name/following", h.Following)
	}
	e.GET("/actor/outbox", h.cached(h.Outbox))
	e.GET("/actor/followers", h.Followers)
	e.GET("/actor/following", h.Following)
	e.GET("/c/:name/moderators", h.Moderators)
	e.GET("/c/:name/featured", h.Featured)
	e.GET("/objects/:id", h.negotiate(h.Object, h.pages.ObjectPage))
	e.GET("/activities/:id", h.Activity)
	if h.inbox != nil {
		for _, p := range []string{"/inbox", "/u/:name/inbox", "/c/:name/inbox", "/actor/inbox"} {
			e.POST(p, h.inbox)
		}
	}
}

// negotiate serves ActivityStreams JSON-LD to peers and HTML to browsers
// at the same URL, and tells caches that the answer depends on Accept.
func (h *Handlers) negotiate(ap, html echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		c.Response().Header().Add("Vary", "Accept")
		if WantsActivityPub(c.Request().Header.Get("Accept")) {
			return ap(c)
		}
		return html(c)
	}
}

// viewer is who signed the request, or anonymous.
func (h *Handlers) viewer(c echo.Context) (service.Viewer, error) {
	if h.auth == nil {
		return service.Anonymous, nil
	}
	return h.auth.Viewer(c)
}

// writeAS writes an ActivityStreams document.
func writeAS(c echo.Context, status int, doc any) error {
	b, err := json.Marshal(doc)
	if err != nil {
		return err
	}
	c.Response().Header().Set("Cache-Control", "max-age=60")
	return c.Blob(status, ContentTypeActivity, b)
}

// writeJSON writes a JSON document with the given media type.
func writeJSON(c echo.Context, contentType string, doc any) error {
	b, err := json.Marshal(doc)
	if err != nil {
		return err
	}
	c.Response().Header().Set("Access-Control-Allow-Origin", "*")
	return c.Blob(http.StatusOK, contentType, b)
}
