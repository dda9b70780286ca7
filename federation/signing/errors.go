package signing

// Error is returned for every verification failure by Parse and Verify. Its
// Reason is short, stable and contains nothing the client did not send us, so
// an inbox may put it in the body of a 401 answer; Err holds the underlying
// cause for our own logs and must not be shown to the client.
type Error struct {
	// Reason is safe to send back to the client.
	Reason string
	// Err is the underlying cause, if any; for logs only.
	Err error
}

// Error implements error.
func (e *Error) Error() string {
	if e.Err != nil {
		return "http signature: " + e.Reason + ": " + e.Err.Error()
	}
	return "http signature: " + e.Reason
}

// Unwrap returns the underlying cause.
func (e *Error) Unwrap() error { return e.Err }

// fail builds an *Error without a cause.
func fail(reason string) *Error { return &Error{Reason: reason} }

// failWith builds an *Error that keeps its cause for logs.
func failWith(reason string, err error) *Error { return &Error{Reason: reason, Err: err} }
