package activitystreams

import "time"

// Activity is the part of an activity that routing and authorisation need.
// Everything else stays in Raw.
type Activity struct {
	// Raw is the whole decoded activity, for fields not lifted out here.
	Raw map[string]any
	// ID is the activity's id, an absolute http(s) URL.
	ID string
	// Type is the first of the activity's types, e.g. "Create".
	Type string
	// Actor is the IRI of "actor", which may have been a string or an
	// embedded object.
	Actor string
	// Object is "object" as given: an IRI string, an embedded map (Announce
	// of Create, Undo of Follow) or, for Mastodon's Flag, an array.
	Object any
	// ObjectIRI is the IRI of Object (the first one for an array).
	ObjectIRI string
	// ObjectIRIs are the IRIs of every item of Object; Mastodon's Flag
	// sends [actor, post, post …].
	ObjectIRIs []string
	// Target is the IRI of "target" (Add/Remove collection, Block scope).
	Target string
	// Origin is the IRI of "origin".
	Origin string
	// To, CC are the addressing IRIs, at most MaxItems each.
	To, CC []string
	// Audience is FEP-1b12 "audience": the community the activity belongs to.
	Audience []string
	// Summary is the natural-language summary (Lemmy uses it for a
	// moderation reason), unsanitised.
	Summary string
	// Published is the publication time, or zero when absent or unreadable.
	Published time.Time
}

// ParseActivity decodes data with Decode and reads it as an activity. It
// requires an absolute http(s) id, a type and an actor; anything missing
// gives a *ParseError such as "missing actor".
func ParseActivity(data []byte) (*Activity, error) {
	m, err := Decode(data)
	if err != nil {
		return nil, err
	}
	return ActivityFromMap(m)
}

// ActivityFromMap reads an already decoded activity, typically one embedded
// in another (the Create inside an Announce, the Follow inside an Undo). The
// requirements are those of ParseActivity.
func ActivityFromMap(m map[string]any) (*Activity, error) {
	if m == nil {
		return nil, parseErr("missing activity")
	}
	id, err := requireID(m)
	if err != nil {
		return nil, err
	}
	typ := firstType(m)
	if typ == "" {
		return nil, parseErr("missing type")
	}
	actor := IRI(m["actor"])
	if actor == "" {
		return nil, parseErr("missing actor")
	}
	if !isHTTPURL(actor) {
		// An actor we cannot fetch cannot be authenticated either.
		return nil, parseErr("actor is not an http(s) URL")
	}
	a := &Activity{
		Raw:        m,
		ID:         id,
		Type:       typ,
		Actor:      actor,
		Object:     m["object"],
		ObjectIRI:  IRI(m["object"]),
		ObjectIRIs: IRIs(m["object"]),
		Target:     IRI(m["target"]),
		Origin:     IRI(m["origin"]),
		To:         IRIs(m["to"]),
		CC:         IRIs(m["cc"]),
		Audience:   IRIs(m["audience"]),
		Summary:    String(m, "summary"),
		Published:  timeValue(m["published"]),
	}
	return a, nil
}

// requireID returns m's id, requiring an absolute http(s) URL: ids are where
// objects live (protocol point 13) and are compared against the sender's host.
func requireID(m map[string]any) (string, error) {
	id, _ := m["id"].(string)
	if id == "" {
		return "", parseErr("missing id")
	}
	if !isHTTPURL(id) {
		return "", parseErr("id is not an http(s) URL")
	}
	return id, nil
}
