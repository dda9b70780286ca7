package inbox

import (
	"context"

	"github.com/practica-social/practica/federation/activitystreams"
	"github.com/practica-social/practica/models"
)

// delete handles Delete of the actor itself (it leaves every community) or
// of a post (its author's). A Delete before its Create leaves a tombstone.
func (p *Processor) delete(ctx context.Context, actor *models.Actor, act *activitystreams.Activity, raw []byte) error {
	if act.ObjectIRI == "" {
		return refuse("missing object")
	}
	if act.ObjectIRI == actor.IRI {
		return p.svc.ReceiveActorDeleted(ctx, actor)
	}
	return p.svc.ReceiveDelete(ctx, actor, act.ObjectIRI, act.ID, string(rawOf(raw, act)))
}
