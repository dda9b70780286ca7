package inbox

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/practica-social/practica/federation/activitystreams"
	"github.com/practica-social/practica/federation/resolve"
	"github.com/practica-social/practica/models"
	"github.com/practica-social/practica/service"
)

// Defaults for the bounds of ProcessorDeps on fetching the posts missing
// above a received reply.
const (
	// DefaultMaxParentDepth is how many missing posts above one reply are
	// fetched: enough for the threads people hold, few enough that a chain
	// built to be endless (or a loop with fresh ids) stops quickly.
	DefaultMaxParentDepth = 16
	// DefaultMaxParentFetches bounds the documents one activity may make
	// us fetch for the posts above it: each post, and each distinct author
	// of them. Twice the depth lets a full-depth chain of strangers through.
	DefaultMaxParentFetches = 2 * DefaultMaxParentDepth
	// DefaultMaxParentTime bounds the time those fetches may take together.
	// Each has its own 30 s deadline; without a total, a server answering
	// each request just in time would hold an inbox worker for a quarter
	// of an hour per activity.
	DefaultMaxParentTime = 20 * time.Second
	// refusedParentsTTL is how long a refused thread is remembered, so
	// that more replies pointing at it are refused without fetching it
	// again.
	refusedParentsTTL = 10 * time.Minute
	// maxRefusedParents bounds that memory.
	maxRefusedParents = 10000
)

// refusedParents remembers, per community, the posts whose thread above
// a reply was refused, with the reason: a sender cannot make us walk the
// same chain again and again by sending more replies to it.
type refusedParents struct {
	mu sync.Mutex
	at map[refusedKey]refusedEntry
}

type refusedKey struct {
	community int64
	iri       string
}

type refusedEntry struct {
	at     time.Time
	reason string
}

// get returns the reason the thread above iri was refused in community,
// if that was less than refusedParentsTTL ago.
func (r *refusedParents) get(community int64, iri string, now time.Time) (string, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	e, ok := r.at[refusedKey{community, iri}]
	if !ok || now.Sub(e.at) > refusedParentsTTL {
		return "", false
	}
	return e.reason, true
}

// put remembers a refusal; when full, the memory starts over.
func (r *refusedParents) put(community int64, iri, reason string, now time.Time) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.at == nil || len(r.at) >= maxRefusedParents {
		r.at = map[refusedKey]refusedEntry{}
	}
	r.at[refusedKey{community, iri}] = refusedEntry{at: now, reason: reason}
}

// errNeedsFetch says that a reply's parent is missing where nothing may
// be fetched: inside a batch run's transaction, which must not stay open
// across HTTP. The run is rolled back and its items handled one at a
// time, outside any transaction, where the parent is fetched.
var errNeedsFetch = errors.New("inbox: the post replied to must be fetched first")

type noFetchKey struct{}

// withoutFetching marks ctx as inside a transaction: a missing parent is
// reported with errNeedsFetch instead of being fetched.
func withoutFetching(ctx context.Context) context.Context {
	return context.WithValue(ctx, noFetchKey{}, true)
}

func fetchingForbidden(ctx context.Context) bool {
	v, _ := ctx.Value(noFetchKey{}).(bool)
	return v
}

// fetchLater says that the thread above the reply post must be fetched
// and this is an inbox worker: Process hands the item to the fetch pool
// (Fetches) instead of holding the worker while remote servers answer.
type fetchLater struct{ post string }

func (e *fetchLater) Error() string {
	return "inbox: the thread above " + e.post + " is fetched in the fetch pool"
}

type fetchPoolKey struct{}

// inFetchPool is the context of ProcessFetchingParents; retryLater says
// that a try remains, so an origin that does not answer usefully is an
// error to retry rather than a refusal.
type inFetchPool struct{ retryLater bool }

// fetchPool reports whether ctx is the fetch pool's, and if so its try.
func fetchPool(ctx context.Context) (inFetchPool, bool) {
	v, ok := ctx.Value(fetchPoolKey{}).(inFetchPool)
	return v, ok
}

// errOriginUnavailable is an origin that did not answer usefully (down,
// 5xx, 429, too slow) while a try remains: the item is failed and its
// task retried, later, rather than the reply refused.
var errOriginUnavailable = errors.New("inbox: the origin of the thread did not answer usefully")

// ProcessFetchingParents handles stored item itemID in the fetch pool:
// the thread above the reply is fetched from its origin, then the reply
// is processed as Process does. Before the last try (lastTry false), an
// origin that does not answer usefully leaves the item failed and
// returns an error, for the task to be retried later; on the last, the
// reply is refused with the reason.
func (p *Processor) ProcessFetchingParents(ctx context.Context, itemID int64, lastTry bool) error {
	return p.Process(context.WithValue(ctx, fetchPoolKey{}, inFetchPool{retryLater: !lastTry}), itemID)
}

// ancestor is a post fetched from its origin, checked, with its author,
// waiting to be stored above a reply.
type ancestor struct {
	obj    *activitystreams.Object
	author *models.Actor
}

// fetchMissingParents makes sure the post obj replies to is stored in
// community c before obj is: when we do not hold it, it is fetched from
// its origin (signed by the instance actor, its id and host checked by the
// resolver: checklist rows 5, 6 and 10), and so is its own parent, up the
// thread until a post we hold or the thread's first post. Everything is
// fetched and checked before anything is written, so no transaction waits
// on a remote server, and a chain that fails a check of the walk stores
// nothing. (The community's own rules are applied as each post is stored,
// top first: posts above one they refuse stay, each taken on its own
// merits.) The reply itself is checked first (service.CheckReply), so a
// reply that would be refused anyway fetches nothing, and a refused chain
// is remembered for a while (refusedParents).
//
// A fetched post is taken into c only if the thread it sits in is c's:
//
//   - the walk up inReplyTo ends in c: at a post we hold in c, or at a
//     fetched first post (no inReplyTo) that names c in its audience, to
//     or cc (FEP-1b12's audience, or the addressing Mastodon, Friendica
//     and Practica use to post to a group). A post in the middle need not
//     name c: a Mastodon reply in a Lemmy thread addresses only the people
//     it answers, and belongs where its thread does;
//   - no post on the way names another community: an audience, when
//     present, must include c (Lemmy, Mbin and Practica state every
//     post's community there);
//   - each is a post type we take (Note, Page, Article, Question, Event),
//     served under the id it was asked for, by an author on its own host,
//     public or addressed to c;
//   - at most MaxParentDepth posts are missing, and MaxParentFetches
//     documents (posts and distinct authors) are fetched within
//     MaxParentTime; an id seen twice is a loop;
//   - c's rules take each one, as ReceivePost applies them to any remote
//     post (public or members-only, moderators-only threads).
//
// Otherwise, or when a fetch fails (404, 410, a members-only post our
// instance actor may not read), the reply is refused with the reason, as
// it was before parents were fetched. An origin down or slow refuses it
// only on the fetch pool's last try (ProcessFetchingParents); with
// Fetches set, an inbox worker fetches nothing and hands the reply to
// that pool (fetchLater). A
// deleted parent (tombstone) is not fetched again. Fetched posts are
// stored without an activity, so a local community does not announce
// them: its members' servers fetch them as we did. (Should the post's own
// Create arrive later, the service announces it then: lateCreate.)
func (p *Processor) fetchMissingParents(ctx context.Context, c *models.Community, author *models.Actor, obj *activitystreams.Object, rp service.RemotePost) error {
	if obj.InReplyTo == "" {
		return nil
	}
	st, err := p.svc.ReplyParentOf(ctx, obj.InReplyTo)
	switch {
	case err != nil:
		return err
	case st.Held:
		// ReceivePost checks that it is in c.
		return nil
	case st.Gone:
		return refuse("the post replied to was deleted")
	case fetchingForbidden(ctx):
		return errNeedsFetch
	}
	// Only now, with a fetch ahead: a reply whose parent we hold is
	// checked once, by ReceivePost.
	if err := p.svc.CheckReply(ctx, c, author, rp); err != nil {
		return err
	}
	if reason, ok := p.refusedParents.get(c.ID, obj.InReplyTo, time.Now()); ok {
		return refuse("%s", reason)
	}
	if _, here := fetchPool(ctx); p.fetches != nil && !here {
		return &fetchLater{post: obj.ID}
	}
	chain, err := p.missingAncestors(ctx, c, obj)
	if err != nil {
		var r *Refusal
		if errors.As(err, &r) && !r.originDown {
			p.refusedParents.put(c.ID, obj.InReplyTo, r.Reason, time.Now())
		}
		return err
	}
	// The thread's first post first: each is stored under the one before.
	for i := len(chain) - 1; i >= 0; i-- {
		a := chain[i]
		_, err := p.svc.ReceivePost(ctx, c, a.author, remotePost(&activitystreams.Activity{}, a.obj, nil))
		switch {
		case err == nil, errors.Is(err, service.ErrDropped):
			// Dropped: stored meanwhile by another worker, or deleted;
			// the next post down finds out which.
		case isFinal(err):
			return refuse("a post above the reply was not taken (%s): %s", service.SafeMessage(err, "refused"), a.obj.ID)
		default:
			return err
		}
	}
	return nil
}

// missingAncestors fetches and checks the posts above obj that we do not
// hold, nearest first, under the rule of fetchMissingParents.
func (p *Processor) missingAncestors(ctx context.Context, c *models.Community, obj *activitystreams.Object) ([]ancestor, error) {
	outer := ctx
	ctx, cancel := context.WithTimeout(ctx, p.maxParentTime)
	defer cancel()
	// fetchRefusal turns a failed fetch into the reply's refusal, with the
	// resolver's safe reason: the origin's final answer (404, 410, not a
	// post), or an origin that did not answer usefully. Anything else is
	// ours — our shutdown, our database — and the item is handled again.
	pool, _ := fetchPool(outer)
	fetchRefusal := func(err error, what, iri string) error {
		switch {
		case outer.Err() != nil:
			return err
		case pool.retryLater && (ctx.Err() != nil || errors.Is(err, resolve.ErrUnreachable)):
			return fmt.Errorf("%w: %s: %s: %w", errOriginUnavailable, what, iri, err)
		case ctx.Err() != nil:
			return &Refusal{Reason: fmt.Sprintf("fetching the thread above the reply took longer than %v", p.maxParentTime), originDown: true}
		case errors.Is(err, resolve.ErrUnreachable):
			// The resolver's "try again later" is for people; the reply
			// is refused now.
			return &Refusal{Reason: fmt.Sprintf("%s (its server did not answer usefully): %s", what, iri), originDown: true}
		case isFinal(err):
			return refuse("%s (%s): %s", what, service.SafeMessage(err, "failed"), iri)
		}
		return err
	}
	own := p.svc.URLs().Base
	seen := map[string]bool{obj.ID: true}
	fetches := 0
	var chain []ancestor
	for next := obj.InReplyTo; ; {
		if seen[next] {
			return nil, refuse("the thread above the reply loops at %s", next)
		}
		seen[next] = true
		if len(chain) == p.maxParentDepth {
			return nil, refuse("more than %d posts above the reply are missing", p.maxParentDepth)
		}
		what := "the post replied to"
		if len(chain) > 0 {
			what = "a post above the reply"
		}
		if sameHost(next, own) {
			// Ours would be held: it does not exist, or no longer.
			return nil, refuse("%s does not exist on this server: %s", what, next)
		}
		if fetches == p.maxParentFetches {
			return nil, refuse("fetching the thread above the reply needs more than %d requests", p.maxParentFetches)
		}
		fetches++
		m, err := p.resolve.Object(ctx, next)
		if err != nil {
			return nil, fetchRefusal(err, what+" could not be fetched", next)
		}
		o, err := checkAncestor(c, what, next, m)
		if err != nil {
			return nil, err
		}
		chain = append(chain, ancestor{obj: o})
		if o.InReplyTo == "" {
			if !names(o, c.Actor.IRI) {
				return nil, refuse("the thread of the reply was not posted to this community: %s", o.ID)
			}
			break
		}
		// The database is asked under the caller's context: running out
		// of the fetch budget must not turn a query into an error.
		st, err := p.svc.ReplyParentOf(outer, o.InReplyTo)
		if err != nil {
			return nil, err
		}
		if st.Held {
			if st.CommunityID != c.ID {
				return nil, refuse("the thread of the reply is in another community: %s", o.InReplyTo)
			}
			break
		}
		if st.Gone {
			return nil, refuse("a post above the reply was deleted: %s", o.InReplyTo)
		}
		next = o.InReplyTo
	}
	// Authors last: a chain refused above costs no actor fetches.
	authors := map[string]*models.Actor{}
	for i := range chain {
		iri := authorOf(chain[i].obj)
		if a, ok := authors[iri]; ok {
			chain[i].author = a
			continue
		}
		if fetches == p.maxParentFetches {
			return nil, refuse("fetching the thread above the reply needs more than %d requests", p.maxParentFetches)
		}
		fetches++
		a, err := p.resolve.Actor(ctx, iri)
		if err != nil {
			return nil, fetchRefusal(err, "the author of a post above the reply could not be fetched", iri)
		}
		authors[iri], chain[i].author = a, a
	}
	return chain, nil
}

// checkAncestor parses the document fetched for the post iri (what names
// it in a refusal) and applies the per-post checks of
// fetchMissingParents.
func checkAncestor(c *models.Community, what, iri string, m map[string]any) (*activitystreams.Object, error) {
	o, err := activitystreams.ObjectFromMap(m)
	if err != nil {
		return nil, refuse("%s is not readable (%v): %s", what, err, iri)
	}
	if o.ID != iri {
		// A redirect on the same host: the thread would name one id and
		// we would store another.
		return nil, refuse("%s is served under another id: %s", what, iri)
	}
	if !slices.Contains(postTypes, o.Type) {
		return nil, refuse("%s is of type %q: %s", what, o.Type, iri)
	}
	if a := authorOf(o); a == "" || !sameHost(a, o.ID) {
		return nil, refuse("%s has no author on its own host: %s", what, iri)
	}
	if len(o.Audience) > 0 && !slices.Contains(o.Audience, c.Actor.IRI) {
		return nil, refuse("%s belongs to another community: %s", what, iri)
	}
	// Nobody vouches for a fetched post as a community's Announce does:
	// one that is not public is taken only when addressed to the
	// community, so that a post meant for its author's followers never
	// becomes one of the community's.
	if !remotePost(&activitystreams.Activity{}, o, nil).Public && !names(o, c.Actor.IRI) {
		return nil, refuse("%s is neither public nor addressed to this community: %s", what, iri)
	}
	return o, nil
}

// names reports whether o is addressed to the community iri: in its
// audience, to or cc.
func names(o *activitystreams.Object, iri string) bool {
	return slices.Contains(o.Audience, iri) || slices.Contains(o.To, iri) || slices.Contains(o.CC, iri)
}

// authorOf is the actor who wrote o: its "actor" when it names one on o's
// host (Mobilizon attributes an event to its group and names the person
// there), else the first attributedTo on o's host, else the first
// attributedTo, which the caller then refuses.
func authorOf(o *activitystreams.Object) string {
	if o.Actor != "" && sameHost(o.Actor, o.ID) {
		return o.Actor
	}
	for _, a := range o.AttributedTos {
		if sameHost(a, o.ID) {
			return a
		}
	}
	return o.AttributedTo
}
