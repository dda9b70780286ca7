package resolve_test

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/practica-social/practica/federation/resolve"
	"github.com/practica-social/practica/models"
	"github.com/practica-social/practica/service"
)

const nodeInfoRel = "http://nodeinfo.diaspora.software/ns/schema/"

// serveNodeInfo makes r answer NodeInfo as a server of software name:
// an index with one link per version, each to its own document.
func (r *remote) serveNodeInfo(name, version string, versions ...string) {
	var links []any
	for _, v := range versions {
		path := "/nodeinfo/" + v
		links = append(links, map[string]any{"rel": nodeInfoRel + v, "href": r.base + path})
		sw := name
		if v != versions[len(versions)-1] {
			sw = "an-older-document"
		}
		r.handle(path, jsonHandler(`application/json; profile="`+nodeInfoRel+v+`#"`, map[string]any{
			"version": v, "software": map[string]any{"name": sw, "version": version},
			"protocols": []string{"activitypub"}, "openRegistrations": false,
			"usage": map[string]any{"users": map[string]any{"total": 3}},
		}))
	}
	r.handle("/.well-known/nodeinfo", jsonHandler("application/json", map[string]any{"links": links}))
}

// membersOn makes one person on each host a member of a new open
// community on org-a.test.
func (rg *rig) membersOn(t *testing.T, hosts ...string) {
	t.Helper()
	ctx := rg.ctx
	owner, err := rg.inst.Service.CreateAccount(ctx, service.NewAccount{Username: "owner", Email: "o@example.org", Password: "long enough"})
	if err != nil {
		t.Fatal(err)
	}
	c, err := rg.inst.Service.CreateCommunity(ctx, service.NewCommunity{Handle: "pub", Name: "pub", OwnerID: owner.Actor.ID,
		Visibility: models.VisibilityPublic, JoinPolicy: models.JoinOpen})
	if err != nil {
		t.Fatal(err)
	}
	for _, host := range hosts {
		iri := "http://" + host + "/u/m"
		a := &models.Actor{IRI: iri, Type: models.ActorPerson, Username: "m", Host: host, InboxURL: iri + "/inbox", Published: time.Now()}
		if err := rg.inst.Store.UpsertRemoteActor(ctx, a); err != nil {
			t.Fatal(err)
		}
		if _, err := rg.inst.Service.ReceiveFollow(ctx, c, a, iri+"#f"); err != nil {
			t.Fatal(err)
		}
	}
}

func TestProbePeersRecordsWhatEachHostRuns(t *testing.T) {
	rg := newRig(t)
	ctx := rg.ctx
	masto := newRemote(t, rg.n, "masto.test")
	masto.serveNodeInfo("mastodon", "4.3.2", "2.0")
	lemmy := newRemote(t, rg.n, "lemmy.test")
	lemmy.serveNodeInfo("lemmy", "0.19.5", "2.0", "2.1") // the newest document counts
	newRemote(t, rg.n, "quiet.test")                     // no NodeInfo at all
	odd := newRemote(t, rg.n, "odd.test")
	odd.handle("/.well-known/nodeinfo", func(w http.ResponseWriter, _ *http.Request) { _, _ = w.Write([]byte("<html>hello</html>")) })
	rg.n.Start(t, "org-b.test") // one of ours

	rg.membersOn(t, "masto.test", "lemmy.test", "quiet.test", "odd.test", "org-b.test")

	n, err := rg.r.ProbePeers(ctx, 100, 3)
	if err != nil || n != 5 {
		t.Fatalf("probed %d hosts, %v; want 5", n, err)
	}
	want := map[string][2]string{
		"masto.test": {"mastodon", "4.3.2"}, "lemmy.test": {"lemmy", "0.19.5"},
		"quiet.test": {"", ""}, "odd.test": {"", ""}, "org-b.test": {"practica", ""},
	}
	for host, w := range want {
		p, err := rg.inst.Store.GetPeerSoftware(ctx, host)
		if err != nil {
			t.Fatalf("%s: %v", host, err)
		}
		if p.Name != w[0] || (w[1] != "" && p.Version != w[1]) {
			t.Errorf("%s runs %q %q, want %q %q", host, p.Name, p.Version, w[0], w[1])
		}
	}
	// Every host has an answer now, even an unknown one: nothing is due.
	if n, err := rg.r.ProbePeers(ctx, 100, 3); err != nil || n != 0 {
		t.Fatalf("second probe asked %d hosts, %v; want none", n, err)
	}
	if got := masto.hitCount("/nodeinfo/2.0"); got != 1 {
		t.Errorf("masto.test's NodeInfo fetched %d times, want 1", got)
	}
}

// Hosts that accept a NodeInfo request and never answer are recorded as
// unknown when their probe's own deadline passes, so they neither keep
// the hosts after them from being learned nor come first again next run.
func TestProbePeersDoesNotWaitOnHungHosts(t *testing.T) {
	rg := newRig(t)
	ctx := rg.ctx
	hang := func(w http.ResponseWriter, r *http.Request) { <-r.Context().Done() }
	for _, h := range []string{"a-hung.test", "b-hung.test"} { // sorted before masto.test
		newRemote(t, rg.n, h).handle("/.well-known/nodeinfo", hang)
	}
	masto := newRemote(t, rg.n, "masto.test")
	masto.serveNodeInfo("mastodon", "4.3.2", "2.0")

	rg.membersOn(t, "a-hung.test", "b-hung.test", "masto.test")
	r := resolve.New(resolve.Deps{Service: rg.inst.Service, Client: rg.client, Scheme: "http", ProbeTimeout: 300 * time.Millisecond})
	// One at a time, within a run shorter than the transport's timeout.
	run, cancel := context.WithTimeout(ctx, 3*time.Second)
	defer cancel()
	if n, err := r.ProbePeers(run, 10, 1); err != nil || n != 3 {
		t.Fatalf("probed %d hosts, %v; want 3", n, err)
	}
	for host, want := range map[string]string{"a-hung.test": "", "b-hung.test": "", "masto.test": "mastodon"} {
		p, err := rg.inst.Store.GetPeerSoftware(ctx, host)
		if err != nil || p.Name != want {
			t.Errorf("%s: %+v, %v; want software %q recorded", host, p, err, want)
		}
	}
}
