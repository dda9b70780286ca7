package inbox

import (
	"context"

	"github.com/practica-social/practica/federation/activitystreams"
	"github.com/practica-social/practica/models"
)

// like handles Like of a post.
func (p *Processor) like(ctx context.Context, actor *models.Actor, act *activitystreams.Activity, raw []byte) error {
	if act.ObjectIRI == "" {
		return refuse("missing object")
	}
	return p.svc.ReceiveLike(ctx, actor, act.ObjectIRI, act.ID, string(rawOf(raw, act)))
}
