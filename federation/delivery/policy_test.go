package delivery

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"net/http"
	"testing"
	"time"

	"github.com/practica-social/practica/federation/transport"
	"github.com/practica-social/practica/models"
	"github.com/practica-social/practica/service"
)

var t0 = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

func status(code int, retryAfter time.Duration) error {
	return fmt.Errorf("POST https://r.test/inbox: %w", &transport.StatusError{Code: code, RetryAfter: retryAfter})
}

func TestClassify(t *testing.T) {
	dnsErr := &net.DNSError{Err: "no such host", Name: "nx.test", IsNotFound: true}
	cases := []struct {
		name   string
		err    error
		want   Verdict
		status int
	}{
		{"2xx", nil, Delivered, 200},
		{"400", status(400, 0), Final, 400},
		{"401", status(401, 0), Final, 401},
		{"403", status(403, 0), Final, 403},
		{"404", status(404, 0), Final, 404},
		{"408", status(408, 0), Retryable, 408},
		{"410", status(410, 0), Gone, 410},
		{"413", status(413, 0), Final, 413},
		{"429", status(429, time.Minute), Retryable, 429},
		{"500", status(500, 0), Retryable, 500},
		{"502", status(502, 0), Retryable, 502},
		{"503", status(503, 0), Retryable, 503},
		{"301", status(301, 0), Retryable, 301},
		{"timeout", fmt.Errorf("POST: %w", context.DeadlineExceeded), Retryable, 0},
		{"NXDOMAIN", fmt.Errorf("dial: resolve nx.test: %w", dnsErr), Retryable, 0},
		{"refused", fmt.Errorf("dial: %w", errors.New("connect: connection refused")), Retryable, 0},
		{"SSRF guard", fmt.Errorf("dial: %w", fmt.Errorf("%w: 10.0.0.1", transport.ErrBlockedAddress)), Blocked, 0},
		{"blocked server", fmt.Errorf("POST http://spam.example/inbox: %w", transport.ErrBlockedServer), Blocked, 0},
		{"no key", fmt.Errorf("actor 3: %w", service.ErrNoSigningKey), Final, 0},
		{"bad key", fmt.Errorf("%w: junk", errBadKey), Final, 0},
		{"bad inbox", checkInbox("ftp://r.test/inbox"), Final, 0},
		{"activity gone", errActivityMissing, Final, 0},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			v, st, _ := Classify(c.err)
			if v != c.want || st != c.status {
				t.Fatalf("Classify = %v, %d; want %v, %d", v, st, c.want, c.status)
			}
		})
	}
}

func TestCheckInbox(t *testing.T) {
	for inbox, ok := range map[string]bool{
		"https://r.test/inbox": true, "http://r.test:8080/u/a/inbox": true,
		"": false, "/inbox": false, "ftp://r.test/inbox": false, "https://user:pw@r.test/inbox": false, "https:///inbox": false,
	} {
		if err := checkInbox(inbox); (err == nil) != ok {
			t.Errorf("checkInbox(%q) = %v, want ok=%v", inbox, err, ok)
		}
	}
}

func TestBackoffBoundsWithJitter(t *testing.T) {
	p := Policy{}.WithDefaults()
	ceilings := []time.Duration{
		1: time.Minute, 2: 2 * time.Minute, 3: 4 * time.Minute, 4: 8 * time.Minute, 5: 16 * time.Minute,
		6: 32 * time.Minute, 7: 64 * time.Minute, 8: 128 * time.Minute, 9: 256 * time.Minute, 10: 6 * time.Hour,
	}
	for attempt := 1; attempt < len(ceilings); attempt++ {
		want := ceilings[attempt]
		if lo := p.Backoff(attempt, func() float64 { return 0 }); lo != 30*time.Second {
			t.Errorf("attempt %d: lowest backoff %v, want 30s", attempt, lo)
		}
		hi := p.Backoff(attempt, func() float64 { return 0.999999999 })
		if hi > want || hi < want-time.Second {
			t.Errorf("attempt %d: highest backoff %v, want just under %v", attempt, hi, want)
		}
	}
	// Many random draws stay within the bounds and actually spread.
	r := rand.New(rand.NewPCG(1, 2))
	seen := map[bool]int{}
	for range 10000 {
		attempt := 1 + r.IntN(40)
		d := p.Backoff(attempt, r.Float64)
		if d < 30*time.Second || d > 6*time.Hour {
			t.Fatalf("attempt %d: backoff %v out of [30s, 6h]", attempt, d)
		}
		seen[d > 3*time.Hour]++
	}
	if seen[true] == 0 || seen[false] == 0 {
		t.Fatalf("jitter does not spread: %v", seen)
	}
	// Absurd attempt counts neither overflow nor exceed the cap.
	for _, attempt := range []int{63, 64, 1000, 1 << 30} {
		if d := p.Backoff(attempt, func() float64 { return 0.5 }); d < 30*time.Second || d > 6*time.Hour {
			t.Fatalf("attempt %d: backoff %v", attempt, d)
		}
	}
}

// TestBackoffSpendsAboutSeventyTwoHours checks that the schedule, run to
// its end, gives up around MaxAge and not long before: retries are spread
// over the whole window rather than spent in the first hours.
func TestBackoffSpendsAboutSeventyTwoHours(t *testing.T) {
	p := Policy{}.WithDefaults()
	r := rand.New(rand.NewPCG(3, 4))
	d := models.Delivery{ID: 1, CreatedAt: t0}
	now := t0
	for range 1000 {
		dec := p.Decide(d, status(503, 0), now, r.Float64)
		if dec.Result.State == models.DeliveryFailed {
			if now.Sub(t0) < 72*time.Hour {
				t.Fatalf("gave up after %v, before 72h", now.Sub(t0))
			}
			if d.Attempts < 10 || d.Attempts > 60 {
				t.Fatalf("gave up after %d attempts", d.Attempts)
			}
			return
		}
		d.Attempts = dec.Result.Attempts
		now = dec.Result.NextAttemptAt
	}
	t.Fatal("never gave up")
}

func TestDecide(t *testing.T) {
	p := Policy{}.WithDefaults()
	fixed := func() float64 { return 0 }
	fresh := models.Delivery{ID: 7, Attempts: 0, CreatedAt: t0}
	cases := []struct {
		name      string
		d         models.Delivery
		err       error
		now       time.Time
		state     models.DeliveryState
		next      time.Time
		hostFail  bool
		hostAlive bool
	}{
		{"2xx done", fresh, nil, t0, models.DeliveryDone, t0, false, true},
		{"500 retried after 30s", fresh, status(500, 0), t0, models.DeliveryPending, t0.Add(30 * time.Second), true, false},
		{"429 Retry-After honoured", fresh, status(429, 10*time.Minute), t0, models.DeliveryPending, t0.Add(10 * time.Minute), true, false},
		{"429 Retry-After 99999s capped at 6h", fresh, status(429, 99999*time.Second), t0, models.DeliveryPending, t0.Add(6 * time.Hour), true, false},
		{"Retry-After shorter than backoff keeps backoff", models.Delivery{ID: 7, Attempts: 9, CreatedAt: t0}, status(503, time.Second), t0, models.DeliveryPending, t0.Add(30 * time.Second), true, false},
		{"400 final, host alive", fresh, status(400, 0), t0, models.DeliveryFailed, t0, false, true},
		{"410 final, host alive", fresh, status(410, 0), t0, models.DeliveryFailed, t0, false, true},
		{"blocked final, host neither", fresh, fmt.Errorf("%w: 10.0.0.1", transport.ErrBlockedAddress), t0, models.DeliveryFailed, t0, false, false},
		{"no key final, host neither", fresh, service.ErrNoSigningKey, t0, models.DeliveryFailed, t0, false, false},
		{"timeout near the deadline: one last try at it", fresh, context.DeadlineExceeded, t0.Add(72*time.Hour - 10*time.Second), models.DeliveryPending, t0.Add(72 * time.Hour), true, false},
		{"timeout after the deadline: failed", fresh, context.DeadlineExceeded, t0.Add(72 * time.Hour), models.DeliveryFailed, t0.Add(72 * time.Hour), true, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			dec := p.Decide(c.d, c.err, c.now, fixed)
			r := dec.Result
			if r.State != c.state || !r.NextAttemptAt.Equal(c.next) || r.ID != c.d.ID || r.Attempts != c.d.Attempts+1 {
				t.Fatalf("result %+v; want state %s next %v attempts %d", r, c.state, c.next, c.d.Attempts+1)
			}
			if dec.HostFailed != c.hostFail || dec.HostAlive != c.hostAlive {
				t.Fatalf("HostFailed %v HostAlive %v; want %v %v", dec.HostFailed, dec.HostAlive, c.hostFail, c.hostAlive)
			}
			if (c.err == nil) != (r.LastError == "") {
				t.Fatalf("LastError %q for err %v", r.LastError, c.err)
			}
		})
	}
}

func TestGate(t *testing.T) {
	p := Policy{}.WithDefaults()
	later := t0.Add(time.Minute)
	earlier := t0.Add(-time.Minute)
	healthy := models.RemoteHost{Host: "r.test"}
	open := models.RemoteHost{Host: "r.test", ConsecutiveFailures: 5, OpenUntil: &later}
	closedAgain := models.RemoteHost{Host: "r.test", ConsecutiveFailures: 5, OpenUntil: &earlier}
	unavailable := models.RemoteHost{Host: "r.test", ConsecutiveFailures: 50, OpenUntil: &later, UnavailableAt: &earlier}
	cases := []struct {
		name     string
		h        models.RemoteHost
		priority int
		want     Gate
	}{
		{"healthy bulk", healthy, service.PriorityBulk, Send},
		{"open bulk deferred", open, service.PriorityBulk, Defer},
		{"open direct sent", open, service.PriorityDirect, Send},
		{"open period over: bulk probes", closedAgain, service.PriorityBulk, Send},
		{"unavailable bulk skipped", unavailable, service.PriorityBulk, Skip},
		{"unavailable direct sent", unavailable, service.PriorityDirect, Send},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			g, until := p.Gate(c.h, c.priority, t0)
			if g != c.want {
				t.Fatalf("Gate = %v, want %v", g, c.want)
			}
			if g == Defer && !until.Equal(later) {
				t.Fatalf("deferred until %v, want %v", until, later)
			}
		})
	}
}

func TestBreakerTransitions(t *testing.T) {
	p := Policy{}.WithDefaults()
	h := models.RemoteHost{Host: "r.test"}
	wantOpen := map[int]time.Duration{5: time.Minute, 6: 2 * time.Minute, 7: 4 * time.Minute, 8: 8 * time.Minute, 12: time.Hour, 30: time.Hour}
	now := t0
	for n := 1; n <= 30; n++ {
		now = now.Add(time.Second)
		h = p.HostFailure(h, now)
		if h.ConsecutiveFailures != n || h.FailingSince == nil || !h.FailingSince.Equal(t0.Add(time.Second)) {
			t.Fatalf("after %d failures: %+v", n, h)
		}
		switch want, ok := wantOpen[n]; {
		case n < 5 && h.OpenUntil != nil:
			t.Fatalf("circuit open after %d failures", n)
		case ok && (h.OpenUntil == nil || !h.OpenUntil.Equal(now.Add(want))):
			t.Fatalf("after %d failures open until %v, want %v", n, h.OpenUntil, now.Add(want))
		}
		if g, _ := p.Gate(h, service.PriorityBulk, now); (g == Defer) != (n >= 5) {
			t.Fatalf("after %d failures bulk gate %v", n, g)
		}
	}
	if h.UnavailableAt != nil {
		t.Fatal("unavailable after 30 s of failures")
	}
	h = p.HostSuccess(h, now)
	if failing(h) || h.LastSuccessAt == nil || !h.LastSuccessAt.Equal(now) {
		t.Fatalf("success did not reset: %+v", h)
	}
	if g, _ := p.Gate(h, service.PriorityBulk, now); g != Send {
		t.Fatalf("bulk gate after success: %v", g)
	}
}

// TestChecklist23UnavailableAfterSevenDays drives a host's state with an
// injected clock: failing for 8 days marks it unavailable at day 7, bulk
// traffic is skipped while membership traffic still goes, and contact
// resets it.
func TestChecklist23UnavailableAfterSevenDays(t *testing.T) {
	p := Policy{}.WithDefaults()
	h := models.RemoteHost{Host: "down.test"}
	var markedAt time.Time
	for hour := 0; hour <= 8*24; hour++ {
		now := t0.Add(time.Duration(hour) * time.Hour)
		h = p.HostFailure(h, now)
		if h.UnavailableAt != nil && markedAt.IsZero() {
			markedAt = now
		}
	}
	if want := t0.Add(7 * 24 * time.Hour); !markedAt.Equal(want) {
		t.Fatalf("marked unavailable at %v, want %v (7 days after the first failure)", markedAt, want)
	}
	day8 := t0.Add(8 * 24 * time.Hour)
	if g, _ := p.Gate(h, service.PriorityBulk, day8); g != Skip {
		t.Fatalf("bulk to an unavailable host: %v, want Skip", g)
	}
	for _, prio := range []int{service.PriorityDirect, service.PriorityDirect + 5} {
		if g, _ := p.Gate(h, prio, day8); g != Send {
			t.Fatalf("priority %d to an unavailable host: %v, want Send", prio, g)
		}
	}
	dropped := p.Drop(models.Delivery{ID: 1, Attempts: 3}, day8)
	if dropped.State != models.DeliveryFailed || dropped.Attempts != 3 {
		t.Fatalf("dropped bulk delivery: %+v", dropped)
	}
	h = p.HostSuccess(h, day8)
	if h.UnavailableAt != nil || h.OpenUntil != nil || h.FailingSince != nil || h.ConsecutiveFailures != 0 {
		t.Fatalf("contact did not reset: %+v", h)
	}
	if g, _ := p.Gate(h, service.PriorityBulk, day8); g != Send {
		t.Fatalf("bulk after reset: %v", g)
	}
}

func TestPostpone(t *testing.T) {
	p := Policy{}.WithDefaults()
	until := t0.Add(10 * time.Minute)
	d := models.Delivery{ID: 3, Attempts: 2, LastStatus: 503, CreatedAt: t0}
	for _, rnd := range []float64{0, 0.5, 0.999} {
		r := p.Postpone(d, until, t0, func() float64 { return rnd })
		if r.State != models.DeliveryPending || r.Attempts != 2 || r.LastStatus != 503 {
			t.Fatalf("postponed: %+v", r)
		}
		if r.NextAttemptAt.Before(until) || r.NextAttemptAt.After(until.Add(p.BreakerBase)) {
			t.Fatalf("postponed to %v, want within [%v, %v]", r.NextAttemptAt, until, until.Add(p.BreakerBase))
		}
	}
	r := p.Postpone(d, t0.Add(100*time.Hour), t0.Add(71*time.Hour), func() float64 { return 0 })
	if r.State != models.DeliveryPending || !r.NextAttemptAt.Equal(t0.Add(72*time.Hour)) {
		t.Fatalf("postponed past the deadline: %+v; want one last try at it", r)
	}
	r = p.Postpone(d, t0.Add(100*time.Hour), t0.Add(72*time.Hour), func() float64 { return 0 })
	if r.State != models.DeliveryFailed {
		t.Fatalf("postponed after the deadline: %+v; want failed", r)
	}
}

// TestChecklist22RemoteFailuresPolicy is row 22 at the policy level: 500,
// 429 with Retry-After 99999, a timeout and NXDOMAIN back off (the
// Retry-After capped); 410 and 400 are final.
func TestChecklist22RemoteFailuresPolicy(t *testing.T) {
	p := Policy{}.WithDefaults()
	d := models.Delivery{ID: 1, CreatedAt: t0}
	rnd := rand.New(rand.NewPCG(5, 6)).Float64
	for name, c := range map[string]struct {
		err   error
		state models.DeliveryState
		min   time.Duration
		max   time.Duration
	}{
		"500":                   {status(http.StatusInternalServerError, 0), models.DeliveryPending, 30 * time.Second, time.Minute},
		"429 Retry-After 99999": {status(http.StatusTooManyRequests, 99999*time.Second), models.DeliveryPending, 6 * time.Hour, 6 * time.Hour},
		"timeout":               {fmt.Errorf("POST: %w", context.DeadlineExceeded), models.DeliveryPending, 30 * time.Second, time.Minute},
		"NXDOMAIN":              {&net.DNSError{Err: "no such host", IsNotFound: true}, models.DeliveryPending, 30 * time.Second, time.Minute},
		"410":                   {status(http.StatusGone, 0), models.DeliveryFailed, 0, 0},
		"400":                   {status(http.StatusBadRequest, 0), models.DeliveryFailed, 0, 0},
	} {
		r := p.Decide(d, c.err, t0, rnd).Result
		wait := r.NextAttemptAt.Sub(t0)
		if r.State != c.state || wait < c.min || wait > c.max {
			t.Errorf("%s: state %s, next attempt in %v; want %s in [%v, %v]", name, r.State, wait, c.state, c.min, c.max)
		}
	}
}
