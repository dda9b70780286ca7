package api

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"
	"github.com/practica-social/practica/service"
)

// MaxBodyBytes bounds a request body. The largest thing a client sends is
// a post of 50,000 characters; four bytes each, plus JSON escaping, stays
// well below.
const MaxBodyBytes = 512 << 10

// Page sizes.
const (
	defaultLimit = 20
	maxLimit     = 100
)

// tooLarge is the error for a body over MaxBodyBytes.
var tooLarge = &service.Error{Kind: service.KindTooLarge, Message: fmt.Sprintf("the request body may have at most %d KiB", MaxBodyBytes>>10)}

// decodeBody reads exactly one JSON object into v. Unknown fields are
// refused, so a misspelt field fails loudly instead of being ignored.
func decodeBody(c echo.Context, v any) error {
	r := c.Request()
	if ct := r.Header.Get(echo.HeaderContentType); ct != "" {
		if mt, _, err := mime.ParseMediaType(ct); err != nil || mt != echo.MIMEApplicationJSON {
			return service.Invalid("Content-Type: the body must be application/json")
		}
	}
	if r.ContentLength > MaxBodyBytes {
		return tooLarge
	}
	dec := json.NewDecoder(http.MaxBytesReader(c.Response(), r.Body, MaxBodyBytes))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return bodyError(err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return tooLarge
		}
		return service.Invalid("body: the body must hold one JSON object and nothing after it")
	}
	return nil
}

// bodyError turns a decoding error into a client-safe one naming the field.
func bodyError(err error) error {
	var (
		mbe    *http.MaxBytesError
		syntax *json.SyntaxError
		typ    *json.UnmarshalTypeError
	)
	switch {
	case errors.As(err, &mbe):
		return tooLarge
	case errors.Is(err, io.EOF):
		return service.Invalid("body: a JSON object is required")
	case errors.Is(err, io.ErrUnexpectedEOF):
		return service.Invalid("body: the JSON ends too early")
	case errors.As(err, &syntax):
		return service.Invalid("body: not valid JSON (at byte %d)", syntax.Offset)
	case errors.As(err, &typ):
		if typ.Field == "" {
			return service.Invalid("body: must be a JSON object")
		}
		return service.Invalid("%s: must be %s", typ.Field, jsonKind(typ.Type.Kind().String()))
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		return service.Invalid("%s: unknown field", strings.Trim(strings.TrimPrefix(err.Error(), "json: unknown field "), `"`))
	default:
		return service.Invalid("body: not valid JSON")
	}
}

// jsonKind names a Go kind the way a JSON client thinks of it.
func jsonKind(kind string) string {
	switch kind {
	case "string":
		return "a string"
	case "bool":
		return "true or false"
	case "slice":
		return "an array"
	case "struct", "map":
		return "an object"
	default:
		return "a number"
	}
}

// required fails unless a required body field was sent.
func required[T any](field string, v *T) error {
	if v == nil {
		return service.Invalid("%s: required", field)
	}
	return nil
}

// Cursor kinds keep a cursor from one listing out of another.
const (
	cursorCommunities = "c"
	cursorThreads     = "t"
	cursorReplies     = "r"
	cursorMembers     = "m"
	cursorReports     = "rp"
)

// encodeCursor makes an opaque cursor from a row id; "" for none.
func encodeCursor(kind string, id int64) string {
	if id == 0 {
		return ""
	}
	return base64.RawURLEncoding.EncodeToString([]byte(kind + "1." + strconv.FormatInt(id, 10)))
}

// decodeCursor reads a cursor made by encodeCursor for the same listing.
func decodeCursor(kind, s string) (int64, error) {
	if s == "" {
		return 0, nil
	}
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil {
		return 0, service.Invalid("cursor: not a cursor of this listing")
	}
	rest, ok := strings.CutPrefix(string(b), kind+"1.")
	id, err := strconv.ParseInt(rest, 10, 64)
	if !ok || err != nil || id <= 0 {
		return 0, service.Invalid("cursor: not a cursor of this listing")
	}
	return id, nil
}

// pageParams reads ?cursor= and ?limit=. A limit over the maximum is
// capped rather than refused, so a client asking for "all" gets a page.
func pageParams(c echo.Context, kind string) (cursor int64, limit int, err error) {
	if cursor, err = decodeCursor(kind, c.QueryParam("cursor")); err != nil {
		return 0, 0, err
	}
	limit = defaultLimit
	if s := c.QueryParam("limit"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 {
			return 0, 0, service.Invalid("limit: must be a whole number from 1 to %d", maxLimit)
		}
		limit = min(n, maxLimit)
	}
	return cursor, limit, nil
}

// handleParam is the :handle path segment, unescaped ("name" or
// "name@host").
func handleParam(c echo.Context) string {
	h := c.Param("handle")
	if u, err := url.PathUnescape(h); err == nil {
		h = u
	}
	return h
}

// postIDParam is the :id path segment. A malformed id cannot name a post,
// so it answers like a missing one.
func postIDParam(c echo.Context) (int64, error) {
	id, err := strconv.ParseInt(c.Param("id"), 10, 64)
	if err != nil || id <= 0 {
		return 0, service.NotFound("post")
	}
	return id, nil
}
