package activitystreams

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
)

// Limits on documents accepted from other servers (security checklist row
// 14). They are constants rather than configuration because they bound the
// work a single hostile document can cause, not a policy choice.
const (
	// MaxBytes is the largest document Decode reads: 1 MiB, the same cap the
	// inbox applies to request bodies after decompression.
	MaxBytes = 1 << 20
	// MaxDepth is the deepest nesting of objects and arrays Decode accepts.
	// Real payloads nest fewer than ten levels (Mastodon's @context is the
	// deepest); 32 leaves room without letting a peer build deep trees.
	MaxDepth = 32
	// MaxItems is the number of items kept per array. Longer arrays (10k tags,
	// huge to/cc lists) are truncated rather than refused, because the first
	// items are still meaningful and refusing would let one noisy field drop
	// a whole legitimate post.
	MaxItems = 1000
	// MaxStringBytes is the longest string (or object key), in bytes after
	// JSON unescaping, that Decode accepts. Longer strings are refused: no
	// legitimate post or profile comes near 256 KiB of text.
	MaxStringBytes = 256 << 10
)

// Reasons carried by ParseError. They are fixed phrases so that a handler can
// return them to the remote server without echoing its input.
const (
	reasonTooLarge     = "document too large"
	reasonTooDeep      = "document nested too deeply"
	reasonNotObject    = "document is not a JSON object"
	reasonInvalidJSON  = "invalid JSON"
	reasonStringTooBig = "string value too long"
)

// ParseError reports a document that cannot be read or lacks something
// required. Reason is a fixed phrase (for example "missing actor") that is
// safe to log and to return to the sender; Err, when set, is the underlying
// cause for local debugging and may quote the input.
type ParseError struct {
	// Reason is a short, fixed description of what is wrong.
	Reason string
	// Offset is the byte offset of a JSON syntax error, or 0.
	Offset int64
	// Err is the underlying error, if any.
	Err error
}

// Error returns the safe message: the reason and, for syntax errors, the byte
// offset. It deliberately leaves out Err, whose text may quote the input.
func (e *ParseError) Error() string {
	if e.Offset > 0 {
		return fmt.Sprintf("activitystreams: %s at byte %d", e.Reason, e.Offset)
	}
	return "activitystreams: " + e.Reason
}

// Unwrap returns the underlying cause so errors.Is/As can see it.
func (e *ParseError) Unwrap() error { return e.Err }

// parseErr builds a *ParseError with no underlying cause.
func parseErr(reason string) *ParseError { return &ParseError{Reason: reason} }

// Decode parses one JSON object from a remote server within the limits above.
// The depth check is a flat byte scan that runs before any tree is built, so a
// document nested 10^5 levels deep is refused in linear time without
// recursion. Arrays longer than MaxItems are truncated in the returned tree.
// Every error is a *ParseError.
func Decode(data []byte) (map[string]any, error) {
	if len(data) > MaxBytes {
		return nil, parseErr(reasonTooLarge)
	}
	// A UTF-8 byte order mark is not JSON, but some software writes one and
	// it carries no meaning, so skip it rather than refuse the document.
	data = bytes.TrimPrefix(data, []byte("\xef\xbb\xbf"))
	if err := scan(data); err != nil {
		return nil, err
	}
	var m map[string]any
	if err := json.Unmarshal(data, &m); err != nil {
		pe := &ParseError{Reason: reasonInvalidJSON, Err: err}
		var se *json.SyntaxError
		if errors.As(err, &se) {
			pe.Offset = se.Offset
		}
		return nil, pe
	}
	if m == nil { // the literal null
		return nil, parseErr(reasonNotObject)
	}
	if err := limitMap(m); err != nil {
		return nil, err
	}
	return m, nil
}

// scan checks, without recursion and without allocating, that data starts
// with an object and never nests deeper than MaxDepth. It tracks only string
// state and a depth counter; everything else is left to encoding/json, which
// reports syntax errors precisely.
func scan(data []byte) error {
	depth := 0
	inString, escaped, started := false, false, false
	for _, c := range data {
		if inString {
			switch {
			case escaped:
				escaped = false
			case c == '\\':
				escaped = true
			case c == '"':
				inString = false
			}
			continue
		}
		switch c {
		case ' ', '\t', '\r', '\n':
			continue
		case '"':
			inString = true
		case '{', '[':
			depth++
			if depth > MaxDepth {
				return parseErr(reasonTooDeep)
			}
		case '}', ']':
			depth--
		}
		if !started && c != '{' {
			return parseErr(reasonNotObject)
		}
		started = true
	}
	if !started {
		return parseErr(reasonNotObject)
	}
	return nil
}

// limitMap enforces MaxStringBytes and MaxItems on a decoded object in place.
// Recursion is safe here: scan has already bounded the depth by MaxDepth.
func limitMap(m map[string]any) error {
	for k, v := range m {
		if len(k) > MaxStringBytes {
			return parseErr(reasonStringTooBig)
		}
		nv, err := limitValue(v)
		if err != nil {
			return err
		}
		m[k] = nv
	}
	return nil
}

// limitValue enforces the limits on one decoded value and returns it, with
// arrays truncated to MaxItems.
func limitValue(v any) (any, error) {
	switch x := v.(type) {
	case string:
		if len(x) > MaxStringBytes {
			return nil, parseErr(reasonStringTooBig)
		}
	case map[string]any:
		if err := limitMap(x); err != nil {
			return nil, err
		}
	case []any:
		if len(x) > MaxItems {
			// Copy so the dropped items' backing array can be collected.
			x = append([]any(nil), x[:MaxItems]...)
		}
		for i, e := range x {
			ne, err := limitValue(e)
			if err != nil {
				return nil, err
			}
			x[i] = ne
		}
		return x, nil
	}
	return v, nil
}
