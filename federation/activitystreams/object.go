package activitystreams

import "time"

// Tag is one entry of an object's "tag": a Mention, Hashtag, Emoji or
// software-specific tag (Lemmy's CommunityPostTag).
type Tag struct {
	// Type is the tag's first type, e.g. "Mention".
	Type string
	// Href is the tag's href, or its id when it has no href.
	Href string
	// Name is the tag's name, e.g. "@alice@example.org" or "#Dance".
	Name string
}

// Object is a content object: Note, Page, Article, Question, Event,
// ChatMessage, Tombstone …
type Object struct {
	// Raw is the whole decoded object.
	Raw map[string]any
	// ID is the object's id, an absolute http(s) URL.
	ID string
	// Type is the object's first type.
	Type string
	// AttributedTo is the first IRI of attributedTo. Mobilizon attributes
	// an event to its group and names the person in Actor, so callers that
	// care about the author should look at both.
	AttributedTo string
	// AttributedTos are all IRIs of attributedTo (Lemmy and Mbin sometimes
	// send an array).
	AttributedTos []string
	// Actor is the IRI of "actor" on the object itself, which Mobilizon and
	// Pleroma set to the person who wrote it.
	Actor string
	// Name, Content and Summary are natural-language values (falling back
	// to their …Map form), unsanitised HTML or text.
	Name, Content, Summary string
	// MediaType is the media type of Content, usually text/html.
	MediaType string
	// SourceContent and SourceMediaType are the author's source
	// (e.g. Markdown); Pleroma sends source as a bare string, which lands in
	// SourceContent with an empty media type.
	SourceContent, SourceMediaType string
	// InReplyTo is the IRI of the object replied to.
	InReplyTo string
	// URL is the first href of url, preferring a text/html link.
	URL string
	// Context is the IRI of "context" (a thread or conversation).
	Context string
	// To, CC and Audience are addressing IRIs as in Activity.
	To, CC, Audience []string
	// Tags are the object's tags, at most MaxItems.
	Tags []Tag
	// Published and Updated are zero when absent or unreadable.
	Published, Updated time.Time
	// Sensitive is the as:sensitive flag.
	Sensitive bool
}

// ObjectFromMap reads a decoded content object. It requires an absolute
// http(s) id and a type; anything else may be missing.
func ObjectFromMap(m map[string]any) (*Object, error) {
	if m == nil {
		return nil, parseErr("missing object")
	}
	id, err := requireID(m)
	if err != nil {
		return nil, err
	}
	typ := firstType(m)
	if typ == "" {
		return nil, parseErr("missing type")
	}
	o := &Object{
		Raw:           m,
		ID:            id,
		Type:          typ,
		AttributedTos: IRIs(m["attributedTo"]),
		Actor:         IRI(m["actor"]),
		Name:          String(m, "name"),
		Content:       String(m, "content"),
		Summary:       String(m, "summary"),
		MediaType:     stringValue(m["mediaType"]),
		InReplyTo:     IRI(m["inReplyTo"]),
		URL:           firstHref(m["url"], 0),
		Context:       IRI(m["context"]),
		To:            IRIs(m["to"]),
		CC:            IRIs(m["cc"]),
		Audience:      IRIs(m["audience"]),
		Tags:          tags(m["tag"]),
		Published:     timeValue(m["published"]),
		Updated:       timeValue(m["updated"]),
		Sensitive:     boolValue(m["sensitive"]),
	}
	if len(o.AttributedTos) > 0 {
		o.AttributedTo = o.AttributedTos[0]
	}
	switch src := m["source"].(type) {
	case string:
		o.SourceContent = src
	case map[string]any:
		o.SourceContent = stringValue(src["content"])
		o.SourceMediaType = stringValue(src["mediaType"])
	}
	return o, nil
}

// tags reads "tag", which may be one object, an array, or bare IRIs.
func tags(v any) []Tag {
	var list []any
	switch x := v.(type) {
	case nil:
		return nil
	case []any:
		list = x
	default:
		list = []any{x}
	}
	out := make([]Tag, 0, min(len(list), MaxItems))
	for _, e := range list {
		if len(out) == MaxItems {
			break
		}
		switch t := e.(type) {
		case string:
			if t != "" {
				out = append(out, Tag{Href: t})
			}
		case map[string]any:
			href := stringValue(t["href"])
			if href == "" {
				href = stringValue(t["id"])
			}
			tag := Tag{Type: firstType(t), Href: href, Name: String(t, "name")}
			if tag != (Tag{}) {
				out = append(out, tag)
			}
		}
	}
	return out
}
