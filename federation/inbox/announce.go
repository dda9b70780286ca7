package inbox

import (
	"context"

	"github.com/practica-social/practica/federation/activitystreams"
	"github.com/practica-social/practica/models"
	"github.com/practica-social/practica/service"
)

// announce handles Announce. From a remote community that local people
// follow, it carries that community's activity (FEP-1b12): the inner
// activity is handled as if its actor had sent it, within that community.
// The inner activity is trusted only when it lives on the community's own
// host; otherwise it is fetched from its origin (checklist row 10). Other
// Announces (a boost of one of our posts) need nothing from us.
func (p *Processor) announce(ctx context.Context, actor *models.Actor, act *activitystreams.Activity, via *models.Community) error {
	if actor.Type != models.ActorGroup || via != nil {
		return nil
	}
	c, err := p.svc.CommunityByActorIRI(ctx, actor.IRI)
	if err != nil || c.Local {
		return refuse("announce from a community this server does not follow")
	}
	if ok, err := p.svc.LocalMembersFollow(ctx, c); err != nil {
		return err
	} else if !ok {
		return refuse("no one here follows this community")
	}
	var inner map[string]any
	switch o := act.Object.(type) {
	case map[string]any:
		inner = o
		if !sameHost(activitystreams.IRI(o), actor.IRI) {
			if inner, err = p.resolve.Object(ctx, activitystreams.IRI(o)); err != nil {
				return err
			}
		}
	case string:
		// Announce of a bare object (the boost form): usually the post came
		// already inside Announce{Create}; otherwise fetch it and treat it
		// as its author's Create.
		if _, _, err := p.svc.PostByIRI(ctx, o, service.Viewer{}); err == nil {
			return nil
		}
		obj, err := p.resolve.Object(ctx, o)
		if err != nil {
			return err
		}
		inner = map[string]any{"id": o + "#create", "type": "Create", "actor": activitystreams.IRI(obj["attributedTo"]), "object": obj}
	default:
		return refuse("Announce without an object")
	}
	innerAct, err := activitystreams.ActivityFromMap(inner)
	if err != nil {
		return refuse("announced activity: %v", err)
	}
	if innerAct.Type == "Announce" {
		return refuse("nested Announce")
	}
	// An activity lives on its actor's host, as the receiver requires of
	// direct deliveries: otherwise the group's host (embedding an activity
	// with an id of its own) or any host serving one could speak for
	// someone elsewhere.
	if !sameHost(innerAct.ID, innerAct.Actor) {
		return refuse("the announced activity is not on its actor's host")
	}
	innerActor, err := p.resolve.Actor(ctx, innerAct.Actor)
	if err != nil {
		return err
	}
	return p.handle(ctx, innerActor, innerAct, nil, c)
}
