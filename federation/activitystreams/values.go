package activitystreams

import (
	"net/url"
	"sort"
	"strings"
	"time"
)

// Public is the IRI of the special collection that makes an object public.
const Public = "https://www.w3.org/ns/activitystreams#Public"

// IsPublic reports whether iri names the Public collection. Besides the full
// IRI it accepts the compact forms "as:Public" and "Public", which are valid
// JSON-LD for the same IRI and which Mastodon also accepts.
func IsPublic(iri string) bool {
	return iri == Public || iri == "as:Public" || iri == "Public"
}

// maxLinkNesting bounds how far IRI and the URL helpers look into nested
// objects (an object's url that is a Link whose href …). Real documents need
// one or two levels; the bound keeps hand-built maps from recursing deeply.
const maxLinkNesting = 4

// IRI returns the IRI a property value refers to: the string itself, the "id"
// of an embedded object, or the "href" of a Link that has no id. For an array
// (attributedTo is one in some Lemmy and Mbin versions) it returns the first
// item that has an IRI. It returns "" when there is none.
func IRI(v any) string { return iriAt(v, 0) }

// iriAt is IRI with a nesting counter.
func iriAt(v any, level int) string {
	if level > maxLinkNesting {
		return ""
	}
	switch x := v.(type) {
	case string:
		return x
	case map[string]any:
		if id, ok := x["id"].(string); ok && id != "" {
			return id
		}
		if href, ok := x["href"].(string); ok {
			return href
		}
	case []any:
		for _, e := range x {
			if s := iriAt(e, level+1); s != "" {
				return s
			}
		}
	}
	return ""
}

// IRIs returns the IRIs of a property that may be a single IRI, an embedded
// object, an array of either, or absent. Items without an IRI are skipped and
// at most MaxItems are returned, also for maps not built by Decode.
func IRIs(v any) []string {
	switch x := v.(type) {
	case nil:
		return nil
	case []any:
		out := make([]string, 0, min(len(x), MaxItems))
		for _, e := range x {
			if len(out) == MaxItems {
				break
			}
			// Nested arrays are not valid here; taking their first IRI
			// would invent addressing the sender did not write.
			if _, nested := e.([]any); nested {
				continue
			}
			if s := IRI(e); s != "" {
				out = append(out, s)
			}
		}
		return out
	default:
		if s := IRI(x); s != "" {
			return []string{s}
		}
		return nil
	}
}

// Types returns the ActivityStreams types of a value. v may be the value of a
// "type" property (a string or an array of strings) or a whole object, whose
// "type" is then read.
func Types(v any) []string {
	if m, ok := v.(map[string]any); ok {
		v = m["type"]
	}
	switch x := v.(type) {
	case string:
		if x == "" {
			return nil
		}
		return []string{x}
	case []any:
		var out []string
		for _, e := range x {
			if s, ok := e.(string); ok && s != "" {
				out = append(out, s)
			}
		}
		return out
	}
	return nil
}

// firstType returns the first of Types(m), or "".
func firstType(m map[string]any) string {
	if t := Types(m); len(t) > 0 {
		return t[0]
	}
	return ""
}

// String returns m[key] when it is a non-empty string. Otherwise, for the
// natural-language properties that have a map form ("content" →
// "contentMap", "name" → "nameMap", "summary" → "summaryMap"), it returns the
// "en" entry of the map, or failing that the entry with the first key in
// sorted order, so the choice is deterministic. Friendica and some Mastodon
// versions send only the map, or null for the plain field.
func String(m map[string]any, key string) string {
	if s, ok := m[key].(string); ok && s != "" {
		return s
	}
	lm, ok := m[key+"Map"].(map[string]any)
	if !ok {
		return ""
	}
	if s, ok := lm["en"].(string); ok && s != "" {
		return s
	}
	keys := make([]string, 0, len(lm))
	for k, v := range lm {
		if s, ok := v.(string); ok && s != "" {
			keys = append(keys, k)
		}
	}
	if len(keys) == 0 {
		return ""
	}
	sort.Strings(keys)
	return lm[keys[0]].(string)
}

// stringValue returns v if it is a string, else "".
func stringValue(v any) string {
	s, _ := v.(string)
	return s
}

// boolValue returns v if it is a bool, else false. Strings such as "true" are
// not accepted: no known server sends them, and guessing would turn a
// malformed flag into a permission.
func boolValue(v any) bool {
	b, _ := v.(bool)
	return b
}

// timeValue parses an xsd:dateTime leniently; an absent or unreadable value
// gives the zero time rather than an error, since dates are informative only.
func timeValue(v any) time.Time {
	s, ok := v.(string)
	if !ok || s == "" {
		return time.Time{}
	}
	// The forms seen in the wild: RFC 3339 with or without fractional
	// seconds, a zone without colon, and a date-time without zone (read as
	// UTC), which some PHP software writes.
	layouts := [...]string{time.RFC3339Nano, "2006-01-02T15:04:05.999999999Z0700", "2006-01-02T15:04:05.999999999"}
	for _, layout := range layouts {
		if t, err := time.Parse(layout, s); err == nil {
			return t.UTC()
		}
	}
	return time.Time{}
}

// isHTTPURL reports whether s is an absolute http or https URL with a host:
// the only kind of id that can be dereferenced and attributed to a server.
func isHTTPURL(s string) bool {
	if s == "" {
		return false
	}
	u, err := url.Parse(s)
	if err != nil || u.Host == "" || u.Opaque != "" {
		return false
	}
	scheme := strings.ToLower(u.Scheme)
	return scheme == "https" || scheme == "http"
}

// hrefOf returns the target of a Link-like value: a string, or the "href" of
// a Link, or the "url" of an Image/Document (itself a string or a Link), or
// as a last resort the "id".
func hrefOf(v any, level int) (href, mediaType string) {
	if level > maxLinkNesting {
		return "", ""
	}
	switch x := v.(type) {
	case string:
		return x, ""
	case map[string]any:
		mediaType = stringValue(x["mediaType"])
		if h := stringValue(x["href"]); h != "" {
			return h, mediaType
		}
		if u := x["url"]; u != nil {
			if h := firstHref(u, level+1); h != "" {
				return h, mediaType
			}
		}
		return stringValue(x["id"]), mediaType
	}
	return "", ""
}

// firstHref returns the first href of a url-like value (string | Link |
// array of them), preferring an entry whose mediaType is text/html: PeerTube
// and others list the HTML page alongside media files.
func firstHref(v any, level int) string {
	list, ok := v.([]any)
	if !ok {
		h, _ := hrefOf(v, level)
		return h
	}
	first := ""
	for _, e := range list {
		h, mt := hrefOf(e, level+1)
		if h == "" {
			continue
		}
		if strings.EqualFold(mt, "text/html") {
			return h
		}
		if first == "" {
			first = h
		}
	}
	return first
}

// imageURL returns the URL of an icon or image value: a string, an Image
// whose url is a string or Link, or an array of those (the first wins).
func imageURL(v any) string {
	if list, ok := v.([]any); ok {
		for _, e := range list {
			if h, _ := hrefOf(e, 1); h != "" {
				return h
			}
		}
		return ""
	}
	h, _ := hrefOf(v, 0)
	return h
}
