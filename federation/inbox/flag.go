package inbox

import (
	"context"

	"github.com/practica-social/practica/federation/activitystreams"
	"github.com/practica-social/practica/models"
	"github.com/practica-social/practica/service"
)

// maxFlagObjects bounds what one Flag may name: Mastodon sends the
// account and the statuses chosen in its report form.
const maxFlagObjects = 50

// flag handles Flag, a report to the moderators (protocol.md §10), in
// Mastodon's form (from its instance actor, object [account, posts…],
// comment in content) and Lemmy's and Mbin's (from the person, the post
// as object, the community in to and audience, comment in summary).
func (p *Processor) flag(ctx context.Context, actor *models.Actor, act *activitystreams.Activity) error {
	objects := act.ObjectIRIs
	if len(objects) == 0 {
		return refuse("missing object")
	}
	if len(objects) > maxFlagObjects {
		objects = objects[:maxFlagObjects]
	}
	addressed := append(append(append([]string{}, act.To...), act.CC...), act.Audience...)
	if act.Target != "" {
		addressed = append(addressed, act.Target)
	}
	comment, _ := act.Raw["content"].(string)
	if comment == "" {
		comment = act.Summary
	}
	_, err := p.svc.ReceiveFlag(ctx, actor, service.ReceivedFlag{ActivityIRI: act.ID, Objects: objects, Addressed: addressed, Comment: comment})
	return err
}
