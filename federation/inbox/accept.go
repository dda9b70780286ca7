package inbox

import (
	"context"

	"github.com/practica-social/practica/federation/activitystreams"
	"github.com/practica-social/practica/models"
)

// answer handles Accept or Reject of a Follow a local person sent to a
// remote community. Mastodon embeds the Follow; some servers send its id.
func (p *Processor) answer(ctx context.Context, actor *models.Actor, act *activitystreams.Activity) error {
	followIRI, follower := act.ObjectIRI, ""
	if m, ok := act.Object.(map[string]any); ok {
		if t := activitystreams.Types(m); len(t) > 0 && t[0] != "Follow" {
			return refuse("%s of %q is not supported", act.Type, t[0])
		}
		follower = activitystreams.IRI(m["actor"])
		if obj := activitystreams.IRI(m["object"]); obj != "" && obj != actor.IRI {
			return refuse("%s of a follow of someone else", act.Type)
		}
	}
	if followIRI == "" && follower == "" {
		return refuse("%s names no follow", act.Type)
	}
	return p.svc.ReceiveFollowAnswer(ctx, actor, followIRI, follower, act.Type == "Accept")
}
