package service

import (
	"context"
	"errors"
	"regexp"
	"strings"

	"github.com/practica-social/practica/models"
	"github.com/practica-social/practica/store"
)

// usernamePattern is what Mastodon accepts in a local handle, lower-cased:
// handles must round-trip through every peer's WebFinger.
var usernamePattern = regexp.MustCompile(`^[a-z0-9_]{1,30}$`)

// NormalizeUsername lower-cases and validates a local handle.
func NormalizeUsername(name string) (string, error) {
	n := strings.ToLower(strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(name), "@")))
	if !usernamePattern.MatchString(n) {
		return "", Invalid("handle %q must be 1 to 30 characters: letters a-z, digits and _", name)
	}
	return n, nil
}

// newLocalActor builds a local actor with a fresh key pair and every
// endpoint derived from its IRI.
func (s *Service) newLocalActor(typ models.ActorType, iri, username, name string) (*models.Actor, error) {
	priv, pub, err := newKeyPair()
	if err != nil {
		return nil, err
	}
	c := CollectionsOf(iri)
	now := s.now().UTC()
	a := &models.Actor{
		IRI: iri, Type: typ, Username: username, Host: s.urls.Host(), Local: true,
		Kind: models.KindOf(typ), Name: name, URL: iri,
		InboxURL: c.Inbox, SharedInboxURL: s.urls.SharedInbox(), OutboxURL: c.Outbox,
		FollowersURL: c.Followers, FollowingURL: c.Following,
		PublicKeyID: c.KeyID, PublicKeyPEM: pub, PrivateKeyPEM: priv,
		Discoverable: true, Published: now,
	}
	if typ == models.ActorGroup {
		a.FeaturedURL = c.Featured
		a.ModeratorsURL = c.Moderators
	}
	return a, nil
}

// InstanceActor returns the instance actor, creating it on first use. It
// signs every outgoing GET and answers acct:host@host.
func (s *Service) InstanceActor(ctx context.Context) (*models.Actor, error) {
	iri := s.urls.InstanceActor()
	a, err := s.store.GetActorByIRI(ctx, iri)
	if err == nil {
		return a, nil
	}
	if !errors.Is(err, store.ErrNotFound) {
		return nil, storeErr(err, "instance actor")
	}
	a, err = s.newLocalActor(models.ActorApplication, iri, s.urls.Host(), s.instanceName)
	if err != nil {
		return nil, err
	}
	a.URL = s.urls.Base + "/about"
	a.ManuallyApprovesFollowers = true
	a.Discoverable = false
	if err := s.store.CreateActor(ctx, a); err != nil {
		if errors.Is(err, store.ErrConflict) {
			// Another process created it first.
			a, err = s.store.GetActorByIRI(ctx, iri)
			return a, storeErr(err, "instance actor")
		}
		return nil, storeErr(err, "instance actor")
	}
	return a, nil
}

// LookupLocalHandle returns the local actors named username on this
// instance, people first and groups last (WebFinger's order).
func (s *Service) LookupLocalHandle(ctx context.Context, username string) ([]models.Actor, error) {
	as, err := s.store.FindActorsByHandle(ctx, username, s.urls.Host())
	if err != nil {
		return nil, storeErr(err, "actor")
	}
	local := as[:0]
	for _, a := range as {
		if a.Local {
			local = append(local, a)
		}
	}
	if len(local) == 0 {
		return nil, NotFound("account")
	}
	return local, nil
}

// LocalPerson returns the local person named username.
func (s *Service) LocalPerson(ctx context.Context, username string) (*models.Actor, error) {
	a, err := s.store.GetLocalActor(ctx, models.KindPerson, username)
	return a, storeErr(err, "person")
}
