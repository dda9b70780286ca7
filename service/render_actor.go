package service

import (
	"time"

	"github.com/practica-social/practica/models"
)

// Rendering of our actor documents. It lives in the service, not in the
// federation package that serves them, because the service also publishes
// them: Update{Group} and Update{Person} embed the whole document.

// actorContext is the @context of our actor documents: ActivityStreams,
// the security vocabulary (publicKey) that Mastodon and Lemmy require, and
// the few extension terms peers read.
var actorContext = []any{
	"https://www.w3.org/ns/activitystreams",
	"https://w3id.org/security/v1",
	map[string]any{
		"manuallyApprovesFollowers": "as:manuallyApprovesFollowers",
		"sensitive":                 "as:sensitive",
		"toot":                      "http://joinmastodon.org/ns#",
		"discoverable":              "toot:discoverable",
		"featured":                  map[string]string{"@id": "toot:featured", "@type": "@id"},
		"lemmy":                     "https://join-lemmy.org/ns#",
		"postingRestrictedToMods":   "lemmy:postingRestrictedToMods",
	},
}

// ASPublicKey is the publicKey object of an actor.
type ASPublicKey struct {
	ID           string `json:"id"`
	Owner        string `json:"owner"`
	PublicKeyPem string `json:"publicKeyPem"`
}

// ASSource is the source of a rendered field (Markdown).
type ASSource struct {
	Content   string `json:"content"`
	MediaType string `json:"mediaType"`
}

// ASImage is an icon or header image.
type ASImage struct {
	Type string `json:"type"`
	URL  string `json:"url"`
}

// ASTag is a Hashtag or Mention.
type ASTag struct {
	Type string `json:"type"`
	Href string `json:"href,omitempty"`
	Name string `json:"name"`
}

// ASActor is the JSON-LD document of one of our actors. Field order is the
// order peers' docs show, which keeps test fixtures readable.
type ASActor struct {
	// Context is nil when the document is embedded in an activity, whose
	// own @context then covers it.
	Context                   any               `json:"@context,omitempty"`
	ID                        string            `json:"id"`
	Type                      string            `json:"type"`
	PreferredUsername         string            `json:"preferredUsername"`
	Name                      string            `json:"name,omitempty"`
	Summary                   string            `json:"summary,omitempty"`
	Source                    *ASSource         `json:"source,omitempty"`
	URL                       string            `json:"url,omitempty"`
	Inbox                     string            `json:"inbox"`
	Outbox                    string            `json:"outbox"`
	Followers                 string            `json:"followers,omitempty"`
	Following                 string            `json:"following,omitempty"`
	Featured                  string            `json:"featured,omitempty"`
	AttributedTo              string            `json:"attributedTo,omitempty"`
	Endpoints                 map[string]string `json:"endpoints,omitempty"`
	PublicKey                 ASPublicKey       `json:"publicKey"`
	ManuallyApprovesFollowers bool              `json:"manuallyApprovesFollowers"`
	PostingRestrictedToMods   *bool             `json:"postingRestrictedToMods,omitempty"`
	Discoverable              bool              `json:"discoverable"`
	Published                 string            `json:"published,omitempty"`
	Updated                   string            `json:"updated,omitempty"`
	Icon                      *ASImage          `json:"icon,omitempty"`
	Image                     *ASImage          `json:"image,omitempty"`
	Tag                       []ASTag           `json:"tag,omitempty"`
}

// ActorToAS renders a local actor. For a Group, c carries its community
// (topics become hashtags, the moderators collection is attributedTo).
func ActorToAS(a *models.Actor, c *models.Community) ASActor {
	doc := ASActor{
		Context:                   actorContext,
		ID:                        a.IRI,
		Type:                      string(a.Type),
		PreferredUsername:         a.Username,
		Name:                      a.Name,
		Summary:                   a.Summary,
		URL:                       a.URL,
		Inbox:                     a.InboxURL,
		Outbox:                    a.OutboxURL,
		Followers:                 a.FollowersURL,
		Following:                 a.FollowingURL,
		Featured:                  a.FeaturedURL,
		AttributedTo:              a.ModeratorsURL,
		PublicKey:                 ASPublicKey{ID: a.PublicKeyID, Owner: a.IRI, PublicKeyPem: a.PublicKeyPEM},
		ManuallyApprovesFollowers: a.ManuallyApprovesFollowers,
		Discoverable:              a.Discoverable,
		Published:                 formatTime(a.Published),
	}
	if a.SummarySource != "" {
		doc.Source = &ASSource{Content: a.SummarySource, MediaType: "text/markdown"}
	}
	if a.SharedInboxURL != "" {
		doc.Endpoints = map[string]string{"sharedInbox": a.SharedInboxURL}
	}
	if a.IconURL != "" {
		doc.Icon = &ASImage{Type: "Image", URL: a.IconURL}
	}
	if a.ImageURL != "" {
		doc.Image = &ASImage{Type: "Image", URL: a.ImageURL}
	}
	if c != nil {
		restricted := c.PostingRestrictedToMods
		doc.PostingRestrictedToMods = &restricted
		if !c.UpdatedAt.IsZero() {
			doc.Updated = formatTime(c.UpdatedAt)
		}
		for _, t := range c.Topics {
			doc.Tag = append(doc.Tag, ASTag{Type: "Hashtag", Name: "#" + t})
		}
	}
	return doc
}

// formatTime renders a time as ActivityStreams wants it, in UTC.
func formatTime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.RFC3339)
}
