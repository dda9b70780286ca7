package federation

import (
	"mime"
	"strings"
)

// Media types of the protocol.
const (
	// ContentTypeActivity is what we serve ActivityStreams documents as.
	ContentTypeActivity = "application/activity+json"
	// ContentTypeLDProfile is the JSON-LD form peers may ask for.
	ContentTypeLDProfile = `application/ld+json; profile="https://www.w3.org/ns/activitystreams"`
	// ContentTypeJRD is WebFinger's media type.
	ContentTypeJRD = "application/jrd+json"
	// ASProfile is the ActivityStreams JSON-LD profile URI.
	ASProfile = "https://www.w3.org/ns/activitystreams"
)

// WantsActivityPub reports whether an Accept header asks for an
// ActivityStreams document rather than a web page. A browser's Accept
// (text/html, */*) gets HTML; a peer's gets JSON-LD.
func WantsActivityPub(accept string) bool {
	for _, part := range strings.Split(accept, ",") {
		mt, params, err := mime.ParseMediaType(strings.TrimSpace(part))
		if err != nil {
			continue
		}
		if q, ok := params["q"]; ok && (q == "0" || q == "0.0" || q == "0.00" || q == "0.000") {
			continue
		}
		switch mt {
		case "application/activity+json":
			return true
		case "application/ld+json":
			// Without a profile the JSON-LD is still ours to give; with one
			// it must be ActivityStreams.
			p, ok := params["profile"]
			if !ok || strings.Contains(p, ASProfile) {
				return true
			}
		}
	}
	return false
}
