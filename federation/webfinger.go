package federation

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"
	"github.com/practica-social/practica/models"
	"github.com/practica-social/practica/service"
	"golang.org/x/net/idna"
)

// ErrBadResource is returned for a WebFinger resource we cannot parse.
var ErrBadResource = errors.New("malformed resource")

// NormalizeHost lower-cases a host, strips one trailing dot and converts
// an internationalised name to its ASCII (punycode) form, so that case, IDN
// and trailing-dot variants of a name compare equal (checklist row 11).
func NormalizeHost(host string) (string, error) {
	h := strings.TrimSuffix(strings.TrimSpace(host), ".")
	if h == "" {
		return "", ErrBadResource
	}
	name, port := h, ""
	if i := strings.LastIndexByte(h, ':'); i >= 0 && !strings.Contains(h[i+1:], "]") {
		name, port = h[:i], h[i:]
		// A port is a number from 1 to 65535, nothing else: "host:A"
		// would otherwise pass as a host, and unlowered.
		n, err := strconv.Atoi(port[1:])
		if err != nil || n < 1 || n > 65535 || port[1] == '+' || port[1] == '-' {
			return "", fmt.Errorf("%w: port of %q", ErrBadResource, host)
		}
		port = ":" + strconv.Itoa(n) // so that ":0443" is ":443"
	}
	ascii, err := idna.Lookup.ToASCII(strings.TrimSuffix(name, "."))
	if err != nil || ascii == "" {
		return "", fmt.Errorf("%w: host %q", ErrBadResource, host)
	}
	return strings.ToLower(ascii) + port, nil
}

// ParseResource reads a WebFinger resource: acct:user@host, user@host, or
// an https URL of one of our actors. For a URL it returns its path as user
// with isURL set.
func ParseResource(resource string) (user, host string, isURL bool, err error) {
	r := strings.TrimSpace(resource)
	if r == "" || len(r) > 1024 {
		return "", "", false, ErrBadResource
	}
	if strings.HasPrefix(r, "https://") || strings.HasPrefix(r, "http://") {
		u, perr := url.Parse(r)
		if perr != nil || u.Host == "" {
			return "", "", false, ErrBadResource
		}
		h, herr := NormalizeHost(u.Host)
		if herr != nil {
			return "", "", false, herr
		}
		return u.Path, h, true, nil
	}
	r = strings.TrimPrefix(r, "acct:")
	r = strings.TrimPrefix(r, "@")
	i := strings.LastIndexByte(r, '@')
	if i <= 0 || i == len(r)-1 {
		return "", "", false, ErrBadResource
	}
	user, host = r[:i], r[i+1:]
	if strings.ContainsAny(user, "@/?# ") {
		return "", "", false, ErrBadResource
	}
	if host, err = NormalizeHost(host); err != nil {
		return "", "", false, err
	}
	return user, host, false, nil
}

// jrd is a WebFinger JSON Resource Descriptor.
type jrd struct {
	Subject string    `json:"subject"`
	Aliases []string  `json:"aliases,omitempty"`
	Links   []jrdLink `json:"links"`
}

type jrdLink struct {
	Rel        string            `json:"rel"`
	Type       string            `json:"type,omitempty"`
	Href       string            `json:"href,omitempty"`
	Template   string            `json:"template,omitempty"`
	Properties map[string]string `json:"properties,omitempty"`
}

// WebFinger answers acct:name@host for people, communities and the
// instance actor. When a person and a community share a name both are
// listed, the community last, so Mastodon (which takes the first self link)
// still finds the person while Lemmy finds the Group by its type property.
func (h *Handlers) WebFinger(c echo.Context) error {
	user, host, isURL, err := ParseResource(c.QueryParam("resource"))
	if err != nil {
		return service.Invalid("resource must look like acct:name@%s", h.svc.URLs().Host())
	}
	if host != h.svc.URLs().Host() {
		return service.NotFound("account")
	}
	ctx := c.Request().Context()
	var actors []models.Actor
	if isURL {
		actors, err = h.actorsByPath(c, user)
	} else {
		actors, err = h.svc.LookupLocalHandle(ctx, user)
	}
	if err != nil {
		return err
	}
	doc := jrd{Subject: "acct:" + actors[0].Username + "@" + actors[0].Host}
	for _, a := range actors {
		doc.Aliases = append(doc.Aliases, a.IRI)
	}
	doc.Links = append(doc.Links, jrdLink{Rel: "http://webfinger.net/rel/profile-page", Type: "text/html", Href: actors[0].URL})
	for _, a := range actors {
		doc.Links = append(doc.Links, jrdLink{
			Rel: "self", Type: ContentTypeActivity, Href: a.IRI,
			Properties: map[string]string{"https://www.w3.org/ns/activitystreams#type": string(a.Type)},
		})
	}
	doc.Links = append(doc.Links, jrdLink{
		Rel:      "http://ostatus.org/schema/1.0/subscribe",
		Template: h.svc.URLs().Base + "/authorize_interaction?uri={uri}",
	})
	c.Response().Header().Set("Cache-Control", "max-age=300")
	return writeJSON(c, ContentTypeJRD, doc)
}

// actorsByPath resolves an actor URL resource (/u/name, /c/name, /actor).
func (h *Handlers) actorsByPath(c echo.Context, path string) ([]models.Actor, error) {
	ctx := c.Request().Context()
	switch {
	case path == "/actor":
		a, err := h.svc.InstanceActor(ctx)
		if err != nil {
			return nil, err
		}
		return []models.Actor{*a}, nil
	case strings.HasPrefix(path, "/u/"):
		a, err := h.svc.LocalPerson(ctx, strings.TrimPrefix(path, "/u/"))
		if err != nil {
			return nil, err
		}
		return []models.Actor{*a}, nil
	case strings.HasPrefix(path, "/c/"):
		cm, err := h.svc.LocalCommunity(ctx, strings.TrimPrefix(path, "/c/"))
		if err != nil {
			return nil, err
		}
		return []models.Actor{*cm.Actor}, nil
	}
	return nil, service.NotFound("account")
}

// HostMeta serves the XRD that points older software at WebFinger.
func (h *Handlers) HostMeta(c echo.Context) error {
	xrd := `<?xml version="1.0" encoding="UTF-8"?>
<XRD xmlns="http://docs.oasis-open.org/ns/xri/xrd-1.0">
  <Link rel="lrdd" template="` + h.svc.URLs().Base + `/.well-known/webfinger?resource={uri}"/>
</XRD>
`
	return c.Blob(http.StatusOK, "application/xrd+xml; charset=utf-8", []byte(xrd))
}
