package inbox

import (
	"context"
	"encoding/json"

	"github.com/practica-social/practica/federation/activitystreams"
	"github.com/practica-social/practica/models"
)

// undo handles Undo of a Follow (leaving a community), of a Like, of an
// Announce (nothing to do), or of a followed community's ban (see
// communityBan). The undone activity must be the actor's own.
func (p *Processor) undo(ctx context.Context, actor *models.Actor, act *activitystreams.Activity, raw []byte, via *models.Community) error {
	inner, ok := act.Object.(map[string]any)
	if !ok {
		return refuse("Undo must embed the activity it undoes")
	}
	undone, err := activitystreams.ActivityFromMap(inner)
	if err != nil {
		return refuse("undone activity: %v", err)
	}
	if undone.Actor != actor.IRI {
		return refuse("an actor may only undo its own activities")
	}
	switch undone.Type {
	case "Follow":
		c, err := p.svc.CommunityByActorIRI(ctx, undone.ObjectIRI)
		if err != nil || !c.Local {
			return refuse("not a community on this server")
		}
		return p.svc.ReceiveUnfollow(ctx, c, actor)
	case "Like":
		return p.svc.ReceiveUndoLike(ctx, actor, undone.ObjectIRI, act.ID, string(rawOf(raw, act)))
	case "Announce", "Dislike":
		return nil
	case "Block":
		if p.communityBan(undone, via) == nil {
			return nil
		}
		return refuse("Undo of %q is not supported", undone.Type)
	default:
		return refuse("Undo of %q is not supported", undone.Type)
	}
}

// rawOf returns the activity's own JSON: raw when the activity arrived on
// its own, or re-encoded when it was embedded in an Announce.
func rawOf(raw []byte, act *activitystreams.Activity) []byte {
	if raw != nil {
		return raw
	}
	b, _ := json.Marshal(act.Raw)
	return b
}
