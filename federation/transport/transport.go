// Package transport is the only HTTP client Practica uses to talk to other
// servers. It signs requests, refuses to connect to private addresses (the
// check runs on the address actually dialled, so DNS rebinding and redirects
// cannot get around it), follows redirects itself, bounds time and size, and
// enforces the ActivityPub rules on fetched documents.
package transport

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"time"
)

// Defaults for the zero values of Options.
const (
	DefaultRequestTimeout  = 30 * time.Second
	DefaultMaxBodyBytes    = 1 << 20
	DefaultMaxConnsPerHost = 16
	DefaultMaxRedirects    = 3
	DefaultUserAgent       = "Practica"
)

// Errors callers test for with errors.Is.
var (
	// ErrBlockedAddress marks a connection refused by the SSRF guard.
	ErrBlockedAddress = errors.New("address is not allowed")
	// ErrTooLarge marks a response body over MaxBodyBytes after decompression.
	ErrTooLarge = errors.New("response body too large")
	// ErrContentType marks a fetched document that is not ActivityPub.
	ErrContentType = errors.New("unexpected content type")
	// ErrContentEncoding marks a body in an encoding the transport did not
	// decode (anything but gzip, which Go decodes itself).
	ErrContentEncoding = errors.New("unexpected content encoding")
	// ErrIDMismatch marks a document whose id is not the URL it was
	// fetched from after redirects.
	ErrIDMismatch = errors.New("document id does not match its URL")
	// ErrTooManyRedirects marks a chain of more than MaxRedirects redirects.
	ErrTooManyRedirects = errors.New("too many redirects")
	// ErrBlockedServer marks a request to a server the admins blocked
	// (Options.Blocked): it is never sent.
	ErrBlockedServer = errors.New("the server is blocked here")
)

// StatusError is returned when a remote answers outside 2xx.
type StatusError struct {
	// Code is the HTTP status code.
	Code int
	// RetryAfter is the delay the remote asked for in Retry-After (seconds
	// or an HTTP date), 0 if absent or unparseable. It is not capped:
	// capping is the delivery scheduler's policy.
	RetryAfter time.Duration
}

// Error implements error.
func (e *StatusError) Error() string {
	if e.RetryAfter > 0 {
		return fmt.Sprintf("remote answered %d %s (retry after %s)", e.Code, http.StatusText(e.Code), e.RetryAfter)
	}
	return fmt.Sprintf("remote answered %d %s", e.Code, http.StatusText(e.Code))
}

// Options configures a Client. Zero values take the defaults above.
type Options struct {
	// UserAgent names the software and instance, e.g.
	// "Practica/0.1 (+https://example.org)"; some peers refuse requests
	// without one.
	UserAgent string
	// AllowPrivate lists prefixes that may be reached even though they are
	// private, loopback or otherwise blocked: test networks only.
	AllowPrivate []netip.Prefix
	// Resolve overrides DNS for test rigs: given a host (no port) it returns
	// its addresses. nil means net.DefaultResolver.
	Resolve func(ctx context.Context, host string) ([]netip.Addr, error)
	// PortOverride maps the "host:port" a URL names to the port actually
	// dialled, for test rigs where several instances listen on loopback
	// under host names (e.g. "org-a.test:80" -> "41234"). nil means none.
	PortOverride func(hostport string) (port string, ok bool)
	// RequestTimeout is the total deadline of one call, redirects and body
	// included. Default 30 s.
	RequestTimeout time.Duration
	// MaxBodyBytes bounds a response body after decompression. Default 1 MiB.
	MaxBodyBytes int64
	// MaxConnsPerHost bounds connections to one host. Default 16.
	MaxConnsPerHost int
	// MaxRedirects bounds redirects followed by one GET. Default 3; a
	// negative value follows none.
	MaxRedirects int
	// Blocked says whether a host ("name" or "name:port") is a server
	// the admins blocked; requests to it, redirects included, fail with
	// ErrBlockedServer before anything is dialled. nil blocks none.
	Blocked func(ctx context.Context, host string) bool
}

// withDefaults fills in zero values.
func (o Options) withDefaults() Options {
	if o.UserAgent == "" {
		o.UserAgent = DefaultUserAgent
	}
	if o.RequestTimeout <= 0 {
		o.RequestTimeout = DefaultRequestTimeout
	}
	if o.MaxBodyBytes <= 0 {
		o.MaxBodyBytes = DefaultMaxBodyBytes
	}
	if o.MaxConnsPerHost <= 0 {
		o.MaxConnsPerHost = DefaultMaxConnsPerHost
	}
	if o.MaxRedirects == 0 {
		o.MaxRedirects = DefaultMaxRedirects
	} else if o.MaxRedirects < 0 {
		o.MaxRedirects = 0
	}
	return o
}

// Client talks to other servers. It is safe for concurrent use and should be
// shared: it keeps a pool of keep-alive connections.
type Client struct {
	opts   Options
	guard  guard
	dialer *net.Dialer
	http   *http.Client
}

// New returns a Client configured by o.
func New(o Options) *Client {
	o = o.withDefaults()
	c := &Client{
		opts:  o,
		guard: newGuard(o.AllowPrivate),
	}
	c.dialer = &net.Dialer{
		Timeout:   10 * time.Second,
		KeepAlive: 30 * time.Second,
		// Control runs on the socket about to connect, with the numeric
		// address: the last word on where we connect, whatever resolved it.
		Control: c.guard.control,
	}
	tr := &http.Transport{
		// Never go through a proxy taken from the environment: the guard
		// would then check the proxy's address, not the target's.
		Proxy:                  nil,
		DialContext:            c.dialContext,
		ForceAttemptHTTP2:      true,
		MaxIdleConns:           256,
		MaxIdleConnsPerHost:    o.MaxConnsPerHost,
		MaxConnsPerHost:        o.MaxConnsPerHost,
		IdleConnTimeout:        90 * time.Second,
		TLSHandshakeTimeout:    10 * time.Second,
		ExpectContinueTimeout:  time.Second,
		MaxResponseHeaderBytes: 64 << 10,
		TLSClientConfig:        &tls.Config{MinVersion: tls.VersionTLS12},
	}
	c.http = &http.Client{
		Transport: tr,
		// Redirects are followed by hand so that each hop is re-signed and
		// the final URL is known for the id check.
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
	return c
}

// refuseBlocked fails for a URL on a blocked server.
func (c *Client) refuseBlocked(ctx context.Context, method string, u *url.URL) error {
	if c.opts.Blocked != nil && c.opts.Blocked(ctx, u.Host) {
		return fmt.Errorf("%s %s: %w", method, u.Redacted(), ErrBlockedServer)
	}
	return nil
}

// CloseIdleConnections closes pooled connections, e.g. at shutdown.
func (c *Client) CloseIdleConnections() { c.http.CloseIdleConnections() }
