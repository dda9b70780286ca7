// Package inbox receives activities from other servers and processes them:
// the receiver (receive.go) verifies and stores them synchronously; the
// processor (this file) handles them in a worker, one file per activity
// type, calling the domain service for every rule.
package inbox

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/practica-social/practica/federation/activitystreams"
	"github.com/practica-social/practica/models"
	"github.com/practica-social/practica/service"
)

// Resolver finds remote actors and objects (the resolve package).
type Resolver interface {
	// Actor returns a remote or local actor by id, fetching it if unknown.
	Actor(ctx context.Context, iri string) (*models.Actor, error)
	// Object fetches an object from its origin, signed, id-checked.
	Object(ctx context.Context, iri string) (map[string]any, error)
}

// ParentFetchQueue queues a received reply whose thread must first be
// fetched from other servers (workers.Queue): the fetch pool calls
// ProcessFetchingParents for it.
type ParentFetchQueue interface {
	// FetchParents queues the fetching for item itemID, and the
	// processing of then, items received with it that name its post,
	// after it; queueing it again while it waits is harmless.
	FetchParents(ctx context.Context, itemID int64, then []int64) error
}

// ProcessorDeps are what the processor needs.
type ProcessorDeps struct {
	Service  *service.Service
	Resolver Resolver
	Log      *slog.Logger
	// Fetches takes the replies whose thread is missing out of the
	// inbox's workers (parents.go). Nil fetches the thread in the worker
	// that processes the reply, and refuses it at once when the origin
	// does not answer.
	Fetches ParentFetchQueue
	// MaxParentDepth bounds the missing posts fetched above one reply;
	// default DefaultMaxParentDepth (parents.go).
	MaxParentDepth int
	// MaxParentFetches bounds the documents fetched for them per
	// activity; default DefaultMaxParentFetches.
	MaxParentFetches int
	// MaxParentTime bounds the time those fetches take together; default
	// DefaultMaxParentTime.
	MaxParentTime time.Duration
}

// Processor handles received activities.
type Processor struct {
	svc     *service.Service
	resolve Resolver
	log     *slog.Logger
	fetches ParentFetchQueue

	maxParentDepth, maxParentFetches int
	maxParentTime                    time.Duration
	refusedParents                   refusedParents
}

// NewProcessor builds a processor.
func NewProcessor(d ProcessorDeps) *Processor {
	log := d.Log
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	p := &Processor{
		svc: d.Service, resolve: d.Resolver, log: log, fetches: d.Fetches,
		maxParentDepth: d.MaxParentDepth, maxParentFetches: d.MaxParentFetches, maxParentTime: d.MaxParentTime,
	}
	if p.maxParentDepth <= 0 {
		p.maxParentDepth = DefaultMaxParentDepth
	}
	if p.maxParentFetches <= 0 {
		p.maxParentFetches = DefaultMaxParentFetches
	}
	if p.maxParentTime <= 0 {
		p.maxParentTime = DefaultMaxParentTime
	}
	return p
}

// Refusal is an activity understood and refused for a reason; processing
// it again would refuse it again, so it is final.
type Refusal struct {
	Reason string
	// originDown marks the refusal of a reply whose thread's origin did
	// not answer usefully: it is not remembered (refusedParents), since
	// the origin may be back for the next reply.
	originDown bool
}

func (r *Refusal) Error() string { return "refused: " + r.Reason }

func refuse(format string, args ...any) error { return &Refusal{Reason: fmt.Sprintf(format, args...)} }

// Process handles one stored inbox item and records the outcome. It
// returns an error only when a retry may succeed (a dependency was down).
func (p *Processor) Process(ctx context.Context, itemID int64) error {
	d, err := p.process(ctx, itemID)
	if err != nil || d == nil {
		return err
	}
	return p.handOver(ctx, d)
}

// deferral is a received reply whose thread the fetch pool must fetch
// first (fetchLater), with the items received after it that name its
// post and must wait for it.
type deferral struct {
	item      int64
	post      string
	followers []int64
}

// handOver marks d's items waiting and queues their processing in the
// fetch pool, the reply first. They are marked first, so that the pool
// never finds them in an earlier state; a queueing that fails leaves the
// reply failed, for the reconciler, and its followers waiting, for the
// reconciler too after a longer while.
func (p *Processor) handOver(ctx context.Context, d *deferral) error {
	for _, id := range append([]int64{d.item}, d.followers...) {
		if err := p.svc.MarkInboxItem(ctx, id, models.InboxWaiting, "waiting for the thread above "+truncate(d.post, 900)+" to be fetched"); err != nil {
			return fmt.Errorf("inbox: hand %d to the fetch pool: %w", id, err)
		}
	}
	if err := p.fetches.FetchParents(ctx, d.item, d.followers); err != nil {
		p.markFailed(ctx, d.item, err)
		return fmt.Errorf("inbox: queue the thread's fetching for %d: %w", d.item, err)
	}
	return nil
}

// markFailed records a failure a retry may cure. It is recorded even when
// ctx has run out (the try took too long), with a few seconds of its own:
// each failure counts towards the item's attempts, which bound its retries.
// In the fetch pool, before the last try, the item stays waiting: its
// task's own retry comes first, and the reconciler would only hand it
// back to the inbox meanwhile.
func (p *Processor) markFailed(ctx context.Context, itemID int64, cause error) {
	state := models.InboxFailed
	if pool, ok := fetchPool(ctx); ok && pool.retryLater {
		state = models.InboxWaiting
	}
	mctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	if err := p.svc.MarkInboxItem(mctx, itemID, state, truncate(cause.Error(), 1000)); err != nil {
		p.log.Warn("mark inbox item", "id", itemID, "err", err)
	}
}

// process is Process, except that a reply whose thread must be fetched in
// the fetch pool is returned as a deferral, not yet handed over: a batch
// first finds the items that must follow it.
func (p *Processor) process(ctx context.Context, itemID int64) (*deferral, error) {
	item, err := p.svc.InboxItem(ctx, itemID)
	if err != nil {
		if service.KindOf(err) == service.KindNotFound {
			return nil, nil
		}
		return nil, err
	}
	if item.State == models.InboxProcessed || item.State == models.InboxRefused {
		return nil, nil
	}
	err = p.HandleRaw(ctx, []byte(item.Body))
	state, msg := models.InboxProcessed, ""
	var ref *Refusal
	var later *fetchLater
	switch {
	case errors.As(err, &later):
		return &deferral{item: itemID, post: later.post}, nil
	case err == nil, errors.Is(err, service.ErrDropped):
	case errors.As(err, &ref):
		state, msg = models.InboxRefused, ref.Reason
	case isFinal(err):
		state, msg = models.InboxRefused, service.SafeMessage(err, "refused")
	default:
		p.markFailed(ctx, itemID, err)
		return nil, fmt.Errorf("inbox: process %d: %w", itemID, err)
	}
	if msg != "" {
		p.log.Debug("inbox item refused", "id", itemID, "activity", item.ActivityIRI, "reason", msg)
	}
	return nil, p.svc.MarkInboxItem(ctx, itemID, state, msg)
}

// isFinal tells domain refusals (bad input, not allowed, unknown target)
// from temporary failures.
func isFinal(err error) bool {
	switch service.KindOf(err) {
	case service.KindInvalid, service.KindForbidden, service.KindNotFound, service.KindConflict, service.KindUnauthorized:
		return true
	}
	return false
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n]
}

// HandleRaw parses and handles an activity whose signature the receiver
// verified (its actor is the signer).
func (p *Processor) HandleRaw(ctx context.Context, raw []byte) error {
	act, err := activitystreams.ParseActivity(raw)
	if err != nil {
		return refuse("%v", err)
	}
	actor, err := p.resolve.Actor(ctx, act.Actor)
	if err != nil {
		return err
	}
	return p.handle(ctx, actor, act, raw, nil)
}

// handle dispatches by type. via is the remote community that announced
// the activity (nil when it came straight from its actor).
func (p *Processor) handle(ctx context.Context, actor *models.Actor, act *activitystreams.Activity, raw []byte, via *models.Community) error {
	// Received before the block, or announced by a community elsewhere:
	// nothing of a blocked server is taken.
	if !actor.Local && p.svc.HostBlocked(ctx, actor.Host) {
		return refuse("this server does not federate with %s", actor.Host)
	}
	switch act.Type {
	case "Follow":
		return p.follow(ctx, actor, act)
	case "Undo":
		return p.undo(ctx, actor, act, raw, via)
	case "Accept", "Reject":
		return p.answer(ctx, actor, act)
	case "Create":
		return p.create(ctx, actor, act, raw, via)
	case "Update":
		return p.update(ctx, actor, act, raw)
	case "Delete":
		return p.delete(ctx, actor, act, raw, via)
	case "Like":
		return p.like(ctx, actor, act, raw)
	case "Announce":
		return p.announce(ctx, actor, act, via)
	case "Flag":
		return p.flag(ctx, actor, act)
	case "Add", "Remove":
		return p.moderatorsChange(ctx, actor, act, via)
	case "Block":
		return p.communityBan(act, via)
	default:
		return refuse("activity type %q is not supported", act.Type)
	}
}
