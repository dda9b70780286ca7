package inbox

import (
	"context"
	"slices"

	"github.com/practica-social/practica/federation/activitystreams"
	"github.com/practica-social/practica/models"
)

// actorTypes are the types an Update may refresh.
var actorTypes = []string{"Person", "Group", "Service", "Application", "Organization"}

// update handles Update of a post (its author's edit) or of the actor
// itself (a profile change: refetch from its origin rather than trust the
// embedded copy, so a key change is confirmed by a fresh fetch).
func (p *Processor) update(ctx context.Context, actor *models.Actor, act *activitystreams.Activity, raw []byte) error {
	m, ok := act.Object.(map[string]any)
	if !ok {
		return refuse("Update must embed the updated object")
	}
	types := activitystreams.Types(m)
	if len(types) > 0 && slices.Contains(actorTypes, types[0]) {
		if activitystreams.IRI(m) != actor.IRI {
			return refuse("an actor may only update itself")
		}
		if r, ok := p.resolve.(interface {
			RefreshActor(ctx context.Context, iri string) (*models.Actor, error)
		}); ok {
			_, err := r.RefreshActor(ctx, actor.IRI)
			return err
		}
		return nil
	}
	obj, err := p.objectOf(ctx, act, actor)
	if err != nil {
		return err
	}
	return p.svc.ReceiveUpdate(ctx, actor, remotePost(act, obj, rawOf(raw, act)))
}
