package federation

import (
	"github.com/labstack/echo/v4"
	"github.com/practica-social/practica/models"
	"github.com/practica-social/practica/service"
)

// GroupActor serves a community's Group document. The actor is public even
// for members-only communities: people must find a space to ask to join it.
func (h *Handlers) GroupActor(c echo.Context) error {
	cm, err := h.svc.LocalCommunity(c.Request().Context(), c.Param("name"))
	if err != nil {
		return err
	}
	return writeAS(c, 200, service.ActorToAS(cm.Actor, cm))
}

// PersonActor serves a local person's Person document.
func (h *Handlers) PersonActor(c echo.Context) error {
	a, err := h.svc.LocalPerson(c.Request().Context(), c.Param("name"))
	if err != nil {
		return err
	}
	return writeAS(c, 200, service.ActorToAS(a, nil))
}

// InstanceActor serves the instance actor's Application document.
func (h *Handlers) InstanceActor(c echo.Context) error {
	a, err := h.svc.InstanceActor(c.Request().Context())
	if err != nil {
		return err
	}
	return writeAS(c, 200, service.ActorToAS(a, nil))
}

// actorOf resolves the actor whose collection a request names: /c/:name,
// /u/:name, or the instance actor at /actor/…
func (h *Handlers) actorOf(c echo.Context) (*models.Actor, *models.Community, error) {
	ctx := c.Request().Context()
	name := c.Param("name")
	switch {
	case name == "":
		a, err := h.svc.InstanceActor(ctx)
		return a, nil, err
	case len(c.Path()) > 2 && c.Path()[:3] == "/c/":
		cm, err := h.svc.LocalCommunity(ctx, name)
		if err != nil {
			return nil, nil, err
		}
		return cm.Actor, cm, nil
	default:
		a, err := h.svc.LocalPerson(ctx, name)
		return a, nil, err
	}
}

// communityOf resolves /c/:name for collections only groups have.
func (h *Handlers) communityOf(c echo.Context) (*models.Community, error) {
	_, cm, err := h.actorOf(c)
	if err != nil {
		return nil, err
	}
	if cm == nil {
		return nil, service.NotFound("collection")
	}
	return cm, nil
}
