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
	ours, err := publishedContextMember()
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

// publishedContextMember is the "@context" member, comma included, that
// every activity we publish starts with (a map marshals its keys in order,
// and "@" sorts first), and an Announce of a Create carries twice.
func publishedContextMember() ([]byte, error) {
	b, err := json.Marshal(service.PublishedContext())
	if err != nil {
		return nil, fmt.Errorf("federation: marshal the published @context: %w", err)
	}
	return append(append([]byte(`"@context":`), b...), ','), nil
}

// stripContext removes every occurrence of member, an "@context" member
// exactly as we publish it, from an item of a page that declares that
// context itself: in an outbox page of twenty local Announces they are a
// sixth of the bytes. A JSON string cannot hold an unescaped quote, so
// the match is always a real member; an item with any other context (a
// remote activity inside an Announce) keeps it, so its terms keep their
// meaning.
func stripContext(item, member []byte) ([]byte, bool) {
	if !bytes.Contains(item, member) {
		return item, false
	}
	return bytes.ReplaceAll(item, member, nil), true
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
