package federation

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"

	"github.com/labstack/echo/v4"
	"github.com/practica-social/practica/models"
	"github.com/practica-social/practica/service"
)

// pageSize is the number of items per collection page.
const pageSize = 20

// asContext is the @context of plain ActivityStreams documents.
const asContext = "https://www.w3.org/ns/activitystreams"

// ASCollection is an OrderedCollection. First is set when the items are
// paged; OrderedItems when they are inlined (short collections).
type ASCollection struct {
	Context      any    `json:"@context,omitempty"`
	ID           string `json:"id"`
	Type         string `json:"type"`
	TotalItems   int64  `json:"totalItems"`
	First        string `json:"first,omitempty"`
	OrderedItems []any  `json:"orderedItems,omitempty"`
}

// ASCollectionPage is one page of an OrderedCollection.
type ASCollectionPage struct {
	Context      any    `json:"@context,omitempty"`
	ID           string `json:"id"`
	Type         string `json:"type"`
	PartOf       string `json:"partOf"`
	TotalItems   int64  `json:"totalItems"`
	Next         string `json:"next,omitempty"`
	OrderedItems []any  `json:"orderedItems"`
}

// cursor reads a numeric paging cursor; a bad one is a client error.
func cursor(c echo.Context, name string) (int64, error) {
	v := c.QueryParam(name)
	if v == "" {
		return 0, nil
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil || n < 0 {
		return 0, service.Invalid("%s must be a non-negative integer", name)
	}
	return n, nil
}

// Outbox serves an actor's outbox: the activities it published (for a
// community, the Announces it redistributed), as the viewer may see them.
func (h *Handlers) Outbox(c echo.Context) error {
	actor, _, err := h.actorOf(c)
	if err != nil {
		return err
	}
	v, err := h.viewer(c)
	if err != nil {
		return err
	}
	before, err := cursor(c, "before")
	if err != nil {
		return err
	}
	ctx := c.Request().Context()
	page, err := h.svc.Outbox(ctx, actor, v, before, pageSize)
	if err != nil {
		return err
	}
	id := actor.OutboxURL
	if c.QueryParam("page") == "" {
		return writeAS(c, 200, ASCollection{Context: asContext, ID: id, Type: "OrderedCollection", TotalItems: page.Total, First: id + "?page=true"})
	}
	out := ASCollectionPage{Context: asContext, ID: pageID(id, before), Type: "OrderedCollectionPage", PartOf: id, TotalItems: page.Total, OrderedItems: []any{}}
	ours, err := publishedContextJSON()
	if err != nil {
		return err
	}
	for _, a := range page.Items {
		item, stripped := stripContext([]byte(a.JSON), ours)
		if stripped {
			out.Context = service.PublishedContext()
		}
		out.OrderedItems = append(out.OrderedItems, json.RawMessage(item))
	}
	if page.Next != 0 {
		out.Next = pageID(id, page.Next)
	}
	return writeAS(c, 200, out)
}

// publishedContextJSON is the @context we publish with, as our activities
// carry it (compact JSON, as encoding/json writes it).
func publishedContextJSON() ([]byte, error) {
	b, err := json.Marshal(service.PublishedContext())
	if err != nil {
		return nil, fmt.Errorf("federation: marshal the published @context: %w", err)
	}
	return b, nil
}

// stripContext removes from an item of a page that declares our context
// the "@context" member when it is exactly ours: at the item's top, and
// then also in its embedded object (an Announce of our Create), whose
// enclosing context is then the page's. In an outbox page of twenty local
// Announces they are a sixth of the bytes. Anything else keeps its context:
// an item with another one, and an object under a context that is not
// ours (a remote activity inside an Announce), so every term keeps its
// meaning. The item is parsed, not searched, so a key or string holding
// the same characters changes nothing.
func stripContext(item, ours []byte) ([]byte, bool) {
	var top map[string]json.RawMessage
	if json.Unmarshal(item, &top) != nil || !bytes.Equal(top["@context"], ours) {
		return item, false
	}
	delete(top, "@context")
	if raw := top["object"]; len(raw) > 0 && raw[0] == '{' {
		var obj map[string]json.RawMessage
		if json.Unmarshal(raw, &obj) == nil && bytes.Equal(obj["@context"], ours) {
			delete(obj, "@context")
			if b, err := compactJSON(obj); err == nil {
				top["object"] = b
			}
		}
	}
	b, err := compactJSON(top)
	if err != nil {
		return item, false
	}
	return b, true
}

// compactJSON marshals v without escaping HTML characters, so that the
// members it copies keep their bytes (a map's keys come out sorted, as
// our activities were written).
func compactJSON(v any) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n")), nil
}

func pageID(collection string, before int64) string {
	if before == 0 {
		return collection + "?page=true"
	}
	return collection + "?page=true&before=" + strconv.FormatInt(before, 10)
}

// Followers serves a community's members as its followers collection.
// Outsiders learn only the count (and of a members-only space, nothing);
// people and the instance actor list no followers here.
func (h *Handlers) Followers(c echo.Context) error {
	actor, cm, err := h.actorOf(c)
	if err != nil {
		return err
	}
	if cm == nil {
		return writeAS(c, 200, ASCollection{Context: asContext, ID: actor.FollowersURL, Type: "OrderedCollection"})
	}
	v, err := h.viewer(c)
	if err != nil {
		return err
	}
	after, err := cursor(c, "after")
	if err != nil {
		return err
	}
	page, show, err := h.svc.Members(c.Request().Context(), cm, v, nil, after, pageSize)
	if err != nil {
		return err
	}
	id := actor.FollowersURL
	if !show {
		return writeAS(c, 200, ASCollection{Context: asContext, ID: id, Type: "OrderedCollection", TotalItems: page.Total})
	}
	if c.QueryParam("page") == "" {
		return writeAS(c, 200, ASCollection{Context: asContext, ID: id, Type: "OrderedCollection", TotalItems: page.Total, First: id + "?page=true"})
	}
	out := ASCollectionPage{Context: asContext, ID: id + "?page=true", Type: "OrderedCollectionPage", PartOf: id, TotalItems: page.Total, OrderedItems: []any{}}
	if after > 0 {
		out.ID = id + "?page=true&after=" + strconv.FormatInt(after, 10)
	}
	for _, m := range page.Items {
		out.OrderedItems = append(out.OrderedItems, m.Actor.IRI)
	}
	if page.Next != 0 {
		out.Next = id + "?page=true&after=" + strconv.FormatInt(page.Next, 10)
	}
	return writeAS(c, 200, out)
}

// Following serves what an actor follows. Communities will list the
// communities they link to; for now the collection is empty but well formed.
func (h *Handlers) Following(c echo.Context) error {
	actor, _, err := h.actorOf(c)
	if err != nil {
		return err
	}
	return writeAS(c, 200, ASCollection{Context: asContext, ID: actor.FollowingURL, Type: "OrderedCollection", TotalItems: 0})
}

// Moderators serves a community's owners and moderators, inlined, as
// Lemmy publishes them: peers check moderation rights against this list.
func (h *Handlers) Moderators(c echo.Context) error {
	cm, err := h.communityOf(c)
	if err != nil {
		return err
	}
	page, _, err := h.svc.Members(c.Request().Context(), cm, service.Anonymous, []models.Role{models.RoleOwner, models.RoleModerator}, 0, 200)
	if err != nil {
		return err
	}
	out := ASCollection{Context: asContext, ID: cm.Actor.ModeratorsURL, Type: "OrderedCollection", TotalItems: int64(len(page.Items)), OrderedItems: []any{}}
	for _, m := range page.Items {
		out.OrderedItems = append(out.OrderedItems, m.Actor.IRI)
	}
	return writeAS(c, 200, out)
}

// Featured serves a community's pinned posts, inlined.
func (h *Handlers) Featured(c echo.Context) error {
	cm, err := h.communityOf(c)
	if err != nil {
		return err
	}
	v, err := h.viewer(c)
	if err != nil {
		return err
	}
	posts, err := h.svc.Featured(c.Request().Context(), cm, v)
	if err != nil {
		return err
	}
	out := ASCollection{Context: asContext, ID: cm.Actor.FeaturedURL, Type: "OrderedCollection", TotalItems: int64(len(posts)), OrderedItems: []any{}}
	for i := range posts {
		out.OrderedItems = append(out.OrderedItems, posts[i].IRI)
	}
	return writeAS(c, 200, out)
}
