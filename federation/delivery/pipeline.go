package delivery

import (
	"context"
	"errors"
	"slices"
	"sync"
	"time"

	"github.com/practica-social/practica/federation/signing"
	"github.com/practica-social/practica/models"
	"github.com/practica-social/practica/service"
)

// pipeline is the Sender's in-memory machinery, shared by all jobs.
//
// Claimed rows wait in a lane per host. At most MaxInFlight goroutines
// take work from lanes in round-robin order, never more than PerHost at a
// time from one lane: a host that answers slowly or not at all holds a few
// goroutines while every other lane keeps moving. A send still unanswered
// after SlowAfter gives its place among the MaxInFlight to a new worker
// (at most MaxSlow sends at once are so set aside), so that many silent
// hosts together cannot hold every place until their timeouts. A lane
// keeps its host's circuit state in memory, so once the circuit opens the
// rest of the host's bulk work is postponed without another request.
//
// Outcomes are written in batches by a background goroutine that also
// renews the leases of unfinished claims; both take flushMu so that a
// renewal never overwrites an outcome just written. Workers and the
// background goroutine run only while there is work.
type pipeline struct {
	mu sync.Mutex
	// cond wakes workers: a lane became ready, or work ran out. done
	// wakes finish: a job made progress or was cancelled. Two, so that a
	// signal meant for a worker never wakes a finish instead.
	cond    *sync.Cond
	done    *sync.Cond
	lanes   map[string]*lane
	ready   []*lane // lanes with queued work and a free slot, FIFO
	queued  int     // rows waiting in lanes
	active  int     // sends in flight, slow ones included
	slow    int     // sends in flight past SlowAfter, not counted in workers
	workers int     // goroutines taking work, at most MaxInFlight
	jobs    map[*job]bool
	results []decided
	bg      bool // the background goroutine is running
	// lost are claims that failed without an answer, and lastRelease
	// when the background goroutine last tried to hand them back.
	lost        []lostClaim
	lastRelease time.Time

	flushMu sync.Mutex
	kick    chan struct{}
}

func (p *pipeline) init() {
	p.cond = sync.NewCond(&p.mu)
	p.done = sync.NewCond(&p.mu)
	p.lanes = map[string]*lane{}
	p.jobs = map[*job]bool{}
	p.kick = make(chan struct{}, 1)
}

// job is one DeliverActivity or DeliverOne call: its claims, the shared
// body and signer, and its counts. Its fields after sendErr are guarded by
// pipeline.mu.
type job struct {
	ctx     context.Context
	body    []byte
	signer  *signing.Signer
	sendErr error // set when nothing can be sent: every row fails with it

	claimed map[int64]bool // leased, outcome not yet written
	queued  int
	active  int
	feeding bool
	sum     Summary
	room    chan struct{} // tells the feeder the lanes run low
	unhook  func() bool
}

// item is one claimed row waiting in a lane.
type item struct {
	d models.Delivery
	j *job
}

// lane is the queue and the circuit state of one host.
type lane struct {
	host    string
	state   models.RemoteHost
	queue   []item
	active  int
	inReady bool
	// Host events not yet written: a success clears the stored marks,
	// failures after it are added to them.
	reset    bool
	failures int
	eventAt  time.Time
}

// decided is an outcome waiting to be written.
type decided struct {
	res   service.DeliveryResult
	j     *job
	retry *Retry
	gone  string
}

func (s *Sender) newJob(ctx context.Context, body []byte, signer *signing.Signer, sendErr error) *job {
	j := &job{
		ctx: ctx, body: body, signer: signer, sendErr: sendErr,
		claimed: map[int64]bool{}, feeding: true, room: make(chan struct{}, 1),
	}
	p := &s.pipe
	p.mu.Lock()
	p.jobs[j] = true
	if !p.bg {
		p.bg = true
		go s.background()
	}
	p.mu.Unlock()
	// Wake whoever waits on the job when its context ends.
	j.unhook = context.AfterFunc(ctx, func() {
		p.mu.Lock()
		p.cond.Broadcast()
		p.done.Broadcast()
		p.mu.Unlock()
	})
	return j
}

// feed claims batches with claim and queues them, fetching the next batch
// once the job's rows in the lanes run low, until a claim comes back short.
func (s *Sender) feed(j *job, claim func(limit int) ([]models.Delivery, error)) error {
	batch := s.opts.ClaimBatch
	p := &s.pipe
	for j.ctx.Err() == nil {
		p.mu.Lock()
		low := j.queued <= batch/2
		p.mu.Unlock()
		if !low {
			select {
			case <-j.room:
				continue
			case <-j.ctx.Done():
				return nil
			}
		}
		ds, err := claim(batch)
		if err != nil {
			return err
		}
		s.add(j, ds)
		if len(ds) < batch {
			return nil
		}
	}
	return nil
}

// add queues claimed rows in their hosts' lanes, loading the state of
// hosts without a lane, and starts workers as needed.
func (s *Sender) add(j *job, ds []models.Delivery) {
	if len(ds) == 0 {
		return
	}
	p := &s.pipe
	var fresh []string
	p.mu.Lock()
	for _, d := range ds {
		if _, ok := p.lanes[d.Host]; !ok && !slices.Contains(fresh, d.Host) {
			fresh = append(fresh, d.Host)
		}
	}
	p.mu.Unlock()
	var states map[string]models.RemoteHost
	if len(fresh) > 0 {
		var err error
		if states, err = s.svc.HostStates(j.ctx, fresh); err != nil {
			// Sending without the breaker's memory beats not sending:
			// the first failures open the circuit again.
			s.log.Warn("load host states", "err", err)
		}
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, d := range ds {
		l, ok := p.lanes[d.Host]
		if !ok {
			l = &lane{host: d.Host, state: states[d.Host]}
			l.state.Host = d.Host
			p.lanes[d.Host] = l
		}
		j.claimed[d.ID] = true
		j.queued++
		l.queue = append(l.queue, item{d: d, j: j})
		p.queued++
		s.makeReady(l)
	}
	s.startWorkers()
}

// startWorkers starts workers, up to MaxInFlight, while rows wait for
// one. Called with mu held.
func (s *Sender) startWorkers() {
	p := &s.pipe
	// Each send in flight that is not slow holds a worker; the others
	// take queued rows.
	for p.workers < s.opts.MaxInFlight && p.workers < p.queued+p.active-p.slow {
		p.workers++
		go s.work()
	}
}

// inFlight is one send, for the timer that may declare it slow. Its
// fields are guarded by pipeline.mu.
type inFlight struct {
	done, slow bool
}

// markSlow sets a send that has waited SlowAfter aside: its goroutine
// stops counting as a worker, and another may start in its place. It
// counts again once the send ends. Called by the send's timer.
func (s *Sender) markSlow(f *inFlight) {
	p := &s.pipe
	p.mu.Lock()
	defer p.mu.Unlock()
	if f.done || p.slow >= s.opts.MaxSlow {
		return
	}
	f.slow = true
	p.slow++
	p.workers--
	s.startWorkers()
}

// makeReady puts l at the back of the ready queue if it has work and a
// free slot. Called with mu held.
func (s *Sender) makeReady(l *lane) {
	p := &s.pipe
	if !l.inReady && len(l.queue) > 0 && l.active < s.opts.PerHost {
		l.inReady = true
		p.ready = append(p.ready, l)
		p.cond.Signal()
	}
}

// work takes rows from ready lanes and sends them, and leaves when no row
// waits anywhere.
func (s *Sender) work() {
	p := &s.pipe
	policy, now, rnd := s.opts.Policy, s.opts.Now, s.opts.Rand
	p.mu.Lock()
	defer p.mu.Unlock()
	// warm is the lane this worker's last send answered with a 2xx, and
	// streak how many rows in a row it took from there.
	var warm *lane
	streak := 0
	for {
		if p.workers > s.opts.MaxInFlight {
			// This goroutine's send was slow and another worker took its
			// place meanwhile. A lane its send freed is some other
			// worker's to take.
			p.workers--
			if len(p.ready) > 0 {
				p.cond.Signal()
			}
			return
		}
		var l *lane
		if warm != nil && len(warm.queue) > 0 && warm.active < s.opts.PerHost && streak < maxWarmStreak {
			// Stay with the host that just answered: its connection is
			// idle at the front of the pool. Round robin comes back to
			// a host only after every other one, and in a fan-out to
			// thousands of hosts the pool has closed the connection by
			// then, so each of a post's two activities cost a new
			// connection per host. Only a host that answered is kept,
			// so a silent one never holds its worker longer.
			l = warm
			streak++
		} else {
			streak = 0
		}
		warm = nil
		if l == nil && len(p.ready) == 0 {
			if p.queued == 0 {
				// Rows still queued wait for a free slot on their host,
				// which a running send will give; with none queued there
				// is nothing left to wait for.
				p.workers--
				return
			}
			p.cond.Wait()
			continue
		}
		if l == nil {
			l = p.ready[0]
			p.ready[0] = nil
			p.ready = p.ready[1:]
			l.inReady = false
			if len(l.queue) == 0 {
				// purge, or a worker staying with the lane, emptied it
				// while it waited.
				continue
			}
			if l.active >= s.opts.PerHost {
				// A worker staying with the lane took its free slot
				// while it waited; the send that ends next puts it
				// back (makeReady).
				continue
			}
		}
		it := l.queue[0]
		l.queue[0] = item{}
		l.queue = l.queue[1:]
		p.queued--
		j, d := it.j, it.d
		j.queued--
		if j.feeding && j.queued <= s.opts.ClaimBatch/2 {
			select {
			case j.room <- struct{}{}:
			default:
			}
		}
		if j.ctx.Err() != nil {
			// The job was cancelled: its claim is handed back when it
			// finishes.
			s.makeReady(l)
			s.jobProgress(j)
			continue
		}

		at := now()
		switch gate, until := policy.Gate(l.state, d.Priority, at); gate {
		case Defer:
			res := policy.Postpone(d, until, at, rnd)
			label := outcomeDeferred
			if res.State == models.DeliveryFailed {
				label = outcomeExpired
			}
			s.decide(j, d, res, label, "")
			s.makeReady(l)
			s.jobProgress(j)
			continue
		case Skip:
			s.decide(j, d, policy.Drop(d, at), outcomeSkipped, "")
			s.makeReady(l)
			s.jobProgress(j)
			continue
		}

		l.active++
		p.active++
		j.active++
		s.makeReady(l)
		p.mu.Unlock()
		start := time.Now()
		f := &inFlight{}
		timer := time.AfterFunc(s.opts.SlowAfter, func() { s.markSlow(f) })
		err := s.send(j, l.host, d)
		took := time.Since(start)
		timer.Stop()
		p.mu.Lock()
		f.done = true
		if f.slow {
			p.slow--
			p.workers++
		}
		l.active--
		p.active--
		j.active--
		s.makeReady(l)
		s.jobProgress(j)
		if err != nil && j.ctx.Err() != nil {
			// Shutting down: the failure is ours, not the host's.
			continue
		}
		at = now()
		dec := policy.Decide(d, err, at, rnd)
		switch {
		case dec.HostFailed:
			l.state = policy.HostFailure(l.state, at)
			l.failures++
			l.eventAt = at
		case dec.HostAlive:
			if failing(l.state) || l.failures > 0 {
				l.reset = true
			}
			l.failures = 0
			l.state = policy.HostSuccess(l.state, at)
			l.eventAt = at
		}
		if err == nil {
			warm = l
		}
		gone := ""
		if dec.Verdict == Gone {
			gone = d.InboxURL
		}
		label := dec.Verdict.String()
		if dec.Verdict == Retryable && dec.Result.State == models.DeliveryFailed {
			label = outcomeExpired
		}
		s.metrics.sent(label, took)
		s.decide(j, d, dec.Result, label, gone)
		if err != nil {
			s.log.Debug("delivery attempt failed", "delivery", d.ID, "inbox", d.InboxURL, "outcome", label, "err", err)
		}
	}
}

// maxWarmStreak bounds how many rows in a row a worker takes from the lane
// it just sent to before it goes back to round robin, so that one host
// with many rows queued cannot keep a worker from the others.
const maxWarmStreak = 8

// jobProgress wakes finish when the job has nothing queued or in flight.
// Called with mu held.
func (s *Sender) jobProgress(j *job) {
	if j.queued == 0 && j.active == 0 {
		s.pipe.done.Broadcast()
	}
}

// send posts the job's activity to d's inbox.
func (s *Sender) send(j *job, host string, d models.Delivery) error {
	if j.sendErr != nil {
		return j.sendErr
	}
	if err := checkInbox(d.InboxURL); err != nil {
		return err
	}
	s.metrics.begin(host)
	defer s.metrics.end(host)
	return s.poster.Post(j.ctx, d.InboxURL, j.body, j.signer)
}

// decide queues an outcome for writing. Called with mu held.
func (s *Sender) decide(j *job, d models.Delivery, res service.DeliveryResult, label, gone string) {
	p := &s.pipe
	dc := decided{res: res, j: j, gone: gone}
	switch res.State {
	case models.DeliveryDone:
		j.sum.Delivered++
	case models.DeliveryFailed:
		j.sum.Failed++
	case models.DeliveryPending:
		postponed := res.Attempts == d.Attempts
		if postponed {
			j.sum.Postponed++
		} else {
			j.sum.Retrying++
		}
		dc.retry = &Retry{DeliveryID: d.ID, Attempt: res.Attempts, At: res.NextAttemptAt, Priority: d.Priority, Postponed: postponed}
	}
	p.results = append(p.results, dc)
	s.metrics.outcome(label)
	if len(p.results) >= s.opts.FlushSize {
		select {
		case p.kick <- struct{}{}:
		default:
		}
	}
}

// maxOrphanFlushes is how often, at least, the background goroutine tries
// to write outcomes that outlived their jobs (the database was down)
// before it drops them; it also keeps trying for a whole Lease after the
// first failure. Until their leases run out nobody else sends those rows,
// so an outcome written by then is a delivery not sent twice; once
// dropped, the rows stay pending and leased, and when the leases run out
// the reconciler sends them again.
const maxOrphanFlushes = 50

// background writes outcomes every FlushEvery (sooner when FlushSize wait),
// renews leases every third of Lease and hands back the rows of lost
// claims, while any job lives, any outcome waits or any lost claim's lease
// runs.
func (s *Sender) background() {
	p := &s.pipe
	flushT := time.NewTicker(s.opts.FlushEvery)
	defer flushT.Stop()
	renewT := time.NewTicker(s.opts.Lease / 3)
	defer renewT.Stop()
	failures := 0
	var failingSince time.Time
	for {
		select {
		case <-flushT.C:
		case <-p.kick:
		case <-renewT.C:
			s.renew()
		}
		if err := s.flush(); err != nil {
			if failures == 0 {
				failingSince = time.Now()
			}
			failures++
		} else {
			failures = 0
		}
		s.releaseLost()
		giveUp := failures >= maxOrphanFlushes && time.Since(failingSince) >= s.opts.Lease
		p.mu.Lock()
		if len(p.jobs) == 0 && len(p.lost) == 0 && (len(p.results) == 0 || giveUp) {
			if n := len(p.results); n > 0 {
				s.log.Error("dropping delivery outcomes that could not be written; the reconciler will send those deliveries again", "count", n)
				p.results = nil
			}
			p.bg = false
			p.mu.Unlock()
			return
		}
		p.mu.Unlock()
	}
}

// hostEvent is what a flush writes about one host.
type hostEvent struct {
	host     string
	reset    bool
	failures int
	at       time.Time
}

// flush writes the waiting outcomes in one transaction, then the hosts'
// circuit state, marks gone actors, and schedules retries, which must not
// run before their rows say they are due. Idle lanes whose events are
// written are dropped: the database remembers their hosts.
func (s *Sender) flush() error {
	p := &s.pipe
	p.flushMu.Lock()
	defer p.flushMu.Unlock()
	p.mu.Lock()
	batch := p.results
	p.results = nil
	var hosts []hostEvent
	for name, l := range p.lanes {
		switch {
		case l.reset || l.failures > 0:
			hosts = append(hosts, hostEvent{host: l.host, reset: l.reset, failures: l.failures, at: l.eventAt})
			l.reset, l.failures = false, 0
		case len(l.queue) == 0 && l.active == 0:
			delete(p.lanes, name)
		}
	}
	p.mu.Unlock()

	// Record what was sent even while the jobs are being cancelled.
	ctx, cancel := context.WithTimeout(context.Background(), writeTimeout)
	defer cancel()
	svc, log, policy := s.svc, s.log, s.opts.Policy
	for _, h := range hosts {
		if h.reset {
			if err := svc.MarkHostAlive(ctx, h.host); err != nil {
				log.Warn("record host success", "host", h.host, "err", err)
			}
		}
		if h.failures > 0 {
			_, err := svc.UpdateHostState(ctx, h.host, func(st *models.RemoteHost) {
				for range h.failures {
					*st = policy.HostFailure(*st, h.at)
				}
			})
			if err != nil {
				log.Warn("record host failures", "host", h.host, "err", err)
			}
		}
	}
	if len(batch) == 0 {
		return nil
	}
	results := make([]service.DeliveryResult, len(batch))
	for i, dc := range batch {
		results[i] = dc.res
	}
	if _, err := svc.RecordDeliveryResults(ctx, results); err != nil {
		log.Warn("record delivery outcomes; will try again", "count", len(results), "err", err)
		p.mu.Lock()
		p.results = append(batch, p.results...)
		p.mu.Unlock()
		return err
	}
	p.mu.Lock()
	for _, dc := range batch {
		delete(dc.j.claimed, dc.res.ID)
	}
	p.mu.Unlock()
	for _, dc := range batch {
		if dc.gone != "" {
			if _, err := svc.MarkInboxGone(ctx, dc.gone); err != nil {
				log.Warn("mark actors gone", "inbox", dc.gone, "err", err)
			}
		}
		if dc.retry != nil && s.retries != nil {
			if err := s.retries.ScheduleRetry(ctx, *dc.retry); err != nil {
				// The row is pending and due at At: the reconciler
				// finds it.
				log.Warn("schedule delivery retry; the reconciler will pick it up", "delivery", dc.retry.DeliveryID, "err", err)
			}
		}
	}
	return nil
}

// renew extends the lease of every live job's unfinished claims.
func (s *Sender) renew() {
	p := &s.pipe
	p.flushMu.Lock()
	defer p.flushMu.Unlock()
	p.mu.Lock()
	var ids []int64
	for j := range p.jobs {
		for id := range j.claimed {
			ids = append(ids, id)
		}
	}
	p.mu.Unlock()
	if len(ids) == 0 {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), writeTimeout)
	defer cancel()
	if err := s.svc.RescheduleDeliveries(ctx, ids, s.opts.Now().Add(s.opts.Lease)); err != nil {
		s.log.Warn("renew delivery leases", "count", len(ids), "err", err)
	}
}

// finish waits until every row of the job has an outcome (or, once its
// context ends, until none is in flight), writes the outcomes, and hands
// back claims that got none so they are due at once.
func (s *Sender) finish(j *job) (Summary, error) {
	p := &s.pipe
	p.mu.Lock()
	j.feeding = false
	for {
		if j.ctx.Err() != nil && j.queued > 0 {
			s.purge(j)
			// Workers waiting for the purged rows may now leave.
			p.cond.Broadcast()
		}
		if j.queued == 0 && j.active == 0 {
			break
		}
		p.done.Wait()
	}
	p.mu.Unlock()
	j.unhook()

	var err error
	for try := 0; try < 3; try++ {
		if err = s.flush(); err == nil {
			break
		}
		time.Sleep(time.Duration(try+1) * 200 * time.Millisecond)
	}
	p.mu.Lock()
	delete(p.jobs, j)
	left := make([]int64, 0, len(j.claimed))
	for id := range j.claimed {
		left = append(left, id)
	}
	sum := j.sum
	p.mu.Unlock()
	if err != nil {
		// The outcomes stay queued for the background goroutine.
		return sum, err
	}
	if len(left) > 0 {
		ctx, cancel := context.WithTimeout(context.Background(), writeTimeout)
		defer cancel()
		if rerr := s.svc.RescheduleDeliveries(ctx, left, s.opts.Now()); rerr != nil {
			// The leases run out by themselves; this only speeds it up.
			s.log.Warn("hand back unsent deliveries", "count", len(left), "err", rerr)
		}
		if j.ctx.Err() != nil {
			return sum, errors.Join(j.ctx.Err(), errors.New("delivery: cancelled with deliveries unsent"))
		}
	}
	return sum, nil
}

// purge removes a cancelled job's queued rows from the lanes. Called with
// mu held.
func (s *Sender) purge(j *job) {
	p := &s.pipe
	for _, l := range p.lanes {
		l.queue = slices.DeleteFunc(l.queue, func(it item) bool {
			if it.j == j {
				j.queued--
				p.queued--
				return true
			}
			return false
		})
	}
}
