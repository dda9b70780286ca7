package inbox

import (
	"context"
	"slices"

	"github.com/practica-social/practica/federation/activitystreams"
	"github.com/practica-social/practica/models"
	"github.com/practica-social/practica/service"
)

// postTypes are the object types a community takes as posts.
var postTypes = []string{"Note", "Page", "Article", "Question", "Event"}

// create handles Create of a post addressed to or mentioning a community,
// or a reply in one of its threads.
func (p *Processor) create(ctx context.Context, actor *models.Actor, act *activitystreams.Activity, raw []byte, via *models.Community) error {
	obj, err := p.objectOf(ctx, act, actor)
	if err != nil {
		return err
	}
	if !slices.Contains(postTypes, obj.Type) {
		return refuse("objects of type %q are not taken", obj.Type)
	}
	c, err := p.communityOf(ctx, act, obj, via)
	if err != nil {
		return err
	}
	rp := remotePost(act, obj, rawOf(raw, act))
	// A reply to a post we never received: its thread is fetched from
	// its origin first (parents.go), if the reply itself may be taken.
	if err := p.fetchMissingParents(ctx, c, actor, obj, rp); err != nil {
		return err
	}
	_, err = p.svc.ReceivePost(ctx, c, actor, rp)
	return err
}

// objectOf returns the activity's object: embedded, or fetched from its
// origin when only its id was sent. The object must be the actor's own:
// on the actor's host (checklist row 5) and attributed to the actor.
func (p *Processor) objectOf(ctx context.Context, act *activitystreams.Activity, actor *models.Actor) (*activitystreams.Object, error) {
	m, ok := act.Object.(map[string]any)
	if !ok {
		if act.ObjectIRI == "" {
			return nil, refuse("missing object")
		}
		fetched, err := p.resolve.Object(ctx, act.ObjectIRI)
		if err != nil {
			return nil, err
		}
		m = fetched
	}
	obj, err := activitystreams.ObjectFromMap(m)
	if err != nil {
		return nil, refuse("object: %v", err)
	}
	if !sameHost(obj.ID, actor.IRI) {
		return nil, refuse("the object's id is not on its actor's host")
	}
	if len(obj.AttributedTos) > 0 && !slices.Contains(obj.AttributedTos, actor.IRI) && obj.Actor != actor.IRI {
		return nil, refuse("the object is attributed to someone else")
	}
	return obj, nil
}

// communityOf finds the community an object belongs to: FEP-1b12's
// audience first, then the addressing, then mentions, then the thread it
// replies to. A community that announced the activity (via) wins.
func (p *Processor) communityOf(ctx context.Context, act *activitystreams.Activity, obj *activitystreams.Object, via *models.Community) (*models.Community, error) {
	if via != nil {
		return via, nil
	}
	var candidates []string
	candidates = append(candidates, obj.Audience...)
	candidates = append(candidates, act.Audience...)
	candidates = append(candidates, obj.To...)
	candidates = append(candidates, obj.CC...)
	candidates = append(candidates, act.To...)
	candidates = append(candidates, act.CC...)
	for _, t := range obj.Tags {
		if t.Type == "Mention" {
			candidates = append(candidates, t.Href)
		}
	}
	// Only our own communities can be the answer, so IRIs on other hosts
	// are skipped without a query: a document with a thousand addressees
	// and a thousand mentions costs no more than one with a few
	// (checklist row 14).
	own := p.svc.URLs().Base
	seen := map[string]bool{}
	for _, iri := range candidates {
		if iri == "" || seen[iri] || activitystreams.IsPublic(iri) || !sameHost(iri, own) {
			continue
		}
		seen[iri] = true
		if c, err := p.svc.CommunityByActorIRI(ctx, iri); err == nil && c.Local {
			return c, nil
		} else if err != nil && service.KindOf(err) != service.KindNotFound {
			return nil, err
		}
	}
	if obj.InReplyTo != "" {
		_, c, err := p.svc.PostByIRI(ctx, obj.InReplyTo, service.Viewer{})
		if err == nil {
			return c, nil
		}
		if service.KindOf(err) != service.KindNotFound {
			return nil, err
		}
		return nil, refuse("a reply to a post this server does not have")
	}
	return nil, refuse("the object is not addressed to a community on this server")
}

// remotePost converts a parsed object into the service's input.
func remotePost(act *activitystreams.Activity, obj *activitystreams.Object, raw []byte) service.RemotePost {
	public := false
	for _, l := range [][]string{obj.To, obj.CC, act.To, act.CC} {
		for _, iri := range l {
			if activitystreams.IsPublic(iri) {
				public = true
			}
		}
	}
	source := ""
	if obj.SourceMediaType == "" || obj.SourceMediaType == "text/markdown" || obj.SourceMediaType == "text/plain" {
		source = obj.SourceContent
	}
	contentHTML := obj.Content
	if obj.Type == "Question" || obj.Type == "Event" {
		// Keep the description; the structured parts come with the practice.
		if contentHTML == "" {
			contentHTML = obj.Summary
		}
	}
	return service.RemotePost{
		ActivityIRI: act.ID, ActivityType: act.Type, ActivityJSON: string(raw),
		IRI: obj.ID, Type: obj.Type, Name: obj.Name, ContentHTML: contentHTML, Source: source,
		URL: obj.URL, InReplyTo: obj.InReplyTo, Published: obj.Published, Sensitive: obj.Sensitive, Public: public,
	}
}
