package web

import (
	"net/http"
	"strconv"

	"github.com/labstack/echo/v4"
	"github.com/practica-social/practica/models"
	"github.com/practica-social/practica/service"
)

// reportForm is the report page's data.
type reportForm struct {
	Community *models.Community
	Post      *models.Post
	ThreadID  int64
	Comment   string
	Error     string
	// Elsewhere is set when the community lives on another server, which
	// is sent the report.
	Elsewhere bool
}

// reportedPost loads the post of the request's :id as the person sees it.
func (h *Handlers) reportedPost(c echo.Context, si *service.SignedIn) (reportForm, error) {
	id, err := idParam(c, "id")
	if err != nil {
		return reportForm{}, err
	}
	cm, p, threadID, err := h.svc.PostLocation(c.Request().Context(), id, service.Viewer{ActorID: si.Account.ActorID})
	if err != nil {
		return reportForm{}, err
	}
	return reportForm{Community: cm, Post: p, ThreadID: threadID, Elsewhere: !cm.Local}, nil
}

// ReportPostForm asks why a post is reported.
func (h *Handlers) ReportPostForm(c echo.Context) error {
	si, err := requireLogin(c)
	if si == nil {
		return err
	}
	f, err := h.reportedPost(c, si)
	if err != nil {
		return err
	}
	return h.render(c, http.StatusOK, "post_report", "Report post", f)
}

// ReportPost files the report and returns to the post in its thread.
func (h *Handlers) ReportPost(c echo.Context) error {
	si, err := requireLogin(c)
	if si == nil {
		return err
	}
	f, err := h.reportedPost(c, si)
	if err != nil {
		return err
	}
	f.Comment = c.FormValue("comment")
	if _, err := h.svc.ReportPost(c.Request().Context(), si.Account.ActorID, f.Post.ID, f.Comment); err != nil {
		if msg, status, ok := formProblem(err); ok {
			f.Error = msg
			return h.render(c, status, "post_report", "Report post", f)
		}
		return err
	}
	return c.Redirect(http.StatusSeeOther, postAnchor(f.Community, f.Post.ID, f.ThreadID))
}

// reportsView is the reports page's data.
type reportsView struct {
	Community *models.Community
	Reports   []service.ReportView
	Closed    bool
	Next      int64
}

// reportsPerPage is how many reports a page lists.
const reportsPerPage = 50

// ReportsPage lists a community's reports for its moderators: the open
// ones, or with ?closed=1 those already handled.
func (h *Handlers) ReportsPage(c echo.Context) error {
	si, cm, err := h.loggedInCommunity(c)
	if cm == nil {
		return err
	}
	v := reportsView{Community: cm, Closed: c.QueryParam("closed") == "1"}
	rs, err := h.svc.Reports(c.Request().Context(), cm, si.Account.ActorID, !v.Closed, cursor(c, "after"), reportsPerPage+1)
	if err != nil {
		return err
	}
	if len(rs) > reportsPerPage {
		rs = rs[:reportsPerPage]
		v.Next = rs[reportsPerPage-1].ID
	}
	v.Reports = rs
	return h.render(c, http.StatusOK, "reports", "Reports in "+cm.Actor.Name, v)
}

// CloseReport resolves or dismisses a report; moderators only.
func (h *Handlers) CloseReport(c echo.Context) error {
	si, cm, err := h.loggedInCommunity(c)
	if cm == nil {
		return err
	}
	id, err := strconv.ParseInt(c.Param("id"), 10, 64)
	if err != nil || id <= 0 {
		return service.NotFound("report")
	}
	var dismiss bool
	switch c.FormValue("action") {
	case "resolve":
	case "dismiss":
		dismiss = true
	default:
		return service.Invalid("action: choose resolve or dismiss")
	}
	if err := h.svc.CloseReport(c.Request().Context(), cm, si.Account.ActorID, id, dismiss); err != nil {
		return err
	}
	return c.Redirect(http.StatusSeeOther, communityPath(cm.Actor)+"/reports")
}
