package web

import (
	"net/http"
	"strconv"

	"github.com/labstack/echo/v4"
	"github.com/practica-social/practica/service"
)

// formProblem tells whether err is something the person can fix in the
// form they sent, and if so the message and status to show it with. Other
// errors go to the central error handler.
func formProblem(err error) (string, int, bool) {
	switch service.KindOf(err) {
	case service.KindInvalid:
		return service.SafeMessage(err, "the form has a mistake"), http.StatusUnprocessableEntity, true
	case service.KindConflict:
		return service.SafeMessage(err, "that already exists"), http.StatusConflict, true
	}
	return "", 0, false
}

// idParam parses a numeric path parameter; a malformed one is "not found",
// as a missing thing would be.
func idParam(c echo.Context, name string) (int64, error) {
	id, err := strconv.ParseInt(c.Param(name), 10, 64)
	if err != nil || id <= 0 {
		return 0, service.NotFound("page")
	}
	return id, nil
}

// cursor parses a paging cursor from the query; anything odd starts over.
func cursor(c echo.Context, name string) int64 {
	n, err := strconv.ParseInt(c.QueryParam(name), 10, 64)
	if err != nil || n < 0 {
		return 0
	}
	return n
}
