package inbox

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"math"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/labstack/echo/v4"

	"github.com/practica-social/practica/federation/activitystreams"
	"github.com/practica-social/practica/federation/resolve"
	"github.com/practica-social/practica/federation/signing"
	"github.com/practica-social/practica/models"
	"github.com/practica-social/practica/service"
)

// Defaults for the zero values of ReceiverDeps.
const (
	DefaultMaxBodyBytes    = 1 << 20
	DefaultHostRate        = 200
	DefaultHostBurst       = 400
	DefaultMaxTrackedHosts = 10000
)

// maxIDBytes is the size of the inbox_items IRI columns.
const maxIDBytes = 2048

// aliveEvery is how often a host that keeps talking to us is reported
// alive to the delivery side: once proves it, every request would be a
// database write.
const aliveEvery = time.Minute

// refreshEvery is how often a key is fetched again because a signature
// failed against it. Once is enough to see a rotation; a flood of bad
// signatures naming one key (anyone can name anyone's key) must not turn
// into a flood of signed fetches from its owner's server.
const refreshEvery = time.Minute

// ReceiverDeps are what the inbox receiver needs.
type ReceiverDeps struct {
	Service  *service.Service
	Resolver *resolve.Resolver
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	Log *slog.Logger
	// MaxBodyBytes caps a request body. Default 1 MiB (checklist row 13).
	MaxBodyBytes int64
	// HostRate (requests per second) and HostBurst shape the token bucket
	// of each remote host (checklist row 20). Defaults 200/s and 400.
	HostRate  float64
	HostBurst int
	// MaxTrackedHosts bounds the buckets kept in memory. Default 10,000.
	MaxTrackedHosts int
}

// Receiver is the POST side of every inbox (shared, per actor, instance
// actor). It checks what can be checked synchronously — size, signature,
// Digest, Date, that the key's owner is the activity's actor — stores the
// activity idempotently and answers 202; a worker processes it later
// (delivery.md §4).
type Receiver struct {
	svc     *service.Service
	res     *resolve.Resolver
	now     func() time.Time
	log     *slog.Logger
	maxBody int64
	ownHost string
	// limits is each host's budget, spent before anything is verified:
	// by whoever names the host's keys. verified is a second budget,
	// spent only by requests that verify against a key in memory once
	// the first is gone, so that a flood naming a host's keys cannot
	// lock that host's own deliveries out.
	limits, verified *hostLimiter
	// refreshed remembers when keys were last refreshed after a mismatch.
	refreshed *refreshMemo
}

// NewReceiver builds the receiver.
func NewReceiver(d ReceiverDeps) *Receiver {
	rc := &Receiver{svc: d.Service, res: d.Resolver, now: d.Now, log: d.Log, maxBody: d.MaxBodyBytes}
	if rc.now == nil {
		rc.now = time.Now
	}
	if rc.log == nil {
		rc.log = slog.New(slog.DiscardHandler)
	}
	if rc.maxBody <= 0 {
		rc.maxBody = DefaultMaxBodyBytes
	}
	rate, burst, hosts := d.HostRate, d.HostBurst, d.MaxTrackedHosts
	if rate <= 0 {
		rate = DefaultHostRate
	}
	if burst <= 0 {
		burst = DefaultHostBurst
	}
	if hosts <= 0 {
		hosts = DefaultMaxTrackedHosts
	}
	rc.limits = newHostLimiter(rate, float64(burst), hosts)
	rc.verified = newHostLimiter(rate, float64(burst), hosts)
	rc.refreshed = &refreshMemo{at: map[string]time.Time{}, max: hosts}
	rc.ownHost = d.Service.URLs().Host()
	return rc
}

// Receive handles POST /inbox, /u/:name/inbox, /c/:name/inbox and
// /actor/inbox. Every refusal stores nothing.
func (rc *Receiver) Receive(c echo.Context) error {
	// Counted so that processing yields to answering (service/receiving.go).
	defer rc.svc.Receiving()()
	req := c.Request()
	ctx := req.Context()
	now := rc.now()

	sig, err := signing.Parse(req)
	if err != nil {
		return signatureRefused(c, err)
	}
	keyHost, err := resolve.HostOf(sig.KeyID)
	if err != nil || len(sig.KeyID) > maxIDBytes {
		return signatureRefused(c, errors.New("keyId is not an http(s) URL"))
	}
	// A blocked server gets a final answer before anything is read or
	// verified: a 4xx makes its software stop retrying.
	if rc.svc.HostBlocked(ctx, keyHost) {
		return service.Forbidden("this server does not federate with " + keyHost)
	}
	// Limit by the host the request claims to come from, before any body
	// is read or key fetched: a flood, also one forcing key fetches, costs
	// that host's budget only. Anyone can name a host's keys, so over
	// budget a request still passes if it verifies against a key already
	// in memory (no fetch) and the host's verified budget, which every
	// verified request of the host spends, has a token: a forged flood
	// cannot lock the host's own deliveries out, and the host itself
	// still gets no more than its rate.
	wait, inBudget := rc.limits.take(keyHost, now)
	var cached *resolve.Key
	if inBudget {
		if err := rc.checkInboxOwner(c); err != nil {
			return err
		}
	} else {
		k, ok := rc.res.CachedKey(sig.KeyID)
		if !ok || !rc.verified.has(keyHost, now) {
			return tooMany(c, keyHost, wait)
		}
		cached = k
	}
	body, err := rc.readBody(req)
	if err != nil {
		return err
	}
	// A key already in memory is checked before the body is parsed, so a
	// flood of forged requests costs a verification each and little more.
	// A mismatch is refused at once if the key was refreshed a moment ago;
	// otherwise the full check below may refresh it. Over budget, a
	// mismatch is refused as too many, and nothing is fetched.
	var key *resolve.Key
	if inBudget {
		cached, _ = rc.res.CachedKey(sig.KeyID)
	}
	if cached != nil {
		switch err := sig.Verify(req, body, cached.Public, now); {
		case err == nil && !inBudget:
			if err := rc.checkInboxOwner(c); err != nil {
				return err
			}
			key = cached
		case err == nil:
			key = cached
		case !inBudget:
			return tooMany(c, keyHost, wait)
		case !isMismatch(err) || !rc.refreshed.due(sig.KeyID, now):
			return signatureRefused(c, err)
		}
	}
	act, err := activitystreams.ParseActivity(body)
	if err != nil {
		return service.Invalid("%s", err.Error())
	}
	actorHost, err := resolve.HostOf(act.Actor)
	if err != nil || len(act.ID) > maxIDBytes || len(act.Actor) > maxIDBytes {
		return service.Invalid("the activity id or actor is not a usable URL")
	}
	// The key must belong to the actor (checklist row 4). Comparing hosts
	// first refuses a foreign key without fetching anything; the owner is
	// compared exactly once the signature is verified.
	if actorHost != keyHost {
		return signatureRefused(c, errors.New("the signing key does not belong to the activity's actor"))
	}
	if idHost, err := resolve.HostOf(act.ID); err != nil || idHost != actorHost {
		return service.Invalid("the activity id is not on its actor's host")
	}
	if actorHost == rc.ownHost {
		return signatureRefused(c, errors.New("activities of this server's actors are not received over HTTP"))
	}
	selfDelete := act.Type == "Delete" && act.ObjectIRI == act.Actor
	if selfDelete {
		// Mastodon tells every server it ever talked to when an account is
		// deleted, signed with a key that can no longer be fetched. For an
		// actor we never knew there is nothing to do, and nothing to verify
		// it with: answer 202 so the sender stops retrying.
		if _, err := rc.svc.ActorByIRI(ctx, act.Actor); service.KindOf(err) == service.KindNotFound {
			return c.NoContent(http.StatusAccepted)
		} else if err != nil {
			return err
		}
	}
	if key == nil {
		if key, err = rc.verify(ctx, c, sig, body, now); err != nil {
			return err
		}
	}

	if key.Owner.IRI != act.Actor {
		return signatureRefused(c, errors.New("the signing key does not belong to the activity's actor"))
	}
	if key.Owner.GoneAt != nil && !selfDelete {
		return signatureRefused(c, errors.New("the actor is gone"))
	}
	// Every request that passed every check spends the host's verified
	// budget (when a token is left), so that over the first budget the
	// host gets only what its own traffic left of its rate; over it, a
	// request needs a token.
	if w, ok := rc.verified.take(keyHost, now); !ok && !inBudget {
		return tooMany(c, keyHost, max(wait, w))
	}
	// Moderation of our communities comes only from their moderators, who
	// are people of this server and act here, never over HTTP: anyone
	// else's Add, Remove or Block aimed at them is refused now, with 403,
	// rather than accepted and dropped later (checklist row 9). It spends
	// the host's budget like any other request.
	if err := rc.moderationFromOutside(act); err != nil {
		return err
	}
	_, _, err = rc.svc.ReceiveActivity(ctx, models.InboxItem{
		ActivityIRI: act.ID, ActorIRI: act.Actor, KeyID: sig.KeyID, Type: act.Type, Body: string(body),
	})
	if err != nil {
		return err
	}
	if rc.limits.dueAlive(keyHost, now) {
		if err := rc.svc.MarkHostAlive(ctx, keyHost); err != nil {
			rc.log.Debug("mark host alive", "host", keyHost, "err", err)
		}
	}
	return c.NoContent(http.StatusAccepted)
}

// tooMany answers 429 with the time until host's budget allows again.
func tooMany(c echo.Context, host string, wait time.Duration) error {
	c.Response().Header().Set("Retry-After", strconv.Itoa(int(math.Ceil(wait.Seconds()))))
	return &service.Error{Kind: service.KindRateLimited, Message: "too many requests from " + host + "; slow down"}
}

// verify finds the signing key and checks the signature, Digest and Date.
// A signature that fails against a stored key is given one fresh fetch of
// the key, in case the actor rotated it (checklist row 7), unless the key
// was fetched so within refreshEvery.
func (rc *Receiver) verify(ctx context.Context, c echo.Context, sig *signing.Parsed, body []byte, now time.Time) (*resolve.Key, error) {
	req := c.Request()
	// Digest and Date first: they need no key, so a replayed or altered
	// request never causes a key fetch. Verify checks them before it looks
	// at the key; any other answer here only means "no key yet".
	if err := sig.Verify(req, body, nil, now); isDigestOrDate(err) {
		return nil, signatureRefused(c, err)
	}
	key, err := rc.res.Key(ctx, sig.KeyID)
	if err != nil {
		return nil, keyRefused(c, err)
	}
	err = sig.Verify(req, body, key.Public, now)
	if err != nil && isMismatch(err) && !key.Fresh && rc.refreshed.claim(sig.KeyID, now) {
		fresh, ferr := rc.res.RefreshKey(ctx, sig.KeyID)
		if ferr != nil {
			if service.KindOf(ferr) == service.KindUnavailable {
				return nil, keyRefused(c, ferr)
			}
			return nil, signatureRefused(c, err)
		}
		key = fresh
		err = sig.Verify(req, body, key.Public, now)
	}
	if err != nil {
		return nil, signatureRefused(c, err)
	}
	return key, nil
}

// checkInboxOwner answers 404 for the inbox of a local person or community
// that does not exist; the shared and instance inboxes always exist.
func (rc *Receiver) checkInboxOwner(c echo.Context) error {
	name := c.Param("name")
	if name == "" {
		return nil
	}
	ctx := c.Request().Context()
	if strings.HasPrefix(c.Path(), "/c/") {
		_, err := rc.svc.LocalCommunity(ctx, name)
		return err
	}
	_, err := rc.svc.LocalPerson(ctx, name)
	return err
}

// readBody reads the request body within the cap: 413 beyond it, 415 for
// a compressed body (the cap must hold after decompression, and no peer
// compresses deliveries), 400 for an empty body or one that is not UTF-8
// (Postgres could not store it).
func (rc *Receiver) readBody(req *http.Request) ([]byte, error) {
	if enc := strings.TrimSpace(req.Header.Get("Content-Encoding")); enc != "" && !strings.EqualFold(enc, "identity") {
		return nil, echo.NewHTTPError(http.StatusUnsupportedMediaType, "compressed request bodies are not accepted")
	}
	tooLarge := &service.Error{Kind: service.KindTooLarge, Message: "the request body is larger than " + strconv.FormatInt(rc.maxBody, 10) + " bytes"}
	if req.ContentLength > rc.maxBody {
		return nil, tooLarge
	}
	body, err := io.ReadAll(io.LimitReader(req.Body, rc.maxBody+1))
	if err != nil {
		return nil, &service.Error{Kind: service.KindInvalid, Message: "the request body could not be read", Err: err}
	}
	if int64(len(body)) > rc.maxBody {
		return nil, tooLarge
	}
	if len(body) == 0 {
		return nil, service.Invalid("empty request body")
	}
	if !utf8.Valid(body) {
		return nil, service.Invalid("the request body is not UTF-8")
	}
	return body, nil
}

// signatureRefused is the 401 of a request whose signature does not prove
// its sender. The reason is safe to show: signing's reasons never echo the
// request, and ours are fixed.
func signatureRefused(c echo.Context, err error) error {
	reason := err.Error()
	var se *signing.Error
	if errors.As(err, &se) {
		reason = "http signature: " + se.Reason
	}
	c.Response().Header().Set("WWW-Authenticate", `Signature headers="(request-target) host date digest"`)
	return &service.Error{Kind: service.KindUnauthorized, Message: reason, Err: err}
}

// keyRefused maps a failure to find the signing key: 503 when its origin
// or our database is down (the sender retries later, delivery.md §4),
// 401 when the key cannot be had (404, 410, a document that breaks the
// rules).
func keyRefused(c echo.Context, err error) error {
	if service.KindOf(err) == service.KindUnavailable {
		return &service.Error{Kind: service.KindUnavailable, Message: "the signing key cannot be fetched right now; try again later", Err: err}
	}
	return signatureRefused(c, &keyError{msg: "the signing key could not be verified: " + service.SafeMessage(err, "unknown key"), err: err})
}

// keyError carries a safe message and the cause of a key failure.
type keyError struct {
	msg string
	err error
}

func (e *keyError) Error() string { return e.msg }
func (e *keyError) Unwrap() error { return e.err }

// isMismatch reports a signature that does not match the key, the one
// failure a fresher key may cure.
func isMismatch(err error) bool {
	var se *signing.Error
	return errors.As(err, &se) && strings.HasPrefix(se.Reason, "signature mismatch")
}

// isDigestOrDate reports a Digest or Date failure, which no key changes.
func isDigestOrDate(err error) bool {
	var se *signing.Error
	if !errors.As(err, &se) {
		return false
	}
	return strings.HasPrefix(se.Reason, "digest") || strings.Contains(se.Reason, "date")
}

// hostLimiter is a token bucket per remote host, in memory, with a bound
// on the number of hosts tracked so that a flood of invented host names
// cannot grow it.
type hostLimiter struct {
	mu           sync.Mutex
	rate, burst  float64
	max          int
	buckets      map[string]*hostBucket
	refillPeriod time.Duration
}

type hostBucket struct {
	tokens float64
	last   time.Time
	// aliveAt is when the host was last reported alive.
	aliveAt time.Time
}

func newHostLimiter(rate, burst float64, max int) *hostLimiter {
	return &hostLimiter{
		rate: rate, burst: burst, max: max, buckets: make(map[string]*hostBucket),
		refillPeriod: time.Duration(burst / rate * float64(time.Second)),
	}
}

// take spends one token of host's bucket; when there is none it says how
// long until there will be.
func (l *hostLimiter) take(host string, now time.Time) (time.Duration, bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	b := l.buckets[host]
	if b == nil {
		if len(l.buckets) >= l.max {
			l.evict(now)
		}
		b = &hostBucket{tokens: l.burst, last: now}
		l.buckets[host] = b
	}
	if now.After(b.last) {
		b.tokens, b.last = l.tokensAt(b, now), now
	}
	if b.tokens >= 1 {
		b.tokens--
		return 0, true
	}
	return time.Duration((1 - b.tokens) / l.rate * float64(time.Second)), false
}

// has reports whether host's bucket holds a token now, without spending
// it.
func (l *hostLimiter) has(host string, now time.Time) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	b := l.buckets[host]
	if b == nil {
		return true // a new bucket starts full
	}
	return l.tokensAt(b, now) >= 1
}

// tokensAt is what b holds at now, refilled since it was last spent.
func (l *hostLimiter) tokensAt(b *hostBucket, now time.Time) float64 {
	return min(l.burst, b.tokens+max(0, now.Sub(b.last).Seconds())*l.rate)
}

// dueAlive reports whether host should be reported alive now, at most
// once per aliveEvery.
func (l *hostLimiter) dueAlive(host string, now time.Time) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	b := l.buckets[host]
	if b == nil || now.Sub(b.aliveAt) < aliveEvery {
		return false
	}
	b.aliveAt = now
	return true
}

// evict drops the buckets that have refilled (forgetting them loses
// nothing); if the map is still full — ten thousand hosts busy at once —
// it drops arbitrary ones down to nine tenths, which at worst grants them
// a fresh burst.
func (l *hostLimiter) evict(now time.Time) {
	for h, b := range l.buckets {
		if now.Sub(b.last) >= l.refillPeriod {
			delete(l.buckets, h)
		}
	}
	if len(l.buckets) < l.max {
		return
	}
	for h := range l.buckets {
		if len(l.buckets) <= l.max*9/10 {
			break
		}
		delete(l.buckets, h)
	}
}

// trackedHosts is the number of buckets held, for tests.
func (l *hostLimiter) trackedHosts() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.buckets)
}

// refreshMemo remembers when keys were last refreshed after a signature
// failed against them, bounded like hostLimiter.
type refreshMemo struct {
	mu  sync.Mutex
	at  map[string]time.Time
	max int
}

// due reports whether keyID may be refreshed now.
func (m *refreshMemo) due(keyID string, now time.Time) bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	t, ok := m.at[keyID]
	return !ok || now.Sub(t) >= refreshEvery || now.Before(t)
}

// claim reports whether keyID may be refreshed now, and if so records it.
func (m *refreshMemo) claim(keyID string, now time.Time) bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	if t, ok := m.at[keyID]; ok && now.Sub(t) < refreshEvery && !now.Before(t) {
		return false
	}
	if len(m.at) >= m.max {
		for k, t := range m.at {
			if now.Sub(t) >= refreshEvery {
				delete(m.at, k)
			}
		}
		// Still full: forgetting a key only allows it one more refresh.
		for k := range m.at {
			if len(m.at) < m.max*9/10 {
				break
			}
			delete(m.at, k)
		}
	}
	m.at[keyID] = now
	return true
}

// moderationFromOutside refuses an Add, Remove or Block whose target is on
// this server: the moderators or featured collection of one of our
// communities, or the community itself (a ban).
func (rc *Receiver) moderationFromOutside(act *activitystreams.Activity) error {
	switch act.Type {
	case "Add", "Remove", "Block":
	default:
		return nil
	}
	if host, err := resolve.HostOf(act.Target); err != nil || host != rc.ownHost {
		return nil
	}
	return service.Forbidden("only this community's moderators may do this, and they act on its own server")
}
