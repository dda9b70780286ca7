package inbox

import (
	"context"

	"github.com/practica-social/practica/federation/activitystreams"
	"github.com/practica-social/practica/models"
)

// follow handles Follow of a local community: membership (open
// communities accept at once, others hold the request for moderators).
// Other Groups may follow too: that is how communities link.
func (p *Processor) follow(ctx context.Context, actor *models.Actor, act *activitystreams.Activity) error {
	c, err := p.svc.CommunityByActorIRI(ctx, act.ObjectIRI)
	if err != nil || !c.Local {
		return refuse("only communities on this server can be followed here")
	}
	if actor.Local {
		return refuse("a local actor cannot follow through the inbox")
	}
	_, err = p.svc.ReceiveFollow(ctx, c, actor, act.ID)
	return err
}
