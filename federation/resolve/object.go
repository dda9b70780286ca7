package resolve

import (
	"context"

	"github.com/practica-social/practica/service"
)

// Object fetches any ActivityPub object from its origin, signed by the
// instance actor, and returns the decoded document, whose id is iri's
// final URL on iri's host (checklist rows 5, 6 and 10: an object is
// trusted only as its own origin serves it). Objects of this server are
// not fetched: they are in the database. A 410 is reported with ErrGone,
// so a handler can treat it as a tombstone.
func (r *Resolver) Object(ctx context.Context, iri string) (map[string]any, error) {
	host, err := checkIRI(iri)
	if err != nil {
		return nil, err
	}
	if host == r.ownHost {
		return nil, service.Invalid("objects of this server are not fetched over HTTP")
	}
	m, _, err := r.get(ctx, iri)
	if err != nil {
		return nil, err
	}
	return m, nil
}
