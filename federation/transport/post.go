package transport

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/practica-social/practica/federation/signing"
)

// errNilSigner is returned by Post without a signer: inboxes refuse
// unsigned deliveries, so sending one would only waste a request.
var errNilSigner = errors.New("post: a signer is required")

// Post delivers body (an activity) to inbox, signed by signer with a fresh
// Date and Digest, as application/activity+json. Redirects are not followed:
// a delivery goes to the inbox the actor published. A non-2xx answer is a
// *StatusError carrying any Retry-After. The response body is drained up to
// a bound and discarded so the connection is reused.
func (c *Client) Post(ctx context.Context, inbox string, body []byte, signer *signing.Signer) error {
	if signer == nil {
		return errNilSigner
	}
	u, err := parseTarget(inbox)
	if err != nil {
		return fmt.Errorf("post: %w", err)
	}
	if err := c.refuseBlocked(ctx, http.MethodPost, u); err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, c.opts.RequestTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, u.String(), bytes.NewReader(body))
	if err != nil {
		return fmt.Errorf("POST %s: %w", u.Redacted(), err)
	}
	req.Header.Set("Content-Type", signing.ActivityContentType)
	req.Header.Set("Accept", AcceptActivityPub)
	req.Header.Set("User-Agent", c.opts.UserAgent)
	if err := signer.SignPost(req, body, time.Now()); err != nil {
		return err
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return fmt.Errorf("POST %s: %w", u.Redacted(), err)
	}
	drain(resp)
	if resp.StatusCode >= 200 && resp.StatusCode <= 299 {
		return nil
	}
	return fmt.Errorf("POST %s: %w", u.Redacted(), statusError(resp))
}

// statusError builds the *StatusError of a non-2xx response.
func statusError(resp *http.Response) *StatusError {
	return &StatusError{Code: resp.StatusCode, RetryAfter: parseRetryAfter(resp.Header.Get("Retry-After"), time.Now())}
}

// parseRetryAfter reads Retry-After as delay-seconds or an HTTP date
// relative to now. Unparseable, negative or past values give 0.
func parseRetryAfter(v string, now time.Time) time.Duration {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0
	}
	if n, err := strconv.ParseInt(v, 10, 64); err == nil {
		if n <= 0 {
			return 0
		}
		if n > math.MaxInt64/int64(time.Second) {
			return time.Duration(math.MaxInt64)
		}
		return time.Duration(n) * time.Second
	}
	if t, err := http.ParseTime(v); err == nil {
		if d := t.Sub(now); d > 0 {
			return d
		}
	}
	return 0
}
