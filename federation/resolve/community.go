package resolve

import (
	"context"

	"github.com/practica-social/practica/models"
	"github.com/practica-social/practica/service"
)

// Community finds the community behind a handle ("@name@host"): WebFinger
// preferring the Group link, the checked actor document, then the record
// the service keeps for a known remote community (a local one is returned
// as it is). A person's handle is "not found": this is a community lookup.
// The web UI, the API and the demo all join remote communities through it.
func (r *Resolver) Community(ctx context.Context, handle string) (*models.Community, error) {
	a, err := r.Handle(ctx, handle, HandleOpts{PreferGroup: true})
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
