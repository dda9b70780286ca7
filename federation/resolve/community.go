package resolve

import (
	"context"
	"strings"

	"github.com/practica-social/practica/models"
	"github.com/practica-social/practica/service"
)

// Community finds the community behind a handle ("@name@host") or an
// actor id ("https://host/c/name", as /authorize_interaction?uri= gets
// it): WebFinger preferring the Group link, or the id directly; the checked
// actor document; then the record the service keeps for a known remote
// community (a local one is returned as it is). A person is "not found":
// this is a community lookup. The web UI, the API and the demo all join
// remote communities through it.
func (r *Resolver) Community(ctx context.Context, ref string) (*models.Community, error) {
	var a *models.Actor
	var err error
	if ref = strings.TrimSpace(ref); strings.HasPrefix(ref, "https://") || strings.HasPrefix(ref, "http://") {
		a, err = r.Actor(ctx, ref)
	} else {
		a, err = r.Handle(ctx, ref, HandleOpts{PreferGroup: true})
	}
	if err != nil {
		return nil, err
	}
	if a.Type != models.ActorGroup {
		return nil, service.NotFound("community")
	}
	if a.Local {
		return r.svc.CommunityByActorIRI(ctx, a.IRI)
	}
	return r.svc.EnsureRemoteCommunity(ctx, a)
}
