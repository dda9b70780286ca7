package api

import (
	_ "embed"
	"net/http"

	"github.com/labstack/echo/v4"
)

// openAPIDoc describes every route of routes(); api tests hold the two
// together, and the Go types of types.go to its schemas.
//
//go:embed openapi.json
var openAPIDoc []byte

// OpenAPIDocument returns the OpenAPI 3 document of the API.
func OpenAPIDocument() []byte { return append([]byte(nil), openAPIDoc...) }

// OpenAPI answers GET /openapi.json.
func (h *Handlers) OpenAPI(c echo.Context) error {
	return c.Blob(http.StatusOK, echo.MIMEApplicationJSON, openAPIDoc)
}
