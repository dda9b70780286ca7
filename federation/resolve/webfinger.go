package resolve

import (
	"context"
	"fmt"
	"net/url"
	"slices"
	"strings"

	"github.com/practica-social/practica/federation/activitystreams"
	"github.com/practica-social/practica/models"
	"github.com/practica-social/practica/service"
)

// acceptJRD is the Accept header of WebFinger requests.
const acceptJRD = "application/jrd+json, application/json"

// maxHandleCandidates bounds how many self links of one WebFinger answer
// are fetched: a person and a group may share a name, more is noise.
const maxHandleCandidates = 3

// asTypeProperty is the WebFinger link property that names the actor's
// type (Lemmy, and our own WebFinger).
const asTypeProperty = "https://www.w3.org/ns/activitystreams#type"

// HandleOpts tune Handle.
type HandleOpts struct {
	// PreferGroup picks the Group when a person and a community share the
	// name, as on Lemmy: set it when the user is looking for a community.
	PreferGroup bool
}

// selfLink is one ActivityPub self link of a WebFinger answer.
type selfLink struct {
	href, typ string
}

// Handle finds the actor of a handle "name@host" (also "@name@host" or
// "acct:name@host") through WebFinger and Actor. Host case, IDN and a
// trailing dot are normalised. The actor found must round-trip: its
// preferredUsername@host, on its own host, must WebFinger back to its id,
// so a host cannot claim another host's actor under its name (checklist
// row 11).
func (r *Resolver) Handle(ctx context.Context, handle string, opts HandleOpts) (*models.Actor, error) {
	user, host, err := splitHandle(handle)
	if err != nil {
		return nil, err
	}
	if host == r.ownHost {
		return r.localHandle(ctx, user, opts)
	}
	links, err := r.webfinger(ctx, user, host)
	if err != nil {
		return nil, err
	}
	if opts.PreferGroup {
		// Typed group links first, then untyped ones, whose type only the
		// actor document tells.
		rank := func(l selfLink) int {
			switch l.typ {
			case string(models.ActorGroup):
				return 0
			case "":
				return 1
			}
			return 2
		}
		slices.SortStableFunc(links, func(a, b selfLink) int { return rank(a) - rank(b) })
	}
	var fallback *models.Actor
	var lastErr error = service.NotFound("account")
	for i, l := range links {
		if i == maxHandleCandidates {
			break
		}
		a, err := r.Actor(ctx, l.href)
		if err == nil {
			err = r.roundTrip(ctx, a, user, host)
		}
		if err != nil {
			lastErr = err
			continue
		}
		if !opts.PreferGroup || a.Type == models.ActorGroup {
			return a, nil
		}
		if fallback == nil {
			fallback = a
		}
	}
	if fallback != nil {
		return fallback, nil
	}
	return nil, lastErr
}

// localHandle answers a handle of this server from the database.
func (r *Resolver) localHandle(ctx context.Context, user string, opts HandleOpts) (*models.Actor, error) {
	as, err := r.svc.LookupLocalHandle(ctx, user)
	if err != nil {
		return nil, err
	}
	for i := range as {
		if opts.PreferGroup && as[i].Type == models.ActorGroup {
			return &as[i], nil
		}
	}
	return &as[0], nil
}

// roundTrip checks that a, found through user@host, is what its own host
// calls preferredUsername@host. When that is the handle just looked up,
// the lookup itself was the round trip.
func (r *Resolver) roundTrip(ctx context.Context, a *models.Actor, user, host string) error {
	if a.Host == host && strings.EqualFold(a.Username, user) {
		return nil
	}
	links, err := r.webfinger(ctx, a.Username, a.Host)
	if err != nil {
		return refused(a.IRI, "the actor's own handle does not resolve: "+service.SafeMessage(err, "error"))
	}
	for _, l := range links {
		if l.href == a.IRI {
			return nil
		}
	}
	return refused(a.IRI, fmt.Sprintf("%s@%s does not point back to the actor", user, host))
}

// webfinger asks host about acct:user@host and returns the ActivityPub
// self links, in the order given. WebFinger is not signed: it is public
// everywhere. Redirects to another host are followed (Mastodon's
// split-domain setups rely on them); what they lead to is checked by the
// round trip.
func (r *Resolver) webfinger(ctx context.Context, user, host string) ([]selfLink, error) {
	m, err := r.webfingerDoc(ctx, user, host)
	if err != nil {
		return nil, err
	}
	raw, _ := m["links"].([]any)
	var links []selfLink
	for _, e := range raw {
		l, ok := e.(map[string]any)
		if !ok || l["rel"] != "self" || !isAPMediaType(stringOf(l["type"])) {
			continue
		}
		href := stringOf(l["href"])
		if _, err := checkIRI(href); err != nil {
			continue
		}
		typ := ""
		if props, ok := l["properties"].(map[string]any); ok {
			typ = stringOf(props[asTypeProperty])
		}
		links = append(links, selfLink{href: href, typ: typ})
	}
	if len(links) == 0 {
		return nil, &service.Error{Kind: service.KindNotFound, Message: "no ActivityPub actor for " + user + "@" + host}
	}
	return links, nil
}

// webfingerDoc fetches host's WebFinger answer about acct:user@host.
func (r *Resolver) webfingerDoc(ctx context.Context, user, host string) (map[string]any, error) {
	u := r.scheme + "://" + host + "/.well-known/webfinger?resource=" + url.QueryEscape("acct:"+user+"@"+host)
	body, _, err := r.client.GetJSON(ctx, u, acceptJRD, nil)
	if err != nil {
		return nil, fetchErr(u, err)
	}
	m, err := activitystreams.Decode(body)
	if err != nil {
		return nil, refused(u, err.Error())
	}
	return m, nil
}

// SubscribeRel is the WebFinger link relation of "follow from your
// server": its template holds {uri} where the account to follow goes.
const SubscribeRel = "http://ostatus.org/schema/1.0/subscribe"

// SubscribeTemplate returns where the server of handle ("me@host") lets
// its user follow an account from elsewhere: the template of the
// SubscribeRel link of the handle's WebFinger, such as Mastodon's
// https://host/authorize_interaction?uri={uri}. For a handle of this
// server it is our own. The template may name another host (split-domain
// setups); it is only ever used to send the visitor's browser there, so it
// is checked to be an absolute http(s) URL with {uri}, nothing more.
func (r *Resolver) SubscribeTemplate(ctx context.Context, handle string) (string, error) {
	user, host, err := splitHandle(handle)
	if err != nil {
		return "", err
	}
	if host == r.ownHost {
		if _, err := r.svc.LookupLocalHandle(ctx, user); err != nil {
			return "", err
		}
		return r.svc.URLs().Base + "/authorize_interaction?uri={uri}", nil
	}
	m, err := r.webfingerDoc(ctx, user, host)
	if err != nil {
		return "", err
	}
	raw, _ := m["links"].([]any)
	for _, e := range raw {
		l, ok := e.(map[string]any)
		if !ok || l["rel"] != SubscribeRel {
			continue
		}
		tmpl := stringOf(l["template"])
		if !strings.Contains(tmpl, "{uri}") || len(tmpl) > maxIRIBytes {
			continue
		}
		if _, err := HostOf(strings.ReplaceAll(tmpl, "{uri}", "x")); err != nil {
			continue
		}
		return tmpl, nil
	}
	return "", &service.Error{Kind: service.KindNotFound, Message: user + "@" + host + "'s server does not offer following from elsewhere"}
}

// splitHandle reads "name@host", "@name@host" or "acct:name@host".
func splitHandle(handle string) (user, host string, err error) {
	h := strings.TrimPrefix(strings.TrimPrefix(strings.TrimSpace(handle), "acct:"), "@")
	i := strings.LastIndexByte(h, '@')
	if i <= 0 || i == len(h)-1 || len(h) > 512 {
		return "", "", service.Invalid("a handle looks like name@host")
	}
	user = h[:i]
	if strings.ContainsAny(user, "@/?#% \t\r\n") {
		return "", "", service.Invalid("a handle looks like name@host")
	}
	if host, err = normalizeHost(h[i+1:]); err != nil || strings.ContainsAny(host, "/?#@ ") {
		return "", "", service.Invalid("a handle looks like name@host")
	}
	return user, host, nil
}

// isAPMediaType accepts the media types of ActivityPub self links.
func isAPMediaType(t string) bool {
	mt := strings.ToLower(strings.TrimSpace(strings.SplitN(t, ";", 2)[0]))
	return mt == "application/activity+json" || mt == "application/ld+json"
}

// stringOf returns v when it is a string.
func stringOf(v any) string {
	s, _ := v.(string)
	return s
}
