package transport

import (
	"bytes"
	"compress/gzip"
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/practica-social/practica/federation/signing"
)

const asType = "application/activity+json"

func TestGetActivityPub(t *testing.T) {
	r := newRig(t)
	var gotAccept, gotUA atomic.Value
	r.handle("org-a.test", func(w http.ResponseWriter, req *http.Request) {
		gotAccept.Store(req.Header.Get("Accept"))
		gotUA.Store(req.Header.Get("User-Agent"))
		if req.Header.Get("Signature") != "" {
			t.Error("unsigned fetch carries a Signature")
		}
		apDoc("http://org-a.test/c/gardening", asType)(w, req)
	})
	c := New(r.options())
	body, final, err := c.GetActivityPub(context.Background(), "http://org-a.test/c/gardening#main-key", nil)
	if err != nil {
		t.Fatal(err)
	}
	if final != "http://org-a.test/c/gardening" || !strings.Contains(string(body), `"Group"`) {
		t.Errorf("final %q body %s", final, body)
	}
	if gotAccept.Load() != AcceptActivityPub {
		t.Errorf("Accept %q", gotAccept.Load())
	}
	if gotUA.Load() != "Practica/test (+http://org-a.test)" {
		t.Errorf("User-Agent %q", gotUA.Load())
	}
}

func TestIDMismatch(t *testing.T) {
	r := newRig(t)
	r.handle("org-a.test", apDoc("http://evil.test/c/gardening", asType))
	r.handle("org-b.test", func(w http.ResponseWriter, req *http.Request) {
		switch req.URL.Path {
		case "/no-id":
			w.Header().Set("Content-Type", asType)
			_, _ = w.Write([]byte(`{"type":"Note"}`))
		case "/not-json":
			w.Header().Set("Content-Type", asType)
			_, _ = w.Write([]byte(`<html>`))
		case "/other-path":
			apDoc("http://org-b.test/other", asType)(w, req)
		}
	})
	c := New(r.options())
	for _, u := range []string{"http://org-a.test/c/gardening", "http://org-b.test/no-id", "http://org-b.test/other-path"} {
		if _, _, err := c.GetActivityPub(context.Background(), u, nil); !errors.Is(err, ErrIDMismatch) {
			t.Errorf("%s: err %v, want ErrIDMismatch", u, err)
		}
	}
	if _, _, err := c.GetActivityPub(context.Background(), "http://org-b.test/not-json", nil); err == nil {
		t.Error("non-JSON document accepted")
	}
}

// The id must match the URL after redirects: a redirect to another host is
// fine when that host serves its own document, and refused when the
// document claims the original URL.
func TestRedirectAcrossHosts(t *testing.T) {
	r := newRig(t)
	r.handle("org-a.test", func(w http.ResponseWriter, req *http.Request) {
		switch req.URL.Path {
		case "/honest":
			redirectTo("http://org-b.test/users/alice")(w, req)
		case "/liar":
			redirectTo("/liar-target")(w, req)
		case "/liar-target":
			redirectTo("http://org-b.test/claims-a")(w, req)
		}
	})
	r.handle("org-b.test", func(w http.ResponseWriter, req *http.Request) {
		switch req.URL.Path {
		case "/users/alice":
			apDoc("http://org-b.test/users/alice", asType)(w, req)
		case "/claims-a":
			apDoc("http://org-a.test/liar", asType)(w, req)
		}
	})
	c := New(r.options())
	_, final, err := c.GetActivityPub(context.Background(), "http://org-a.test/honest", nil)
	if err != nil {
		t.Fatal(err)
	}
	if final != "http://org-b.test/users/alice" {
		t.Errorf("final URL %q", final)
	}
	if _, _, err := c.GetActivityPub(context.Background(), "http://org-a.test/liar", nil); !errors.Is(err, ErrIDMismatch) {
		t.Errorf("document claiming the pre-redirect URL: err %v, want ErrIDMismatch", err)
	}
}

func TestTooManyRedirects(t *testing.T) {
	r := newRig(t)
	var n atomic.Int64
	r.handle("org-a.test", func(w http.ResponseWriter, req *http.Request) {
		redirectTo(fmt.Sprintf("/hop%d", n.Add(1)))(w, req)
	})
	opts := r.options()
	opts.MaxRedirects = 2
	c := New(opts)
	if _, _, err := c.GetActivityPub(context.Background(), "http://org-a.test/start", nil); !errors.Is(err, ErrTooManyRedirects) {
		t.Fatalf("err %v, want ErrTooManyRedirects", err)
	}
	if n.Load() != 3 {
		t.Errorf("%d requests, want 3 (the first and two redirects)", n.Load())
	}
}

func TestBadURLs(t *testing.T) {
	c := New(Options{})
	for _, u := range []string{"file:///etc/passwd", "ftp://org-a.test/x", "gopher://x", "http:///nohost", "http://user:pw@org-a.test/", "/relative", "::"} {
		if _, _, err := c.GetActivityPub(context.Background(), u, nil); err == nil {
			t.Errorf("%q accepted", u)
		}
	}
}

func TestContentType(t *testing.T) {
	r := newRig(t)
	const id = "http://org-a.test/note"
	c := New(r.options())
	for ct, ok := range map[string]bool{
		"application/activity+json":                                                                                true,
		"Application/Activity+JSON; charset=utf-8":                                                                 true,
		`application/ld+json; profile="https://www.w3.org/ns/activitystreams"`:                                     true,
		`application/ld+json;profile="https://www.w3.org/ns/activitystreams"`:                                      true,
		`application/ld+json; profile=https://www.w3.org/ns/activitystreams`:                                       true,
		`application/ld+json; charset=utf-8; profile="http://www.w3.org/ns/activitystreams https://example.org/x"`: true,
		"application/ld+json":                         false,
		`application/ld+json; profile="https://evil"`: false,
		"application/json":                            false,
		"text/html; charset=utf-8":                    false,
		"":                                            false,
	} {
		r.handle("org-a.test", func(w http.ResponseWriter, _ *http.Request) {
			w.Header()["Content-Type"] = []string{ct}
			fmt.Fprintf(w, `{"id":%q}`, id)
		})
		_, _, err := c.GetActivityPub(context.Background(), id, nil)
		if ok && err != nil {
			t.Errorf("%q: %v", ct, err)
		}
		if !ok && !errors.Is(err, ErrContentType) {
			t.Errorf("%q: err %v, want ErrContentType", ct, err)
		}
	}
}

func TestGetJSON(t *testing.T) {
	r := newRig(t)
	var accept atomic.Value
	r.handle("org-a.test", func(w http.ResponseWriter, req *http.Request) {
		accept.Store(req.Header.Get("Accept"))
		w.Header().Set("Content-Type", "application/jrd+json")
		_, _ = w.Write([]byte(`{"subject":"acct:g@org-a.test"}`))
	})
	c := New(r.options())
	body, final, err := c.GetJSON(context.Background(), "http://org-a.test/.well-known/webfinger?resource=acct:g@org-a.test", "application/jrd+json, application/json", nil)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(body), "acct:g@org-a.test") || final != "http://org-a.test/.well-known/webfinger?resource=acct:g@org-a.test" {
		t.Errorf("body %s final %s", body, final)
	}
	if accept.Load() != "application/jrd+json, application/json" {
		t.Errorf("Accept %q", accept.Load())
	}
}

func TestGetStatusError(t *testing.T) {
	r := newRig(t)
	r.handle("org-a.test", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Retry-After", "30")
		w.WriteHeader(http.StatusGone)
	})
	_, _, err := New(r.options()).GetActivityPub(context.Background(), "http://org-a.test/gone", nil)
	var se *StatusError
	if !errors.As(err, &se) || se.Code != http.StatusGone || se.RetryAfter != 30*time.Second {
		t.Fatalf("err %v", err)
	}
}

func TestChecklist13FetchBodyCappedAfterDecompression(t *testing.T) {
	r := newRig(t)
	const id = "http://org-a.test/big"
	big := `{"id":"` + id + `","pad":"` + strings.Repeat("x", 1<<20) + `"}`
	var bomb bytes.Buffer
	zw := gzip.NewWriter(&bomb)
	_, _ = zw.Write([]byte(`{"id":"` + id + `","pad":"`))
	_, _ = zw.Write(make([]byte, 16<<20))
	_ = zw.Close()
	if bomb.Len() > 64<<10 {
		t.Fatalf("bomb is %d bytes compressed", bomb.Len())
	}
	var small bytes.Buffer
	zw = gzip.NewWriter(&small)
	fmt.Fprintf(zw, `{"id":%q}`, id)
	_ = zw.Close()

	r.handle("org-a.test", func(w http.ResponseWriter, req *http.Request) {
		w.Header().Set("Content-Type", asType)
		switch req.URL.Query().Get("kind") {
		case "length":
			_, _ = io.WriteString(w, big)
		case "chunked":
			for i := 0; i < len(big); i += 4096 {
				_, _ = io.WriteString(w, big[i:min(i+4096, len(big))])
				w.(http.Flusher).Flush()
			}
		case "bomb":
			w.Header().Set("Content-Encoding", "gzip")
			_, _ = w.Write(bomb.Bytes())
		case "gzip":
			w.Header().Set("Content-Encoding", "gzip")
			_, _ = w.Write(small.Bytes())
		case "endless":
			for {
				if _, err := w.Write(make([]byte, 32<<10)); err != nil {
					return
				}
			}
		case "br":
			w.Header().Set("Content-Encoding", "br")
			fmt.Fprintf(w, `{"id":%q}`, id)
		}
	})
	c := New(r.options())
	for _, kind := range []string{"length", "chunked", "bomb"} {
		u := id + "?kind=" + kind
		if _, _, err := c.GetJSON(context.Background(), u, "", nil); !errors.Is(err, ErrTooLarge) {
			t.Errorf("%s: err %v, want ErrTooLarge", kind, err)
		}
	}
	if body, _, err := c.GetJSON(context.Background(), id+"?kind=gzip", "", nil); err != nil || !strings.Contains(string(body), id) {
		t.Errorf("small gzip body: %s, %v", body, err)
	}
	if _, _, err := c.GetJSON(context.Background(), id+"?kind=br", "", nil); !errors.Is(err, ErrContentEncoding) {
		t.Errorf("br: err %v, want ErrContentEncoding", err)
	}
	// Reading stops at the limit rather than at the deadline.
	opts := r.options()
	opts.RequestTimeout = 5 * time.Second
	start := time.Now()
	if _, _, err := New(opts).GetJSON(context.Background(), id+"?kind=endless", "", nil); !errors.Is(err, ErrTooLarge) || time.Since(start) > 2*time.Second {
		t.Errorf("endless body: err %v after %v, want ErrTooLarge at once", err, time.Since(start))
	}
	// A body just under the limit passes.
	opts = r.options()
	opts.MaxBodyBytes = int64(len(big))
	if _, _, err := New(opts).GetJSON(context.Background(), id+"?kind=length", "", nil); err != nil {
		t.Errorf("body at the limit: %v", err)
	}
}

func TestChecklist13SlowRemoteMeetsTheDeadline(t *testing.T) {
	r := newRig(t)
	r.handle("org-a.test", func(w http.ResponseWriter, req *http.Request) {
		switch req.URL.Path {
		case "/silent":
			// Reading the body lets the server notice the client leaving.
			_, _ = io.Copy(io.Discard, req.Body)
			select {
			case <-req.Context().Done():
			case <-time.After(10 * time.Second):
			}
		case "/drip":
			w.Header().Set("Content-Type", "application/json")
			for {
				if _, err := w.Write([]byte(" ")); err != nil {
					return
				}
				w.(http.Flusher).Flush()
				select {
				case <-req.Context().Done():
					return
				case <-time.After(20 * time.Millisecond):
				}
			}
		}
	})
	opts := r.options()
	opts.RequestTimeout = 300 * time.Millisecond
	c := New(opts)
	for _, path := range []string{"/silent", "/drip"} {
		start := time.Now()
		_, _, err := c.GetJSON(context.Background(), "http://org-a.test"+path, "", nil)
		if !errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("%s: err %v, want deadline exceeded", path, err)
		}
		if d := time.Since(start); d > 3*time.Second {
			t.Errorf("%s: took %v", path, d)
		}
	}
	start := time.Now()
	err := c.Post(context.Background(), "http://org-a.test/silent", []byte(`{}`), mustSigner(t))
	if !errors.Is(err, context.DeadlineExceeded) || time.Since(start) > 3*time.Second {
		t.Errorf("POST: err %v after %v", err, time.Since(start))
	}
}

// TestSignedGetAcrossRedirect checks that each hop carries a signature that
// the signing package verifies for that hop's host and path.
func TestSignedGetAcrossRedirect(t *testing.T) {
	r := newRig(t)
	signer, pub := newTestSigner(t, "http://org-a.test/actor#main-key")
	var verified atomic.Int64
	verify := func(next http.HandlerFunc) http.HandlerFunc {
		return func(w http.ResponseWriter, req *http.Request) {
			p, err := signing.Parse(req)
			if err == nil {
				err = p.Verify(req, nil, pub, time.Now())
			}
			if err != nil {
				t.Errorf("%s%s: %v", req.Host, req.URL, err)
				http.Error(w, "bad signature", http.StatusUnauthorized)
				return
			}
			if p.KeyID != signer.KeyID() {
				t.Errorf("key id %q", p.KeyID)
			}
			verified.Add(1)
			next(w, req)
		}
	}
	r.handle("org-a.test", verify(redirectTo("http://org-b.test/users/bob?x=1")))
	r.handle("org-b.test", verify(apDoc("http://org-b.test/users/bob?x=1", asType)))
	if _, _, err := New(r.options()).GetActivityPub(context.Background(), "http://org-a.test/@bob", signer); err != nil {
		t.Fatal(err)
	}
	if verified.Load() != 2 {
		t.Errorf("%d verified hops, want 2", verified.Load())
	}
}

func TestMaxConnsPerHost(t *testing.T) {
	r := newRig(t)
	var inFlight, peak atomic.Int64
	r.handle("org-a.test", func(w http.ResponseWriter, _ *http.Request) {
		n := inFlight.Add(1)
		defer inFlight.Add(-1)
		for {
			p := peak.Load()
			if n <= p || peak.CompareAndSwap(p, n) {
				break
			}
		}
		time.Sleep(50 * time.Millisecond)
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{}`))
	})
	opts := r.options()
	opts.MaxConnsPerHost = 2
	c := New(opts)
	errs := make(chan error, 8)
	for range 8 {
		go func() {
			_, _, err := c.GetJSON(context.Background(), "http://org-a.test/x", "", nil)
			errs <- err
		}()
	}
	for range 8 {
		if err := <-errs; err != nil {
			t.Error(err)
		}
	}
	if p := peak.Load(); p > 2 {
		t.Errorf("%d concurrent requests to one host, limit 2", p)
	}
}

// TestHTTPSDowngradeRefused fetches over TLS and refuses a redirect from
// https to plain http.
func TestHTTPSDowngradeRefused(t *testing.T) {
	plain := httptest.NewServer(apDoc("unused", asType))
	defer plain.Close()
	var tlsURL string
	tlsSrv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		switch req.URL.Path {
		case "/doc":
			apDoc(tlsURL+"/doc", asType)(w, req)
		case "/downgrade":
			redirectTo(plain.URL+"/doc")(w, req)
		}
	}))
	defer tlsSrv.Close()
	tlsURL = tlsSrv.URL
	c := New(Options{AllowPrivate: []netip.Prefix{netip.MustParsePrefix("127.0.0.1/32")}})
	tr := c.http.Transport.(*http.Transport)
	tr.TLSClientConfig.RootCAs = x509.NewCertPool()
	tr.TLSClientConfig.RootCAs.AddCert(tlsSrv.Certificate())

	if _, _, err := c.GetActivityPub(context.Background(), tlsURL+"/doc", nil); err != nil {
		t.Fatalf("over TLS: %v", err)
	}
	_, _, err := c.GetActivityPub(context.Background(), tlsURL+"/downgrade", nil)
	if err == nil || !strings.Contains(err.Error(), "downgrade") {
		t.Fatalf("https->http redirect: err %v", err)
	}
}
