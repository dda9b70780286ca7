// Package resolve finds remote actors, their keys and objects: from the
// database when a fresh copy is stored, otherwise by a signed fetch from
// their origin (through the guarded transport) whose answer is checked
// before anything is stored: the document's id is the URL it came from, on
// the host that was asked, and a key belongs to the actor that publishes
// it. Parsed keys are kept in a small in-memory cache so that an inbox can
// verify thousands of signatures a second without a query each.
package resolve

import (
	"context"
	"crypto"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"golang.org/x/net/idna"
	"golang.org/x/sync/singleflight"

	"github.com/practica-social/practica/federation/activitystreams"
	"github.com/practica-social/practica/federation/signing"
	"github.com/practica-social/practica/federation/transport"
	"github.com/practica-social/practica/models"
	"github.com/practica-social/practica/service"
)

// Defaults for the zero values of Deps.
const (
	DefaultActorTTL     = 24 * time.Hour
	DefaultKeyCacheSize = 10000
	DefaultKeyCacheTTL  = time.Hour
	DefaultFailureTTL   = time.Minute
	// DefaultProbeTimeout bounds one host's NodeInfo probe, both GETs.
	DefaultProbeTimeout = 10 * time.Second
)

// maxIRIBytes is the longest id we look up: the size of the IRI columns.
const maxIRIBytes = 2048

// Errors callers test with errors.Is. Every error the Resolver returns is
// also a *service.Error whose kind says what to answer: KindNotFound and
// KindInvalid are final (a 404 or 410, a document that breaks the rules),
// KindUnavailable may pass (the origin is down or slow, the database is).
var (
	// ErrGone marks an actor or object whose origin answered 410 Gone, or
	// an actor already marked gone.
	ErrGone = errors.New("gone")
	// ErrRefused marks a document refused by the rules (wrong id or host,
	// redirect elsewhere, not ActivityPub, key not the actor's …).
	ErrRefused = errors.New("refused")
	// ErrUnreachable marks an origin that did not answer usefully (timeout,
	// 5xx, 429): KindUnavailable because of the remote, not our database.
	ErrUnreachable = errors.New("origin unreachable")
)

// Deps are what a Resolver needs.
type Deps struct {
	// Service stores actors and gives the instance actor that signs fetches.
	Service *service.Service
	// Client is the guarded HTTP client.
	Client *transport.Client
	// Scheme is how WebFinger is asked: "https" (the default), or "http"
	// for instances running with PRACTICA_PROTOCOL=http (test networks).
	Scheme string
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// Log receives fetch failures at debug level.
	Log *slog.Logger
	// ActorTTL is how long a fetched actor is used before it is fetched
	// again. Default 24 h.
	ActorTTL time.Duration
	// KeyCacheSize bounds the parsed keys kept in memory. Default 10,000.
	KeyCacheSize int
	// KeyCacheTTL is how long a parsed key is used before the database is
	// asked again. Default 1 h; a signature that fails against a cached key
	// triggers a refresh anyway.
	KeyCacheTTL time.Duration
	// FailureTTL is how long a failed fetch is remembered, so that a flood
	// naming one unknown key, or an origin that is down, does not turn every
	// request into a fetch. Default 1 min.
	FailureTTL time.Duration
	// ProbeTimeout bounds one host's NodeInfo probe (ProbePeers).
	// Default 10 s.
	ProbeTimeout time.Duration
}

// Resolver finds remote actors, keys and objects. It is safe for
// concurrent use; one per instance.
type Resolver struct {
	svc     *service.Service
	client  *transport.Client
	scheme  string
	now     func() time.Time
	log     *slog.Logger
	ownHost string

	actorTTL, keyTTL, failureTTL, probeTimeout time.Duration

	keys     *lru[cachedKey]
	failures *lru[error]
	flight   singleflight.Group

	signerMu sync.Mutex
	signer   *signing.Signer
}

// New builds a Resolver.
func New(d Deps) *Resolver {
	r := &Resolver{
		svc: d.Service, client: d.Client, scheme: d.Scheme, now: d.Now, log: d.Log,
		actorTTL: d.ActorTTL, keyTTL: d.KeyCacheTTL, failureTTL: d.FailureTTL, probeTimeout: d.ProbeTimeout,
	}
	if r.scheme != "http" {
		r.scheme = "https"
	}
	if r.now == nil {
		r.now = time.Now
	}
	if r.log == nil {
		r.log = slog.New(slog.DiscardHandler)
	}
	if r.actorTTL <= 0 {
		r.actorTTL = DefaultActorTTL
	}
	if r.keyTTL <= 0 {
		r.keyTTL = DefaultKeyCacheTTL
	}
	if r.failureTTL <= 0 {
		r.failureTTL = DefaultFailureTTL
	}
	if r.probeTimeout <= 0 {
		r.probeTimeout = DefaultProbeTimeout
	}
	size := d.KeyCacheSize
	if size <= 0 {
		size = DefaultKeyCacheSize
	}
	r.keys = newLRU[cachedKey](size)
	r.failures = newLRU[error](size)
	r.ownHost = d.Service.URLs().Host()
	return r
}

// instanceSigner returns the signer of every fetch: the instance actor's
// key (protocol.md §4), parsed once.
func (r *Resolver) instanceSigner(ctx context.Context) (*signing.Signer, error) {
	r.signerMu.Lock()
	defer r.signerMu.Unlock()
	if r.signer != nil {
		return r.signer, nil
	}
	a, err := r.svc.InstanceActor(ctx)
	if err != nil {
		return nil, err
	}
	key, err := signing.ParsePrivateKey(a.PrivateKeyPEM)
	if err != nil {
		return nil, fmt.Errorf("resolve: instance actor key: %w", err)
	}
	r.signer = signing.NewSigner(a.PublicKeyID, key)
	return r.signer, nil
}

// get fetches an ActivityPub document signed by the instance actor and
// requires that it came from the host that was asked: the transport has
// already checked that its id is the final URL, so a redirect to another
// host would otherwise let that host answer for this one (checklist row 6).
func (r *Resolver) get(ctx context.Context, iri string) (map[string]any, string, error) {
	signer, err := r.instanceSigner(ctx)
	if err != nil {
		return nil, "", err
	}
	body, final, err := r.client.GetActivityPub(ctx, iri, signer)
	if err != nil {
		return nil, "", fetchErr(iri, err)
	}
	if !sameHost(final, iri) {
		return nil, "", refused(iri, "redirected to another host")
	}
	m, err := activitystreams.Decode(body)
	if err != nil {
		return nil, "", refused(iri, err.Error())
	}
	return m, final, nil
}

// fetchErr classifies a transport failure: 410 is gone, other refusals
// and broken documents are final, timeouts, 5xx and 429 may pass.
func fetchErr(iri string, err error) error {
	var se *transport.StatusError
	var dnsErr *net.DNSError
	switch {
	case errors.As(err, &se):
		switch {
		case se.Code == http.StatusGone:
			return &service.Error{Kind: service.KindNotFound, Message: "the remote object is gone", Err: fmt.Errorf("%w: %s: %w", ErrGone, iri, err)}
		case se.Code == http.StatusRequestTimeout || se.Code == http.StatusTooManyRequests || se.Code >= 500:
			return unreachable(iri, err)
		default:
			return &service.Error{Kind: service.KindNotFound, Message: "the remote object could not be fetched", Err: fmt.Errorf("resolve %s: %w", iri, err)}
		}
	case errors.Is(err, transport.ErrBlockedServer):
		return &service.Error{Kind: service.KindForbidden, Message: "this server does not federate with " + hostOrIRI(iri), Err: fmt.Errorf("resolve %s: %w", iri, err)}
	case errors.Is(err, transport.ErrBlockedAddress), errors.Is(err, transport.ErrIDMismatch),
		errors.Is(err, transport.ErrContentType), errors.Is(err, transport.ErrContentEncoding),
		errors.Is(err, transport.ErrTooLarge), errors.Is(err, transport.ErrTooManyRedirects),
		isJSONError(err):
		return &service.Error{Kind: service.KindInvalid, Message: "the remote document was refused", Err: fmt.Errorf("%w: %s: %w", ErrRefused, iri, err)}
	case errors.As(err, &dnsErr) && dnsErr.IsNotFound:
		return &service.Error{Kind: service.KindNotFound, Message: "the remote server does not exist", Err: fmt.Errorf("resolve %s: %w", iri, err)}
	case errors.Is(err, context.Canceled):
		return fmt.Errorf("resolve %s: %w", iri, err)
	default:
		return unreachable(iri, err)
	}
}

// hostOrIRI names the server of iri for a message.
func hostOrIRI(iri string) string {
	if h, err := HostOf(iri); err == nil {
		return h
	}
	return iri
}

// unreachable builds the passing error of an origin that did not answer.
func unreachable(iri string, err error) error {
	return &service.Error{Kind: service.KindUnavailable, Message: "the remote server is unavailable; try again later", Err: fmt.Errorf("%w: %s: %w", ErrUnreachable, iri, err)}
}

// refused builds the final error of a document that breaks a rule.
func refused(iri, why string) error {
	return &service.Error{Kind: service.KindInvalid, Message: "the remote document was refused: " + why, Err: fmt.Errorf("%w: %s: %s", ErrRefused, iri, why)}
}

// checkIRI accepts an absolute http(s) URL that fits the IRI columns and
// returns its canonical host.
func checkIRI(iri string) (string, error) {
	if len(iri) > maxIRIBytes {
		return "", refused("(too long)", "id too long")
	}
	h, err := HostOf(iri)
	if err != nil {
		return "", &service.Error{Kind: service.KindInvalid, Message: "not an http(s) URL", Err: err}
	}
	return h, nil
}

// HostOf returns the lower-cased host of an absolute http(s) URL, with its
// port only when it is not the scheme's default: the form models.Actor.Host
// uses, and the one origin checks compare.
func HostOf(raw string) (string, error) {
	u, err := url.Parse(raw)
	if err != nil {
		return "", fmt.Errorf("resolve: parse %q: %w", raw, err)
	}
	scheme := strings.ToLower(u.Scheme)
	if u.Host == "" || u.Opaque != "" || (scheme != "http" && scheme != "https") {
		return "", fmt.Errorf("resolve: %q is not an absolute http(s) URL", raw)
	}
	host, port := strings.ToLower(u.Hostname()), u.Port()
	if (scheme == "http" && port == "80") || (scheme == "https" && port == "443") {
		port = ""
	}
	switch {
	case port != "":
		return net.JoinHostPort(host, port), nil
	case strings.Contains(host, ":"):
		return "[" + host + "]", nil
	}
	return host, nil
}

// sameHost reports whether two URLs are on the same host.
func sameHost(a, b string) bool {
	ha, err1 := HostOf(a)
	hb, err2 := HostOf(b)
	return err1 == nil && err2 == nil && ha == hb
}

// normalizeHost lower-cases a host, drops one trailing dot and converts an
// internationalised name to punycode, so case, IDN and trailing-dot
// variants of a handle's host compare equal (checklist row 11).
func normalizeHost(host string) (string, error) {
	h := strings.TrimSuffix(strings.TrimSpace(host), ".")
	if h == "" {
		return "", errors.New("empty host")
	}
	name, port := h, ""
	if i := strings.LastIndexByte(h, ':'); i >= 0 && !strings.Contains(h[i+1:], "]") {
		name, port = h[:i], h[i:]
	}
	ascii, err := idna.Lookup.ToASCII(strings.TrimSuffix(name, "."))
	if err != nil || ascii == "" {
		return "", fmt.Errorf("host %q: %w", host, err)
	}
	return strings.ToLower(ascii) + port, nil
}

// cachedKey is a parsed key with a copy of its owner.
type cachedKey struct {
	owner models.Actor
	pub   crypto.PublicKey
}

// flightResult carries an actor out of singleflight with whether it was
// fetched from its origin.
type flightResult struct {
	actor *models.Actor
	fresh bool
}

// once runs fn once for concurrent callers with the same key (a burst of
// deliveries naming one unknown key triggers one fetch), without tying the
// fetch to the first caller's context: each caller stops waiting when its
// own context ends.
func (r *Resolver) once(ctx context.Context, key string, fn func(ctx context.Context) (*models.Actor, bool, error)) (*models.Actor, bool, error) {
	ch := r.flight.DoChan(key, func() (any, error) {
		a, fresh, err := fn(context.WithoutCancel(ctx))
		return flightResult{a, fresh}, err
	})
	select {
	case <-ctx.Done():
		return nil, false, fmt.Errorf("resolve: %w", ctx.Err())
	case res := <-ch:
		if res.Err != nil {
			return nil, false, res.Err
		}
		fr := res.Val.(flightResult)
		// Each caller gets its own copy: callers may change what they get.
		cp := *fr.actor
		return &cp, fr.fresh, nil
	}
}
