package store

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/practica-social/practica/models"
)

// CreateActor inserts a new actor. ErrConflict when its IRI or handle exists.
func (s *Store) CreateActor(ctx context.Context, a *models.Actor) error {
	if a.Kind == "" {
		a.Kind = models.KindOf(a.Type)
	}
	return translate(s.conn(ctx).Create(a).Error, "create actor "+a.IRI)
}

// UpsertRemoteActor inserts a remote actor or refreshes the stored copy
// matched by IRI. Local actors are never overwritten by this path.
func (s *Store) UpsertRemoteActor(ctx context.Context, a *models.Actor) error {
	if a.Kind == "" {
		a.Kind = models.KindOf(a.Type)
	}
	a.Local = false
	a.PrivateKeyPEM = ""
	return s.WithTx(ctx, func(ctx context.Context) error {
		existing, err := s.GetActorByIRI(ctx, a.IRI)
		switch {
		case err == nil:
			if existing.Local {
				return fmt.Errorf("store: upsert remote actor %s: %w", a.IRI, ErrConflict)
			}
			a.ID = existing.ID
			a.CreatedAt = existing.CreatedAt
			return translate(s.conn(ctx).Save(a).Error, "update remote actor "+a.IRI)
		case isNotFound(err):
			return translate(s.conn(ctx).Create(a).Error, "create remote actor "+a.IRI)
		default:
			return err
		}
	})
}

// UpdateActor saves every field of a.
func (s *Store) UpdateActor(ctx context.Context, a *models.Actor) error {
	return translate(s.conn(ctx).Save(a).Error, "update actor "+a.IRI)
}

// GetActor returns the actor with the given row id.
func (s *Store) GetActor(ctx context.Context, id int64) (*models.Actor, error) {
	var a models.Actor
	if err := s.conn(ctx).First(&a, id).Error; err != nil {
		return nil, translate(err, fmt.Sprintf("get actor %d", id))
	}
	return &a, nil
}

// GetActorByIRI returns the actor whose id is iri.
func (s *Store) GetActorByIRI(ctx context.Context, iri string) (*models.Actor, error) {
	var a models.Actor
	if err := s.conn(ctx).Where("iri = ?", iri).First(&a).Error; err != nil {
		return nil, translate(err, "get actor "+iri)
	}
	return &a, nil
}

// GetActorsByIRI returns the stored actors among iris, in one query per
// thousand.
func (s *Store) GetActorsByIRI(ctx context.Context, iris []string) ([]models.Actor, error) {
	var out []models.Actor
	for start := 0; start < len(iris); start += idChunk {
		var as []models.Actor
		if err := s.conn(ctx).Where("iri IN ?", iris[start:min(start+idChunk, len(iris))]).Find(&as).Error; err != nil {
			return nil, translate(err, fmt.Sprintf("get %d actors", len(iris)))
		}
		out = append(out, as...)
	}
	return out, nil
}

// GetActorByKeyID returns the actor owning the public key keyID.
func (s *Store) GetActorByKeyID(ctx context.Context, keyID string) (*models.Actor, error) {
	var a models.Actor
	if err := s.conn(ctx).Where("public_key_id = ?", keyID).First(&a).Error; err != nil {
		return nil, translate(err, "get actor by key "+keyID)
	}
	return &a, nil
}

// GetLocalActor returns the local actor of a kind (models.KindPerson …) by
// its user name, compared case-insensitively.
func (s *Store) GetLocalActor(ctx context.Context, kind, username string) (*models.Actor, error) {
	var a models.Actor
	err := s.conn(ctx).Where("local = ? AND kind = ? AND LOWER(username) = ?", true, kind, strings.ToLower(username)).First(&a).Error
	if err != nil {
		return nil, translate(err, "get local "+kind+" "+username)
	}
	return &a, nil
}

// FindActorsByHandle returns every actor named username@host, people first,
// then groups, then instance actors: the order WebFinger lists them in.
func (s *Store) FindActorsByHandle(ctx context.Context, username, host string) ([]models.Actor, error) {
	var as []models.Actor
	err := s.conn(ctx).
		Where("LOWER(username) = ? AND host = ?", strings.ToLower(username), strings.ToLower(host)).
		Order("CASE kind WHEN 'person' THEN 0 WHEN 'group' THEN 1 ELSE 2 END").
		Find(&as).Error
	if err != nil {
		return nil, translate(err, "find actors "+username+"@"+host)
	}
	return as, nil
}

// CountLocalActors counts local actors of a kind.
func (s *Store) CountLocalActors(ctx context.Context, kind string) (int64, error) {
	var n int64
	err := s.conn(ctx).Model(&models.Actor{}).Where("local = ? AND kind = ?", true, kind).Count(&n).Error
	return n, translate(err, "count local "+kind)
}

func isNotFound(err error) bool { return errors.Is(err, ErrNotFound) }

// MarkActorGone records that a remote actor was deleted or answered 410,
// and ends its memberships and follows. Bans stay: an actor that comes
// back (a new fetch clears GoneAt) is still banned.
func (s *Store) MarkActorGone(ctx context.Context, id int64, at time.Time) error {
	return s.WithTx(ctx, func(ctx context.Context) error {
		if err := s.conn(ctx).Model(&models.Actor{ID: id}).Where("local = ?", false).Update("gone_at", at).Error; err != nil {
			return translate(err, fmt.Sprintf("mark actor %d gone", id))
		}
		if err := s.conn(ctx).Where("actor_id = ? AND state <> ?", id, models.MemberBanned).Delete(&models.Member{}).Error; err != nil {
			return translate(err, "delete memberships of gone actor")
		}
		return translate(s.conn(ctx).Where("target_actor_id = ?", id).Delete(&models.Follow{}).Error, "delete follows of gone actor")
	})
}
