package signing

import (
	"bufio"
	"bytes"
	"crypto"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/sha512"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

const testKeyID = "https://org-a.test/c/gardening#main-key"

// fixedNow is the clock of most tests, far from the wall clock so that a
// check accidentally using time.Now would show.
func fixedNow() time.Time { return time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC) }

// transmit serialises a client request and reads it back as a server
// would, so verification sees exactly what crosses the wire (Host moved out
// of the header map, raw path, and so on).
func transmit(t testing.TB, r *http.Request) *http.Request {
	t.Helper()
	var buf bytes.Buffer
	if err := r.Write(&buf); err != nil {
		t.Fatalf("write request: %v", err)
	}
	sr, err := http.ReadRequest(bufio.NewReader(&buf))
	if err != nil {
		t.Fatalf("read request: %v", err)
	}
	return sr
}

// signedPost returns the server side of a POST of body signed by s at now.
func signedPost(t testing.TB, s *Signer, target string, body []byte, now time.Time) *http.Request {
	t.Helper()
	r, err := http.NewRequest(http.MethodPost, target, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if err := s.SignPost(r, body, now); err != nil {
		t.Fatalf("SignPost: %v", err)
	}
	return transmit(t, r)
}

// signedGet returns the server side of a GET signed by s at now.
func signedGet(t testing.TB, s *Signer, target string, now time.Time) *http.Request {
	t.Helper()
	r, err := http.NewRequest(http.MethodGet, target, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.SignGet(r, now); err != nil {
		t.Fatalf("SignGet: %v", err)
	}
	return transmit(t, r)
}

// check runs both verification steps.
func check(r *http.Request, body []byte, pub crypto.PublicKey, now time.Time) error {
	p, err := Parse(r)
	if err != nil {
		return err
	}
	return p.Verify(r, body, pub, now)
}

// wantReason fails unless err is an *Error whose Reason contains reason.
func wantReason(t *testing.T, err error, reason string) {
	t.Helper()
	var se *Error
	if !errors.As(err, &se) {
		t.Fatalf("error %v (%T) is not a *signing.Error; want reason %q", err, err, reason)
	}
	if !strings.Contains(se.Reason, reason) {
		t.Fatalf("reason %q, want it to contain %q", se.Reason, reason)
	}
}

// rawSign signs r (server side) by hand, the way Mastodon builds the signing
// string, so that the tests do not merely check httpsig against itself and
// can produce headers our Signer never would.
func rawSign(t testing.TB, key crypto.Signer, r *http.Request, headers []string, params string) {
	t.Helper()
	target := r.URL.RequestURI()
	if k, ok := key.(*rsaNoQuery); ok {
		target, key = r.URL.EscapedPath(), k.PrivateKey
	}
	var lines []string
	for _, h := range headers {
		switch h {
		case "(request-target)":
			lines = append(lines, h+": "+strings.ToLower(r.Method)+" "+target)
		case "(created)", "(expires)":
			name := strings.Trim(h, "()")
			v := paramValue(params, name)
			lines = append(lines, h+": "+v)
		case "host":
			lines = append(lines, "host: "+r.Host)
		default:
			var vs []string
			for _, v := range r.Header.Values(h) {
				vs = append(vs, strings.TrimSpace(v))
			}
			lines = append(lines, h+": "+strings.Join(vs, ", "))
		}
	}
	msg := []byte(strings.Join(lines, "\n"))
	var sig []byte
	var err error
	switch k := key.(type) {
	case *rsa.PrivateKey:
		sum := sha256.Sum256(msg)
		sig, err = rsa.SignPKCS1v15(rand.Reader, k, crypto.SHA256, sum[:])
	case ed25519.PrivateKey:
		sig = ed25519.Sign(k, msg)
	default:
		t.Fatalf("unsupported key %T", key)
	}
	if err != nil {
		t.Fatal(err)
	}
	if params != "" {
		params += ","
	}
	r.Header.Set("Signature", fmt.Sprintf(`keyId=%q,%sheaders=%q,signature=%q`,
		testKeyID, params, strings.Join(headers, " "), base64.StdEncoding.EncodeToString(sig)))
}

// paramValue extracts name=value from a comma-separated parameter list.
func paramValue(params, name string) string {
	for _, p := range strings.Split(params, ",") {
		if k, v, ok := strings.Cut(p, "="); ok && k == name {
			return strings.Trim(v, `"`)
		}
	}
	return ""
}

// serverRequest builds a server-side request carrying body, with Date and
// Digest set as a sender would, ready for rawSign.
func serverRequest(method, target string, body []byte, date time.Time) *http.Request {
	r := httptest.NewRequest(method, target, bytes.NewReader(body))
	r.Header.Set("Date", date.UTC().Format(http.TimeFormat))
	if body != nil {
		sum := sha256.Sum256(body)
		r.Header.Set("Digest", "SHA-256="+base64.StdEncoding.EncodeToString(sum[:]))
	}
	return r
}

var postHeaderList = []string{"(request-target)", "host", "date", "digest"}

func TestSignPostRoundTrip(t *testing.T) {
	key := testKey(t, "a")
	s := NewSigner(testKeyID, key)
	body := []byte(`{"type":"Follow"}`)
	r := signedPost(t, s, "https://org-b.test/inbox", body, fixedNow())

	if got := r.Header.Get("Content-Type"); got != "application/activity+json" {
		t.Errorf("Content-Type %q", got)
	}
	if got := r.Header.Get("Date"); got != "Sat, 01 Mar 2025 12:00:00 GMT" {
		t.Errorf("Date %q", got)
	}
	if !strings.HasPrefix(r.Header.Get("Digest"), "SHA-256=") {
		t.Errorf("Digest %q", r.Header.Get("Digest"))
	}
	sig := r.Header.Get("Signature")
	for _, want := range []string{`keyId="` + testKeyID + `"`, `algorithm="rsa-sha256"`, `headers="(request-target) host date digest"`} {
		if !strings.Contains(sig, want) {
			t.Errorf("Signature %q lacks %s", sig, want)
		}
	}
	p, err := Parse(r)
	if err != nil {
		t.Fatal(err)
	}
	if p.KeyID != testKeyID || p.Algorithm != "rsa-sha256" {
		t.Errorf("parsed %+v", p)
	}
	if err := p.Verify(r, body, &key.PublicKey, fixedNow()); err != nil {
		t.Fatalf("Verify: %v", err)
	}
}

func TestSignPostKeepsContentType(t *testing.T) {
	s := NewSigner(testKeyID, testKey(t, "a"))
	r, _ := http.NewRequest(http.MethodPost, "https://org-b.test/inbox", nil)
	r.Header.Set("Content-Type", `application/ld+json; profile="https://www.w3.org/ns/activitystreams"`)
	if err := s.SignPost(r, nil, fixedNow()); err != nil {
		t.Fatal(err)
	}
	if got := r.Header.Get("Content-Type"); !strings.HasPrefix(got, "application/ld+json") {
		t.Errorf("Content-Type overwritten: %q", got)
	}
}

func TestSignGetRoundTrip(t *testing.T) {
	key := testKey(t, "a")
	r := signedGet(t, NewSigner(testKeyID, key), "https://org-b.test/users/alice", fixedNow())
	if r.Header.Get("Digest") != "" {
		t.Error("GET carries a Digest")
	}
	if !strings.Contains(r.Header.Get("Signature"), `headers="(request-target) host date"`) {
		t.Errorf("Signature %q", r.Header.Get("Signature"))
	}
	if err := check(r, nil, &key.PublicKey, fixedNow()); err != nil {
		t.Fatal(err)
	}
}

// A retried delivery re-signs the same request: the second signature must
// replace the first rather than accumulate.
func TestResignReplaces(t *testing.T) {
	key := testKey(t, "a")
	s := NewSigner(testKeyID, key)
	body := []byte(`{}`)
	r, _ := http.NewRequest(http.MethodPost, "https://org-b.test/inbox", bytes.NewReader(body))
	if err := s.SignPost(r, body, fixedNow().Add(-time.Hour)); err != nil {
		t.Fatal(err)
	}
	if err := s.SignPost(r, body, fixedNow()); err != nil {
		t.Fatal(err)
	}
	for _, h := range []string{"Signature", "Date", "Digest"} {
		if n := len(r.Header.Values(h)); n != 1 {
			t.Errorf("%d %s headers", n, h)
		}
	}
	if err := check(transmit(t, r), body, &key.PublicKey, fixedNow()); err != nil {
		t.Fatal(err)
	}
}

func TestSignRefusesBadKeyID(t *testing.T) {
	for _, id := range []string{"", `https://x/"a`, "https://x/\\a", "https://x/\na"} {
		r, _ := http.NewRequest(http.MethodGet, "https://org-b.test/", nil)
		if err := NewSigner(id, testKey(t, "a")).SignGet(r, fixedNow()); err == nil {
			t.Errorf("key id %q accepted", id)
		}
	}
}

func TestVerifyOtherKeyFails(t *testing.T) {
	body := []byte(`{"type":"Create"}`)
	r := signedPost(t, NewSigner(testKeyID, testKey(t, "a")), "https://org-b.test/inbox", body, fixedNow())
	wantReason(t, check(r, body, &testKey(t, "b").PublicKey, fixedNow()), "signature mismatch")

	edPub, err := ParsePublicKey(readTestdata(t, "ed25519_pub.pem"))
	if err != nil {
		t.Fatal(err)
	}
	// algorithm="rsa-sha256" with an Ed25519 key must not be reinterpreted.
	wantReason(t, check(r, body, edPub, fixedNow()), "key type does not match algorithm")
}

func TestVerifyTamperedSignedHeader(t *testing.T) {
	key := testKey(t, "a")
	body := []byte(`{}`)
	r := signedPost(t, NewSigner(testKeyID, key), "https://org-b.test/inbox", body, fixedNow())
	r.Host = "evil.test"
	wantReason(t, check(r, body, &key.PublicKey, fixedNow()), "signature mismatch")

	r = signedPost(t, NewSigner(testKeyID, key), "https://org-b.test/inbox", body, fixedNow())
	r.URL.Path = "/other-inbox"
	wantReason(t, check(r, body, &key.PublicKey, fixedNow()), "signature mismatch")
}

func TestQueryStringTolerance(t *testing.T) {
	key := testKey(t, "a")
	now := fixedNow()

	// Signed with the query; verified with it.
	r := signedGet(t, NewSigner(testKeyID, key), "https://org-b.test/outbox?page=2", now)
	if err := check(r, nil, &key.PublicKey, now); err != nil {
		t.Errorf("signed with query: %v", err)
	}

	// Signed without the query (some peers drop it); the request has one.
	r = serverRequest(http.MethodGet, "https://org-b.test/outbox?page=2", nil, now)
	signer := &rsaNoQuery{key}
	rawSign(t, signer, r, []string{"(request-target)", "host", "date"}, `algorithm="hs2019"`)
	if err := check(r, nil, &key.PublicKey, now); err != nil {
		t.Errorf("signed without query: %v", err)
	}

	// A different query is still a mismatch.
	r = signedGet(t, NewSigner(testKeyID, key), "https://org-b.test/outbox?page=2", now)
	r.URL.RawQuery = "page=3"
	wantReason(t, check(r, nil, &key.PublicKey, now), "signature mismatch")
}

// rsaNoQuery marks a key whose rawSign signature leaves out the query
// string, as some implementations do.
type rsaNoQuery struct{ *rsa.PrivateKey }

// parseEd25519Private reads the PKCS#8 Ed25519 test key.
func parseEd25519Private(pemText string) (ed25519.PrivateKey, error) {
	block, _ := pem.Decode([]byte(pemText))
	if block == nil {
		return nil, errors.New("no PEM block")
	}
	k, err := x509.ParsePKCS8PrivateKey(block.Bytes)
	if err != nil {
		return nil, err
	}
	ek, ok := k.(ed25519.PrivateKey)
	if !ok {
		return nil, fmt.Errorf("key is %T", k)
	}
	return ek, nil
}

func TestEscapedPath(t *testing.T) {
	key := testKey(t, "a")
	body := []byte(`{}`)
	r := signedPost(t, NewSigner(testKeyID, key), "https://org-b.test/c/caf%C3%A9%2Fx/inbox", body, fixedNow())
	if got := r.URL.EscapedPath(); got != "/c/caf%C3%A9%2Fx/inbox" {
		t.Fatalf("path on the wire %q", got)
	}
	if err := check(r, body, &key.PublicKey, fixedNow()); err != nil {
		t.Fatal(err)
	}
}

func TestAuthorizationHeaderForm(t *testing.T) {
	key := testKey(t, "a")
	r := signedGet(t, NewSigner(testKeyID, key), "https://org-b.test/users/alice", fixedNow())
	r.Header.Set("Authorization", "Signature "+r.Header.Get("Signature"))
	r.Header.Del("Signature")
	if err := check(r, nil, &key.PublicKey, fixedNow()); err != nil {
		t.Fatal(err)
	}
	// Other schemes are not a signature.
	r.Header.Set("Authorization", "Bearer abc")
	wantReason(t, check(r, nil, &key.PublicKey, fixedNow()), "missing signature")
}

// TestMastodonStyle checks a hand-built signature in Mastodon's exact form,
// independent of httpsig's signing side.
func TestMastodonStyle(t *testing.T) {
	key := testKey(t, "a")
	body := []byte(`{"type":"Announce"}`)
	r := serverRequest(http.MethodPost, "https://org-b.test/inbox", body, fixedNow())
	rawSign(t, key, r, postHeaderList, `algorithm="rsa-sha256"`)
	if err := check(r, body, &key.PublicKey, fixedNow()); err != nil {
		t.Fatal(err)
	}
	// No algorithm parameter at all is treated like hs2019.
	r = serverRequest(http.MethodPost, "https://org-b.test/inbox", body, fixedNow())
	rawSign(t, key, r, postHeaderList, "")
	if err := check(r, body, &key.PublicKey, fixedNow()); err != nil {
		t.Fatal(err)
	}
}

func TestEd25519HS2019(t *testing.T) {
	privAny, err := parseEd25519Private(readTestdata(t, "ed25519.pem"))
	if err != nil {
		t.Fatal(err)
	}
	pub, err := ParsePublicKey(readTestdata(t, "ed25519_pub.pem"))
	if err != nil {
		t.Fatal(err)
	}
	body := []byte(`{}`)
	r := serverRequest(http.MethodPost, "https://org-b.test/inbox", body, fixedNow())
	rawSign(t, privAny, r, postHeaderList, `algorithm="hs2019"`)
	if err := check(r, body, pub, fixedNow()); err != nil {
		t.Fatal(err)
	}
}

func TestKeyIDWithComma(t *testing.T) {
	key := testKey(t, "a")
	const id = "https://org-a.test/users/a,b/main-key"
	r := signedGet(t, NewSigner(id, key), "https://org-b.test/x", fixedNow())
	p, err := Parse(r)
	if err != nil {
		t.Fatal(err)
	}
	if p.KeyID != id {
		t.Errorf("KeyID %q", p.KeyID)
	}
	if err := p.Verify(r, nil, &key.PublicKey, fixedNow()); err != nil {
		t.Fatal(err)
	}
}

func TestConcurrentSigning(t *testing.T) {
	key := testKey(t, "a")
	s := NewSigner(testKeyID, key)
	var wg sync.WaitGroup
	errs := make(chan error, 16)
	for i := range 16 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			body := []byte(`{"n":` + strconv.Itoa(i) + `}`)
			r, _ := http.NewRequest(http.MethodPost, "https://org-b.test/inbox", bytes.NewReader(body))
			if err := s.SignPost(r, body, fixedNow()); err != nil {
				errs <- err
				return
			}
			var buf bytes.Buffer
			if err := r.Write(&buf); err != nil {
				errs <- err
				return
			}
			sr, err := http.ReadRequest(bufio.NewReader(&buf))
			if err != nil {
				errs <- err
				return
			}
			errs <- check(sr, body, &key.PublicKey, fixedNow())
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Error(err)
		}
	}
}

func TestParseRefusals(t *testing.T) {
	const sig = `signature="AAAA"`
	const ok = `keyId="k",algorithm="rsa-sha256",headers="(request-target) host date digest",` + sig
	for _, tc := range []struct {
		name, header, reason string
		method               string
	}{
		{"unsigned", "", "missing signature", ""},
		{"only spaces", "   ", "missing signature", ""},
		{"no equals", `keyId`, "malformed signature header", ""},
		{"unterminated quote", `keyId="k,` + sig, "malformed signature header", ""},
		{"garbage after value", `keyId="k"x,` + sig, "malformed signature header", ""},
		{"empty name", `="k",` + sig, "malformed signature header", ""},
		{"trailing comma", ok + ",", "malformed signature header", ""},
		{"control char", "keyId=\"k\x01\"," + sig, "malformed signature header", ""},
		{"not base64", `keyId="k",headers="(request-target) host date digest",signature="!!!"`, "malformed signature header", ""},
		{"bad created", `keyId="k",created=abc,headers="(request-target) host (created) digest",` + sig, "malformed signature header", ""},
		{"unknown pseudo-header", `keyId="k",headers="(request-target) (foo) host date digest",` + sig, "malformed signature header", ""},
		{"header listed twice", `keyId="k",headers="(request-target) host date date digest",` + sig, "malformed signature header", ""},
		{"duplicate keyId", `keyId="k",keyId="evil",headers="(request-target) host date digest",` + sig, `duplicate signature parameter "keyId"`, ""},
		{"duplicate keyId other case", `keyId="k",keyid="evil",headers="(request-target) host date digest",` + sig, `duplicate signature parameter "keyid"`, ""},
		{"duplicate signature", ok + `,signature="BBBB"`, `duplicate signature parameter "signature"`, ""},
		{"duplicate headers", ok + `,headers="date"`, `duplicate signature parameter "headers"`, ""},
		{"hmac", `keyId="k",algorithm="hmac-sha256",headers="(request-target) host date digest",` + sig, `unsupported algorithm "hmac-sha256"`, ""},
		{"rsa-sha1", `keyId="k",algorithm="rsa-sha1",headers="(request-target) host date digest",` + sig, `unsupported algorithm "rsa-sha1"`, ""},
		{"ecdsa", `keyId="k",algorithm="ecdsa-sha256",headers="(request-target) host date digest",` + sig, `unsupported algorithm`, ""},
		{"missing keyId", `algorithm="rsa-sha256",headers="(request-target) host date digest",` + sig, `missing signature parameter "keyId"`, ""},
		{"empty keyId", `keyId="",headers="(request-target) host date digest",` + sig, `missing signature parameter "keyId"`, ""},
		{"missing signature", `keyId="k",headers="(request-target) host date digest"`, `missing signature parameter "signature"`, ""},
		{"default headers", `keyId="k",` + sig, "(request-target) not signed", ""},
		{"no request target", `keyId="k",headers="host date digest",` + sig, "(request-target) not signed", ""},
		{"GET without host", `keyId="k",headers="(request-target) date",` + sig, "host not signed", http.MethodGet},
		{"neither date nor created", `keyId="k",headers="(request-target) host digest",` + sig, "date not signed", ""},
		{"created signed but absent", `keyId="k",headers="(request-target) host (created) digest",` + sig, `missing signature parameter "created"`, ""},
		{"POST without digest", `keyId="k",headers="(request-target) host date",` + sig, "digest mismatch: digest not signed", ""},
		{"too long", `keyId="` + strings.Repeat("a", 9000) + `",` + sig, "malformed signature header", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			method := tc.method
			if method == "" {
				method = http.MethodPost
			}
			r := httptest.NewRequest(method, "https://org-b.test/inbox", nil)
			if tc.header != "" {
				r.Header.Set("Signature", tc.header)
			}
			_, err := Parse(r)
			wantReason(t, err, tc.reason)
		})
	}
}

func TestParseTwoSignatureHeaders(t *testing.T) {
	r := httptest.NewRequest(http.MethodGet, "https://org-b.test/", nil)
	r.Header.Add("Signature", `keyId="a",headers="(request-target) host date",signature="AAAA"`)
	r.Header.Add("Signature", `keyId="b",headers="(request-target) host date",signature="AAAA"`)
	_, err := Parse(r)
	wantReason(t, err, `duplicate signature parameter "keyId"`)
}

func TestParseLenientSyntax(t *testing.T) {
	r := httptest.NewRequest(http.MethodGet, "https://org-b.test/", nil)
	// Spaces after commas, upper-case algorithm, unquoted created, escaped
	// quote in the key id, an unknown parameter: all legal.
	r.Header.Set("Signature", `keyId="https://x/\"k", Algorithm="HS2019",  created=1700000000 , headers="(request-target) host (created)", foo=bar, signature="AAAA"`)
	p, err := Parse(r)
	if err != nil {
		t.Fatal(err)
	}
	if p.KeyID != `https://x/"k` || p.Algorithm != "hs2019" || p.Created != 1700000000 {
		t.Errorf("parsed %+v", p)
	}
}

func TestDigestRefusals(t *testing.T) {
	key := testKey(t, "a")
	now := fixedNow()
	body := []byte(`{"type":"Create"}`)
	sign := func(digest string, headers []string) *http.Request {
		r := serverRequest(http.MethodPost, "https://org-b.test/inbox", body, now)
		if digest == "-" {
			r.Header.Del("Digest")
		} else if digest != "" {
			r.Header.Set("Digest", digest)
		}
		rawSign(t, key, r, headers, `algorithm="rsa-sha256"`)
		return r
	}
	sum256 := sha256.Sum256(body)
	sum512 := sha512.Sum512(body)
	b64 := base64.StdEncoding.EncodeToString

	t.Run("altered body", func(t *testing.T) {
		r := sign("", postHeaderList)
		wantReason(t, check(r, []byte(`{"type":"Delete"}`), &key.PublicKey, now), "digest mismatch")
	})
	t.Run("missing", func(t *testing.T) {
		r := sign("-", []string{"(request-target)", "host", "date"})
		r.Header.Set("Signature", strings.Replace(r.Header.Get("Signature"), `headers="(request-target) host date"`, `headers="(request-target) host date digest"`, 1))
		wantReason(t, check(r, body, &key.PublicKey, now), "digest mismatch: missing Digest header")
	})
	t.Run("unsigned", func(t *testing.T) {
		r := sign("", []string{"(request-target)", "host", "date"})
		wantReason(t, check(r, body, &key.PublicKey, now), "digest mismatch: digest not signed")
	})
	t.Run("only SHA-512", func(t *testing.T) {
		r := sign("SHA-512="+b64(sum512[:]), postHeaderList)
		wantReason(t, check(r, body, &key.PublicKey, now), "digest mismatch: no SHA-256 digest")
	})
	t.Run("conflicting SHA-256 entries", func(t *testing.T) {
		other := sha256.Sum256([]byte("x"))
		r := sign("SHA-256="+b64(sum256[:])+", SHA-256="+b64(other[:]), postHeaderList)
		wantReason(t, check(r, body, &key.PublicKey, now), "digest mismatch")
	})
	t.Run("unsigned digest on a GET with a body", func(t *testing.T) {
		r := serverRequest(http.MethodGet, "https://org-b.test/x", nil, now)
		rawSign(t, key, r, []string{"(request-target)", "host", "date"}, "")
		wantReason(t, check(r, body, &key.PublicKey, now), "digest mismatch: digest not signed")
	})
	for name, digest := range map[string]string{
		"lower case":       "sha-256=" + b64(sum256[:]),
		"several digests":  "SHA-512=" + b64(sum512[:]) + ", SHA-256=" + b64(sum256[:]),
		"unknown alg too":  "MD5=abc,SHA-256=" + b64(sum256[:]),
		"spaces around it": " SHA-256=" + b64(sum256[:]) + " ",
	} {
		t.Run("accepts "+name, func(t *testing.T) {
			if err := check(sign(digest, postHeaderList), body, &key.PublicKey, now); err != nil {
				t.Fatal(err)
			}
		})
	}
}

func TestDateWindow(t *testing.T) {
	key := testKey(t, "a")
	s := NewSigner(testKeyID, key)
	now := fixedNow()
	body := []byte(`{}`)
	for _, tc := range []struct {
		name   string
		signed time.Time
		ok     bool
	}{
		{"now", now, true},
		{"11h59m old", now.Add(-11*time.Hour - 59*time.Minute), true},
		{"13h old", now.Add(-13 * time.Hour), false},
		{"59m ahead", now.Add(59 * time.Minute), true},
		{"2h ahead", now.Add(2 * time.Hour), false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := check(signedPost(t, s, "https://org-b.test/inbox", body, tc.signed), body, &key.PublicKey, now)
			if tc.ok && err != nil {
				t.Fatal(err)
			}
			if !tc.ok {
				wantReason(t, err, "date outside window")
			}
		})
	}
	t.Run("unparseable date", func(t *testing.T) {
		r := signedPost(t, s, "https://org-b.test/inbox", body, now)
		r.Header.Set("Date", "yesterday")
		wantReason(t, check(r, body, &key.PublicKey, now), "malformed date header")
	})
	t.Run("two dates", func(t *testing.T) {
		r := signedPost(t, s, "https://org-b.test/inbox", body, now)
		r.Header.Add("Date", now.Format(http.TimeFormat))
		wantReason(t, check(r, body, &key.PublicKey, now), "malformed date header")
	})
}

// (created) and (expires) are checked against our clock too. httpsig checks
// them against the wall clock, so these tests use it.
func TestCreatedExpires(t *testing.T) {
	key := testKey(t, "a")
	now := time.Now()
	body := []byte(`{}`)
	headers := []string{"(request-target)", "host", "(created)", "(expires)", "digest"}
	sign := func(created, expires time.Time) *http.Request {
		r := serverRequest(http.MethodPost, "https://org-b.test/inbox", body, now)
		r.Header.Del("Date")
		rawSign(t, key, r, headers, fmt.Sprintf(`algorithm="hs2019",created=%d,expires=%d`, created.Unix(), expires.Unix()))
		return r
	}
	if err := check(sign(now.Add(-time.Minute), now.Add(time.Hour)), body, &key.PublicKey, now); err != nil {
		t.Fatalf("fresh: %v", err)
	}
	wantReason(t, check(sign(now.Add(-13*time.Hour), now.Add(time.Hour)), body, &key.PublicKey, now), "date outside window")
	wantReason(t, check(sign(now.Add(-2*time.Hour), now.Add(-time.Hour)), body, &key.PublicKey, now), "signature expired")
	// created two hours ahead of our clock.
	wantReason(t, check(sign(now.Add(2*time.Hour), now.Add(3*time.Hour)), body, &key.PublicKey, now), "date outside window")
}

func TestVerifyNeedsKey(t *testing.T) {
	r := signedGet(t, NewSigner(testKeyID, testKey(t, "a")), "https://org-b.test/", fixedNow())
	wantReason(t, check(r, nil, nil, fixedNow()), "no public key")
	wantReason(t, check(r, nil, "not a key", fixedNow()), "unsupported key type")
}

// TestOverRealHTTP runs a signed POST through a real server, where Go moves
// Host out of the header map and reads the body from the connection.
func TestOverRealHTTP(t *testing.T) {
	key := testKey(t, "a")
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		if err := check(r, body, &key.PublicKey, time.Now()); err != nil {
			http.Error(w, err.(*Error).Reason, http.StatusUnauthorized)
			return
		}
		w.WriteHeader(http.StatusAccepted)
	}))
	defer srv.Close()
	body := []byte(`{"type":"Like"}`)
	r, _ := http.NewRequest(http.MethodPost, srv.URL+"/inbox?x=1", bytes.NewReader(body))
	if err := NewSigner(testKeyID, key).SignPost(r, body, time.Now()); err != nil {
		t.Fatal(err)
	}
	resp, err := srv.Client().Do(r)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	msg, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusAccepted {
		t.Fatalf("status %d: %s", resp.StatusCode, msg)
	}
}

// TestSignatureStringIsWhatIsSent rebuilds the signing string the way
// Mastodon does, from the raw request line the server received, and checks
// our signature against it without httpsig: escaped paths and queries must
// be signed exactly as sent.
func TestSignatureStringIsWhatIsSent(t *testing.T) {
	key := testKey(t, "a")
	body := []byte(`{}`)
	r := signedPost(t, NewSigner(testKeyID, key), "https://org-b.test/c/caf%C3%A9%2Fx/inbox?a=b%20c", body, fixedNow())
	p, err := Parse(r)
	if err != nil {
		t.Fatal(err)
	}
	msg := strings.Join([]string{
		"(request-target): post " + r.RequestURI,
		"host: " + r.Host,
		"date: " + r.Header.Get("Date"),
		"digest: " + r.Header.Get("Digest"),
	}, "\n")
	sum := sha256.Sum256([]byte(msg))
	if err := rsa.VerifyPKCS1v15(&key.PublicKey, crypto.SHA256, sum[:], p.signature); err != nil {
		t.Fatalf("signature does not cover %q: %v", msg, err)
	}
}
