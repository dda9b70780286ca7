package federation

import (
	"github.com/labstack/echo/v4"
)

// nodeInfoSchema is the NodeInfo version we serve.
const nodeInfoSchema = "http://nodeinfo.diaspora.software/ns/schema/2.1"

// NodeInfoIndex serves /.well-known/nodeinfo, which points to the document.
func (h *Handlers) NodeInfoIndex(c echo.Context) error {
	return writeJSON(c, "application/json", map[string]any{
		"links": []map[string]string{{"rel": nodeInfoSchema, "href": h.svc.URLs().Base + "/nodeinfo/2.1"}},
	})
}

// NodeInfo serves NodeInfo 2.1. Usage counts only public content: a
// members-only community's posts are nobody else's business.
func (h *Handlers) NodeInfo(c echo.Context) error {
	ctx := c.Request().Context()
	u, err := h.svc.Usage(ctx)
	if err != nil {
		return err
	}
	open, err := h.svc.OpenRegistrations(ctx)
	if err != nil {
		return err
	}
	doc := map[string]any{
		"version": "2.1",
		"software": map[string]string{
			"name": h.sw.Name, "version": h.sw.Version,
			"repository": h.sw.Repository, "homepage": h.sw.Homepage,
		},
		"protocols":         []string{"activitypub"},
		"services":          map[string][]string{"inbound": {}, "outbound": {}},
		"openRegistrations": open,
		"usage": map[string]any{
			"users":         map[string]int64{"total": u.Users},
			"localPosts":    u.LocalPosts,
			"localComments": u.LocalComments,
		},
		"metadata": map[string]any{
			"nodeName":    h.svc.InstanceName(),
			"communities": u.Communities,
		},
	}
	return writeJSON(c, `application/json; profile="`+nodeInfoSchema+`#"`, doc)
}
