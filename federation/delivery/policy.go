// Package delivery sends outgoing activities to remote inboxes, fast and
// reliably. The deliveries table holds the truth about pending work; this
// package claims due rows, sends them through one in-memory pipeline with
// bounded concurrency per host and overall, signs each request as it goes
// out, and records what happened: done after a 2xx, a retry with backoff,
// or a final failure. A circuit breaker per host keeps dead hosts from
// holding up live ones.
//
// The policy (what is final, how long to wait, when a host's circuit
// opens) is made of pure functions of their inputs and a clock, in this
// file, so it is tested on its own.
package delivery

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"time"

	"github.com/practica-social/practica/federation/transport"
	"github.com/practica-social/practica/models"
	"github.com/practica-social/practica/service"
)

// Policy is when to retry, when to give up, and when a host's circuit
// opens. The zero value of a field takes the default below.
type Policy struct {
	// MinBackoff is the shortest wait before a retry. Default 30 s.
	MinBackoff time.Duration
	// MaxBackoff caps one wait. Default 6 h.
	MaxBackoff time.Duration
	// MaxAge is how long after its creation a delivery is given up on.
	// Default 72 h.
	MaxAge time.Duration
	// MaxRetryAfter caps the wait a remote may ask for with Retry-After,
	// so a hostile or broken peer cannot park our queue. Default 6 h.
	MaxRetryAfter time.Duration
	// BreakerThreshold is the number of consecutive failures that opens a
	// host's circuit. Default 5.
	BreakerThreshold int
	// BreakerBase is how long the circuit first stays open; it doubles
	// with every further failure. Default 1 min.
	BreakerBase time.Duration
	// BreakerMax caps how long the circuit stays open. Default 1 h.
	BreakerMax time.Duration
	// UnavailableAfter is how long a host must keep failing before it is
	// marked unavailable and bulk deliveries to it are dropped. Default
	// 7 days.
	UnavailableAfter time.Duration
}

// Policy defaults, as in delivery.md.
const (
	DefaultMinBackoff       = 30 * time.Second
	DefaultMaxBackoff       = 6 * time.Hour
	DefaultMaxAge           = 72 * time.Hour
	DefaultMaxRetryAfter    = 6 * time.Hour
	DefaultBreakerThreshold = 5
	DefaultBreakerBase      = time.Minute
	DefaultBreakerMax       = time.Hour
	DefaultUnavailableAfter = 7 * 24 * time.Hour
)

// WithDefaults returns p with its zero fields set to the defaults.
func (p Policy) WithDefaults() Policy {
	def := func(d *time.Duration, v time.Duration) {
		if *d <= 0 {
			*d = v
		}
	}
	def(&p.MinBackoff, DefaultMinBackoff)
	def(&p.MaxBackoff, DefaultMaxBackoff)
	def(&p.MaxAge, DefaultMaxAge)
	def(&p.MaxRetryAfter, DefaultMaxRetryAfter)
	def(&p.BreakerBase, DefaultBreakerBase)
	def(&p.BreakerMax, DefaultBreakerMax)
	def(&p.UnavailableAfter, DefaultUnavailableAfter)
	if p.BreakerThreshold <= 0 {
		p.BreakerThreshold = DefaultBreakerThreshold
	}
	p.MaxBackoff = max(p.MaxBackoff, p.MinBackoff)
	p.BreakerMax = max(p.BreakerMax, p.BreakerBase)
	return p
}

// Verdict classifies the result of one send.
type Verdict int

const (
	// Delivered is a 2xx: the row is done.
	Delivered Verdict = iota
	// Retryable is a failure that may pass: 408, 429, 5xx, a timeout, a
	// refused connection, an unknown host.
	Retryable
	// Final is a failure that will not pass: any other 4xx, an inbox URL
	// we cannot send to, an actor without a key.
	Final
	// Gone is 410: final, and the actor whose inbox it is has left.
	Gone
	// Blocked is a target the SSRF guard refused, or a server the admins
	// blocked: final.
	Blocked
)

// String names the verdict for logs and metric labels.
func (v Verdict) String() string {
	switch v {
	case Delivered:
		return "delivered"
	case Retryable:
		return "retry"
	case Final:
		return "failed"
	case Gone:
		return "gone"
	case Blocked:
		return "blocked"
	default:
		return fmt.Sprintf("verdict(%d)", int(v))
	}
}

// errBadKey marks a local actor's private key that does not parse: as
// final as having none.
var errBadKey = errors.New("delivery: signing key does not parse")

// errBadInbox marks an inbox URL that can never be posted to.
var errBadInbox = errors.New("delivery: inbox is not an absolute http(s) URL")

// Classify sorts the error of one send (nil for a 2xx) into a verdict,
// with the HTTP status when the remote answered and the Retry-After it
// asked for.
func Classify(err error) (v Verdict, status int, retryAfter time.Duration) {
	if err == nil {
		return Delivered, http.StatusOK, 0
	}
	var se *transport.StatusError
	if errors.As(err, &se) {
		switch {
		case se.Code == http.StatusGone:
			return Gone, se.Code, 0
		case se.Code == http.StatusRequestTimeout, se.Code == http.StatusTooManyRequests:
			return Retryable, se.Code, se.RetryAfter
		case se.Code >= 400 && se.Code <= 499:
			return Final, se.Code, 0
		default:
			// 5xx, and the odd 1xx/3xx: the remote may recover.
			return Retryable, se.Code, se.RetryAfter
		}
	}
	switch {
	case errors.Is(err, transport.ErrBlockedAddress), errors.Is(err, transport.ErrBlockedServer):
		return Blocked, 0, 0
	case errors.Is(err, service.ErrNoSigningKey), errors.Is(err, errBadKey), errors.Is(err, errBadInbox),
		errors.Is(err, errActivityMissing):
		return Final, 0, 0
	}
	// Timeouts, refused or reset connections, DNS failures (NXDOMAIN may
	// be a passing misconfiguration): retry.
	return Retryable, 0, 0
}

// Backoff is the wait before retry number attempt (1 for the first
// retry): full jitter, uniform between MinBackoff and a ceiling that
// doubles with each attempt up to MaxBackoff. rnd returns a number in
// [0, 1).
func (p Policy) Backoff(attempt int, rnd func() float64) time.Duration {
	p = p.WithDefaults()
	ceiling := p.MaxBackoff
	// Double MinBackoff attempt times, stopping at the cap; a loop rather
	// than a shift so that no attempt count can overflow.
	if attempt < 64 {
		c := p.MinBackoff
		for i := 0; i < attempt && c < p.MaxBackoff; i++ {
			c *= 2
		}
		ceiling = min(c, p.MaxBackoff)
	}
	span := ceiling - p.MinBackoff
	return p.MinBackoff + time.Duration(rnd()*float64(span))
}

// Decision is what one send means for its row and its host.
type Decision struct {
	Verdict Verdict
	// Result is the row's new state.
	Result service.DeliveryResult
	// HostFailed counts the attempt against the host's circuit.
	HostFailed bool
	// HostAlive proves the host answers, closing its circuit.
	HostAlive bool
}

// Decide turns the error of an attempt at d (nil for a 2xx) at now into
// the row's next state: done, a retry after a backoff that honours a
// capped Retry-After, or failed when final or past MaxAge.
func (p Policy) Decide(d models.Delivery, err error, now time.Time, rnd func() float64) Decision {
	p = p.WithDefaults()
	v, status, retryAfter := Classify(err)
	r := service.DeliveryResult{
		ID: d.ID, Attempts: d.Attempts + 1, LastStatus: status, NextAttemptAt: now, At: now,
	}
	if err != nil {
		r.LastError = err.Error()
	}
	dec := Decision{Verdict: v, Result: r}
	switch v {
	case Delivered:
		dec.Result.State = models.DeliveryDone
		dec.HostAlive = true
	case Final, Gone:
		dec.Result.State = models.DeliveryFailed
		// The host answered: it is alive, even if this inbox is not.
		dec.HostAlive = status != 0
	case Blocked:
		dec.Result.State = models.DeliveryFailed
	case Retryable:
		dec.HostFailed = true
		deadline := d.CreatedAt.Add(p.MaxAge)
		if !now.Before(deadline) {
			dec.Result.State = models.DeliveryFailed
			dec.Result.LastError = fmt.Sprintf("gave up after %d attempts over %s: %s", r.Attempts, p.MaxAge, r.LastError)
			break
		}
		wait := p.Backoff(r.Attempts, rnd)
		if retryAfter > 0 {
			wait = max(wait, min(retryAfter, p.MaxRetryAfter))
		}
		dec.Result.State = models.DeliveryPending
		// One last try at the deadline rather than none at all.
		dec.Result.NextAttemptAt = minTime(now.Add(wait), deadline)
	}
	dec.Result.NextAttemptAt = stored(dec.Result.NextAttemptAt)
	return dec
}

// Gate says whether a delivery may be sent to a host now.
type Gate int

const (
	// Send it.
	Send Gate = iota
	// Defer it until the host's circuit closes.
	Defer
	// Skip it: the host is unavailable and the delivery is bulk.
	Skip
)

// Gate decides whether a delivery of the given priority may go to a host
// in state h at now, and until when to defer it otherwise. Membership and
// direct traffic (priority >= service.PriorityDirect) always goes: a Follow
// or Accept to a host back from the dead must not be lost, and it probes
// the host for free.
func (p Policy) Gate(h models.RemoteHost, priority int, now time.Time) (Gate, time.Time) {
	if priority >= service.PriorityDirect {
		return Send, time.Time{}
	}
	if h.UnavailableAt != nil {
		return Skip, time.Time{}
	}
	if h.OpenUntil != nil && now.Before(*h.OpenUntil) {
		return Defer, *h.OpenUntil
	}
	return Send, time.Time{}
}

// Postpone is the row's new state when its host's circuit is open until
// until: moved past the reopening, with jitter so the deferred rows do not
// all fall on the host at once, without counting an attempt. Past MaxAge
// it fails instead.
func (p Policy) Postpone(d models.Delivery, until, now time.Time, rnd func() float64) service.DeliveryResult {
	p = p.WithDefaults()
	r := service.DeliveryResult{
		ID: d.ID, Attempts: d.Attempts, LastStatus: d.LastStatus, At: now,
		State: models.DeliveryPending, LastError: "circuit open: host failing",
	}
	deadline := d.CreatedAt.Add(p.MaxAge)
	next := until.Add(time.Duration(rnd() * float64(p.BreakerBase)))
	switch {
	case !now.Before(deadline):
		r.State, r.NextAttemptAt = models.DeliveryFailed, now
		r.LastError = fmt.Sprintf("gave up after %s: host failing", p.MaxAge)
	default:
		r.NextAttemptAt = minTime(next, deadline)
	}
	r.NextAttemptAt = stored(r.NextAttemptAt)
	return r
}

// Drop is the row's new state when a bulk delivery is skipped because its
// host is unavailable: failed, without an attempt.
func (p Policy) Drop(d models.Delivery, now time.Time) service.DeliveryResult {
	return service.DeliveryResult{
		ID: d.ID, Attempts: d.Attempts, LastStatus: d.LastStatus, At: now, NextAttemptAt: now,
		State: models.DeliveryFailed, LastError: "host unavailable: failing for too long; bulk delivery skipped",
	}
}

// HostFailure is h after one more failed attempt at now: the run of
// failures grows, the circuit opens at BreakerThreshold for BreakerBase,
// doubling with each further failure up to BreakerMax, and the host is
// marked unavailable once it has been failing for UnavailableAfter.
func (p Policy) HostFailure(h models.RemoteHost, now time.Time) models.RemoteHost {
	p = p.WithDefaults()
	h.ConsecutiveFailures++
	if h.FailingSince == nil {
		t := now
		h.FailingSince = &t
	}
	if over := h.ConsecutiveFailures - p.BreakerThreshold; over >= 0 {
		open := p.BreakerBase
		for i := 0; i < over && open < p.BreakerMax; i++ {
			open *= 2
		}
		until := now.Add(min(open, p.BreakerMax))
		h.OpenUntil = &until
	}
	if h.UnavailableAt == nil && now.Sub(*h.FailingSince) >= p.UnavailableAfter {
		t := now
		h.UnavailableAt = &t
	}
	return h
}

// HostSuccess is h after the host answered at now: every failure mark
// goes.
func (p Policy) HostSuccess(h models.RemoteHost, now time.Time) models.RemoteHost {
	t := now
	h.ConsecutiveFailures, h.FailingSince, h.OpenUntil, h.UnavailableAt, h.LastSuccessAt = 0, nil, nil, nil, &t
	return h
}

// failing reports whether h carries any failure mark worth clearing.
func failing(h models.RemoteHost) bool {
	return h.ConsecutiveFailures > 0 || h.FailingSince != nil || h.OpenUntil != nil || h.UnavailableAt != nil
}

// checkInbox refuses inbox URLs that no retry can fix.
func checkInbox(inbox string) error {
	u, err := url.Parse(inbox)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.User != nil {
		return fmt.Errorf("%w: %q", errBadInbox, inbox)
	}
	return nil
}

// stored rounds t down to what the database keeps (Postgres holds
// microseconds), so that a retry scheduled for t finds its row due at t.
func stored(t time.Time) time.Time { return t.Truncate(time.Microsecond) }

func minTime(a, b time.Time) time.Time {
	if a.Before(b) {
		return a
	}
	return b
}
