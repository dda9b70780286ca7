// Package strictas is a test helper that reads ActivityStreams actor
// documents the way a strict consumer would, so that tests can show that the
// JSON-LD our server emits for actors (groups above all) is well formed.
//
// It uses go-fed/activity v1.0.0, whose vocabulary is generated from the
// ActivityStreams, W3ID security v1, toot and ForgeFed specifications. On its
// own go-fed is lenient: streams.ToType refuses only a document without
// "@context", without "type", or whose type it does not know, and stores any
// property value of the wrong shape ("inbox": 42) as an opaque unknown value
// without error. ParseActor therefore adds the checks a strict reader needs on
// top of go-fed's typed values: required properties present, IRIs absolute,
// values of the declared kinds, the key owned by the actor, and every
// extension term declared in "@context".
//
// go-fed also does not implement JSON-LD alias resolution properly: it looks
// prefixes up by IRI rather than by term, so a document that writes
// "as:Group" with {"as": "https://www.w3.org/ns/activitystreams"} in its
// context is refused as an unknown type. Our documents use the plain terms of
// the default context, which is also what Mastodon and Lemmy expect.
package strictas

import (
	"context"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"net/url"
	"slices"
	"sort"
	"strings"

	"github.com/go-fed/activity/streams"
	"github.com/go-fed/activity/streams/vocab"
)

// The context IRIs a document must name.
const (
	activityStreamsContext = "https://www.w3.org/ns/activitystreams"
	securityContext        = "https://w3id.org/security/v1"
)

// Result is what ParseActor found in an actor document.
type Result struct {
	// Type is the go-fed type name, e.g. "Group".
	Type string
	// ID, Inbox, Outbox, Followers, Following and Featured are the actor's
	// IRIs as go-fed resolved them; the last three may be empty.
	ID, Inbox, Outbox, Followers, Following, Featured string
	// PreferredUsername is the actor's handle.
	PreferredUsername string
	// PublicKeyID, PublicKeyOwner and PublicKeyPEM describe the first key
	// of "publicKey", resolved through the W3ID security vocabulary.
	PublicKeyID, PublicKeyOwner, PublicKeyPEM string
	// Unknown lists, sorted, the top-level properties go-fed's vocabulary
	// does not know (e.g. endpoints, manuallyApprovesFollowers,
	// postingRestrictedToMods). They were still checked: each must be
	// declared in "@context" or be an ActivityStreams context term.
	Unknown []string
}

// actor is the part of go-fed's generated actor interfaces that ParseActor
// reads. Person, Group, Service, Application and Organization all satisfy it;
// no other type does, because only actors have inbox and outbox.
type actor interface {
	GetTypeName() string
	GetJSONLDId() vocab.JSONLDIdProperty
	GetActivityStreamsInbox() vocab.ActivityStreamsInboxProperty
	GetActivityStreamsOutbox() vocab.ActivityStreamsOutboxProperty
	GetActivityStreamsFollowers() vocab.ActivityStreamsFollowersProperty
	GetActivityStreamsFollowing() vocab.ActivityStreamsFollowingProperty
	GetActivityStreamsPreferredUsername() vocab.ActivityStreamsPreferredUsernameProperty
	GetTootFeatured() vocab.TootFeaturedProperty
	GetTootDiscoverable() vocab.TootDiscoverableProperty
	GetW3IDSecurityV1PublicKey() vocab.W3IDSecurityV1PublicKeyProperty
	GetUnknownProperties() map[string]interface{}
}

// iriProperty is the common shape of go-fed's functional IRI-or-object
// properties (inbox, outbox, followers, following, featured).
type iriProperty interface {
	IsIRI() bool
	GetIRI() *url.URL
}

// tootTerms are the toot-vocabulary properties go-fed v1.0.0 knows on
// actors. They are not in the ActivityStreams context, so a document must
// declare them itself, as Mastodon does.
func tootTerms() []string { return []string{"featured", "discoverable", "blurhash"} }

// asContextTerms are terms of the ActivityStreams JSON-LD context that
// go-fed v1.0.0 lacks; they need no declaration of their own.
func asContextTerms() []string {
	return []string{"endpoints", "sharedInbox", "proxyUrl", "oauthAuthorizationEndpoint",
		"oauthTokenEndpoint", "provideClientKey", "signClientKey", "uploadMedia"}
}

// ParseActor parses an ActivityStreams JSON-LD actor document strictly with
// go-fed/activity's generated vocabulary and returns the type name, id,
// inbox, outbox, preferredUsername and public key id/owner/PEM it found, or
// an error naming the first problem.
func ParseActor(ctx context.Context, data []byte) (Result, error) {
	var m map[string]any
	if err := json.Unmarshal(data, &m); err != nil {
		return Result{}, fmt.Errorf("strictas: decoding JSON: %w", err)
	}
	if m == nil {
		return Result{}, fmt.Errorf("strictas: document is not a JSON object")
	}
	declared, err := checkContext(m["@context"], m["publicKey"] != nil)
	if err != nil {
		return Result{}, err
	}
	t, err := streams.ToType(ctx, m)
	if err != nil {
		return Result{}, fmt.Errorf("strictas: go-fed: %w", err)
	}
	a, ok := t.(actor)
	if !ok {
		return Result{}, fmt.Errorf("strictas: type %q is not an actor type", t.GetTypeName())
	}
	r := Result{Type: a.GetTypeName()}

	id, err := idOf(a.GetJSONLDId(), "id")
	if err != nil {
		return Result{}, err
	}
	r.ID = id
	if r.Inbox, err = iriOf(a.GetActivityStreamsInbox(), "inbox", true); err != nil {
		return Result{}, err
	}
	if r.Outbox, err = iriOf(a.GetActivityStreamsOutbox(), "outbox", true); err != nil {
		return Result{}, err
	}
	if r.Followers, err = iriOf(a.GetActivityStreamsFollowers(), "followers", false); err != nil {
		return Result{}, err
	}
	if r.Following, err = iriOf(a.GetActivityStreamsFollowing(), "following", false); err != nil {
		return Result{}, err
	}
	if r.Featured, err = iriOf(a.GetTootFeatured(), "featured", false); err != nil {
		return Result{}, err
	}
	if d := a.GetTootDiscoverable(); d != nil && !d.IsXMLSchemaBoolean() {
		return Result{}, fmt.Errorf("strictas: discoverable is not a boolean")
	}

	pu := a.GetActivityStreamsPreferredUsername()
	if pu == nil {
		return Result{}, fmt.Errorf("strictas: missing preferredUsername")
	}
	if !pu.IsXMLSchemaString() || pu.GetXMLSchemaString() == "" {
		return Result{}, fmt.Errorf("strictas: preferredUsername is not a non-empty string")
	}
	r.PreferredUsername = pu.GetXMLSchemaString()

	if err := readKey(a.GetW3IDSecurityV1PublicKey(), r.ID, &r); err != nil {
		return Result{}, err
	}

	for k := range a.GetUnknownProperties() {
		if k != "@context" {
			r.Unknown = append(r.Unknown, k)
		}
	}
	sort.Strings(r.Unknown)
	if err := checkTerms(m, r.Unknown, declared); err != nil {
		return Result{}, err
	}
	return r, nil
}

// checkContext requires the ActivityStreams context (and the W3ID security
// context when the document has a publicKey, since publicKey is not an
// ActivityStreams term) and returns the terms defined inline. A term
// definition must be an IRI string or an object with a string "@id".
func checkContext(raw any, hasKey bool) (map[string]bool, error) {
	var entries []any
	switch x := raw.(type) {
	case nil:
		return nil, fmt.Errorf("strictas: missing @context")
	case []any:
		entries = x
	default:
		entries = []any{x}
	}
	declared := make(map[string]bool)
	var iris []string
	for _, e := range entries {
		switch x := e.(type) {
		case string:
			iris = append(iris, x)
		case map[string]any:
			for term, def := range x {
				switch d := def.(type) {
				case string:
				case map[string]any:
					if s, ok := d["@id"].(string); !ok || s == "" {
						return nil, fmt.Errorf("strictas: @context term %q has no @id", term)
					}
				default:
					return nil, fmt.Errorf("strictas: @context term %q has a %T definition", term, def)
				}
				declared[term] = true
			}
		default:
			return nil, fmt.Errorf("strictas: @context entry of type %T", e)
		}
	}
	if !slices.Contains(iris, activityStreamsContext) {
		return nil, fmt.Errorf("strictas: @context lacks %s", activityStreamsContext)
	}
	if hasKey && !slices.Contains(iris, securityContext) {
		return nil, fmt.Errorf("strictas: publicKey used but @context lacks %s", securityContext)
	}
	return declared, nil
}

// checkTerms requires every property outside the ActivityStreams and security
// vocabularies (go-fed's unknown properties and the toot terms it knows) to
// be declared in @context: a JSON-LD processor silently drops undeclared
// terms, so a forgotten declaration loses the property for such peers.
func checkTerms(m map[string]any, unknown []string, declared map[string]bool) error {
	terms := slices.Clone(unknown)
	for _, t := range tootTerms() {
		if _, ok := m[t]; ok {
			terms = append(terms, t)
		}
	}
	for _, t := range terms {
		if declared[t] || slices.Contains(asContextTerms(), t) {
			continue
		}
		// A compact IRI ("toot:featured") is fine if its prefix is declared.
		if prefix, _, ok := strings.Cut(t, ":"); ok && declared[prefix] {
			continue
		}
		return fmt.Errorf("strictas: property %q is not declared in @context", t)
	}
	return nil
}

// idOf returns an id property as an absolute http(s) IRI.
func idOf(p vocab.JSONLDIdProperty, name string) (string, error) {
	if p == nil {
		return "", fmt.Errorf("strictas: missing %s", name)
	}
	if !p.IsXMLSchemaAnyURI() {
		return "", fmt.Errorf("strictas: %s is not an IRI", name)
	}
	return absolute(p.Get(), name)
}

// iriOf returns an IRI-valued property, which must be an absolute http(s)
// IRI and not an embedded object or a value of another kind.
func iriOf(p iriProperty, name string, required bool) (string, error) {
	if p == nil {
		if required {
			return "", fmt.Errorf("strictas: missing %s", name)
		}
		return "", nil
	}
	if !p.IsIRI() {
		return "", fmt.Errorf("strictas: %s is not an IRI", name)
	}
	return absolute(p.GetIRI(), name)
}

// absolute checks that u is an absolute http(s) URL with a host.
func absolute(u *url.URL, name string) (string, error) {
	if u == nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return "", fmt.Errorf("strictas: %s is not an absolute http(s) IRI", name)
	}
	return u.String(), nil
}

// readKey checks every entry of publicKey (each must be an embedded key with
// an absolute id, an owner equal to the actor, and a PEM public key) and
// records the first in r.
func readKey(p vocab.W3IDSecurityV1PublicKeyProperty, actorID string, r *Result) error {
	if p == nil || p.Len() == 0 {
		return fmt.Errorf("strictas: missing publicKey")
	}
	for i := 0; i < p.Len(); i++ {
		it := p.At(i)
		if !it.IsW3IDSecurityV1PublicKey() {
			return fmt.Errorf("strictas: publicKey %d is not an embedded key", i)
		}
		k := it.Get()
		id, err := idOf(k.GetJSONLDId(), "publicKey id")
		if err != nil {
			return err
		}
		owner := k.GetW3IDSecurityV1Owner()
		if owner == nil || !owner.IsXMLSchemaAnyURI() {
			return fmt.Errorf("strictas: publicKey %d has no owner IRI", i)
		}
		if owner.Get().String() != actorID {
			return fmt.Errorf("strictas: publicKey %d is owned by another actor", i)
		}
		pemProp := k.GetW3IDSecurityV1PublicKeyPem()
		if pemProp == nil || !pemProp.IsXMLSchemaString() {
			return fmt.Errorf("strictas: publicKey %d has no publicKeyPem string", i)
		}
		block, _ := pem.Decode([]byte(pemProp.Get()))
		if block == nil || !strings.HasSuffix(block.Type, "PUBLIC KEY") {
			return fmt.Errorf("strictas: publicKey %d publicKeyPem is not a PEM public key", i)
		}
		if i == 0 {
			r.PublicKeyID, r.PublicKeyOwner, r.PublicKeyPEM = id, actorID, pemProp.Get()
		}
	}
	return nil
}
