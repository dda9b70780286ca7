package inbox

import (
	"context"

	"github.com/practica-social/practica/federation/activitystreams"
	"github.com/practica-social/practica/models"
)

// delete handles Delete of the actor itself (it leaves every community) or
// of a post: its author's, or — announced by the remote community it is
// in (via) — a moderator's removal. A Delete before its Create leaves a
// tombstone.
func (p *Processor) delete(ctx context.Context, actor *models.Actor, act *activitystreams.Activity, raw []byte, via *models.Community) error {
	if act.ObjectIRI == "" {
		return refuse("missing object")
	}
	if act.ObjectIRI == actor.IRI {
		return p.svc.ReceiveActorDeleted(ctx, actor)
	}
	if via != nil {
		return p.svc.ReceiveAnnouncedDelete(ctx, via, actor, act.ObjectIRI, act.ID, string(rawOf(raw, act)))
	}
	return p.svc.ReceiveDelete(ctx, actor, act.ObjectIRI, act.ID, string(rawOf(raw, act)))
}
