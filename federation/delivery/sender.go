package delivery

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"sync"
	"time"

	"github.com/practica-social/practica/federation/signing"
	"github.com/practica-social/practica/models"
	"github.com/practica-social/practica/service"
)

// Poster sends one signed POST of body to an inbox. *transport.Client is
// the production Poster; its errors are what Classify understands.
type Poster interface {
	Post(ctx context.Context, inbox string, body []byte, signer *signing.Signer) error
}

// Retry asks for one delivery to be tried again once it is due.
type Retry struct {
	DeliveryID int64
	// Attempt is the number of attempts made so far. With DeliveryID it
	// names the task, so enqueueing the same retry twice runs it once.
	Attempt int
	// At is when the delivery is due.
	At time.Time
	// Priority is the delivery's, so direct traffic waits in a faster
	// queue than bulk.
	Priority int
	// Postponed is set when no attempt was made (the host's circuit was
	// open), so Attempt alone does not tell this retry from the last one.
	Postponed bool
}

// Scheduler enqueues retries; workers.Queue is the production one.
type Scheduler interface {
	ScheduleRetry(ctx context.Context, r Retry) error
}

// Deps are what a Sender works with.
type Deps struct {
	Service *service.Service
	Poster  Poster
	// Retries wakes a worker when a delivery is due again. Nil leaves
	// that to the reconciler, which finds due rows on its own, later.
	Retries Scheduler
	// Metrics may be nil.
	Metrics *Metrics
	Log     *slog.Logger
}

// Options tune a Sender. Zero values take the defaults.
type Options struct {
	Policy Policy
	// PerHost bounds sends in flight to one host, so that one slow host
	// takes a few slots, never all. Default 6.
	PerHost int
	// MaxInFlight bounds sends in flight, and sending goroutines, of one
	// run, slow sends aside. Default 128.
	MaxInFlight int
	// SlowAfter is how long a send may go unanswered before it stops
	// counting against MaxInFlight, so that silent hosts, each within
	// PerHost, cannot together hold every place until they time out.
	// Default 1 s.
	SlowAfter time.Duration
	// MaxSlow bounds the sends set aside as slow at once; past it a slow
	// send keeps its place. Default 4 × MaxInFlight.
	MaxSlow int
	// ClaimBatch is how many rows one claim takes. Default 500.
	ClaimBatch int
	// Lease is how long claimed rows stay reserved; a run renews it every
	// third of it while it works, so only a dead worker's claims run out.
	// Default 5 min.
	Lease time.Duration
	// FlushEvery and FlushSize bound how long and how many outcomes wait
	// before they are written in one transaction. Defaults 200 ms, 256.
	FlushEvery time.Duration
	FlushSize  int
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// Rand returns numbers in [0, 1) for jitter; nil means math/rand/v2.
	Rand func() float64
}

// Defaults of Options.
const (
	DefaultPerHost     = 6
	DefaultMaxInFlight = 128
	DefaultSlowAfter   = time.Second
	DefaultClaimBatch  = 500
	DefaultLease       = 5 * time.Minute
	DefaultFlushEvery  = 200 * time.Millisecond
	DefaultFlushSize   = 256
)

// dueSlack lets a retry task that fires a moment early (the clocks of the
// enqueuing and the running process differ slightly) still find its row
// due. Retry tasks are scheduled on the next whole second after the row
// is due, so within one clock they never need it.
const dueSlack = 250 * time.Millisecond

// writeTimeout bounds one write of outcomes, which runs even while the
// run's context is being cancelled: what was sent must be recorded.
const writeTimeout = 30 * time.Second

func (o Options) withDefaults() Options {
	o.Policy = o.Policy.WithDefaults()
	if o.PerHost <= 0 {
		o.PerHost = DefaultPerHost
	}
	if o.MaxInFlight <= 0 {
		o.MaxInFlight = DefaultMaxInFlight
	}
	if o.SlowAfter <= 0 {
		o.SlowAfter = DefaultSlowAfter
	}
	if o.MaxSlow <= 0 {
		o.MaxSlow = 4 * o.MaxInFlight
	}
	if o.ClaimBatch <= 0 {
		o.ClaimBatch = DefaultClaimBatch
	}
	if o.Lease <= 0 {
		o.Lease = DefaultLease
	}
	if o.FlushEvery <= 0 {
		o.FlushEvery = DefaultFlushEvery
	}
	if o.FlushSize <= 0 {
		o.FlushSize = DefaultFlushSize
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Rand == nil {
		o.Rand = rand.Float64
	}
	return o
}

// Sender sends activities to remote inboxes through one in-memory
// pipeline per process, shared by every task that delivers: the bounds on
// requests in flight, per host and overall, hold however many activities
// are being sent at once, and what one task learns about a host's health
// the others use at once. It is safe for concurrent use.
type Sender struct {
	svc     *service.Service
	poster  Poster
	retries Scheduler
	metrics *Metrics
	log     *slog.Logger
	opts    Options
	signers *signerCache
	pipe    pipeline
}

// NewSender builds a Sender. It starts no goroutine until there is work,
// and leaves none behind once the work is done; handing back the rows of
// a claim whose answer was lost (lost_claims.go) is work, which lasts until
// the database answers and at most the claim's lease.
func NewSender(d Deps, o Options) *Sender {
	log := d.Log
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	s := &Sender{
		svc: d.Service, poster: d.Poster, retries: d.Retries, metrics: d.Metrics, log: log,
		opts: o.withDefaults(), signers: newSignerCache(),
	}
	s.pipe.init()
	return s
}

// Summary counts what one call decided.
type Summary struct {
	Delivered int
	// Retrying were scheduled for another attempt.
	Retrying int
	// Failed are final: a 4xx, 410, blocked, expired, or skipped.
	Failed int
	// Postponed wait for their host's circuit to close.
	Postponed int
}

// add sums two summaries.
func (a Summary) add(b Summary) Summary {
	return Summary{Delivered: a.Delivered + b.Delivered, Retrying: a.Retrying + b.Retrying,
		Failed: a.Failed + b.Failed, Postponed: a.Postponed + b.Postponed}
}

// errActivityMissing fails deliveries whose activity row is gone.
var errActivityMissing = errors.New("delivery: activity no longer exists")

// DeliverActivity sends every pending, due delivery of an activity,
// claiming them in batches while it works, and returns once each has its
// outcome written (or ctx ends: unsent claims are then handed back). An
// error means some rows could not be claimed or recorded; the caller may
// retry, and the reconciler will in any case.
func (s *Sender) DeliverActivity(ctx context.Context, activityID int64) (Summary, error) {
	j, err := s.prepare(ctx, activityID)
	if err != nil {
		return Summary{}, err
	}
	claimErr := s.feed(j, func(limit int) ([]models.Delivery, error) {
		return s.claimActivities(ctx, []int64{activityID}, limit)
	})
	sum, err := s.finish(j)
	return sum, errors.Join(claimErr, err)
}

// DeliverActivities is DeliverActivity for the activities one transaction
// stored (a batch of received posts and their Announces): they are loaded
// in one query, each signer once, and the first rows of all of them
// claimed in one statement. An activity with more rows than that claim
// took goes on claiming alone, as DeliverActivity does.
func (s *Sender) DeliverActivities(ctx context.Context, ids []int64) (Summary, error) {
	if len(ids) == 1 {
		return s.DeliverActivity(ctx, ids[0])
	}
	acts, err := s.svc.ActivitiesForDelivery(ctx, ids)
	if err != nil {
		return Summary{}, fmt.Errorf("delivery: load %d activities: %w", len(ids), err)
	}
	jobs := make(map[int64]*job, len(ids))
	var prepErr error
	// The activities of one transaction are mostly one actor's: its key
	// is read once, not once per activity.
	sctx := withSignerMemo(ctx)
	for _, id := range ids {
		if jobs[id] != nil {
			continue
		}
		j, err := s.prepareLoaded(sctx, id, acts[id])
		if err != nil {
			prepErr = errors.Join(prepErr, err)
			continue
		}
		jobs[id] = j
	}
	live := make([]int64, 0, len(jobs))
	for id := range jobs {
		live = append(live, id)
	}
	limit := s.opts.ClaimBatch
	ds, claimErr := s.claimActivities(ctx, live, limit)
	byJob := map[int64][]models.Delivery{}
	for _, d := range ds {
		byJob[d.ActivityID] = append(byJob[d.ActivityID], d)
	}
	for id, j := range jobs {
		s.add(j, byJob[id])
	}
	var wg sync.WaitGroup
	var mu sync.Mutex
	var total Summary
	for id, j := range jobs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var ferr error
			if claimErr == nil && len(ds) >= limit {
				// The shared claim may have left rows: claim the rest.
				ferr = s.feed(j, func(limit int) ([]models.Delivery, error) {
					return s.claimActivities(ctx, []int64{id}, limit)
				})
			}
			sum, err := s.finish(j)
			mu.Lock()
			total = total.add(sum)
			prepErr = errors.Join(prepErr, ferr, err)
			mu.Unlock()
		}()
	}
	wg.Wait()
	return total, errors.Join(claimErr, prepErr)
}

// DeliverOne sends one delivery if it is still pending and due; otherwise
// (done, failed, rescheduled, or held by another worker) it does nothing.
func (s *Sender) DeliverOne(ctx context.Context, deliveryID int64) (Summary, error) {
	now := s.opts.Now()
	d, err := s.claimOne(ctx, deliveryID)
	if service.KindOf(err) == service.KindNotFound {
		return Summary{}, nil
	}
	if err != nil {
		return Summary{}, err
	}
	j, err := s.prepare(ctx, d.ActivityID)
	if err != nil {
		// Hand the claim back so that the task's retry finds it due.
		if rerr := s.svc.RescheduleDeliveries(context.WithoutCancel(ctx), []int64{d.ID}, now); rerr != nil {
			s.log.Warn("release delivery claim", "delivery", d.ID, "err", rerr)
		}
		return Summary{}, err
	}
	s.add(j, []models.Delivery{*d})
	return s.finish(j)
}

// prepare loads what every send of an activity shares, the body (rendered
// once, when the activity was stored) and the signer, and registers a job.
// A missing activity or key fails the activity's deliveries finally;
// anything else (the database down) is returned.
func (s *Sender) prepare(ctx context.Context, activityID int64) (*job, error) {
	act, err := s.svc.ActivityForDelivery(ctx, activityID)
	switch {
	case service.KindOf(err) == service.KindNotFound:
		act = nil
	case err != nil:
		return nil, fmt.Errorf("delivery: load activity %d: %w", activityID, err)
	}
	return s.prepareLoaded(ctx, activityID, act)
}

// prepareLoaded is prepare with the activity loaded already (nil: it has
// no row).
func (s *Sender) prepareLoaded(ctx context.Context, activityID int64, act *models.Activity) (*job, error) {
	if act == nil {
		return s.newJob(ctx, nil, nil, fmt.Errorf("%w: %d", errActivityMissing, activityID)), nil
	}
	signer, err := s.signers.get(ctx, s.svc, act.ActorID)
	if err != nil {
		if v, _, _ := Classify(err); v != Final {
			return nil, fmt.Errorf("delivery: signing key of actor %d: %w", act.ActorID, err)
		}
		return s.newJob(ctx, nil, nil, err), nil
	}
	return s.newJob(ctx, []byte(act.JSON), signer, nil), nil
}
