package signing

import (
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/go-fed/httpsig"
)

// ActivityContentType is the media type we send activities with; peers
// (Mastodon first) refuse POSTs with any other.
const ActivityContentType = "application/activity+json"

// Header lists signed on our requests. They are exactly what Mastodon signs,
// which every other implementation accepts.
var (
	postHeaders = []string{httpsig.RequestTarget, "host", "date", "digest"}
	getHeaders  = []string{httpsig.RequestTarget, "host", "date"}
)

// Signer signs outgoing requests with one actor's key. It holds no mutable
// state, so one Signer per actor can be shared by any number of goroutines.
type Signer struct {
	keyID string
	key   *rsa.PrivateKey
}

// NewSigner returns a Signer that signs with key and names keyID (the URL of
// the actor's publicKey, e.g. "https://host/c/name#main-key") in the
// signature.
func NewSigner(keyID string, key *rsa.PrivateKey) *Signer {
	return &Signer{keyID: keyID, key: key}
}

// KeyID returns the key id this Signer puts in its signatures.
func (s *Signer) KeyID() string { return s.keyID }

// SignPost prepares r for delivery of body: it sets Date (from now), Host,
// Digest "SHA-256=…", Content-Type (application/activity+json unless already
// set) and a Signature over "(request-target) host date digest". body must be
// exactly the bytes that will be sent.
func (s *Signer) SignPost(r *http.Request, body []byte, now time.Time) error {
	sum := sha256.Sum256(body)
	// Replace rather than add: a retried request must not carry two Digests.
	r.Header.Set("Digest", "SHA-256="+base64.StdEncoding.EncodeToString(sum[:]))
	if r.Header.Get("Content-Type") == "" {
		r.Header.Set("Content-Type", ActivityContentType)
	}
	if err := s.sign(r, postHeaders, now); err != nil {
		return fmt.Errorf("sign POST %s: %w", r.URL.Redacted(), err)
	}
	return nil
}

// SignGet sets Date (from now) and Host on r and signs
// "(request-target) host date", which servers in secure mode require on
// every fetch.
func (s *Signer) SignGet(r *http.Request, now time.Time) error {
	if err := s.sign(r, getHeaders, now); err != nil {
		return fmt.Errorf("sign GET %s: %w", r.URL.Redacted(), err)
	}
	return nil
}

// sign signs headers of r. go-fed's httpsig.Signer keeps a hash inside it and
// is not safe for concurrent use, so a fresh one is made per call: creating
// it costs well under a microsecond against about a millisecond for the RSA
// operation (see BenchmarkHTTPSigSignerAcquire), so pooling would buy
// nothing.
func (s *Signer) sign(r *http.Request, headers []string, now time.Time) error {
	if s == nil || s.key == nil {
		return errors.New("no signing key")
	}
	if err := checkKeyID(s.keyID); err != nil {
		return err
	}
	if r.URL == nil || r.URL.Opaque != "" {
		return errors.New("request URL must be absolute with a path")
	}
	host := r.Host
	if host == "" {
		host = r.URL.Host
	}
	if host == "" {
		return errors.New("request has no host")
	}
	// Go sends r.Host (falling back to URL.Host) as the Host header, so
	// setting it here makes what we sign what goes on the wire.
	r.Host = host
	r.Header.Set("Date", now.UTC().Format(http.TimeFormat))

	// httpsig builds the request target from URL.Path, which is the decoded
	// path; peers rebuild it from the raw path they received. Signing a copy
	// whose Path is the escaped form signs what is actually sent.
	target := r.URL.EscapedPath()
	if target == "" {
		target = "/"
	}
	hdr := r.Header.Clone()
	hdr.Del("Signature")
	hdr.Set("Host", host)
	shadow := &http.Request{
		Method: r.Method,
		URL:    &url.URL{Path: target, RawQuery: r.URL.RawQuery},
		Host:   host,
		Header: hdr,
	}
	hs, algo, err := httpsig.NewSigner([]httpsig.Algorithm{httpsig.RSA_SHA256}, httpsig.DigestSha256, headers, httpsig.Signature, 0)
	if err != nil {
		return fmt.Errorf("create httpsig signer: %w", err)
	}
	if algo != httpsig.RSA_SHA256 {
		// httpsig silently falls back to its default when our choice is
		// unavailable; a signature peers cannot check is worse than none.
		return fmt.Errorf("httpsig chose %q instead of rsa-sha256", algo)
	}
	// body is nil: the Digest is already set above, and httpsig would
	// refuse to add a second one.
	if err := hs.SignRequest(s.key, s.keyID, shadow, nil); err != nil {
		return fmt.Errorf("httpsig sign: %w", err)
	}
	sig := shadow.Header.Get("Signature")
	// httpsig always announces algorithm="hs2019"; Mastodon and older peers
	// expect "rsa-sha256" for RSA keys, and it is what we actually used. The
	// key id holds no quote (checkKeyID), so the first match is the real
	// parameter, not a piece of the key id.
	const hidden, explicit = `algorithm="hs2019"`, `algorithm="rsa-sha256"`
	if !strings.Contains(sig, hidden) {
		return errors.New("unexpected httpsig signature header layout")
	}
	r.Header.Set("Signature", strings.Replace(sig, hidden, explicit, 1))
	return nil
}

// checkKeyID refuses key ids that cannot be written inside a quoted
// parameter without escaping; httpsig does not escape.
func checkKeyID(id string) error {
	if id == "" {
		return errors.New("empty key id")
	}
	for _, c := range id {
		if c == '"' || c == '\\' || c < 0x20 || c == 0x7f {
			return fmt.Errorf("key id %q contains a character that cannot be quoted", id)
		}
	}
	return nil
}
