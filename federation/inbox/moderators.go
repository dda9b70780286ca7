package inbox

import (
	"context"

	"github.com/practica-social/practica/federation/activitystreams"
	"github.com/practica-social/practica/models"
)

// moderatorsChange handles Add and Remove. A community local people follow
// announces the appointment and dismissal of its moderators as an Add or
// Remove of the person to its moderators collection (Lemmy, Mbin and
// Practica send it): it is taken from an actor of the community's own
// server, and nothing is kept: we do not track who moderates a remote
// community (a removal it announces is taken from an actor of its own
// server, service.ReceiveAnnouncedDelete). Anything else (a pin to a
// featured collection; a change to a collection of ours, which the
// receiver answers 403) is refused.
func (p *Processor) moderatorsChange(_ context.Context, _ *models.Actor, act *activitystreams.Activity, via *models.Community) error {
	if via != nil && via.Actor != nil && via.Actor.ModeratorsURL != "" && act.Target == via.Actor.ModeratorsURL && sameHost(act.Actor, via.Actor.IRI) {
		return nil
	}
	return refuse("activity type %q is not supported with target %q", act.Type, act.Target)
}

// communityBan handles a Block (or, undone, its Undo) that a community
// local people follow announces: a moderator's ban of someone from it,
// Lemmy's form, with the community as target. It is taken from an actor
// of the community's own server, and nothing is kept: the community
// enforces its bans itself. Any other Block (a person blocking someone,
// a ban from a community we do not follow; a ban in one of ours, which
// the receiver answers 403) is refused.
func (p *Processor) communityBan(act *activitystreams.Activity, via *models.Community) error {
	if via != nil && via.Actor != nil && act.Target == via.Actor.IRI && sameHost(act.Actor, via.Actor.IRI) {
		return nil
	}
	return refuse("activity type %q is not supported with target %q", act.Type, act.Target)
}
