// Package web serves Practica's HTML pages: server-rendered html/template
// with embedded assets, thin handlers over the domain service.
package web

import (
	"bytes"
	"embed"
	"fmt"
	"html/template"
	"io/fs"
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"
	"github.com/practica-social/practica/service"
)

//go:embed templates/*.html
var templateFS embed.FS

//go:embed static
var staticFS embed.FS

// Handlers serve the HTML pages.
type Handlers struct {
	svc   *service.Service
	pages map[string]*template.Template
}

// New parses the embedded templates once.
func New(svc *service.Service) (*Handlers, error) {
	funcs := template.FuncMap{
		"safeHTML": func(s string) template.HTML { return template.HTML(s) }, //nolint:gosec // only for service-sanitised HTML
		"join":     strings.Join,
	}
	h := &Handlers{svc: svc, pages: map[string]*template.Template{}}
	names, err := fs.Glob(templateFS, "templates/*.html")
	if err != nil {
		return nil, fmt.Errorf("web: list templates: %w", err)
	}
	for _, n := range names {
		if strings.HasSuffix(n, "/layout.html") {
			continue
		}
		t, err := template.New("layout.html").Funcs(funcs).ParseFS(templateFS, "templates/layout.html", n)
		if err != nil {
			return nil, fmt.Errorf("web: parse %s: %w", n, err)
		}
		h.pages[strings.TrimSuffix(strings.TrimPrefix(n, "templates/"), ".html")] = t
	}
	return h, nil
}

// Register mounts the pages that are not content-negotiated.
func (h *Handlers) Register(e *echo.Echo) {
	e.GET("/", h.Home)
	e.GET("/about", h.InstancePage)
	sub, _ := fs.Sub(staticFS, "static")
	e.GET("/static/*", echo.WrapHandler(http.StripPrefix("/static/", http.FileServer(http.FS(sub)))))
}

// pageData is what every page template gets.
type pageData struct {
	Title        string
	InstanceName string
	Base         string
	Data         any
}

// render executes a page into a buffer first, so a template error becomes
// an error page rather than half a page.
func (h *Handlers) render(c echo.Context, status int, page, title string, data any) error {
	t, ok := h.pages[page]
	if !ok {
		return fmt.Errorf("web: no template %q", page)
	}
	var buf bytes.Buffer
	pd := pageData{Title: title, InstanceName: h.svc.InstanceName(), Base: h.svc.URLs().Base, Data: data}
	if err := t.Execute(&buf, pd); err != nil {
		return fmt.Errorf("web: render %s: %w", page, err)
	}
	hdr := c.Response().Header()
	hdr.Set("Content-Security-Policy", "default-src 'self'; img-src 'self' https: data:; style-src 'self'; script-src 'self'; frame-ancestors 'none'; base-uri 'self'; form-action 'self' https: http:")
	hdr.Set("X-Content-Type-Options", "nosniff")
	hdr.Set("Referrer-Policy", "same-origin")
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
	case http.StatusServiceUnavailable:
		hint = "The server is recovering; try again in a minute."
	}
	return h.render(c, status, "error", title, map[string]any{"Status": status, "Message": message, "Hint": hint})
}
