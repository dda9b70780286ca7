package transport

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/practica-social/practica/federation/signing"
)

// AcceptActivityPub is the Accept header of ActivityPub fetches.
const AcceptActivityPub = `application/activity+json, application/ld+json; profile="https://www.w3.org/ns/activitystreams"`

// drainLimit bounds how much of an unwanted body we read so the connection
// can be reused; past it, closing the connection is cheaper.
const drainLimit = 64 << 10

// GetActivityPub fetches an ActivityPub document. It signs every request with
// signer (nil sends unsigned GETs), follows up to MaxRedirects redirects,
// re-checking and re-signing each hop, and requires on the final response a
// 2xx status, an ActivityPub media type and a JSON document whose "id" equals
// the final URL. The fragment of url is dropped (it never goes on the wire),
// so fetching a key id "…/actor#main-key" expects the id "…/actor". It
// returns the body and the final URL, which is the only URL the document may
// be trusted for.
func (c *Client) GetActivityPub(ctx context.Context, url string, signer *signing.Signer) (body []byte, finalURL string, err error) {
	body, final, err := c.get(ctx, url, AcceptActivityPub, signer, true)
	if err != nil {
		return nil, "", err
	}
	var doc struct {
		ID string `json:"id"`
	}
	if err := json.Unmarshal(body, &doc); err != nil {
		return nil, "", fmt.Errorf("GET %s: decode document: %w", final, err)
	}
	if !sameURL(doc.ID, final) {
		return nil, "", fmt.Errorf("GET %s: %w: id is %q", final, ErrIDMismatch, doc.ID)
	}
	return body, final, nil
}

// GetJSON is GetActivityPub without the media type and id rules, for
// WebFinger ("application/jrd+json, application/json") and NodeInfo. An empty
// accept sends "application/json".
func (c *Client) GetJSON(ctx context.Context, url string, accept string, signer *signing.Signer) (body []byte, finalURL string, err error) {
	if accept == "" {
		accept = "application/json"
	}
	return c.get(ctx, url, accept, signer, false)
}

// get performs a GET with manual redirects and returns the bounded body of
// the final 2xx response and its URL.
func (c *Client) get(ctx context.Context, rawURL, accept string, signer *signing.Signer, activityPub bool) ([]byte, string, error) {
	u, err := parseTarget(rawURL)
	if err != nil {
		return nil, "", err
	}
	ctx, cancel := context.WithTimeout(ctx, c.opts.RequestTimeout)
	defer cancel()

	for redirects := 0; ; redirects++ {
		resp, err := c.getOnce(ctx, u, accept, signer)
		if err != nil {
			return nil, "", err
		}
		if isRedirect(resp.StatusCode) {
			loc := resp.Header.Get("Location")
			drain(resp)
			if loc == "" {
				return nil, "", fmt.Errorf("GET %s: redirect %d without Location", u.Redacted(), resp.StatusCode)
			}
			if redirects >= c.opts.MaxRedirects {
				return nil, "", fmt.Errorf("GET %s: %w (more than %d)", u.Redacted(), ErrTooManyRedirects, c.opts.MaxRedirects)
			}
			next, err := u.Parse(loc)
			if err != nil {
				return nil, "", fmt.Errorf("GET %s: bad redirect Location %q: %w", u.Redacted(), loc, err)
			}
			if u.Scheme == "https" && next.Scheme == "http" {
				return nil, "", fmt.Errorf("GET %s: redirect downgrades to %s", u.Redacted(), next.Redacted())
			}
			if u, err = parseTarget(next.String()); err != nil {
				return nil, "", fmt.Errorf("redirect from %s: %w", rawURL, err)
			}
			continue
		}
		body, err := c.readFinal(resp, activityPub)
		if err != nil {
			return nil, "", fmt.Errorf("GET %s: %w", u.Redacted(), err)
		}
		return body, u.String(), nil
	}
}

// getOnce sends one (signed) GET.
func (c *Client) getOnce(ctx context.Context, u *url.URL, accept string, signer *signing.Signer) (*http.Response, error) {
	if err := c.refuseBlocked(ctx, http.MethodGet, u); err != nil {
		return nil, err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return nil, fmt.Errorf("GET %s: %w", u.Redacted(), err)
	}
	req.Header.Set("Accept", accept)
	req.Header.Set("User-Agent", c.opts.UserAgent)
	if signer != nil {
		// Signed per hop: Host and (request-target) change on a redirect.
		if err := signer.SignGet(req, time.Now()); err != nil {
			return nil, err
		}
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return nil, fmt.Errorf("GET %s: %w", u.Redacted(), err)
	}
	return resp, nil
}

// readFinal checks the final response and reads its body within the limit.
func (c *Client) readFinal(resp *http.Response, activityPub bool) ([]byte, error) {
	defer resp.Body.Close()
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		drainBody(resp.Body)
		return nil, statusError(resp)
	}
	if activityPub && !isActivityPubType(resp.Header.Get("Content-Type")) {
		return nil, fmt.Errorf("%w %q", ErrContentType, resp.Header.Get("Content-Type"))
	}
	return c.readBody(resp)
}

// readBody reads at most MaxBodyBytes of decoded body. Go's transport
// decodes gzip when it asked for it (and then removes Content-Encoding), so
// the limit counts decompressed bytes and a gzip bomb stops at the limit; any
// other encoding left on the response was not decoded and is refused.
func (c *Client) readBody(resp *http.Response) ([]byte, error) {
	if enc := strings.TrimSpace(resp.Header.Get("Content-Encoding")); enc != "" && !strings.EqualFold(enc, "identity") {
		return nil, fmt.Errorf("%w %q", ErrContentEncoding, enc)
	}
	max := c.opts.MaxBodyBytes
	if !resp.Uncompressed && resp.ContentLength > max {
		return nil, fmt.Errorf("%w: Content-Length %d over %d", ErrTooLarge, resp.ContentLength, max)
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, max+1))
	if err != nil {
		return nil, fmt.Errorf("read body: %w", err)
	}
	if int64(len(body)) > max {
		return nil, fmt.Errorf("%w: over %d bytes", ErrTooLarge, max)
	}
	return body, nil
}

// parseTarget accepts only absolute http(s) URLs with a host and no
// credentials, and drops the fragment.
func parseTarget(raw string) (*url.URL, error) {
	u, err := url.Parse(raw)
	if err != nil {
		return nil, fmt.Errorf("parse URL: %w", err)
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return nil, fmt.Errorf("URL %q: scheme must be http or https", u.Redacted())
	}
	if u.Host == "" || u.Opaque != "" {
		return nil, fmt.Errorf("URL %q: not an absolute URL with a host", u.Redacted())
	}
	if u.User != nil {
		return nil, fmt.Errorf("URL %q: credentials in URLs are not allowed", u.Redacted())
	}
	u.Fragment, u.RawFragment = "", ""
	return u, nil
}

// isRedirect reports the statuses we follow.
func isRedirect(code int) bool {
	switch code {
	case http.StatusMovedPermanently, http.StatusFound, http.StatusSeeOther,
		http.StatusTemporaryRedirect, http.StatusPermanentRedirect:
		return true
	}
	return false
}

// isActivityPubType accepts application/activity+json, and
// application/ld+json whose profile names ActivityStreams, ignoring case,
// spacing, quoting and other parameters.
func isActivityPubType(ct string) bool {
	mt, params := parseMediaType(ct)
	switch mt {
	case "application/activity+json":
		return true
	case "application/ld+json":
		for _, p := range strings.Fields(params["profile"]) {
			p = strings.TrimSuffix(strings.TrimPrefix(strings.TrimPrefix(p, "https://"), "http://"), "/")
			if p == "www.w3.org/ns/activitystreams" {
				return true
			}
		}
	}
	return false
}

// parseMediaType is a forgiving media type parser: mime.ParseMediaType
// refuses the unquoted profile URLs some servers send.
func parseMediaType(ct string) (string, map[string]string) {
	parts := strings.Split(ct, ";")
	mt := strings.ToLower(strings.TrimSpace(parts[0]))
	params := make(map[string]string, len(parts)-1)
	for _, p := range parts[1:] {
		k, v, ok := strings.Cut(p, "=")
		if !ok {
			continue
		}
		v = strings.TrimSpace(v)
		if len(v) >= 2 && v[0] == '"' && v[len(v)-1] == '"' {
			v = strings.ReplaceAll(v[1:len(v)-1], `\"`, `"`)
		}
		params[strings.ToLower(strings.TrimSpace(k))] = v
	}
	return mt, params
}

// sameURL compares a document id with the URL it came from: scheme and host
// without regard to case or a default port, path and query exactly.
func sameURL(id, final string) bool {
	a, err := url.Parse(id)
	if err != nil || id == "" {
		return false
	}
	b, err := url.Parse(final)
	if err != nil {
		return false
	}
	return strings.EqualFold(a.Scheme, b.Scheme) &&
		canonicalHost(a) == canonicalHost(b) &&
		a.User == nil && a.Opaque == "" && a.Fragment == "" &&
		nonEmptyPath(a.EscapedPath()) == nonEmptyPath(b.EscapedPath()) &&
		a.RawQuery == b.RawQuery
}

// canonicalHost lower-cases the host and drops the scheme's default port.
func canonicalHost(u *url.URL) string {
	host, port := strings.ToLower(u.Hostname()), u.Port()
	if (port == "80" && strings.EqualFold(u.Scheme, "http")) || (port == "443" && strings.EqualFold(u.Scheme, "https")) {
		port = ""
	}
	if port == "" {
		return host
	}
	return host + ":" + port
}

// nonEmptyPath treats an empty path as "/".
func nonEmptyPath(p string) string {
	if p == "" {
		return "/"
	}
	return p
}

// drain discards a bounded amount of an unwanted body and closes it, so
// the connection goes back to the pool.
func drain(resp *http.Response) {
	drainBody(resp.Body)
	resp.Body.Close()
}

// drainBody reads and discards up to drainLimit bytes.
func drainBody(r io.Reader) {
	_, _ = io.Copy(io.Discard, io.LimitReader(r, drainLimit))
}
