package activitystreams

import (
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"time"
)

// PublicKey is an actor's HTTP-signature key in the W3ID security vocabulary
// form that Mastodon and Lemmy use.
type PublicKey struct {
	// ID is the key id that signatures name in keyId.
	ID string
	// Owner is the actor the key claims to belong to, as sent (may be "").
	Owner string
	// PEM is the public key in PEM form (PKIX or PKCS#1).
	PEM string
}

// Actor is a remote actor: a person, a community, an instance actor.
type Actor struct {
	// Raw is the whole decoded actor document.
	Raw map[string]any
	// ID is the actor's id, an absolute http(s) URL.
	ID string
	// Type is the first actor type among the document's types.
	Type string
	// PreferredUsername may be empty: not every server sets it.
	PreferredUsername string
	// Name and Summary are unsanitised; Summary is usually HTML.
	Name, Summary string
	// URL is the actor's profile page.
	URL string
	// Inbox is required; the other collections may be empty.
	Inbox, Outbox, Followers, Following, Featured string
	// SharedInbox is endpoints.sharedInbox.
	SharedInbox string
	// Moderators is, for a Group, the moderators collection, which Lemmy
	// publishes as the group's attributedTo.
	Moderators string
	// IconURL and ImageURL are the avatar and banner URLs.
	IconURL, ImageURL string
	// PublicKey is the actor's signing key; see pickKey for the choice
	// among several.
	PublicKey PublicKey
	// ManuallyApprovesFollowers, Discoverable and PostingRestrictedToMods
	// are the Mastodon and Lemmy flags; absent or non-boolean means false.
	ManuallyApprovesFollowers, Discoverable bool
	// PostingRestrictedToMods is Lemmy's flag for announcement-only groups.
	PostingRestrictedToMods bool
	// Published is zero when absent or unreadable.
	Published time.Time
}

// isActorType reports whether t is one of the five ActivityStreams actor
// types.
func isActorType(t string) bool {
	switch t {
	case "Person", "Group", "Service", "Application", "Organization":
		return true
	}
	return false
}

// ParseActor decodes data with Decode and reads it as an actor. It requires
// an absolute http(s) id, an actor type (Person, Group, Service, Application
// or Organization) and an absolute http(s) inbox. A missing
// preferredUsername is left empty.
func ParseActor(data []byte) (*Actor, error) {
	m, err := Decode(data)
	if err != nil {
		return nil, err
	}
	return ActorFromMap(m)
}

// ActorFromMap reads an already decoded actor, such as the Group embedded in
// Lemmy's Update activity. The requirements are those of ParseActor.
func ActorFromMap(m map[string]any) (*Actor, error) {
	if m == nil {
		return nil, parseErr("missing actor")
	}
	id, err := requireID(m)
	if err != nil {
		return nil, err
	}
	typ := ""
	for _, t := range Types(m) {
		if isActorType(t) {
			typ = t
			break
		}
	}
	if typ == "" {
		return nil, parseErr("not an actor type")
	}
	inbox := IRI(m["inbox"])
	if inbox == "" {
		return nil, parseErr("missing inbox")
	}
	if !isHTTPURL(inbox) {
		return nil, parseErr("inbox is not an http(s) URL")
	}
	a := &Actor{
		Raw:                       m,
		ID:                        id,
		Type:                      typ,
		PreferredUsername:         stringValue(m["preferredUsername"]),
		Name:                      String(m, "name"),
		Summary:                   String(m, "summary"),
		URL:                       firstHref(m["url"], 0),
		Inbox:                     inbox,
		Outbox:                    IRI(m["outbox"]),
		Followers:                 IRI(m["followers"]),
		Following:                 IRI(m["following"]),
		Featured:                  IRI(m["featured"]),
		IconURL:                   imageURL(m["icon"]),
		ImageURL:                  imageURL(m["image"]),
		PublicKey:                 pickKey(id, m["publicKey"]),
		ManuallyApprovesFollowers: boolValue(m["manuallyApprovesFollowers"]),
		Discoverable:              boolValue(m["discoverable"]),
		PostingRestrictedToMods:   boolValue(m["postingRestrictedToMods"]),
		Published:                 timeValue(m["published"]),
	}
	if ep, ok := m["endpoints"].(map[string]any); ok {
		a.SharedInbox = IRI(ep["sharedInbox"])
	}
	if typ == "Group" {
		// Lemmy: attributedTo of a Group is its moderators collection. Only
		// a single IRI qualifies; an array would be a list of people.
		if s, ok := m["attributedTo"].(string); ok {
			a.Moderators = s
		} else {
			a.Moderators = IRI(m["moderators"])
		}
	}
	return a, nil
}

// pickKey chooses the actor's signing key from "publicKey", which may be one
// key, an array of keys (FEP-521a servers add Ed25519 keys beside the RSA
// one), or a bare key IRI. A key whose owner names a different actor is never
// taken: a document cannot lend itself another actor's key. Among the rest the
// first RSA key wins, else the first key with a PEM, else the first key.
func pickKey(actorID string, v any) PublicKey {
	var list []any
	switch x := v.(type) {
	case nil:
		return PublicKey{}
	case []any:
		list = x
	default:
		list = []any{x}
	}
	var firstAny, firstPEM *PublicKey
	for _, e := range list {
		var k PublicKey
		switch x := e.(type) {
		case string:
			k = PublicKey{ID: x}
		case map[string]any:
			k = PublicKey{
				ID:    stringValue(x["id"]),
				Owner: IRI(x["owner"]),
				PEM:   stringValue(x["publicKeyPem"]),
			}
		default:
			continue
		}
		if k.ID == "" || (k.Owner != "" && k.Owner != actorID) {
			continue
		}
		if isRSAPEM(k.PEM) {
			return k
		}
		if firstPEM == nil && k.PEM != "" {
			firstPEM = &k
		}
		if firstAny == nil {
			firstAny = &k
		}
	}
	switch {
	case firstPEM != nil:
		return *firstPEM
	case firstAny != nil:
		return *firstAny
	}
	return PublicKey{}
}

// isRSAPEM reports whether s holds an RSA public key in PKIX ("PUBLIC KEY")
// or PKCS#1 ("RSA PUBLIC KEY", which Mobilizon sends) form.
func isRSAPEM(s string) bool {
	block, _ := pem.Decode([]byte(s))
	if block == nil {
		return false
	}
	switch block.Type {
	case "PUBLIC KEY":
		k, err := x509.ParsePKIXPublicKey(block.Bytes)
		if err != nil {
			return false
		}
		_, ok := k.(*rsa.PublicKey)
		return ok
	case "RSA PUBLIC KEY":
		_, err := x509.ParsePKCS1PublicKey(block.Bytes)
		return err == nil
	}
	return false
}
