package service

import (
	"net/url"
	"strings"
)

// URLs mints the IRIs of local actors and objects. Every id Practica
// publishes comes from here, so the scheme lives in one place.
type URLs struct {
	// Base is the scheme and host, e.g. "https://org-a.example", no slash.
	Base string
}

// NewURLs returns the URL scheme for an instance reachable at base.
func NewURLs(base string) URLs { return URLs{Base: strings.TrimRight(base, "/")} }

// Host is the host (and port) of the instance, lower-cased.
func (u URLs) Host() string {
	p, err := url.Parse(u.Base)
	if err != nil {
		return ""
	}
	return strings.ToLower(p.Host)
}

// Person is the IRI of a local person.
func (u URLs) Person(username string) string { return u.Base + "/u/" + username }

// Group is the IRI of a local community.
func (u URLs) Group(username string) string { return u.Base + "/c/" + username }

// InstanceActor is the IRI of the instance actor.
func (u URLs) InstanceActor() string { return u.Base + "/actor" }

// SharedInbox is the instance's shared inbox.
func (u URLs) SharedInbox() string { return u.Base + "/inbox" }

// Object is the IRI of a local post.
func (u URLs) Object(id string) string { return u.Base + "/objects/" + id }

// Activity is the IRI of a local activity.
func (u URLs) Activity(id string) string { return u.Base + "/activities/" + id }

// ActorCollections fills the derived URLs of a local actor from its IRI.
type ActorCollections struct {
	Inbox, Outbox, Followers, Following, Featured, Moderators, KeyID string
}

// CollectionsOf derives an actor's endpoints from its IRI.
func CollectionsOf(iri string) ActorCollections {
	return ActorCollections{
		Inbox:      iri + "/inbox",
		Outbox:     iri + "/outbox",
		Followers:  iri + "/followers",
		Following:  iri + "/following",
		Featured:   iri + "/featured",
		Moderators: iri + "/moderators",
		KeyID:      iri + "#main-key",
	}
}
