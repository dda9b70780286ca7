package inbox

import (
	"context"
	"encoding/json"
	"errors"
	"slices"

	"github.com/practica-social/practica/federation/activitystreams"
	"github.com/practica-social/practica/models"
	"github.com/practica-social/practica/service"
)

// ProcessBatch handles received items in order. Runs of the common,
// self-contained activities (a Create or an Update that embeds its post,
// a Like) are handled in one transaction with their outcomes recorded in
// it, so a batch of posts costs one commit and wakes the senders once.
// Anything else, and any run whose transaction fails, is handled one item
// at a time by Process, exactly as if it had arrived alone. Items already
// handled are skipped, so a retried batch redoes only what failed. It
// returns the first error a retry may cure.
func (p *Processor) ProcessBatch(ctx context.Context, ids []int64) error {
	if len(ids) == 1 {
		return p.Process(ctx, ids[0])
	}
	items, err := p.svc.InboxItems(ctx, ids)
	if err != nil {
		return err
	}
	// The batch's senders in one query, and which of its posts are new
	// in another; the memo also answers the community and its members
	// once for the batch.
	single := ctx
	ctx = service.WithBatchMemo(ctx)
	// A reply whose parent is neither stored nor brought by an earlier
	// item of the batch needs a fetch (parents.go): it is handled alone,
	// outside the run's transaction. Which parents are stored is asked
	// once for the batch.
	var knownParents map[string]bool
	earlier := map[string]bool{}
	preload := func(items []models.InboxItem) error {
		var actors, objects, parents []string
		for _, it := range items {
			actors = append(actors, it.ActorIRI)
			o, parent := embeddedObject(it.Body)
			if o != "" {
				objects = append(objects, o)
			}
			if parent != "" {
				parents = append(parents, parent)
			}
		}
		if err := p.svc.PreloadBatch(ctx, actors, objects); err != nil {
			return err
		}
		var err error
		knownParents, err = p.svc.KnownObjects(ctx, parents)
		return err
	}
	if err := preload(items); err != nil {
		return err
	}
	stale := false
	var firstErr error
	keep := func(err error) {
		if err != nil && firstErr == nil {
			firstErr = err
		}
	}
	// Replies handed to the fetch pool, and by post the one each waits
	// for: a later item naming that post (a Like of it, a reply to it)
	// follows it there instead of being taken first, and refused, here.
	var deferrals []*deferral
	waitFor := map[string]*deferral{}
	var run []prepared
	flush := func() {
		if len(run) == 0 {
			return
		}
		defer func() { run = run[:0] }()
		// A peer waits on each inbox POST; a run is database work that
		// can wait a little while the inbox is busy (service/
		// receiving.go). Items handled alone are not paced: they mostly
		// wait on remote servers, and holding the pacing slot through a
		// fetch would stall every run behind it.
		done, err := p.svc.YieldToReceiving(ctx)
		if err != nil {
			keep(err)
			return
		}
		// Deferred: a panic in the run (asynq recovers it) must not
		// keep the slot, or every later run would wait for it.
		defer done()
		keep(p.processRun(ctx, run))
	}
	for i, it := range items {
		if it.State == models.InboxProcessed || it.State == models.InboxRefused {
			continue
		}
		if d := waitingFor(it.Body, waitFor); d != nil {
			d.followers = append(d.followers, it.ID)
			if o, _ := embeddedObject(it.Body); o != "" {
				waitFor[o] = d
			}
			continue
		}
		pr, ok := p.prepare(ctx, it)
		if ok && pr.act.Type == "Create" {
			if parent := replyParent(pr.act); parent != "" && !knownParents[parent] && !earlier[parent] {
				ok = false
			}
		}
		if o, _ := embeddedObject(it.Body); o != "" {
			earlier[o] = true
		}
		if !ok {
			flush()
			d, err := p.process(single, it.ID)
			keep(err)
			if d != nil {
				deferrals = append(deferrals, d)
				waitFor[d.post] = d
			}
			// Whatever it did (a follow, a deletion, an actor refreshed)
			// is not in the memo.
			service.ForgetBatchMemo(ctx)
			stale = true
			continue
		}
		if stale {
			// A new run after an item handled alone: what the rest of
			// the batch needs is loaded again, as at the start.
			if err := preload(items[i:]); err != nil {
				keep(err)
				return firstErr
			}
			stale = false
		}
		run = append(run, pr)
	}
	flush()
	for _, d := range deferrals {
		keep(p.handOver(single, d))
	}
	return firstErr
}

// waitingFor returns the deferral whose post the activity body names (as
// its object, its object's id, inReplyTo or object), if any.
func waitingFor(body string, waitFor map[string]*deferral) *deferral {
	if len(waitFor) == 0 {
		return nil
	}
	var m map[string]any
	if json.Unmarshal([]byte(body), &m) != nil {
		return nil
	}
	refs := []string{activitystreams.IRI(m["object"])}
	if o, ok := m["object"].(map[string]any); ok {
		refs = append(refs, activitystreams.IRI(o["inReplyTo"]), activitystreams.IRI(o["object"]))
		if inner, ok := o["object"].(map[string]any); ok {
			refs = append(refs, activitystreams.IRI(inner["inReplyTo"]))
		}
	}
	for _, r := range refs {
		if d := waitFor[r]; r != "" && d != nil {
			return d
		}
	}
	return nil
}

// prepared is an item parsed, its actor at hand, ready for a transaction.
type prepared struct {
	id    int64
	act   *activitystreams.Activity
	actor *models.Actor
	raw   []byte
}

// prepare parses an item and finds its actor, outside any transaction (a
// fetch must not hold one open). It reports false for an item that must
// go through Process alone: one that fetches while handled, one whose
// parse or actor fails (Process records why), a first run with state
// failed (its error is kept by Process).
func (p *Processor) prepare(ctx context.Context, it models.InboxItem) (prepared, bool) {
	if it.State != models.InboxReceived {
		return prepared{}, false
	}
	raw := []byte(it.Body)
	act, err := activitystreams.ParseActivity(raw)
	if err != nil || !batchable(act) {
		return prepared{}, false
	}
	actor, err := p.resolve.Actor(ctx, act.Actor)
	if err != nil {
		return prepared{}, false
	}
	return prepared{id: it.ID, act: act, actor: actor, raw: raw}, true
}

// batchable says whether handling act needs nothing beyond the database:
// a Create or Update embedding a post, or a Like.
func batchable(act *activitystreams.Activity) bool {
	switch act.Type {
	case "Create", "Update":
		m, ok := act.Object.(map[string]any)
		if !ok {
			return false
		}
		types := activitystreams.Types(m)
		return len(types) > 0 && slices.Contains(postTypes, types[0])
	case "Like":
		return act.ObjectIRI != ""
	}
	return false
}

// topLevelCreate says whether act creates a post that replies to none.
func topLevelCreate(act *activitystreams.Activity) bool {
	if act.Type != "Create" {
		return false
	}
	m, ok := act.Object.(map[string]any)
	if !ok {
		return false
	}
	r, has := m["inReplyTo"]
	return !has || r == nil || r == ""
}

// errRunAborted stops a run's transaction so its items go one at a time.
var errRunAborted = errors.New("inbox: batch aborted")

// processRun handles a run in one transaction. Refusals are recorded in
// it; anything a retry might cure (a statement failing, which in Postgres
// also spoils the rest of the transaction) rolls it all back and the run
// is handled item by item.
func (p *Processor) processRun(ctx context.Context, run []prepared) error {
	if len(run) == 1 {
		return p.Process(ctx, run[0].id)
	}
	err := p.svc.Atomically(ctx, func(ctx context.Context) error {
		// New top-level posts are written together when the run ends;
		// an item that may read them (a Like, an Update, a reply, whose
		// community may be found through its parent) has them written
		// first. Nothing is fetched while the transaction is open.
		ctx = withoutFetching(service.WithDeferredWrites(ctx))
		var done []int64
		for _, pr := range run {
			if !topLevelCreate(pr.act) {
				if err := p.svc.FlushDeferred(ctx); err != nil {
					return err
				}
			}
			err := p.handle(ctx, pr.actor, pr.act, pr.raw, nil)
			var ref *Refusal
			switch {
			case errors.Is(err, service.ErrDeferredWrite):
				// The rows kept for the run's other items went with it.
				return err
			case errors.Is(err, errNeedsFetch):
				// A reply whose parent an earlier item was to bring, and
				// did not: alone, each item may fetch what it lacks.
				return errRunAborted
			case err == nil, errors.Is(err, service.ErrDropped):
				done = append(done, pr.id)
			case service.KindOf(err) == service.KindConflict:
				// A clash says the batch's picture was out of date (a row
				// it took for new exists); alone, the item is judged on
				// what is stored. (In Postgres the failed statement has
				// spoilt the transaction anyway.)
				return errRunAborted
			case errors.As(err, &ref):
				if err := p.svc.MarkInboxItem(ctx, pr.id, models.InboxRefused, ref.Reason); err != nil {
					return err
				}
			case isFinal(err):
				if err := p.svc.MarkInboxItem(ctx, pr.id, models.InboxRefused, service.SafeMessage(err, "refused")); err != nil {
					return err
				}
			default:
				return errRunAborted
			}
		}
		if err := p.svc.FlushDeferred(ctx); err != nil {
			return err
		}
		return p.svc.MarkInboxItemsProcessed(ctx, done)
	})
	if err == nil {
		return nil
	}
	p.log.Debug("inbox batch rolled back; processing its items one by one", "items", len(run), "err", err)
	service.ForgetBatchMemo(ctx) // it may hold what the rollback undid
	var firstErr error
	for _, pr := range run {
		if err := p.Process(ctx, pr.id); err != nil && firstErr == nil {
			firstErr = err
		}
	}
	return firstErr
}

// embeddedObject is the id of the object a received activity embeds and
// the id that object replies to, read without a full parse; "" when it
// embeds none, or replies to none.
func embeddedObject(body string) (id, inReplyTo string) {
	var peek struct {
		Object json.RawMessage `json:"object"`
	}
	if json.Unmarshal([]byte(body), &peek) != nil || len(peek.Object) == 0 || peek.Object[0] != '{' {
		return "", ""
	}
	var obj struct {
		ID        string          `json:"id"`
		InReplyTo json.RawMessage `json:"inReplyTo"`
	}
	if json.Unmarshal(peek.Object, &obj) != nil {
		return "", ""
	}
	var parent any
	if len(obj.InReplyTo) > 0 && json.Unmarshal(obj.InReplyTo, &parent) == nil {
		inReplyTo = activitystreams.IRI(parent)
	}
	return obj.ID, inReplyTo
}

// replyParent is the id of the post act's embedded object replies to.
func replyParent(act *activitystreams.Activity) string {
	m, ok := act.Object.(map[string]any)
	if !ok {
		return ""
	}
	return activitystreams.IRI(m["inReplyTo"])
}
