package service

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/url"
	"path"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/practica-social/practica/federation/activitystreams"
	"github.com/practica-social/practica/models"
	"github.com/practica-social/practica/service/content"
	"github.com/practica-social/practica/store"
)

// Column sizes of models.Actor that remote documents must fit: Postgres
// refuses longer values where SQLite would silently keep them.
const (
	maxActorURLBytes  = 2048
	maxActorNameRunes = 512
	maxUsernameRunes  = 255
)

// PutRemoteActor stores, or refreshes, a remote actor from a document the
// federation layer fetched from the actor's own origin and checked (id,
// host, key owner). It is the only way a remote actor's key reaches the
// database, so a key changes only when a fresh fetch shows it (checklist
// row 7). A successful fetch also clears a previous "gone" mark.
func (s *Service) PutRemoteActor(ctx context.Context, doc *activitystreams.Actor) (*models.Actor, error) {
	a, err := s.remoteActorFromAS(doc)
	if err != nil {
		return nil, err
	}
	err = s.store.UpsertRemoteActor(ctx, a)
	if errors.Is(err, store.ErrConflict) {
		// Either the IRI is a local actor's (refused below), or another
		// remote actor of this host holds the handle: a renamed or
		// re-created account. The document just fetched is the host's
		// current word, so the older row gives the handle up.
		if existing, gerr := s.store.GetActorByIRI(ctx, a.IRI); gerr == nil && existing.Local {
			return nil, Invalid("a remote document cannot replace a local actor")
		}
		if ferr := s.freeHandle(ctx, a); ferr != nil {
			return nil, ferr
		}
		a.ID = 0
		err = s.store.UpsertRemoteActor(ctx, a)
	}
	if err != nil {
		return nil, storeErr(err, "remote actor")
	}
	setMemoActor(ctx, a.IRI, nil) // a batch's copy is out of date
	return a, nil
}

// freeHandle renames remote actors that hold a's handle under another IRI,
// so that a can take it. The old rows keep their ids and everything that
// refers to them.
func (s *Service) freeHandle(ctx context.Context, a *models.Actor) error {
	return s.store.WithTx(ctx, func(ctx context.Context) error {
		holders, err := s.store.FindActorsByHandle(ctx, a.Username, a.Host)
		if err != nil {
			return storeErr(err, "remote actor")
		}
		for i := range holders {
			h := &holders[i]
			if h.Local || h.IRI == a.IRI || h.Kind != a.Kind {
				continue
			}
			h.Username = fmt.Sprintf("%s~%d", h.Username, h.ID)
			if err := s.store.UpdateActor(ctx, h); err != nil {
				return storeErr(err, "remote actor")
			}
		}
		return nil
	})
}

// remoteActorFromAS converts a checked actor document to a row, fitting
// every value to its column and dropping URLs that are not http(s).
func (s *Service) remoteActorFromAS(doc *activitystreams.Actor) (*models.Actor, error) {
	if doc == nil {
		return nil, Invalid("missing actor document")
	}
	if len(doc.ID) > maxActorURLBytes || len(doc.Inbox) > maxActorURLBytes {
		return nil, Invalid("actor id or inbox too long")
	}
	host, err := actorHostOf(doc.ID)
	if err != nil {
		return nil, Invalid("actor id is not an http(s) URL")
	}
	if host == s.urls.Host() {
		return nil, Invalid("an actor on this server cannot be stored as remote")
	}
	if fitActorURL(doc.Inbox) == "" {
		return nil, Invalid("actor inbox is not an http(s) URL")
	}
	typ := models.ActorType(doc.Type)
	now := s.now().UTC()
	a := &models.Actor{
		IRI: doc.ID, Type: typ, Kind: models.KindOf(typ), Host: host, Local: false,
		Username:                  remoteUsername(doc),
		Name:                      fitActorText(doc.Name, maxActorNameRunes),
		Summary:                   content.Sanitize(fitActorText(doc.Summary, -1)),
		URL:                       fitActorURL(doc.URL),
		IconURL:                   fitActorURL(doc.IconURL),
		ImageURL:                  fitActorURL(doc.ImageURL),
		InboxURL:                  doc.Inbox,
		SharedInboxURL:            fitActorURL(doc.SharedInbox),
		OutboxURL:                 fitActorURL(doc.Outbox),
		FollowersURL:              fitActorURL(doc.Followers),
		FollowingURL:              fitActorURL(doc.Following),
		FeaturedURL:               fitActorURL(doc.Featured),
		ModeratorsURL:             fitActorURL(doc.Moderators),
		ManuallyApprovesFollowers: doc.ManuallyApprovesFollowers,
		Discoverable:              doc.Discoverable,
		Published:                 doc.Published.UTC(),
		FetchedAt:                 &now,
	}
	if doc.Published.IsZero() {
		a.Published = now
	}
	// A key id on another host could shadow that host's real key in the
	// by-key lookup; such a key is not taken (nor is one without a PEM).
	if k := doc.PublicKey; k.ID != "" && k.PEM != "" && fitActorURL(k.ID) != "" {
		if kh, err := actorHostOf(k.ID); err == nil && kh == host {
			a.PublicKeyID, a.PublicKeyPEM = k.ID, strings.ToValidUTF8(strings.ReplaceAll(k.PEM, "\x00", ""), "")
		}
	}
	return a, nil
}

// ActorByIRI returns a stored actor, local or remote, by its id.
func (s *Service) ActorByIRI(ctx context.Context, iri string) (*models.Actor, error) {
	if a, ok := memoActor(ctx, iri); ok {
		return a, nil
	}
	a, err := s.store.GetActorByIRI(ctx, iri)
	return a, storeErr(err, "actor")
}

// ActorByKeyID returns the stored actor whose public key is keyID.
func (s *Service) ActorByKeyID(ctx context.Context, keyID string) (*models.Actor, error) {
	a, err := s.store.GetActorByKeyID(ctx, keyID)
	return a, storeErr(err, "actor")
}

// MarkRemoteActorGone records that a remote actor's origin answered 410
// Gone (again: the mark's time is renewed, so the actor is not fetched
// once more for a while): its memberships and follows end. Unknown actors
// need nothing.
func (s *Service) MarkRemoteActorGone(ctx context.Context, iri string) error {
	setMemoActor(ctx, iri, nil)
	a, err := s.store.GetActorByIRI(ctx, iri)
	if errors.Is(err, store.ErrNotFound) {
		return nil
	}
	if err != nil {
		return storeErr(err, "actor")
	}
	if a.Local {
		return nil
	}
	return storeErr(s.store.MarkActorGone(ctx, a.ID, s.now().UTC()), "actor")
}

// remoteUsername is the actor's preferredUsername or, when it has none,
// the last segment of its id's path (some servers omit the former).
func remoteUsername(doc *activitystreams.Actor) string {
	name := handlePart(strings.TrimPrefix(doc.PreferredUsername, "@"))
	if name != "" {
		return name
	}
	if u, err := url.Parse(doc.ID); err == nil {
		if seg := path.Base(strings.TrimRight(u.Path, "/")); seg != "" && seg != "." && seg != "/" {
			if un, err := url.PathUnescape(seg); err == nil {
				seg = un
			}
			if name = handlePart(seg); name != "" {
				return name
			}
		}
		return handlePart(u.Hostname())
	}
	return "actor"
}

// handlePart keeps what may stand before the @ of a handle: no spaces,
// control characters or @, at most maxUsernameRunes runes.
func handlePart(s string) string {
	s = strings.Map(func(r rune) rune {
		if r == '@' || r == utf8.RuneError || unicode.IsSpace(r) || unicode.IsControl(r) {
			return -1
		}
		return r
	}, s)
	if utf8.RuneCountInString(s) > maxUsernameRunes {
		s = string([]rune(s)[:maxUsernameRunes])
	}
	return s
}

// fitActorText drops control characters (NUL among them, which Postgres
// refuses) and keeps at most max runes (no limit when max < 0).
func fitActorText(s string, max int) string {
	s = strings.Map(func(r rune) rune {
		if r == utf8.RuneError || (unicode.IsControl(r) && r != '\n' && r != '\t') {
			return -1
		}
		return r
	}, s)
	if max >= 0 && utf8.RuneCountInString(s) > max {
		s = string([]rune(s)[:max])
	}
	return strings.TrimSpace(s)
}

// fitActorURL returns s when it is an absolute http(s) URL that fits a column,
// else "".
func fitActorURL(s string) string {
	if s == "" || len(s) > maxActorURLBytes {
		return ""
	}
	u, err := url.Parse(s)
	if err != nil || u.Host == "" || (u.Scheme != "http" && u.Scheme != "https") {
		return ""
	}
	return s
}

// actorHostOf returns the lower-cased host of an http(s) URL, with its
// port only when it is not the scheme's default: the form Actor.Host and
// URLs.Host use.
func actorHostOf(raw string) (string, error) {
	u, err := url.Parse(raw)
	if err != nil {
		return "", err
	}
	scheme := strings.ToLower(u.Scheme)
	if u.Host == "" || (scheme != "http" && scheme != "https") {
		return "", fmt.Errorf("%q is not an http(s) URL", raw)
	}
	host, port := strings.ToLower(u.Hostname()), u.Port()
	if (scheme == "http" && port == "80") || (scheme == "https" && port == "443") {
		port = ""
	}
	switch {
	case port != "":
		host = net.JoinHostPort(host, port)
	case strings.Contains(host, ":"):
		host = "[" + host + "]" // an IPv6 literal keeps its brackets
	}
	return host, nil
}
