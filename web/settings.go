package web

import (
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"
	"github.com/practica-social/practica/service"
)

// settingsView is the profile form's data.
type settingsView struct {
	DisplayName, Bio, Organization, Expertise string
	Handle                                    string
	Error                                     string
	Saved, Welcome                            bool
}

// SettingsForm shows the logged-in person's profile form.
func (h *Handlers) SettingsForm(c echo.Context) error {
	si, err := requireLogin(c)
	if si == nil {
		return err
	}
	a := si.Account
	return h.render(c, http.StatusOK, "settings", "Your profile", settingsView{
		DisplayName: a.Actor.Name, Bio: a.Actor.SummarySource, Organization: a.Organization,
		Expertise: strings.Join(a.Expertise, ", "), Handle: handleOf(a.Actor),
		Saved: c.QueryParam("saved") == "1", Welcome: c.QueryParam("welcome") == "1",
	})
}

// SaveSettings updates the profile.
func (h *Handlers) SaveSettings(c echo.Context) error {
	si, err := requireLogin(c)
	if si == nil {
		return err
	}
	in := service.ProfileInput{
		DisplayName: c.FormValue("display_name"), Bio: c.FormValue("bio"),
		Organization: c.FormValue("organization"), Expertise: service.SplitTags(c.FormValue("expertise")),
	}
	if _, err := h.svc.UpdateProfile(c.Request().Context(), si.Account.ID, in); err != nil {
		if msg, status, ok := formProblem(err); ok {
			return h.render(c, status, "settings", "Your profile", settingsView{
				DisplayName: in.DisplayName, Bio: in.Bio, Organization: in.Organization,
				Expertise: c.FormValue("expertise"), Handle: handleOf(si.Account.Actor), Error: msg,
			})
		}
		return err
	}
	return c.Redirect(http.StatusSeeOther, "/settings?saved=1")
}
