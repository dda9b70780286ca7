package service

import (
	"errors"
	"fmt"

	"github.com/practica-social/practica/store"
)

// Kind classifies a service error so that one central HTTP error handler can
// pick the status code; the web and API layers never inspect messages.
type Kind int

const (
	// KindInternal is an unexpected failure; clients see a generic message.
	KindInternal Kind = iota
	// KindInvalid is bad input (400 or 422).
	KindInvalid
	// KindNotFound is a missing thing, or one the caller may not see (404).
	KindNotFound
	// KindForbidden is a known caller acting beyond their rights (403).
	KindForbidden
	// KindUnauthorized is an unknown or unproven caller (401).
	KindUnauthorized
	// KindConflict is a clash with existing state, e.g. a taken name (409).
	KindConflict
	// KindUnavailable is a dependency temporarily down (503).
	KindUnavailable
	// KindTooLarge is an over-sized request (413).
	KindTooLarge
	// KindRateLimited is a caller over its rate (429).
	KindRateLimited
)

// Error is a domain error with a message safe to show to clients.
type Error struct {
	Kind Kind
	// Message is safe to show to the client.
	Message string
	// Err is the cause, for logs only.
	Err error
}

func (e *Error) Error() string {
	if e.Err != nil {
		return fmt.Sprintf("%s: %v", e.Message, e.Err)
	}
	return e.Message
}

func (e *Error) Unwrap() error { return e.Err }

// KindOf returns the kind of err, KindInternal when it carries none.
func KindOf(err error) Kind {
	var e *Error
	if errors.As(err, &e) {
		return e.Kind
	}
	// A database gone mid-transaction can surface bare (a failed COMMIT
	// is returned as the driver gave it): still an outage, not a bug.
	if store.IsUnavailable(err) {
		return KindUnavailable
	}
	return KindInternal
}

// SafeMessage returns the client-safe message of err, or fallback.
func SafeMessage(err error, fallback string) string {
	var e *Error
	if errors.As(err, &e) && e.Message != "" {
		return e.Message
	}
	return fallback
}

// Invalid returns a KindInvalid error with a client-safe message.
func Invalid(format string, args ...any) error {
	return &Error{Kind: KindInvalid, Message: fmt.Sprintf(format, args...)}
}

// NotFound returns a KindNotFound error with a client-safe message.
func NotFound(what string) error { return &Error{Kind: KindNotFound, Message: what + " not found"} }

// Forbidden returns a KindForbidden error with a client-safe message.
func Forbidden(msg string) error { return &Error{Kind: KindForbidden, Message: msg} }

// Conflict returns a KindConflict error with a client-safe message.
func Conflict(msg string) error { return &Error{Kind: KindConflict, Message: msg} }

// Unauthorized returns a KindUnauthorized error with a client-safe message.
func Unauthorized(msg string) error { return &Error{Kind: KindUnauthorized, Message: msg} }
