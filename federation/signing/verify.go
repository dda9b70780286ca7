package signing

import (
	"bytes"
	"crypto"
	"crypto/ed25519"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/go-fed/httpsig"
)

// Accepted clock skew, as Mastodon: a request may be up to 12 hours old (a
// queued retry) and up to 1 hour ahead (a peer's clock running fast).
const (
	MaxAge  = 12 * time.Hour
	MaxSkew = time.Hour
)

// Verify checks a parsed signature against r, the raw body and the signer's
// public key (an *rsa.PublicKey or ed25519.PublicKey), in this order: the
// Digest (present, signed, with a SHA-256 entry equal to sha256(body)), the
// Date and (created)/(expires) against now, then the signature itself via
// go-fed/httpsig. The request target is tried with the query string and, if
// that fails, without it, because peers disagree on whether to sign it.
// Errors are *Error.
func (p *Parsed) Verify(r *http.Request, body []byte, pub crypto.PublicKey, now time.Time) error {
	if err := p.checkDigest(r, body); err != nil {
		return err
	}
	if err := p.checkTime(r, now); err != nil {
		return err
	}
	algo, err := p.algorithmFor(pub)
	if err != nil {
		return err
	}
	return p.checkSignature(r, pub, algo)
}

// checkDigest enforces the Digest rules httpsig leaves to us: without them
// an attacker could replay a signed request with a different body.
func (p *Parsed) checkDigest(r *http.Request, body []byte) error {
	if !p.hasBody && len(body) == 0 && !p.Signs("digest") {
		return nil
	}
	if !p.Signs("digest") {
		return fail("digest mismatch: digest not signed")
	}
	values := r.Header.Values("Digest")
	if len(values) == 0 {
		return fail("digest mismatch: missing Digest header")
	}
	want := sha256.Sum256(body)
	found := false
	for _, v := range values {
		for _, entry := range strings.Split(v, ",") {
			alg, val, ok := strings.Cut(strings.TrimSpace(entry), "=")
			if !ok || !strings.EqualFold(alg, "SHA-256") {
				continue
			}
			found = true
			got, err := base64.StdEncoding.DecodeString(strings.TrimSpace(val))
			// Every SHA-256 entry must match, so that two conflicting
			// entries cannot smuggle a second body past us.
			if err != nil || !bytes.Equal(got, want[:]) {
				return fail("digest mismatch")
			}
		}
	}
	if !found {
		return fail("digest mismatch: no SHA-256 digest")
	}
	return nil
}

// checkTime enforces the replay window on every signed time: Date,
// (created) and (expires). httpsig checks none of them against our clock.
func (p *Parsed) checkTime(r *http.Request, now time.Time) error {
	inWindow := func(t time.Time) bool {
		return !t.Before(now.Add(-MaxAge)) && !t.After(now.Add(MaxSkew))
	}
	if p.Signs("date") {
		dates := r.Header.Values("Date")
		if len(dates) != 1 {
			return fail("malformed date header")
		}
		t, err := http.ParseTime(dates[0])
		if err != nil {
			return failWith("malformed date header", err)
		}
		if !inWindow(t) {
			return fail("date outside window")
		}
	}
	if p.Signs(created) && !inWindow(time.Unix(p.Created, 0)) {
		return fail("date outside window")
	}
	if p.Signs(expires) && now.After(time.Unix(p.Expires, 0)) {
		return fail("date outside window: signature expired")
	}
	return nil
}

// algorithmFor maps the announced algorithm and the key type to the httpsig
// algorithm. hs2019 (or no algorithm) defers to the key, as Mastodon does.
func (p *Parsed) algorithmFor(pub crypto.PublicKey) (httpsig.Algorithm, error) {
	switch k := pub.(type) {
	case *rsa.PublicKey:
		if k == nil {
			return "", fail("no public key")
		}
		return httpsig.RSA_SHA256, nil
	case ed25519.PublicKey:
		if p.Algorithm == AlgorithmRSASHA256 {
			return "", fail("key type does not match algorithm")
		}
		return httpsig.ED25519, nil
	case nil:
		return "", fail("no public key")
	default:
		return "", failWith("unsupported key type", fmt.Errorf("%T", pub))
	}
}

// checkSignature runs httpsig over a copy of r whose signature header is
// re-serialised from what Parse accepted. httpsig's own parser splits on every
// comma and ignores duplicates; handing it the canonical form means it checks
// exactly the parameters we validated. The key id is not part of the signed
// string, so a placeholder keeps a key id containing commas from confusing it.
func (p *Parsed) checkSignature(r *http.Request, pub crypto.PublicKey, algo httpsig.Algorithm) error {
	host := r.Host
	if host == "" && r.URL != nil {
		host = r.URL.Host
	}
	hdr := r.Header.Clone()
	hdr.Del("Authorization")
	// Go's server moves Host out of the header map; httpsig reads it there.
	hdr.Set("Host", host)
	hdr.Set("Signature", p.canonicalHeader())

	var paths, queries []string
	if r.URL != nil {
		paths = appendUnique(paths, nonEmptyPath(r.URL.EscapedPath()))
		// go-fed-based peers sign the decoded path.
		paths = appendUnique(paths, nonEmptyPath(r.URL.Path))
		queries = appendUnique(queries, r.URL.RawQuery)
	} else {
		paths = []string{"/"}
	}
	queries = appendUnique(queries, "")

	var lastErr error
	for _, q := range queries {
		for _, path := range paths {
			shadow := &http.Request{
				Method: r.Method,
				URL:    &url.URL{Path: path, RawQuery: q},
				Host:   host,
				Header: hdr,
			}
			v, err := httpsig.NewVerifier(shadow)
			if err != nil {
				// The canonical header always parses, so the only
				// refusals left are httpsig's own (created)/(expires)
				// checks against the wall clock (10 s of skew).
				return failWith("date outside window", err)
			}
			if lastErr = v.Verify(pub, algo); lastErr == nil {
				return nil
			}
		}
	}
	return failWith("signature mismatch", lastErr)
}

// canonicalHeader writes the parsed parameters back in the one layout httpsig
// parses reliably.
func (p *Parsed) canonicalHeader() string {
	var b strings.Builder
	b.WriteString(`keyId="k",algorithm="hs2019",`)
	if p.Signs(created) {
		b.WriteString("created=" + strconv.FormatInt(p.Created, 10) + ",")
	}
	if p.Signs(expires) {
		b.WriteString("expires=" + strconv.FormatInt(p.Expires, 10) + ",")
	}
	b.WriteString(`headers="` + strings.Join(p.Headers, " ") + `",`)
	b.WriteString(`signature="` + base64.StdEncoding.EncodeToString(p.signature) + `"`)
	return b.String()
}

// nonEmptyPath returns "/" for the empty path, as HTTP clients send it.
func nonEmptyPath(p string) string {
	if p == "" {
		return "/"
	}
	return p
}

// appendUnique appends s unless already present.
func appendUnique(list []string, s string) []string {
	for _, x := range list {
		if x == s {
			return list
		}
	}
	return append(list, s)
}
