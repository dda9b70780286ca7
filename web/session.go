package web

import (
	"crypto/subtle"
	"errors"
	"net/http"
	"net/url"
	"strings"

	"github.com/labstack/echo/v4"
	"github.com/practica-social/practica/models"
	"github.com/practica-social/practica/service"
)

// Cookie names, to which cookieNames appends the port of an instance
// served on a non-default one.
const (
	sessionCookieName = "practica_session"
	// csrfCookieName carries the CSRF token of visitors who are not logged
	// in (the log-in and sign-up forms): the form must echo it back, which a
	// cross-site page cannot do because it cannot read our cookies.
	csrfCookieName = "practica_csrf"
	// csrfField is the hidden form field every POST form carries.
	csrfField = "csrf"
	// maxFormBytes bounds a form body: a post of 50,000 characters fits.
	maxFormBytes = 1 << 20
)

// cookieNames returns the session and CSRF cookie names of an instance at
// base. Browsers keep cookies per host, not per port (RFC 6265 §8.5), so
// two instances on one machine (`practica demo` runs localhost:8081 and
// localhost:8082) would overwrite each other's session under one name: an
// explicit port becomes part of the names. Instances on default ports, as
// in production, keep the plain names.
func cookieNames(base string) (session, csrf string) {
	session, csrf = sessionCookieName, csrfCookieName
	if u, err := url.Parse(base); err == nil && u.Port() != "" {
		session += "_" + u.Port()
		csrf += "_" + u.Port()
	}
	return session, csrf
}

// ctxSignedIn is the Echo context key of the logged-in account.
const ctxSignedIn = "practica.signed_in"

// ctxCSRF is the Echo context key of a CSRF token minted in this request.
const ctxCSRF = "practica.csrf"

// Session is middleware that puts the logged-in account, if any, in the
// Echo context (see signedIn). A stale or unknown cookie is removed and the
// request goes on logged out. Mount it on the whole router: pages served
// by the federation package (/c/NAME, /u/NAME) show who is logged in too.
func (h *Handlers) Session(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		ck, err := c.Cookie(h.sessionCookie)
		if err != nil || ck.Value == "" {
			return next(c)
		}
		si, err := h.svc.SessionByToken(c.Request().Context(), ck.Value)
		switch {
		case err == nil:
			c.Set(ctxSignedIn, si)
		case service.KindOf(err) == service.KindUnauthorized:
			h.clearCookie(c, h.sessionCookie)
		default:
			return err
		}
		return next(c)
	}
}

// signedIn returns the logged-in account of the request, nil when logged out.
func signedIn(c echo.Context) *service.SignedIn {
	si, _ := c.Get(ctxSignedIn).(*service.SignedIn)
	return si
}

// viewer is who asks, as the service sees them.
func viewer(c echo.Context) service.Viewer { return signedIn(c).Viewer() }

// requireLogin returns the logged-in account or, logged out, sends the
// browser to the log-in page (and back here afterwards) and returns nil
// with the redirect's error: callers return that error when si is nil.
func requireLogin(c echo.Context) (*service.SignedIn, error) {
	if si := signedIn(c); si != nil {
		return si, nil
	}
	next := c.Request().URL.RequestURI()
	if c.Request().Method != http.MethodGet {
		next = c.Request().Header.Get("Referer")
		if u, err := url.Parse(next); err == nil {
			next = u.RequestURI()
		}
	}
	return nil, c.Redirect(http.StatusSeeOther, "/login?next="+url.QueryEscape(safeNext(next)))
}

// safeNext keeps a post-login destination on this site: a path, never
// "//evil.example" or "/\evil.example", which browsers treat as another host.
func safeNext(next string) string {
	if next == "" || !strings.HasPrefix(next, "/") || strings.HasPrefix(next, "//") || strings.ContainsAny(next, "\\\r\n") {
		return "/"
	}
	return next
}

// setCookie writes an HttpOnly, SameSite=Lax cookie, Secure when the
// instance is served over https.
func (h *Handlers) setCookie(c echo.Context, name, value string, maxAge int) {
	c.SetCookie(&http.Cookie{
		Name: name, Value: value, Path: "/", MaxAge: maxAge,
		HttpOnly: true, Secure: h.secure, SameSite: http.SameSiteLaxMode,
	})
}

// clearCookie removes a cookie.
func (h *Handlers) clearCookie(c echo.Context, name string) { h.setCookie(c, name, "", -1) }

// csrfToken is the token the request's forms must carry: the session's,
// or for a logged-out visitor the one in the CSRF cookie, created here on
// first use.
func (h *Handlers) csrfToken(c echo.Context) (string, error) {
	if si := signedIn(c); si != nil {
		return si.Session.CSRFToken, nil
	}
	if ck, err := c.Cookie(h.csrfCookie); err == nil && len(ck.Value) >= 32 && len(ck.Value) <= 128 {
		return ck.Value, nil
	}
	if tok, ok := c.Get(ctxCSRF).(string); ok {
		return tok, nil // minted earlier in this request
	}
	tok, err := service.RandomToken(32)
	if err != nil {
		return "", err
	}
	c.Set(ctxCSRF, tok)
	h.setCookie(c, h.csrfCookie, tok, 0)
	return tok, nil
}

// CSRF is route middleware for every state-changing form: the hidden field
// must match the session's token (or, logged out, the CSRF cookie). A
// mismatch is refused with a 403 page. It also bounds the body.
func (h *Handlers) CSRF(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		r := c.Request()
		r.Body = http.MaxBytesReader(c.Response(), r.Body, maxFormBytes)
		if err := r.ParseForm(); err != nil {
			var tooBig *http.MaxBytesError
			if errors.As(err, &tooBig) {
				return echo.NewHTTPError(http.StatusRequestEntityTooLarge, "the form is too large; shorten the text and send it again")
			}
			return echo.NewHTTPError(http.StatusBadRequest, "the form could not be read; reload the page and send it again")
		}
		want := ""
		if si := signedIn(c); si != nil {
			want = si.Session.CSRFToken
		} else if ck, err := c.Cookie(h.csrfCookie); err == nil {
			want = ck.Value
		}
		got := r.PostForm.Get(csrfField)
		if want == "" || got == "" || subtle.ConstantTimeCompare([]byte(want), []byte(got)) != 1 {
			return echo.NewHTTPError(http.StatusForbidden,
				"this form was refused because it did not come from this site's own page (or the page was open too long); reload the page and send it again")
		}
		return next(c)
	}
}

// loggedInCommunity is the prologue of every page that acts on a community
// for the logged-in person. A nil community means the handler must stop
// and return err: a login redirect already written (err nil), or a
// community that does not exist.
func (h *Handlers) loggedInCommunity(c echo.Context) (*service.SignedIn, *models.Community, error) {
	si, err := requireLogin(c)
	if si == nil {
		return nil, nil, err
	}
	cm, err := h.svc.CommunityByHandle(c.Request().Context(), c.Param("name"))
	if err != nil {
		return nil, nil, err
	}
	return si, cm, nil
}
