// Package activitystreams reads ActivityStreams 2.0 JSON written by other
// fediverse servers, leniently but safely.
//
// Lenient, because real servers disagree about shapes: a property may be an
// IRI string, an embedded object, or an array of either; natural-language
// values may come only as a "…Map"; Lemmy, Mbin and Mobilizon use
// attributedTo and audience in their own ways. The helpers here (IRI, IRIs,
// Types, String) absorb those differences so that callers see one shape.
//
// Safe, because every document comes from an untrusted peer (security
// checklist row 14): Decode refuses documents that are too large or nested
// too deeply before building any tree, truncates over-long arrays and
// refuses over-long strings, and every failure is a *ParseError whose message
// never echoes the peer's bytes.
//
// Nothing here is a JSON-LD processor: "@context" is ignored and compact
// property names are read as Mastodon, Lemmy and the others write them. Text
// values (content, summary, name) are returned as sent, unsanitised; HTML must
// go through service/content before it is stored or shown.
package activitystreams
