package app_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/alicebob/miniredis/v2"

	"github.com/practica-social/practica/app"
	"github.com/practica-social/practica/config"
	"github.com/practica-social/practica/testrig"
)

func fetch(t *testing.T, n *testrig.Network, url, accept string) (int, string, http.Header) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, url, nil)
	if accept != "" {
		req.Header.Set("Accept", accept)
	}
	resp, err := n.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b), resp.Header
}

func TestHealthReadinessAndMetrics(t *testing.T) {
	n := testrig.NewNetwork()
	inst := n.Start(t, "org-a.test")
	if code, body, _ := fetch(t, n, inst.BaseURL+"/healthz", ""); code != 200 || body != "ok" {
		t.Errorf("healthz: %d %q", code, body)
	}
	code, body, _ := fetch(t, n, inst.BaseURL+"/readyz", "")
	if code != 200 || !strings.Contains(body, `"database":"ok"`) || !strings.Contains(body, `"redis":"ok"`) {
		t.Errorf("readyz: %d %s", code, body)
	}
	code, body, _ = fetch(t, n, inst.BaseURL+"/metrics", "")
	if code != 200 || !strings.Contains(body, "practica_http_requests_total") || !strings.Contains(body, "go_goroutines") {
		t.Errorf("metrics: %d, missing series", code)
	}
}

func TestReadinessNamesTheFailedDependency(t *testing.T) {
	// An instance on a Redis this test owns, so stopping it disturbs no
	// one else.
	mr := miniredis.RunT(t)
	cfg := config.Config{
		Domain: "org-a.test", Listen: "127.0.0.1:0", Protocol: "http", DataDir: t.TempDir(),
		DatabaseURL: testrig.DatabaseURL(t), RedisURL: "redis://" + mr.Addr(), InstanceName: "A",
		ShutdownTimeout: 5 * time.Second, WorkerConcurrency: 1,
	}
	inst, err := app.New(context.Background(), app.Options{Config: cfg})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = inst.Close() })
	srv := httptest.NewServer(inst.Echo)
	t.Cleanup(srv.Close)
	get := func(path string) (int, string) {
		resp, err := http.Get(srv.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	if code, body := get("/readyz"); code != 200 {
		t.Fatalf("readyz: %d %s", code, body)
	}
	mr.Close()
	code, body := get("/readyz")
	if code != 503 || !strings.Contains(body, `"redis":"unavailable"`) || !strings.Contains(body, `"database":"ok"`) {
		t.Errorf("readyz with Redis down: %d %s", code, body)
	}
	if code, _ := get("/healthz"); code != 200 {
		t.Errorf("healthz must not depend on Redis: %d", code)
	}
}

func TestErrorsAreSafePagesOrJSON(t *testing.T) {
	n := testrig.NewNetwork()
	inst := n.Start(t, "org-a.test")
	code, body, hdr := fetch(t, n, inst.BaseURL+"/no/such/page", "text/html")
	if code != 404 || !strings.HasPrefix(hdr.Get("Content-Type"), "text/html") || !strings.Contains(body, "Home") {
		t.Errorf("browser 404: %d %q %.200s", code, hdr.Get("Content-Type"), body)
	}
	code, body, hdr = fetch(t, n, inst.BaseURL+"/api/v1/nothing", "application/json")
	if code != 404 || !strings.HasPrefix(hdr.Get("Content-Type"), "application/json") || !strings.Contains(body, `"error":"not_found"`) {
		t.Errorf("API 404: %d %q %s", code, hdr.Get("Content-Type"), body)
	}
	code, body, _ = fetch(t, n, inst.BaseURL+"/.well-known/webfinger?resource=nonsense", "")
	if code != 400 || !strings.Contains(body, `"error":"invalid_request"`) {
		t.Errorf("webfinger 400: %d %s", code, body)
	}
	for _, b := range []string{"goroutine ", ".go:", "panic"} {
		if strings.Contains(body, b) {
			t.Errorf("error body leaks %q", b)
		}
	}
}

// Practica has no uploads yet; what it serves from its own domain — static
// assets, JSON, ActivityPub documents — must never be sniffed into
// something else, and static files run nothing.
func TestChecklist16ServedFilesAreNeverSniffed(t *testing.T) {
	n := testrig.NewNetwork()
	inst := n.Start(t, "org-a.test")
	for _, path := range []string{"/static/style.css", "/nodeinfo/2.1", "/actor", "/.well-known/webfinger?resource=acct:org-a.test@org-a.test", "/api/v1/instance", "/no-such"} {
		code, _, hdr := fetch(t, n, inst.BaseURL+path, "application/activity+json")
		if hdr.Get("X-Content-Type-Options") != "nosniff" {
			t.Errorf("%s (%d): no nosniff", path, code)
		}
	}
	_, _, hdr := fetch(t, n, inst.BaseURL+"/static/style.css", "")
	if csp := hdr.Get("Content-Security-Policy"); !strings.Contains(csp, "default-src 'none'") || !strings.Contains(csp, "sandbox") {
		t.Errorf("static CSP = %q", csp)
	}
	if ct := hdr.Get("Content-Type"); !strings.HasPrefix(ct, "text/css") {
		t.Errorf("static content type %q", ct)
	}
}
