package transport

import (
	"crypto/tls"
	"net/http"
	"testing"
	"time"
)

// TestTransportConfig pins the settings that matter for safety: no proxy
// from the environment (the guard would check the proxy, not the target),
// TLS 1.2 at least, the per-host limit, and the defaults.
func TestTransportConfig(t *testing.T) {
	c := New(Options{})
	tr := c.http.Transport.(*http.Transport)
	if tr.Proxy != nil {
		t.Error("proxy from the environment is enabled")
	}
	if tr.TLSClientConfig == nil || tr.TLSClientConfig.MinVersion < tls.VersionTLS12 {
		t.Error("TLS below 1.2 allowed")
	}
	if tr.MaxConnsPerHost != DefaultMaxConnsPerHost || tr.DisableKeepAlives {
		t.Errorf("MaxConnsPerHost %d, keep-alives disabled %v", tr.MaxConnsPerHost, tr.DisableKeepAlives)
	}
	if c.opts.RequestTimeout != 30*time.Second || c.opts.MaxBodyBytes != 1<<20 || c.opts.MaxRedirects != 3 || c.opts.UserAgent == "" {
		t.Errorf("defaults %+v", c.opts)
	}
	if New(Options{MaxRedirects: -1}).opts.MaxRedirects != 0 {
		t.Error("negative MaxRedirects does not disable redirects")
	}
}
