package transport

import (
	"context"
	"errors"
	"io"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/practica-social/practica/federation/signing"
)

func TestPostSignedAndVerified(t *testing.T) {
	r := newRig(t)
	signer, pub := newTestSigner(t, "http://org-a.test/c/gardening#main-key")
	body := []byte(`{"type":"Announce","id":"http://org-a.test/a/1"}`)
	var ok atomic.Bool
	r.handle("org-b.test", func(w http.ResponseWriter, req *http.Request) {
		got, _ := io.ReadAll(req.Body)
		p, err := signing.Parse(req)
		if err == nil {
			err = p.Verify(req, got, pub, time.Now())
		}
		switch {
		case err != nil:
			t.Errorf("verify: %v", err)
		case req.Header.Get("Content-Type") != "application/activity+json":
			t.Errorf("Content-Type %q", req.Header.Get("Content-Type"))
		case req.Header.Get("User-Agent") == "":
			t.Error("no User-Agent")
		case req.Host != "org-b.test":
			t.Errorf("Host %q", req.Host)
		default:
			ok.Store(true)
		}
		w.WriteHeader(http.StatusAccepted)
	})
	if err := New(r.options()).Post(context.Background(), "http://org-b.test/inbox", body, signer); err != nil {
		t.Fatal(err)
	}
	if !ok.Load() {
		t.Error("server did not accept the delivery")
	}
}

func TestPostStatusError(t *testing.T) {
	r := newRig(t)
	retryDate := time.Now().Add(90 * time.Second).UTC().Format(http.TimeFormat)
	r.handle("org-b.test", func(w http.ResponseWriter, req *http.Request) {
		switch req.URL.Path {
		case "/seconds":
			w.Header().Set("Retry-After", "120")
			w.WriteHeader(http.StatusTooManyRequests)
		case "/date":
			w.Header().Set("Retry-After", retryDate)
			w.WriteHeader(http.StatusServiceUnavailable)
		case "/none":
			w.WriteHeader(http.StatusInternalServerError)
		case "/redirect":
			http.Redirect(w, req, "/elsewhere", http.StatusMovedPermanently)
		}
	})
	c := New(r.options())
	signer := mustSigner(t)
	post := func(path string) *StatusError {
		t.Helper()
		err := c.Post(context.Background(), "http://org-b.test"+path, []byte(`{}`), signer)
		var se *StatusError
		if !errors.As(err, &se) {
			t.Fatalf("%s: err %v, want *StatusError", path, err)
		}
		return se
	}
	if se := post("/seconds"); se.Code != 429 || se.RetryAfter != 2*time.Minute {
		t.Errorf("seconds: %+v", se)
	}
	if se := post("/date"); se.Code != 503 || se.RetryAfter < 85*time.Second || se.RetryAfter > 91*time.Second {
		t.Errorf("date: %+v", se)
	}
	if se := post("/none"); se.Code != 500 || se.RetryAfter != 0 {
		t.Errorf("none: %+v", se)
	}
	if se := post("/redirect"); se.Code != http.StatusMovedPermanently {
		t.Errorf("redirect: %+v", se)
	}
	if err := c.Post(context.Background(), "http://org-b.test/x", []byte(`{}`), nil); err == nil {
		t.Error("unsigned POST sent")
	}
}

// The response body is drained so keep-alive connections are reused: many
// deliveries to one host use one connection.
func TestPostReusesConnection(t *testing.T) {
	r := newRig(t)
	r.handle("org-b.test", func(w http.ResponseWriter, _ *http.Request) {
		w.WriteHeader(http.StatusAccepted)
		_, _ = io.WriteString(w, strings.Repeat("ok ", 3000))
	})
	c := New(r.options())
	signer := mustSigner(t)
	for range 5 {
		if err := c.Post(context.Background(), "http://org-b.test/inbox", []byte(`{}`), signer); err != nil {
			t.Fatal(err)
		}
	}
	if n := r.conns.Load(); n != 1 {
		t.Errorf("%d connections for 5 sequential POSTs, want 1", n)
	}
}

func TestParseRetryAfter(t *testing.T) {
	now := time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)
	for in, want := range map[string]time.Duration{
		"":                              0,
		"0":                             0,
		"-5":                            0,
		" 30 ":                          30 * time.Second,
		"99999":                         99999 * time.Second,
		"99999999999999999":             time.Duration(1<<63 - 1),
		"Sat, 01 Mar 2025 12:01:00 GMT": time.Minute,
		"Sat, 01 Mar 2025 11:00:00 GMT": 0,
		"soon":                          0,
	} {
		if got := parseRetryAfter(in, now); got != want {
			t.Errorf("%q: %v, want %v", in, got, want)
		}
	}
}
