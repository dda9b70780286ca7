package federation

import (
	"context"
	"errors"
	"log/slog"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/practica-social/practica/federation/resolve"
	"github.com/practica-social/practica/federation/signing"
	"github.com/practica-social/practica/service"
)

// KeyResolver finds the key a signature names (resolve.Resolver).
type KeyResolver interface {
	// Key returns the key and its owner, from memory, the database or its
	// origin.
	Key(ctx context.Context, keyID string) (*resolve.Key, error)
	// RefreshKey fetches the key's owner again, after a signature failed
	// against a key that was not fresh.
	RefreshKey(ctx context.Context, keyID string) (*resolve.Key, error)
}

// SignatureAuth is the Authenticator of signed GETs: members-only objects
// and collections are served only to requests signed by a member (or by
// an instance actor the service vouches for), checklist row 17.
type SignatureAuth struct {
	keys KeyResolver
	now  func() time.Time
	log  *slog.Logger
}

// NewSignatureAuth builds the Authenticator. now nil means time.Now.
func NewSignatureAuth(keys KeyResolver, now func() time.Time, log *slog.Logger) *SignatureAuth {
	if now == nil {
		now = time.Now
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &SignatureAuth{keys: keys, now: now, log: log}
}

// Viewer returns the actor that signed the request, or Anonymous when it
// is unsigned or its signature does not hold. A bad signature is not an
// error: public pages must still be served, and private ones answer 404
// to anonymous viewers exactly as to strangers. Only a database outage is
// returned, so that a member is not shown a 404 by mistake.
func (a *SignatureAuth) Viewer(c echo.Context) (service.Viewer, error) {
	req := c.Request()
	if req.Header.Get("Signature") == "" && !hasSignatureScheme(req.Header.Get("Authorization")) {
		return service.Anonymous, nil
	}
	ctx := req.Context()
	sig, err := signing.Parse(req)
	if err != nil {
		a.log.Debug("signed GET refused", "path", req.URL.Path, "err", err)
		return service.Anonymous, nil
	}
	now := a.now()
	key, err := a.keys.Key(ctx, sig.KeyID)
	if err != nil {
		return a.anonymous(req.URL.Path, err)
	}
	err = sig.Verify(req, nil, key.Public, now)
	if err != nil && !key.Fresh && isSignatureMismatch(err) {
		if fresh, ferr := a.keys.RefreshKey(ctx, sig.KeyID); ferr == nil {
			key = fresh
			err = sig.Verify(req, nil, key.Public, now)
		}
	}
	if err != nil || key.Owner.GoneAt != nil {
		return a.anonymous(req.URL.Path, err)
	}
	return service.Viewer{ActorID: key.Owner.ID}, nil
}

// anonymous logs why a signature was not accepted and returns Anonymous,
// or the error itself when it is our database that is down.
func (a *SignatureAuth) anonymous(path string, err error) (service.Viewer, error) {
	if service.KindOf(err) == service.KindUnavailable && !errors.Is(err, resolve.ErrUnreachable) {
		return service.Anonymous, err
	}
	a.log.Debug("signed GET treated as anonymous", "path", path, "err", err)
	return service.Anonymous, nil
}

// isSignatureMismatch reports the one verification failure a fresher key
// may cure.
func isSignatureMismatch(err error) bool {
	var se *signing.Error
	return errors.As(err, &se) && strings.HasPrefix(se.Reason, "signature mismatch")
}

// hasSignatureScheme reports an Authorization header of the Signature
// scheme, whose name is case-insensitive.
func hasSignatureScheme(auth string) bool {
	scheme, _, _ := strings.Cut(strings.TrimSpace(auth), " ")
	return strings.EqualFold(scheme, "Signature")
}
