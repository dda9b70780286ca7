package service

import (
	"encoding/json"
	"fmt"
	"time"

	"github.com/practica-social/practica/models"
)

// Rendering of the ActivityStreams documents the service publishes. They
// are rendered once, stored in Activity.JSON, and sent byte for byte to
// every inbox, so the same activity always has the same body.

// ASPublic is the ActivityStreams Public collection.
const ASPublic = "https://www.w3.org/ns/activitystreams#Public"

// objectContext is the @context of the objects and activities we publish.
var objectContext = []any{
	"https://www.w3.org/ns/activitystreams",
	map[string]any{
		"sensitive": "as:sensitive",
		"lemmy":     "https://join-lemmy.org/ns#",
		"toot":      "http://joinmastodon.org/ns#",
	},
}

// PublishedContext returns the @context of the objects and activities we
// publish, for a collection page that declares it once for its items.
func PublishedContext() []any { return objectContext }

// Doc is an ActivityStreams document under construction.
type Doc = map[string]any

// addressing returns to and cc for something published in community c:
// public spaces address the Public collection; members-only spaces never do.
func addressing(c *models.Community, audience models.Audience) (to, cc []string) {
	if audience == models.AudiencePublic {
		return []string{c.Actor.IRI, ASPublic}, []string{c.Actor.FollowersURL}
	}
	return []string{c.Actor.IRI, c.Actor.FollowersURL}, []string{}
}

// PostToAS renders a post as a Page (thread with a title, as Lemmy does) or
// a Note (reply), attributed to its author, addressed by its audience, with
// the community in `audience` (FEP-1b12).
func PostToAS(p *models.Post, author *models.Actor, c *models.Community, inReplyTo string) Doc {
	to, cc := addressing(c, p.Audience)
	d := Doc{
		"id":           p.IRI,
		"type":         p.Type,
		"attributedTo": author.IRI,
		"to":           to,
		"cc":           cc,
		"audience":     c.Actor.IRI,
		"content":      p.Content,
		"mediaType":    "text/html",
		"published":    p.Published.UTC().Format(time.RFC3339),
		"url":          p.IRI,
		"sensitive":    p.Sensitive,
		"tag":          []any{Doc{"type": "Mention", "href": c.Actor.IRI, "name": "@" + c.Actor.Username + "@" + c.Actor.Host}},
	}
	if p.Title != "" {
		d["name"] = p.Title
	}
	if p.Source != "" {
		d["source"] = Doc{"content": p.Source, "mediaType": "text/markdown"}
	}
	if inReplyTo != "" {
		d["inReplyTo"] = inReplyTo
	}
	if p.EditedAt != nil {
		d["updated"] = p.EditedAt.UTC().Format(time.RFC3339)
	}
	return d
}

// withContext returns d with the @context set, for top-level documents.
func withContext(d Doc) Doc {
	out := make(Doc, len(d)+1)
	for k, v := range d {
		out[k] = v
	}
	out["@context"] = objectContext
	return out
}

// marshal renders a top-level document.
func marshal(d Doc) (string, error) {
	b, err := json.Marshal(withContext(d))
	if err != nil {
		return "", fmt.Errorf("service: render %v: %w", d["type"], err)
	}
	return string(b), nil
}

// activityDoc builds an activity document.
func activityDoc(id, typ, actor string, object any, to, cc []string) Doc {
	d := Doc{"id": id, "type": typ, "actor": actor, "object": object}
	if to != nil {
		d["to"] = to
	}
	if cc != nil {
		d["cc"] = cc
	}
	return d
}
