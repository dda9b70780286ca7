// Package api serves Practica's JSON API under /api/v1 for scripts, bots
// and other clients. Callers authenticate with a personal access token
// (Authorization: Bearer prt_…); handlers are thin: they parse, call the
// same service methods as the web UI and the inbox, and render API types
// (types.go) that never expose keys, other people's e-mail addresses or
// content the caller may not see.
//
// Errors are rendered by the instance's central error handler as
// {"error": code, "message": safe message}: 400 invalid_request (the
// message names the field), 401 unauthorized, 403 forbidden (including a
// read-only token on a write endpoint), 404 not_found (also for what the
// caller may not see), 409 conflict, 413 too_large, 503 unavailable.
// openapi.json describes every route.
package api

import (
	"net/http"

	"github.com/labstack/echo/v4"
	"github.com/practica-social/practica/service"
)

// Prefix is where the API is mounted.
const Prefix = "/api/v1"

// Deps are what the API needs.
type Deps struct {
	Service *service.Service
	// Resolver looks up communities on other servers; nil answers lookups
	// of remote handles with 503.
	Resolver Resolver
	// Version is the software version the instance endpoint reports.
	Version string
}

// Handlers serve the JSON API.
type Handlers struct {
	svc      *service.Service
	resolver Resolver
	version  string
}

// New builds the API handlers.
func New(d Deps) *Handlers {
	return &Handlers{svc: d.Service, resolver: d.Resolver, version: d.Version}
}

// route is one endpoint. scope is the token scope it needs; "" makes it
// public.
type route struct {
	method, path string
	scope        string
	handler      echo.HandlerFunc
}

// routes is the whole API; openapi.json documents exactly these (a test
// compares it with what Echo has registered).
func (h *Handlers) routes() []route {
	const pub, read, write = "", scopeRead, scopeWrite
	return []route{
		{http.MethodGet, "/instance", pub, h.Instance},
		{http.MethodGet, "/openapi.json", pub, h.OpenAPI},
		{http.MethodGet, "/me", read, h.Me},
		{http.MethodGet, "/tokens", read, h.Tokens},
		{http.MethodDelete, "/tokens/:id", write, h.RevokeToken},
		{http.MethodGet, "/lookup", read, h.Lookup},
		{http.MethodGet, "/communities", read, h.ListCommunities},
		{http.MethodPost, "/communities", write, h.CreateCommunity},
		{http.MethodGet, "/communities/:handle", read, h.GetCommunity},
		{http.MethodPatch, "/communities/:handle", write, h.UpdateCommunity},
		{http.MethodPost, "/communities/:handle/join", write, h.Join},
		{http.MethodPost, "/communities/:handle/leave", write, h.Leave},
		{http.MethodGet, "/communities/:handle/members", read, h.Members},
		{http.MethodPatch, "/communities/:handle/members/:member", write, h.SetMemberRole},
		{http.MethodDelete, "/communities/:handle/members/:member", write, h.RemoveMember},
		{http.MethodGet, "/communities/:handle/requests", read, h.MembershipRequests},
		{http.MethodPost, "/communities/:handle/requests/:member/approve", write, h.ApproveMember},
		{http.MethodPost, "/communities/:handle/requests/:member/reject", write, h.RejectMember},
		{http.MethodGet, "/communities/:handle/bans", read, h.Bans},
		{http.MethodPost, "/communities/:handle/bans", write, h.BanMember},
		{http.MethodDelete, "/communities/:handle/bans/:member", write, h.UnbanMember},
		{http.MethodGet, "/communities/:handle/reports", read, h.Reports},
		{http.MethodPost, "/communities/:handle/reports/:id/resolve", write, h.ResolveReport},
		{http.MethodPost, "/communities/:handle/reports/:id/dismiss", write, h.DismissReport},
		{http.MethodGet, "/communities/:handle/threads", read, h.Threads},
		{http.MethodPost, "/communities/:handle/threads", write, h.CreateThread},
		{http.MethodGet, "/posts/:id", read, h.GetPost},
		{http.MethodPatch, "/posts/:id", write, h.EditPost},
		{http.MethodDelete, "/posts/:id", write, h.DeletePost},
		{http.MethodPost, "/posts/:id/remove", write, h.RemovePost},
		{http.MethodPost, "/posts/:id/report", write, h.ReportPost},
		{http.MethodPost, "/posts/:id/replies", write, h.Reply},
		{http.MethodPost, "/posts/:id/like", write, h.Like},
		{http.MethodDelete, "/posts/:id/like", write, h.Unlike},
		{http.MethodGet, "/admin/blocked-servers", read, h.BlockedServers},
		{http.MethodPost, "/admin/blocked-servers", write, h.BlockServer},
		{http.MethodDelete, "/admin/blocked-servers/:host", write, h.UnblockServer},
	}
}

// Register mounts the API on e under Prefix. Routes are added one by one
// rather than through an Echo group, so that unknown paths under the
// prefix reach the central 404 like any other.
func (h *Handlers) Register(e *echo.Echo) {
	for _, r := range h.routes() {
		mw := []echo.MiddlewareFunc{noStore}
		if r.scope != "" {
			mw = append(mw, h.authenticate(r.scope))
		}
		e.Add(r.method, Prefix+r.path, r.handler, mw...)
	}
}

// noStore keeps API answers, which depend on who asks, out of shared
// caches.
func noStore(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		c.Response().Header().Set("Cache-Control", "no-store")
		return next(c)
	}
}
