package app

import (
	"errors"
	"log/slog"
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"
	"github.com/practica-social/practica/federation"
	"github.com/practica-social/practica/service"
	"github.com/practica-social/practica/web"
)

// statusOf maps a service error kind to an HTTP status.
func statusOf(k service.Kind) int {
	switch k {
	case service.KindInvalid:
		return http.StatusBadRequest
	case service.KindNotFound:
		return http.StatusNotFound
	case service.KindForbidden:
		return http.StatusForbidden
	case service.KindUnauthorized:
		return http.StatusUnauthorized
	case service.KindConflict:
		return http.StatusConflict
	case service.KindUnavailable:
		return http.StatusServiceUnavailable
	case service.KindTooLarge:
		return http.StatusRequestEntityTooLarge
	case service.KindRateLimited:
		return http.StatusTooManyRequests
	default:
		return http.StatusInternalServerError
	}
}

// errorHandler is the one place where errors become responses: the right
// status, a message safe to show, JSON for the API and for peers, an HTML
// page for browsers. Internal errors are logged and never shown.
func errorHandler(log *slog.Logger, pages *web.Handlers) echo.HTTPErrorHandler {
	return func(err error, c echo.Context) {
		if c.Response().Committed {
			return
		}
		status, msg := http.StatusInternalServerError, "something went wrong on our side; it has been logged"
		var he *echo.HTTPError
		switch {
		case errors.As(err, &he):
			status = he.Code
			if m, ok := he.Message.(string); ok {
				msg = m
			} else {
				msg = http.StatusText(status)
			}
		default:
			status = statusOf(service.KindOf(err))
			if status != http.StatusInternalServerError {
				msg = service.SafeMessage(err, http.StatusText(status))
			}
		}
		if status >= 500 && status != http.StatusServiceUnavailable {
			log.ErrorContext(c.Request().Context(), "request failed", "method", c.Request().Method, "path", c.Request().URL.Path, "err", err)
		} else {
			log.DebugContext(c.Request().Context(), "request refused", "path", c.Request().URL.Path, "status", status, "err", err)
		}
		if status == http.StatusServiceUnavailable {
			c.Response().Header().Set("Retry-After", "30")
		}
		var werr error
		switch {
		case c.Request().Method == http.MethodHead:
			werr = c.NoContent(status)
		case wantsJSON(c):
			werr = c.JSON(status, map[string]string{"error": errorCode(status), "message": msg})
		default:
			werr = pages.RenderError(c, status, msg)
		}
		if werr != nil {
			log.Error("write error response", "err", werr)
		}
	}
}

// wantsJSON picks JSON errors for the API, for ActivityPub peers and for
// the protocol endpoints; browsers get pages.
func wantsJSON(c echo.Context) bool {
	p := c.Request().URL.Path
	if strings.HasPrefix(p, "/api/") || strings.HasPrefix(p, "/.well-known/") || strings.HasPrefix(p, "/nodeinfo/") ||
		strings.HasSuffix(p, "/inbox") || p == "/metrics" || p == "/readyz" || p == "/healthz" {
		return true
	}
	accept := c.Request().Header.Get("Accept")
	return federation.WantsActivityPub(accept) || (strings.Contains(accept, "json") && !strings.Contains(accept, "html"))
}

// errorCode is a stable machine-readable code for a status.
func errorCode(status int) string {
	switch status {
	case http.StatusBadRequest:
		return "invalid_request"
	case http.StatusUnauthorized:
		return "unauthorized"
	case http.StatusForbidden:
		return "forbidden"
	case http.StatusNotFound:
		return "not_found"
	case http.StatusConflict:
		return "conflict"
	case http.StatusRequestEntityTooLarge:
		return "too_large"
	case http.StatusTooManyRequests:
		return "rate_limited"
	case http.StatusServiceUnavailable:
		return "unavailable"
	case http.StatusMethodNotAllowed:
		return "method_not_allowed"
	default:
		if status >= 500 {
			return "internal_error"
		}
		return "error"
	}
}
