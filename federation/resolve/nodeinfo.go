package resolve

import (
	"context"
	"encoding/json"
	"net/url"
	"strings"
	"sync"
)

// nodeInfoRelPrefix starts the link relations of the NodeInfo schemas
// ("…/schema/2.0", "…/schema/2.1").
const nodeInfoRelPrefix = "http://nodeinfo.diaspora.software/ns/schema/"

// Software asks the server at base ("https://host") what it runs, from
// its NodeInfo: /.well-known/nodeinfo names the documents, and the newest
// 2.x one gives software.name and version. Unsigned, like every client of
// NodeInfo. A server without a usable answer gives an error.
func (r *Resolver) Software(ctx context.Context, base string) (name, version string, err error) {
	u := strings.TrimRight(base, "/") + "/.well-known/nodeinfo"
	body, _, err := r.client.GetJSON(ctx, u, "", nil)
	if err != nil {
		return "", "", fetchErr(u, err)
	}
	var index struct {
		Links []struct {
			Rel  string `json:"rel"`
			Href string `json:"href"`
		} `json:"links"`
	}
	if err := json.Unmarshal(body, &index); err != nil {
		return "", "", refused(u, "NodeInfo index is not JSON")
	}
	href, best := "", ""
	for _, l := range index.Links {
		v, ok := strings.CutPrefix(l.Rel, nodeInfoRelPrefix)
		if !ok || !strings.HasPrefix(v, "2.") || v <= best {
			continue
		}
		if _, err := checkIRI(l.Href); err != nil {
			continue
		}
		href, best = l.Href, v
	}
	if href == "" {
		return "", "", refused(u, "no NodeInfo 2.x document")
	}
	body, _, err = r.client.GetJSON(ctx, href, "", nil)
	if err != nil {
		return "", "", fetchErr(href, err)
	}
	var doc struct {
		Software struct {
			Name    string `json:"name"`
			Version string `json:"version"`
		} `json:"software"`
	}
	if err := json.Unmarshal(body, &doc); err != nil || strings.TrimSpace(doc.Software.Name) == "" {
		return "", "", refused(href, "NodeInfo names no software")
	}
	return doc.Software.Name, doc.Software.Version, nil
}

// ProbePeers asks up to limit hosts of community members whose software
// is due (service.PeersToProbe) what they run, parallel at a time, and
// records each answer. A host without a usable answer within ProbeTimeout
// (no NodeInfo, down, or too slow) is recorded as unknown, so it goes to
// the back of the line instead of taking a slot of every later run; only
// a probe cut short by ctx itself (shutdown) is not recorded. It returns
// how many hosts it asked and the first error storing an answer.
func (r *Resolver) ProbePeers(ctx context.Context, limit, parallel int) (int, error) {
	peers, err := r.svc.PeersToProbe(ctx, limit)
	if err != nil {
		return 0, err
	}
	var (
		wg       sync.WaitGroup
		mu       sync.Mutex
		firstErr error
		slots    = make(chan struct{}, max(parallel, 1))
	)
	for _, p := range peers {
		scheme := r.scheme
		if u, err := url.Parse(p.ActorIRI); err == nil && (u.Scheme == "http" || u.Scheme == "https") {
			scheme = u.Scheme
		}
		select {
		case slots <- struct{}{}:
		case <-ctx.Done():
			wg.Wait()
			return len(peers), firstErr
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer func() { <-slots }()
			pctx, cancel := context.WithTimeout(ctx, r.probeTimeout)
			name, version, err := r.Software(pctx, scheme+"://"+p.Host)
			cancel()
			if err != nil {
				if ctx.Err() != nil {
					return
				}
				r.log.Debug("peer software unknown", "host", p.Host, "err", err)
			}
			if err := r.svc.RecordPeerSoftware(ctx, p.Host, name, version); err != nil {
				mu.Lock()
				if firstErr == nil {
					firstErr = err
				}
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	return len(peers), firstErr
}
