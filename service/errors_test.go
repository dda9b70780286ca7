package service_test

import (
	"errors"
	"fmt"
	"testing"

	"github.com/practica-social/practica/service"
)

// A database that goes away mid-transaction can hand back a bare driver
// error (a failed COMMIT is not wrapped): it must still read as an outage
// (503), never as our bug (500). Checklist row 25 met it under load.
func TestKindOfBareDatabaseErrors(t *testing.T) {
	for _, msg := range []string{"conn closed", "closed pool", "unexpected EOF", "write: broken pipe", "dial tcp: connection refused"} {
		if k := service.KindOf(fmt.Errorf("commit: %w", errors.New(msg))); k != service.KindUnavailable {
			t.Errorf("%q: kind %v, want unavailable", msg, k)
		}
	}
	if k := service.KindOf(errors.New("index out of range")); k != service.KindInternal {
		t.Errorf("a plain error: kind %v, want internal", k)
	}
	if k := service.KindOf(service.Invalid("bad")); k != service.KindInvalid {
		t.Errorf("a service error: kind %v, want invalid", k)
	}
}
