package federation

import (
	"bytes"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/labstack/echo/v4"
)

// Actor documents and outbox pages are fetched far more often than they
// change: every server we deliver to may fetch our actor to check a
// signature, all at once after a post. The answers to anonymous requests
// are kept in memory and served again while the database has not changed
// since they were rendered (service.DocumentGeneration), so a reader never
// sees a document older than the last committed change.
const (
	// docCacheTTL bounds how long a document is served from memory even
	// when nothing seems to have changed.
	docCacheTTL = 10 * time.Second
	// docCacheMax bounds the documents kept.
	docCacheMax = 4096
)

type docCache struct {
	mu sync.Mutex
	m  map[string]cachedDoc
}

type cachedDoc struct {
	gen    uint64
	at     time.Time
	header http.Header
	body   []byte
}

func newDocCache() *docCache { return &docCache{m: map[string]cachedDoc{}} }

func (dc *docCache) get(key string, gen uint64, now time.Time) (cachedDoc, bool) {
	dc.mu.Lock()
	defer dc.mu.Unlock()
	d, ok := dc.m[key]
	if !ok || d.gen != gen || now.Sub(d.at) > docCacheTTL || now.Before(d.at) {
		return cachedDoc{}, false
	}
	return d, true
}

func (dc *docCache) put(key string, d cachedDoc) {
	dc.mu.Lock()
	defer dc.mu.Unlock()
	if len(dc.m) >= docCacheMax {
		for k, old := range dc.m {
			if old.gen != d.gen || d.at.Sub(old.at) > docCacheTTL {
				delete(dc.m, k)
			}
		}
		if len(dc.m) >= docCacheMax {
			dc.m = map[string]cachedDoc{}
		}
	}
	dc.m[key] = d
}

// cached serves next's 200 answers to anonymous GETs (no signature, no
// credentials, no cookie: the answer is the same for every such request)
// from memory while nothing has changed. Every other request goes to next.
func (h *Handlers) cached(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		req := c.Request()
		if req.Method != http.MethodGet || req.Header.Get("Signature") != "" ||
			req.Header.Get("Authorization") != "" || req.Header.Get("Cookie") != "" {
			return next(c)
		}
		key := req.URL.Path + "?" + req.URL.RawQuery
		// Taken before next reads the database: a change committing
		// meanwhile makes the entry stale at once.
		gen := h.svc.DocumentGeneration()
		now := time.Now()
		if d, ok := h.docs.get(key, gen, now); ok {
			hdr := c.Response().Header()
			for k, v := range d.header {
				hdr[k] = v
			}
			// With its length known the answer goes out in one piece
			// rather than in chunks.
			hdr.Set(echo.HeaderContentLength, strconv.Itoa(len(d.body)))
			return c.Blob(http.StatusOK, d.header.Get(echo.HeaderContentType), d.body)
		}
		resp := c.Response()
		rec := &teeWriter{ResponseWriter: resp.Writer}
		resp.Writer = rec
		err := next(c)
		resp.Writer = rec.ResponseWriter
		if err == nil && resp.Status == http.StatusOK && !rec.failed {
			h.docs.put(key, cachedDoc{gen: gen, at: now, header: resp.Header().Clone(), body: rec.buf.Bytes()})
		}
		return err
	}
}

// teeWriter writes through and keeps a copy of the body.
type teeWriter struct {
	http.ResponseWriter
	buf    bytes.Buffer
	failed bool
}

func (w *teeWriter) Write(b []byte) (int, error) {
	n, err := w.ResponseWriter.Write(b)
	w.buf.Write(b[:n])
	if err != nil {
		w.failed = true
	}
	return n, err
}
