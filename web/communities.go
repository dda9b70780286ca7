package web

import (
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"
	"github.com/practica-social/practica/models"
	"github.com/practica-social/practica/service"
)

// communityForm is the data of the create and edit forms.
type communityForm struct {
	Handle, Name, Summary, Topics string
	Visibility                    models.Visibility
	JoinPolicy                    models.JoinPolicy
	// Editing is the community being edited; nil when creating.
	Editing *models.Community
	Error   string
}

// NewCommunityForm shows the form that starts a community.
func (h *Handlers) NewCommunityForm(c echo.Context) error {
	if si, err := requireLogin(c); si == nil {
		return err
	}
	return h.render(c, http.StatusOK, "community_form", "Start a community", communityForm{
		Visibility: models.VisibilityPublic, JoinPolicy: models.JoinOpen,
	})
}

// readCommunityForm reads the fields both forms share.
func readCommunityForm(c echo.Context) communityForm {
	return communityForm{
		Handle: c.FormValue("handle"), Name: c.FormValue("name"), Summary: c.FormValue("summary"),
		Topics: c.FormValue("topics"), Visibility: models.Visibility(c.FormValue("visibility")),
		JoinPolicy: models.JoinPolicy(c.FormValue("join_policy")),
	}
}

// CreateCommunity starts a community owned by the logged-in person.
func (h *Handlers) CreateCommunity(c echo.Context) error {
	si, err := requireLogin(c)
	if si == nil {
		return err
	}
	f := readCommunityForm(c)
	cm, err := h.svc.CreateCommunity(c.Request().Context(), service.NewCommunity{
		Handle: f.Handle, Name: f.Name, Summary: f.Summary, Topics: service.SplitTags(f.Topics),
		Visibility: f.Visibility, JoinPolicy: f.JoinPolicy, OwnerID: si.Account.ActorID,
	})
	if err != nil {
		if msg, status, ok := formProblem(err); ok {
			f.Error = msg
			return h.render(c, status, "community_form", "Start a community", f)
		}
		return err
	}
	return c.Redirect(http.StatusSeeOther, communityPath(cm.Actor))
}

// EditCommunityForm shows the domain statement and policies for editing;
// moderators only.
func (h *Handlers) EditCommunityForm(c echo.Context) error {
	si, cm, err := h.loggedInCommunity(c)
	if cm == nil {
		return err
	}
	ctx := c.Request().Context()
	m, err := h.svc.MembershipOf(ctx, cm, si.Account.ActorID)
	if err != nil {
		return err
	}
	if !cm.Local || !m.Moderates() {
		return service.Forbidden("only the community's moderators may edit it")
	}
	return h.render(c, http.StatusOK, "community_form", "Edit "+cm.Actor.Name, communityForm{
		Handle: cm.Actor.Username, Name: cm.Actor.Name, Summary: cm.Actor.SummarySource,
		Topics: strings.Join(cm.Topics, ", "), Visibility: cm.Visibility, JoinPolicy: cm.JoinPolicy, Editing: cm,
	})
}

// UpdateCommunity saves an edited domain statement and policies.
func (h *Handlers) UpdateCommunity(c echo.Context) error {
	si, cm, err := h.loggedInCommunity(c)
	if cm == nil {
		return err
	}
	ctx := c.Request().Context()
	f := readCommunityForm(c)
	_, err = h.svc.UpdateCommunity(ctx, si.Account.ActorID, cm.ID, service.CommunityEdit{
		Name: f.Name, Summary: f.Summary, Topics: service.SplitTags(f.Topics), Visibility: f.Visibility, JoinPolicy: f.JoinPolicy,
	})
	if err != nil {
		if msg, status, ok := formProblem(err); ok {
			f.Error, f.Editing, f.Handle = msg, cm, cm.Actor.Username
			return h.render(c, status, "community_form", "Edit "+cm.Actor.Name, f)
		}
		return err
	}
	return c.Redirect(http.StatusSeeOther, communityPath(cm.Actor))
}

// Join makes the logged-in person a member (or asks to be one).
func (h *Handlers) Join(c echo.Context) error {
	si, cm, err := h.loggedInCommunity(c)
	if cm == nil {
		return err
	}
	ctx := c.Request().Context()
	if _, err := h.svc.Join(ctx, si.Account.ActorID, cm); err != nil {
		return err
	}
	return c.Redirect(http.StatusSeeOther, communityPath(cm.Actor))
}

// Leave ends the logged-in person's membership.
func (h *Handlers) Leave(c echo.Context) error {
	si, cm, err := h.loggedInCommunity(c)
	if cm == nil {
		return err
	}
	ctx := c.Request().Context()
	if err := h.svc.Leave(ctx, si.Account.ActorID, cm); err != nil {
		return err
	}
	return c.Redirect(http.StatusSeeOther, communityPath(cm.Actor))
}
