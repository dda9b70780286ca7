package resolve

import (
	"context"
	"errors"
	"fmt"

	"github.com/practica-social/practica/federation/activitystreams"
	"github.com/practica-social/practica/federation/signing"
	"github.com/practica-social/practica/models"
	"github.com/practica-social/practica/service"
)

// Actor returns the actor whose id is iri: local actors and remote ones
// fetched less than ActorTTL ago come from the database; others are fetched
// (signed) from their origin, checked and stored. When the origin is down
// a stale stored copy is returned rather than an error. An actor whose
// origin answered 410 is marked gone and reported with ErrGone.
func (r *Resolver) Actor(ctx context.Context, iri string) (*models.Actor, error) {
	return r.actor(ctx, iri, false)
}

// RefreshActor fetches an actor from its origin whatever the stored copy's
// age: after a signature failed against a stored key (the actor may have
// rotated it; checklist row 7 accepts a key change only when a fresh fetch
// shows it), or when an Update says the profile changed.
func (r *Resolver) RefreshActor(ctx context.Context, iri string) (*models.Actor, error) {
	return r.actor(ctx, iri, true)
}

func (r *Resolver) actor(ctx context.Context, iri string, force bool) (*models.Actor, error) {
	host, err := checkIRI(iri)
	if err != nil {
		return nil, err
	}
	now := r.now()
	stored, err := r.svc.ActorByIRI(ctx, iri)
	switch {
	case err == nil:
		if stored.Local {
			return stored, nil
		}
		if !force {
			if stored.GoneAt != nil && now.Sub(*stored.GoneAt) < r.actorTTL {
				return nil, goneErr(iri)
			}
			if stored.GoneAt == nil && stored.FetchedAt != nil && now.Sub(*stored.FetchedAt) < r.actorTTL {
				return stored, nil
			}
		}
	case service.KindOf(err) == service.KindNotFound:
		stored = nil
	default:
		return nil, err
	}
	if host == r.ownHost {
		return nil, service.NotFound("actor")
	}
	memo := "actor:" + iri
	if !force {
		if ferr, ok := r.failures.get(memo, now); ok {
			if stored != nil && stored.GoneAt == nil && service.KindOf(ferr) == service.KindUnavailable {
				return stored, nil
			}
			return nil, ferr
		}
	}
	a, _, err := r.once(ctx, memo, func(ctx context.Context) (*models.Actor, bool, error) {
		a, err := r.fetchActor(ctx, iri, host)
		return a, true, err
	})
	if err != nil {
		if ctx.Err() != nil {
			// The caller gave up; the origin may be fine.
			return nil, err
		}
		r.failures.put(memo, err, r.now().Add(r.failureTTL))
		if !force && stored != nil && stored.GoneAt == nil && service.KindOf(err) == service.KindUnavailable {
			r.log.Debug("origin unavailable; using the stored actor", "actor", iri, "err", err)
			return stored, nil
		}
		return nil, err
	}
	r.failures.remove(memo)
	return a, nil
}

// fetchActor fetches, checks and stores the actor at iri (on host).
func (r *Resolver) fetchActor(ctx context.Context, iri, host string) (*models.Actor, error) {
	m, _, err := r.get(ctx, iri)
	if err != nil {
		if errors.Is(err, ErrGone) {
			if gerr := r.markGone(ctx, iri); gerr != nil {
				return nil, gerr
			}
		}
		return nil, err
	}
	doc, err := activitystreams.ActorFromMap(m)
	if err != nil {
		return nil, refused(iri, err.Error())
	}
	return r.storeActor(ctx, doc, host)
}

// storeActor checks an actor document fetched from host and stores it.
// The transport has checked that its id is the URL it came from.
func (r *Resolver) storeActor(ctx context.Context, doc *activitystreams.Actor, host string) (*models.Actor, error) {
	if h, err := HostOf(doc.ID); err != nil || h != host {
		return nil, refused(doc.ID, "actor id on another host")
	}
	for _, u := range []string{doc.Outbox, doc.SharedInbox} {
		if u != "" {
			if _, err := HostOf(u); err != nil {
				return nil, refused(doc.ID, "an endpoint is not an http(s) URL")
			}
		}
	}
	if k := doc.PublicKey; k.ID != "" {
		// activitystreams already refused keys owned by another actor. A key
		// id must be an http(s) URL on the actor's host with a PEM we can
		// use; otherwise the actor is stored without a key and can sign
		// nothing.
		_, perr := signing.ParsePublicKey(k.PEM)
		if kh, err := HostOf(k.ID); err != nil || kh != host || len(k.ID) > maxIRIBytes || perr != nil {
			r.log.Debug("actor key refused", "actor", doc.ID, "key", k.ID, "err", perr)
			doc.PublicKey = activitystreams.PublicKey{}
		}
	}
	a, err := r.svc.PutRemoteActor(ctx, doc)
	if err != nil {
		return nil, err
	}
	r.cacheKeyOf(a)
	return a, nil
}

// cacheKeyOf replaces whatever the cache holds for a's keys with a's
// current key, so a rotation is seen at once.
func (r *Resolver) cacheKeyOf(a *models.Actor) {
	r.keys.removeIf(func(k cachedKey) bool { return k.owner.IRI == a.IRI })
	if a.PublicKeyID == "" {
		return
	}
	pub, err := signing.ParsePublicKey(a.PublicKeyPEM)
	if err != nil {
		return
	}
	r.keys.put(a.PublicKeyID, cachedKey{owner: *a, pub: pub}, r.now().Add(r.keyTTL))
}

// markGone records a 410 from an actor's origin.
func (r *Resolver) markGone(ctx context.Context, iri string) error {
	r.keys.removeIf(func(k cachedKey) bool { return k.owner.IRI == iri })
	if err := r.svc.MarkRemoteActorGone(ctx, iri); err != nil {
		return fmt.Errorf("resolve: mark %s gone: %w", iri, err)
	}
	return nil
}

// goneErr is the error of an actor known to be gone.
func goneErr(iri string) error {
	return &service.Error{Kind: service.KindNotFound, Message: "the actor is gone", Err: fmt.Errorf("%w: %s", ErrGone, iri)}
}
