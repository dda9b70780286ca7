package resolve

import (
	"context"
	"crypto"
	"errors"
	"net/url"
	"slices"

	"github.com/practica-social/practica/federation/activitystreams"
	"github.com/practica-social/practica/federation/signing"
	"github.com/practica-social/practica/federation/transport"
	"github.com/practica-social/practica/models"
	"github.com/practica-social/practica/service"
)

// Key is a public key and the actor that publishes it.
type Key struct {
	// ID is the key id signatures name.
	ID string
	// Owner is the actor whose document lists the key. It is a copy.
	Owner *models.Actor
	// Public is the parsed key.
	Public crypto.PublicKey
	// Fresh is set when the key was fetched from its origin during this
	// call. A signature that fails against a key that is not fresh deserves
	// one RefreshKey: the actor may have rotated it.
	Fresh bool
}

// Key returns the key keyID and its owner: from memory, else from the
// database, else fetched from its origin (see ActorByKeyID).
func (r *Resolver) Key(ctx context.Context, keyID string) (*Key, error) {
	// A blocked server's keys vouch for nothing: its signed GETs are
	// anonymous ones, whatever it still holds (a membership written by a
	// process that had not yet seen the block).
	if host, err := HostOf(keyID); err == nil && r.svc.HostBlocked(ctx, host) {
		return nil, &service.Error{Kind: service.KindForbidden, Message: "this server does not federate with " + host}
	}
	if e, ok := r.keys.get(keyID, r.now()); ok {
		owner := e.owner
		return &Key{ID: keyID, Owner: &owner, Public: e.pub}, nil
	}
	a, fresh, err := r.actorByKeyID(ctx, keyID, false)
	if err != nil {
		return nil, err
	}
	return r.keyOf(a, keyID, fresh)
}

// CachedKey returns the key keyID if it is in memory, asking neither the
// database nor its origin.
func (r *Resolver) CachedKey(keyID string) (*Key, bool) {
	e, ok := r.keys.get(keyID, r.now())
	if !ok {
		return nil, false
	}
	owner := e.owner
	return &Key{ID: keyID, Owner: &owner, Public: e.pub}, true
}

// RefreshKey fetches the owner of keyID from its origin and returns the
// key it publishes now. The new key replaces the stored one only through
// this fresh fetch (checklist row 7).
func (r *Resolver) RefreshKey(ctx context.Context, keyID string) (*Key, error) {
	r.keys.remove(keyID)
	a, _, err := r.actorByKeyID(ctx, keyID, true)
	if err != nil {
		return nil, err
	}
	return r.keyOf(a, keyID, true)
}

// keyOf parses a's key, which must be keyID, and caches it.
func (r *Resolver) keyOf(a *models.Actor, keyID string, fresh bool) (*Key, error) {
	if a.PublicKeyID != keyID {
		return nil, refused(keyID, "the actor does not publish this key")
	}
	pub, err := signing.ParsePublicKey(a.PublicKeyPEM)
	if err != nil {
		return nil, refused(keyID, "unusable public key")
	}
	r.keys.put(keyID, cachedKey{owner: *a, pub: pub}, r.now().Add(r.keyTTL))
	return &Key{ID: keyID, Owner: a, Public: pub, Fresh: fresh}, nil
}

// ActorByKeyID returns the actor that owns the key keyID: the stored actor
// that publishes it or, failing that, the one found by fetching keyID.
// That document may be the actor itself (Mastodon's "<actor>#main-key"),
// a key document whose owner is then fetched (servers with ".../main-key"
// paths), or a stub of the actor under another id (GoToSocial), which is
// then fetched from its own id. Either way the owner's own document must
// list keyID as its key, and the owner must live on the key's host.
func (r *Resolver) ActorByKeyID(ctx context.Context, keyID string) (*models.Actor, error) {
	a, _, err := r.actorByKeyID(ctx, keyID, false)
	return a, err
}

func (r *Resolver) actorByKeyID(ctx context.Context, keyID string, force bool) (*models.Actor, bool, error) {
	host, err := checkIRI(keyID)
	if err != nil {
		return nil, false, err
	}
	stored, err := r.svc.ActorByKeyID(ctx, keyID)
	switch {
	case err == nil:
		if !force || stored.Local {
			return stored, false, nil
		}
		a, err := r.RefreshActor(ctx, stored.IRI)
		if err != nil {
			return nil, false, err
		}
		return a, true, nil
	case service.KindOf(err) != service.KindNotFound:
		return nil, false, err
	}
	if host == r.ownHost {
		return nil, false, service.NotFound("key")
	}
	memo := "key:" + keyID
	// A refresh must fetch: it does not join a plain lookup's flight,
	// which may answer from the database.
	flight := memo
	if force {
		flight += ":refresh"
	}
	if !force {
		if ferr, ok := r.failures.get(memo, r.now()); ok {
			return nil, false, ferr
		}
	}
	a, fresh, err := r.once(ctx, flight, func(ctx context.Context) (*models.Actor, bool, error) {
		// A lookup that missed the database just before a fetch of the
		// same key stored its owner, and reached here after that fetch
		// ended, finds the owner stored now instead of fetching again.
		if !force {
			if stored, err := r.svc.ActorByKeyID(ctx, keyID); err == nil {
				return stored, false, nil
			}
		}
		a, err := r.fetchKeyOwner(ctx, keyID, host)
		return a, true, err
	})
	if err != nil {
		if ctx.Err() == nil {
			r.failures.put(memo, err, r.now().Add(r.failureTTL))
		}
		return nil, false, err
	}
	r.failures.remove(memo)
	return a, fresh, nil
}

// fetchKeyOwner dereferences keyID (on host) and returns its owner,
// fetched fresh and stored.
func (r *Resolver) fetchKeyOwner(ctx context.Context, keyID, host string) (*models.Actor, error) {
	keyURL := withoutFragment(keyID)
	var ownerIRI string
	m, _, err := r.get(ctx, keyURL)
	switch {
	case errors.Is(err, transport.ErrIDMismatch):
		// GoToSocial answers at its key path with a stub of the actor
		// whose id is the actor's. The stub proves nothing: it only says
		// where to look, and the actor is fetched from its own id below.
		stub, serr := r.stubID(ctx, keyURL)
		if serr != nil {
			return nil, serr
		}
		ownerIRI = stub
	case err != nil:
		return nil, err
	case slices.ContainsFunc(activitystreams.Types(m), isActorType):
		doc, err := activitystreams.ActorFromMap(m)
		if err != nil {
			return nil, refused(keyURL, err.Error())
		}
		a, err := r.storeActor(ctx, doc, host)
		if err != nil {
			return nil, err
		}
		if a.PublicKeyID != keyID {
			return nil, refused(keyID, "the actor does not publish this key")
		}
		return a, nil
	default:
		ownerIRI = activitystreams.IRI(m["owner"])
		if ownerIRI == "" {
			return nil, refused(keyURL, "key document without owner")
		}
	}
	if !sameHost(ownerIRI, keyID) {
		return nil, refused(keyID, "the key's owner is on another host")
	}
	a, err := r.RefreshActor(ctx, ownerIRI)
	if err != nil {
		return nil, err
	}
	if a.PublicKeyID != keyID {
		return nil, refused(keyID, "the owner does not publish this key")
	}
	return a, nil
}

// stubID reads the id of the document at u without the id rule, for the
// GoToSocial key stub; it must stay on u's host.
func (r *Resolver) stubID(ctx context.Context, u string) (string, error) {
	signer, err := r.instanceSigner(ctx)
	if err != nil {
		return "", err
	}
	body, final, err := r.client.GetJSON(ctx, u, transport.AcceptActivityPub, signer)
	if err != nil {
		return "", fetchErr(u, err)
	}
	m, err := activitystreams.Decode(body)
	if err != nil {
		return "", refused(u, err.Error())
	}
	id, _ := m["id"].(string)
	if id == "" || !sameHost(final, u) || !sameHost(id, u) {
		return "", refused(u, "key stub points to another host")
	}
	return id, nil
}

// isActorType reports the ActivityStreams actor types.
func isActorType(t string) bool {
	switch models.ActorType(t) {
	case models.ActorPerson, models.ActorGroup, models.ActorApplication, models.ActorService, models.ActorOrganization:
		return true
	}
	return false
}

// withoutFragment drops the #fragment of a key id.
func withoutFragment(iri string) string {
	u, err := url.Parse(iri)
	if err != nil {
		return iri
	}
	u.Fragment, u.RawFragment = "", ""
	return u.String()
}
