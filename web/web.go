// Package web serves Practica's HTML pages: server-rendered html/template
// with embedded assets, thin handlers over the domain service. Every page
// works without JavaScript; forms post back and redirect.
package web

import (
	"bytes"
	"context"
	"embed"
	"fmt"
	"html/template"
	"io/fs"
	"net/http"
	"strings"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/practica-social/practica/models"
	"github.com/practica-social/practica/service"
)

//go:embed templates/*.html
var templateFS embed.FS

//go:embed static
var staticFS embed.FS

// RemoteFollower finds, for a person's handle on another server
// (@me@mastodon.example), where that server lets them follow an account:
// the http://ostatus.org/schema/1.0/subscribe template of their WebFinger,
// with "{uri}" where the account's id goes. The composition root wires it
// to the federation resolver, whose fetches are SSRF-guarded.
type RemoteFollower interface {
	RemoteFollow(ctx context.Context, handle string) (template string, err error)
}

// CommunityFinder finds a community by its handle (@name@host) or its
// actor id, here or on another server, and records a remote one so people
// here can join it. The composition root wires it to the federation
// resolver (app.Instance.LookupCommunity), whose fetches are SSRF-guarded.
type CommunityFinder interface {
	LookupCommunity(ctx context.Context, ref string) (*models.Community, error)
}

// Deps are what the pages need.
type Deps struct {
	Service *service.Service
	// RemoteFollow serves the "follow from your server" form; nil leaves
	// only the advice to search for the handle.
	RemoteFollow RemoteFollower
	// Communities looks up communities by handle on Explore and for
	// /authorize_interaction; nil limits Explore to communities already
	// known and turns /authorize_interaction away.
	Communities CommunityFinder
	// LoginLimits bounds failed log-ins; the zero value means
	// service.DefaultLoginLimits().
	LoginLimits service.LoginLimits
	// Now is the clock; nil means time.Now.
	Now func() time.Time
}

// Handlers serve the HTML pages.
type Handlers struct {
	svc    *service.Service
	remote RemoteFollower
	finder CommunityFinder
	login  *service.LoginLimiter
	pages  map[string]*template.Template
	// secure marks cookies Secure when the instance is served over https.
	secure bool
	// sessionCookie and csrfCookie are the cookie names (see cookieNames).
	sessionCookie, csrfCookie string
}

// New parses the embedded templates once.
func New(d Deps) (*Handlers, error) {
	limits := d.LoginLimits
	if limits == (service.LoginLimits{}) {
		limits = service.DefaultLoginLimits()
	}
	h := &Handlers{
		svc: d.Service, remote: d.RemoteFollow, finder: d.Communities, pages: map[string]*template.Template{},
		login:  service.NewLoginLimiter(limits, d.Now),
		secure: strings.HasPrefix(d.Service.URLs().Base, "https://"),
	}
	h.sessionCookie, h.csrfCookie = cookieNames(d.Service.URLs().Base)
	names, err := fs.Glob(templateFS, "templates/*.html")
	if err != nil {
		return nil, fmt.Errorf("web: list templates: %w", err)
	}
	for _, n := range names {
		if strings.HasSuffix(n, "/layout.html") || strings.HasSuffix(n, "/partials.html") {
			continue
		}
		t, err := template.New("layout.html").Funcs(templateFuncs()).ParseFS(templateFS, "templates/layout.html", "templates/partials.html", n)
		if err != nil {
			return nil, fmt.Errorf("web: parse %s: %w", n, err)
		}
		h.pages[strings.TrimSuffix(strings.TrimPrefix(n, "templates/"), ".html")] = t
	}
	return h, nil
}

// templateFuncs are the helpers templates use to build links and dates.
func templateFuncs() template.FuncMap {
	return template.FuncMap{
		"safeHTML": func(s string) template.HTML { return template.HTML(s) }, //nolint:gosec // only for service-sanitised HTML
		"join":     strings.Join,
		"cpath":    communityPath,
		"tpath":    threadPath,
		"plink":    personLink,
		"handle":   handleOf,
		"when":     func(t time.Time) string { return t.UTC().Format("2 Jan 2006, 15:04 UTC") },
		"iso":      func(t time.Time) string { return t.UTC().Format(time.RFC3339) },
		"dict": func(kv ...any) (map[string]any, error) {
			if len(kv)%2 != 0 {
				return nil, fmt.Errorf("dict: odd arguments")
			}
			m := make(map[string]any, len(kv)/2)
			for i := 0; i < len(kv); i += 2 {
				k, ok := kv[i].(string)
				if !ok {
					return nil, fmt.Errorf("dict: key %v is not a string", kv[i])
				}
				m[k] = kv[i+1]
			}
			return m, nil
		},
		"plural": func(n any, one, many string) string {
			if fmt.Sprint(n) == "1" {
				return one
			}
			return many
		},
	}
}

// communityPath is the page of a community: /c/NAME for ours, /c/NAME@HOST
// for one on another server that we know of.
func communityPath(group *models.Actor) string {
	if group == nil {
		return "/"
	}
	if group.Local {
		return "/c/" + group.Username
	}
	return "/c/" + group.Username + "@" + group.Host
}

// threadPath is the page of a thread.
func threadPath(group *models.Actor, rootID int64) string {
	return fmt.Sprintf("%s/t/%d", communityPath(group), rootID)
}

// personLink is where a person's name links: their page here, or their
// profile on their own server.
func personLink(a *models.Actor) string {
	switch {
	case a == nil:
		return "#"
	case a.Local:
		return "/u/" + a.Username
	case a.URL != "":
		return a.URL
	default:
		return a.IRI
	}
}

// handleOf is @user@host.
func handleOf(a *models.Actor) string {
	if a == nil {
		return ""
	}
	return "@" + a.Username + "@" + a.Host
}

// Register mounts the pages that are not content-negotiated. Every route
// that changes state is a POST behind the CSRF check.
func (h *Handlers) Register(e *echo.Echo) {
	e.GET("/", h.Home)
	e.GET("/about", h.InstancePage)
	e.GET("/explore", h.Explore)
	sub, _ := fs.Sub(staticFS, "static")
	e.GET("/static/*", echo.WrapHandler(http.StripPrefix("/static/", http.FileServer(http.FS(sub)))))

	e.GET("/signup", h.SignupForm)
	e.POST("/signup", h.Signup, h.CSRF)
	e.GET("/login", h.LoginForm)
	e.POST("/login", h.Login, h.CSRF)
	e.POST("/logout", h.Logout, h.CSRF)

	e.GET("/settings", h.SettingsForm)
	e.POST("/settings", h.SaveSettings, h.CSRF)
	e.GET("/settings/tokens", h.TokensPage)
	e.POST("/settings/tokens", h.CreateToken, h.CSRF)
	e.POST("/settings/tokens/:id/revoke", h.RevokeToken, h.CSRF)

	e.GET("/admin", h.Admin)
	e.POST("/admin/signup-mode", h.AdminSignupMode, h.CSRF)
	e.POST("/admin/invites", h.AdminCreateInvite, h.CSRF)
	e.POST("/admin/accounts/:id", h.AdminDecideAccount, h.CSRF)
	e.POST("/admin/blocked-servers", h.AdminBlockServer, h.CSRF)
	e.POST("/admin/blocked-servers/:host/unblock", h.AdminUnblockServer, h.CSRF)

	e.GET("/communities/new", h.NewCommunityForm)
	e.POST("/communities/new", h.CreateCommunity, h.CSRF)
	e.GET("/c/:name/edit", h.EditCommunityForm)
	e.POST("/c/:name/edit", h.UpdateCommunity, h.CSRF)
	e.POST("/c/:name/join", h.Join, h.CSRF)
	e.POST("/c/:name/leave", h.Leave, h.CSRF)
	e.POST("/c/:name/remote-follow", h.RemoteFollowRedirect, h.CSRF)
	e.GET("/authorize_interaction", h.AuthorizeInteraction)
	e.GET("/c/:name/members", h.MembersPage)
	e.POST("/c/:name/members/:actor", h.DecideMember, h.CSRF)
	e.POST("/c/:name/members/:actor/role", h.SetMemberRole, h.CSRF)
	e.GET("/c/:name/members/:actor/remove", h.RemoveMemberForm)
	e.POST("/c/:name/members/:actor/remove", h.RemoveMember, h.CSRF)
	e.GET("/c/:name/members/:actor/ban", h.BanMemberForm)
	e.POST("/c/:name/members/:actor/ban", h.BanMember, h.CSRF)
	e.POST("/c/:name/members/:actor/unban", h.UnbanMember, h.CSRF)

	e.GET("/c/:name/new", h.NewThreadForm)
	e.POST("/c/:name/new", h.CreateThread, h.CSRF)
	e.GET("/c/:name/t/:id", h.ThreadPage)
	e.GET("/c/:name/t/:id/reply", h.ReplyForm)
	e.POST("/c/:name/t/:id/reply", h.Reply, h.CSRF)

	e.POST("/posts/:id/like", h.Like, h.CSRF)
	e.POST("/posts/:id/unlike", h.Unlike, h.CSRF)
	e.GET("/posts/:id/edit", h.EditPostForm)
	e.POST("/posts/:id/edit", h.EditPost, h.CSRF)
	e.GET("/posts/:id/delete", h.DeletePostForm)
	e.POST("/posts/:id/delete", h.DeletePost, h.CSRF)
	e.GET("/posts/:id/report", h.ReportPostForm)
	e.POST("/posts/:id/report", h.ReportPost, h.CSRF)
	e.GET("/c/:name/reports", h.ReportsPage)
	e.POST("/c/:name/reports/:id", h.CloseReport, h.CSRF)
	e.GET("/posts/:id/remove", h.RemovePostForm)
	e.POST("/posts/:id/remove", h.RemovePost, h.CSRF)
}

// pageData is what every page template gets.
type pageData struct {
	Title        string
	InstanceName string
	Base         string
	// Host is the instance's host, as handles show it.
	Host string
	// User is the logged-in account (with its actor), nil when logged out.
	User *models.Account
	// CSRF goes in a hidden field of every form.
	CSRF string
	// Path is the current path, for "log in and come back".
	Path string
	Data any
}

// render executes a page into a buffer first, so a template error becomes
// an error page rather than half a page.
func (h *Handlers) render(c echo.Context, status int, page, title string, data any) error {
	t, ok := h.pages[page]
	if !ok {
		return fmt.Errorf("web: no template %q", page)
	}
	pd := pageData{Title: title, InstanceName: h.svc.InstanceName(), Base: h.svc.URLs().Base, Host: h.svc.URLs().Host(), Data: data, Path: c.Request().URL.RequestURI()}
	if si := signedIn(c); si != nil {
		pd.User = si.Account
	}
	csrf, err := h.csrfToken(c)
	if err != nil {
		return err
	}
	pd.CSRF = csrf
	var buf bytes.Buffer
	if err := t.Execute(&buf, pd); err != nil {
		return fmt.Errorf("web: render %s: %w", page, err)
	}
	hdr := c.Response().Header()
	hdr.Set("Content-Security-Policy", "default-src 'self'; img-src 'self' https: data:; style-src 'self'; script-src 'self'; frame-ancestors 'none'; base-uri 'self'; form-action 'self' https: http:")
	hdr.Set("X-Content-Type-Options", "nosniff")
	hdr.Set("Referrer-Policy", "same-origin")
	if pd.User != nil {
		// Pages for a logged-in person hold their CSRF token and private
		// content: no shared cache may keep them.
		hdr.Set("Cache-Control", "private, no-store")
	}
	return c.HTMLBlob(status, buf.Bytes())
}

// RenderError writes an error page that says what went wrong and what to do.
func (h *Handlers) RenderError(c echo.Context, status int, message string) error {
	title := http.StatusText(status)
	hint := "Go back to the home page, or try again in a moment."
	switch status {
	case http.StatusNotFound:
		hint = "Check the address; the page may have moved or be visible to members only."
	case http.StatusBadRequest, http.StatusUnprocessableEntity:
		hint = "Correct what the message names and send again."
	case http.StatusUnauthorized:
		hint = "Log in and try again."
	case http.StatusForbidden:
		hint = "If you think you should be allowed, ask the community's moderators or an admin."
	case http.StatusTooManyRequests:
		hint = "Wait a little before trying again."
	case http.StatusServiceUnavailable:
		hint = "The server is recovering; try again in a minute."
	}
	return h.render(c, status, "error", title, map[string]any{"Status": status, "Message": message, "Hint": hint})
}
