package federation

import (
	"encoding/json"
	"net/http"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/practica-social/practica/service"
)

// Object serves a local post at its id: public posts to anyone,
// members-only posts only to signed requests by members (404 to everyone
// else, exactly as for a missing post), and a Tombstone with 410 after
// deletion.
func (h *Handlers) Object(c echo.Context) error {
	v, err := h.viewer(c)
	if err != nil {
		return err
	}
	iri := h.svc.URLs().Object(c.Param("id"))
	p, cm, err := h.svc.PostByIRI(c.Request().Context(), iri, v)
	if err != nil {
		return err
	}
	if !p.Local {
		return service.NotFound("post")
	}
	if p.DeletedAt != nil {
		return writeAS(c, http.StatusGone, map[string]any{
			"@context": asContext, "id": p.IRI, "type": "Tombstone", "formerType": p.Type,
			"deleted": p.DeletedAt.UTC().Format(time.RFC3339),
		})
	}
	doc := service.PostToAS(p, p.Author, cm, p.InReplyTo)
	doc["@context"] = asContext
	if p.Audience != "public" {
		c.Response().Header().Set("Cache-Control", "private, no-store")
		b, err := json.Marshal(doc)
		if err != nil {
			return err
		}
		return c.Blob(http.StatusOK, ContentTypeActivity, b)
	}
	return writeAS(c, http.StatusOK, doc)
}

// Activity serves a local activity at its id, under the same audience
// rules as objects.
func (h *Handlers) Activity(c echo.Context) error {
	v, err := h.viewer(c)
	if err != nil {
		return err
	}
	a, err := h.svc.ActivityByIRI(c.Request().Context(), h.svc.URLs().Activity(c.Param("id")), v)
	if err != nil {
		return err
	}
	c.Response().Header().Set("Cache-Control", "private, no-store")
	return c.Blob(http.StatusOK, ContentTypeActivity, []byte(a.JSON))
}
