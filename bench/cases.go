package bench

import (
	"context"
	"fmt"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"runtime/pprof"
	"slices"
	"time"

	"github.com/practica-social/practica/app"
	"github.com/practica-social/practica/federation/signing"
	"github.com/practica-social/practica/models"
	"github.com/practica-social/practica/service"
	"github.com/practica-social/practica/store"
)

// sizes are the dimensions of the cases: the for a full run,
// small ones for --quick smoke tests.
type sizes struct {
	fanFollowers, fanHosts                 int
	bigFollowers, bigHosts                 int
	deadFollowers, deadHosts, deadSilent   int
	deadRounds                             int
	settle                                 time.Duration
	deadTimeout                            time.Duration
	inboxActors, inboxHosts, inboxKeys     int
	inboxValid, inboxBad, inboxConcurrency int
	latencyPosts                           int
	readsDuration                          time.Duration
	readsClients                           int
	waitTimeout                            time.Duration
}

func sizesFor(quick bool) sizes {
	if quick {
		return sizes{
			fanFollowers: 200, fanHosts: 50,
			bigFollowers: 500, bigHosts: 100,
			deadFollowers: 200, deadHosts: 50, deadSilent: 5, deadRounds: 1, settle: 200 * time.Millisecond, deadTimeout: time.Second,
			inboxActors: 20, inboxHosts: 10, inboxKeys: 2, inboxValid: 100, inboxBad: 100, inboxConcurrency: 16,
			latencyPosts:  5,
			readsDuration: 250 * time.Millisecond, readsClients: 32,
			waitTimeout: time.Minute,
		}
	}
	return sizes{
		fanFollowers: 10000, fanHosts: 1000,
		bigFollowers: 50000, bigHosts: 5000,
		deadFollowers: 10000, deadHosts: 1000, deadSilent: 100, deadRounds: 2, settle: time.Second, deadTimeout: 10 * time.Second,
		inboxActors: 1000, inboxHosts: 200, inboxKeys: 8, inboxValid: 10000, inboxBad: 10000, inboxConcurrency: 64,
		latencyPosts:  40,
		readsDuration: 3 * time.Second, readsClients: 32,
		waitTimeout: 5 * time.Minute,
	}
}

// caseFunc runs one case in its own process and returns its figures, the
// case's own (last) figure last.
type caseFunc func(ctx context.Context, r *runner) ([]*Metric, error)

var cases = map[string]caseFunc{
	"fanout":     caseFanout,
	"fanout-50k": caseFanout50k,
	"deadhosts":  caseDeadHosts,
	"inbox":      caseInbox,
	"latency":    caseLatency,
	"reads":      caseReads,
}

// runner is what a case works with.
type runner struct {
	o    Options
	name string
	sz   sizes
	c    Ceilings
	e    *env
	prof *os.File
	// rates re-measures the ceilings around a measurement.
	rates *rates
}

// newEnv builds the case's instance.
func (r *runner) newEnv(ctx context.Context, tuning app.Tuning) error {
	e, err := newEnv(ctx, r.o, tuning, r.o.stderr)
	if err != nil {
		return err
	}
	r.e = e
	return nil
}

// startProfile starts the CPU profile of the measured part, if asked for.
func (r *runner) startProfile() error { return r.startProfileAs(r.name) }

// startProfileAs profiles a second measured part of a case to
// FILE.<name>.
func (r *runner) startProfileAs(name string) error {
	if r.o.CPUProfile == "" {
		return nil
	}
	f, err := os.Create(r.o.CPUProfile + "." + name)
	if err != nil {
		return err
	}
	r.prof = f
	return pprof.StartCPUProfile(f)
}

func (r *runner) stopProfile() {
	if r.prof != nil {
		pprof.StopCPUProfile()
		_ = r.prof.Close()
		r.prof = nil
	}
}

// logf reports progress on stderr.
func (r *runner) logf(format string, args ...any) {
	fmt.Fprintf(r.o.stderr, "  [%s] %s\n", r.name, fmt.Sprintf(format, args...))
}

// fanRun is what one measured fan-out saw.
type fanRun struct {
	// called is when CreatePost was called, start when its transaction
	// committed: the fan-out is timed from start.
	called, start time.Time
	first, last   time.Time
	recorded      time.Time
	cpu           time.Duration
	times         []time.Time
	deliveries    int
	// signBefore and signAfter are the all-core signing rates measured
	// just before and after, signUsBefore and signUsAfter the CPU time of
	// one signing.
	signBefore, signAfter     float64
	signUsBefore, signUsAfter float64
}

func (f fanRun) wall() time.Duration { return f.last.Sub(f.start) }

// post publishes a thread in c by poster: what the web form and the API do.
func (r *runner) post(ctx context.Context, poster *models.Actor, c *models.Community, title string) (*models.Post, error) {
	p, _, err := r.postCommitted(ctx, poster, c, title)
	return p, err
}

// postCommitted is post, and also says when the post's transaction
// committed: CreatePost joins a transaction its context carries, and the
// hook registered first runs first once it commits, before the workers
// are woken.
func (r *runner) postCommitted(ctx context.Context, poster *models.Actor, c *models.Community, title string) (*models.Post, time.Time, error) {
	var p *models.Post
	var committed time.Time
	err := r.e.inst.Store.WithTx(ctx, func(ctx context.Context) error {
		store.AfterCommit(ctx, func() { committed = time.Now() })
		var err error
		p, err = r.e.inst.Service.CreatePost(ctx, service.NewPost{
			AuthorID: poster.ID, CommunityID: c.ID, Title: title,
			Body: "Compost heats up when the mix of greens and browns is right.\n\nA pile that smells of ammonia wants more **browns**; one that stays cold wants more greens and water.",
		})
		return err
	})
	return p, committed, err
}

// measureFanOut commits one post in c and waits until want POSTs have
// been answered by the remote instances. A local community's post makes
// two activities, Announce{Create} and the Announce of the object (the
// boost Mastodon shows), so want is twice the number of live inboxes.
func (r *runner) measureFanOut(ctx context.Context, poster *models.Actor, c *models.Community, want int, recorded bool) (fanRun, error) {
	base, err := r.e.received()
	if err != nil {
		return fanRun{}, err
	}
	run := fanRun{deliveries: want}
	cpu0 := cpuTime()
	run.called = time.Now()
	if _, run.start, err = r.postCommitted(ctx, poster, c, "Fan-out "+time.Now().Format(time.RFC3339Nano)); err != nil {
		return run, err
	}
	run.first, run.last, err = r.e.waitPosts(base+want, base, r.sz.waitTimeout)
	run.cpu = cpuTime() - cpu0
	if err != nil {
		return run, err
	}
	if run.times, err = r.e.postTimes(base); err != nil {
		return run, err
	}
	if recorded {
		if run.recorded, err = r.e.waitRecorded(ctx, r.sz.waitTimeout); err != nil {
			return run, err
		}
	}
	return run, nil
}

// warmUp sends one post to a few of the hosts, so that the database pool,
// the signer cache and the code paths are warm; the measured hosts other
// than these see their first connection during the measurement.
func (r *runner) warmUp(ctx context.Context, hosts []string, perHost int) error {
	poster, c, err := r.e.community(ctx, "warmup")
	if err != nil {
		return err
	}
	hosts = hosts[:min(10, len(hosts))]
	if err := r.e.followers(ctx, c, hosts, len(hosts), "w"); err != nil {
		return err
	}
	if _, err := r.measureFanOut(ctx, poster, c, perHost*len(hosts), true); err != nil {
		return fmt.Errorf("warm-up: %w", err)
	}
	return nil
}

// benchMastodon is the software the simulated instances of a fan-out say
// they run when asked: Mastodon processes only the boost of a new thread
// (service/peer_software.go), so each of them gets one POST instead of two.
const benchMastodon = "mastodon"

// fanOutCase sets up a community with followers on hosts and measures one
// post's fan-out. With software, the hosts say in their NodeInfo that they
// run it, and the instance asks them all before the measurement, as its
// reconciler would over the minutes after they joined; without, they
// have no NodeInfo, and each gets both Announces of the post.
func (r *runner) fanOutCase(ctx context.Context, followers, hosts int, software string) (fanRun, error) {
	if err := r.newEnv(ctx, app.Tuning{}); err != nil {
		return fanRun{}, err
	}
	perHost := 2
	if software == benchMastodon {
		perHost = 1
	}
	names, err := r.e.addHostsRunning(hosts, 0, software)
	if err != nil {
		return fanRun{}, err
	}
	poster, c, err := r.e.community(ctx, "gardening")
	if err != nil {
		return fanRun{}, err
	}
	setup := time.Now()
	if err := r.e.followers(ctx, c, names, followers, "p"); err != nil {
		return fanRun{}, err
	}
	r.logf("%d followers on %d hosts stored in %s", followers, hosts, time.Since(setup).Round(time.Millisecond))
	if software != "" {
		if err := r.probeAll(ctx, names, software); err != nil {
			return fanRun{}, err
		}
	}
	if err := r.warmUp(ctx, names, perHost); err != nil {
		return fanRun{}, err
	}
	before, err := r.rates.signPerSec()
	if err != nil {
		return fanRun{}, err
	}
	usBefore, err := r.rates.signMicros()
	if err != nil {
		return fanRun{}, err
	}
	resetPeakRSS()
	if err := r.startProfile(); err != nil {
		return fanRun{}, err
	}
	run, err := r.measureFanOut(ctx, poster, c, perHost*hosts, true)
	r.stopProfile()
	if err != nil {
		return run, err
	}
	after, err := r.rates.signPerSec()
	if err != nil {
		return run, err
	}
	usAfter, err := r.rates.signMicros()
	run.signBefore, run.signAfter = before, after
	run.signUsBefore, run.signUsAfter = usBefore, usAfter
	return run, err
}

// probeAll asks every host what it runs, through the instance's own
// prober, and checks each said software.
func (r *runner) probeAll(ctx context.Context, hosts []string, software string) error {
	start := time.Now()
	for {
		n, err := r.e.inst.Resolver.ProbePeers(ctx, 1000, 64)
		if err != nil {
			return fmt.Errorf("probe peers: %w", err)
		}
		if n == 0 {
			break
		}
	}
	for _, h := range hosts {
		p, err := r.e.inst.Store.GetPeerSoftware(ctx, h)
		if err != nil || p.Name != software {
			return fmt.Errorf("probe peers: %s runs %+v (%v), want %s", h, p, err, software)
		}
	}
	r.logf("%d hosts asked what they run in %s", len(hosts), time.Since(start).Round(time.Millisecond))
	return nil
}

// signCeiling is the all-core signing rate around a fan-out.
func (f fanRun) signCeiling() float64 { return (f.signBefore + f.signAfter) / 2 }

// signMicros is the CPU time of one signing around a fan-out.
func (f fanRun) signMicros() float64 { return (f.signUsBefore + f.signUsAfter) / 2 }

func fanDetail(run fanRun, followers, hosts int) map[string]any {
	d := map[string]any{
		"followers": followers, "instances": hosts, "deliveries": run.deliveries,
		"wall_s": round(run.wall().Seconds()), "create_post_ms": round(float64(run.start.Sub(run.called).Microseconds()) / 1e3),
		"first_post_ms": round(float64(run.first.Sub(run.start).Microseconds()) / 1e3),
		"cpu_s":         round(run.cpu.Seconds()), "cpu_per_delivery_us": round(float64(run.cpu.Microseconds()) / float64(run.deliveries)),
		"peak_rss_mb": round(float64(peakRSS()) / (1 << 20)),
	}
	if !run.recorded.IsZero() {
		d["all_outcomes_written_s"] = round(run.recorded.Sub(run.start).Seconds())
	}
	if run.signBefore > 0 {
		d["signatures_per_s_before_after"] = []float64{round(run.signBefore), round(run.signAfter)}
		d["sign_us_before_after"] = []float64{round(run.signUsBefore), round(run.signUsAfter)}
	}
	return d
}

// caseFanout: one post in a community with 10,000 followers on 1,000
// instances, from commit to the last 2xx.
func caseFanout(ctx context.Context, r *runner) ([]*Metric, error) {
	run, err := r.fanOutCase(ctx, r.sz.fanFollowers, r.sz.fanHosts, "")
	if err != nil {
		return nil, err
	}
	detail := fanDetail(run, r.sz.fanFollowers, r.sz.fanHosts)
	if err := writePlot(filepath.Join(r.o.Out, "fanout.svg"),
		fmt.Sprintf("Fan-out: one post, %d followers on %d instances", r.sz.fanFollowers, r.sz.fanHosts),
		[]series{{Name: fmt.Sprintf("%d deliveries", run.deliveries), Start: run.start, Times: run.times}}); err != nil {
		return nil, err
	}
	rate := float64(run.deliveries) / run.wall().Seconds()
	cpuPer := float64(run.cpu.Microseconds()) / float64(run.deliveries)
	return []*Metric{
		(&Metric{Case: "fanout.cpu", Value: cpuPer, Unit: "µs CPU/delivery", Label: "process CPU ÷ deliveries", Detail: detail}).
			against(run.signMicros(), "µs per signing (C_sign) just before and after").target("ratio", "lower", 1.5, 1.2),
		(&Metric{Case: "fanout", Value: rate, Unit: "deliveries/s",
			Label: fmt.Sprintf("%d deliveries in %.2f s, peak RSS %.0f MB", run.deliveries, run.wall().Seconds(), float64(peakRSS())/(1<<20)), Detail: detail}).
			against(run.signCeiling(), "signatures/s on all cores (C_sign) just before and after").target("ratio", "higher", 0.50, 0.70),
	}, nil
}

// caseFanout50k: the same with 50,000 followers on 5,000 instances: wall
// time and peak RSS. Measured twice, on instances of their own each time:
// instances whose software the sender does not know (two POSTs each, the
// Announce of the Create and the boost), and instances that say they run
// Mastodon (the boost only, service/peer_software.go).
func caseFanout50k(ctx context.Context, r *runner) ([]*Metric, error) {
	run, err := r.fanOutCase(ctx, r.sz.bigFollowers, r.sz.bigHosts, "")
	if err != nil {
		return nil, err
	}
	detail := fanDetail(run, r.sz.bigFollowers, r.sz.bigHosts)
	rss := float64(peakRSS()) / (1 << 20)
	masto, err := r.fanOutCase(ctx, r.sz.bigFollowers, r.sz.bigHosts, benchMastodon)
	if err != nil {
		return nil, err
	}
	mastoDetail := fanDetail(masto, r.sz.bigFollowers, r.sz.bigHosts)
	mastoDetail["software"] = benchMastodon
	if err := writePlot(filepath.Join(r.o.Out, "fanout-50k.svg"),
		fmt.Sprintf("Fan-out: one post, %d followers on %d instances", r.sz.bigFollowers, r.sz.bigHosts),
		[]series{
			{Name: fmt.Sprintf("software not known: %d deliveries", run.deliveries), Start: run.start, Times: run.times},
			{Name: fmt.Sprintf("Mastodon: %d deliveries", masto.deliveries), Start: masto.start, Times: masto.times},
		}); err != nil {
		return nil, err
	}
	// The floor: every delivery needs one signature, on every core at once.
	floor := func(f fanRun) float64 { return float64(f.deliveries) / f.signCeiling() }
	label := func(f fanRun) string {
		return fmt.Sprintf("%d deliveries, %.0f/s, %.0f µs CPU each", f.deliveries, float64(f.deliveries)/f.wall().Seconds(), float64(f.cpu.Microseconds())/float64(f.deliveries))
	}
	return []*Metric{
		(&Metric{Case: "fanout-50k.rss", Value: rss, Unit: "MB peak RSS", Label: "VmHWM during the fan-out (software not known)", Detail: detail}).
			target("value", "lower", 300, 150),
		(&Metric{Case: "fanout-50k", Value: run.wall().Seconds(), Unit: "s", Label: "software not known: " + label(run), Detail: detail}).
			against(floor(run), "s: deliveries × C_sign on all cores").target("value", "lower", 5, 4),
		(&Metric{Case: "fanout-50k.mastodon", Value: masto.wall().Seconds(), Unit: "s", Label: "instances running Mastodon: " + label(masto), Detail: mastoDetail}).
			against(floor(masto), "s: deliveries × C_sign on all cores").target("value", "lower", 5, 4),
	}, nil
}

// caseDeadHosts: the fan-out with 10% of the instances accepting
// connections and never answering, 10 s remote timeout: time until the
// last live instance has its delivery, against the same fan-out to healthy
// instances. The two alternate (healthy, silent, healthy, silent …, each
// on instances of its own), so that a change in the machine's load
// weighs on both alike; the ratio is of the sums.
func caseDeadHosts(ctx context.Context, r *runner) ([]*Metric, error) {
	sz := r.sz
	if err := r.newEnv(ctx, app.Tuning{RequestTimeout: sz.deadTimeout}); err != nil {
		return nil, err
	}
	type pair struct {
		healthy, mixed *models.Community
	}
	var poster *models.Actor
	var pairs []pair
	var warmHosts []string
	for i := range sz.deadRounds {
		healthyHosts, err := r.e.addHosts(sz.deadHosts, 0)
		if err != nil {
			return nil, err
		}
		mixedHosts, err := r.e.addHosts(sz.deadHosts-sz.deadSilent, sz.deadSilent)
		if err != nil {
			return nil, err
		}
		warmHosts = healthyHosts
		var p pair
		if poster, p.healthy, err = r.e.community(ctx, fmt.Sprintf("healthy%d", i)); err != nil {
			return nil, err
		}
		if _, p.mixed, err = r.e.community(ctx, fmt.Sprintf("mixed%d", i)); err != nil {
			return nil, err
		}
		if err := r.e.followers(ctx, p.healthy, healthyHosts, sz.deadFollowers, fmt.Sprintf("h%d-", i)); err != nil {
			return nil, err
		}
		if err := r.e.followers(ctx, p.mixed, mixedHosts, sz.deadFollowers, fmt.Sprintf("m%d-", i)); err != nil {
			return nil, err
		}
		pairs = append(pairs, p)
	}
	if err := r.warmUp(ctx, warmHosts, 2); err != nil {
		return nil, err
	}
	live := 2 * (sz.deadHosts - sz.deadSilent)
	var refs, runs []fanRun
	var refSum, runSum time.Duration
	for i, p := range pairs {
		ref, err := r.measureFanOut(ctx, poster, p.healthy, 2*sz.deadHosts, false)
		if err != nil {
			return nil, fmt.Errorf("healthy fan-out: %w", err)
		}
		// Let the outcomes be written before the next run.
		time.Sleep(sz.settle)
		if i == 0 {
			if err := r.startProfile(); err != nil {
				return nil, err
			}
		}
		run, err := r.measureFanOut(ctx, poster, p.mixed, live, false)
		if i == 0 {
			r.stopProfile()
		}
		if err != nil {
			return nil, fmt.Errorf("fan-out with silent hosts: %w", err)
		}
		r.logf("round %d: healthy %.2f s, with %d silent %.2f s to the last live delivery", i+1, ref.wall().Seconds(), sz.deadSilent, run.wall().Seconds())
		refs, runs = append(refs, ref), append(runs, run)
		refSum += ref.wall()
		runSum += run.wall()
		time.Sleep(sz.settle)
	}
	ref, run := refs[0], runs[0]
	if err := writePlot(filepath.Join(r.o.Out, "deadhosts.svg"),
		fmt.Sprintf("Dead hosts: %d instances, %d of them never answer (timeout %s)", sz.deadHosts, sz.deadSilent, sz.deadTimeout),
		[]series{
			{Name: fmt.Sprintf("healthy: %d deliveries", ref.deliveries), Start: ref.start, Times: ref.times},
			{Name: fmt.Sprintf("%d silent: %d live deliveries", sz.deadSilent, live), Start: run.start, Times: run.times,
				Mark: sz.deadTimeout, MarkName: "the remote timeout, " + sz.deadTimeout.String()},
		}); err != nil {
		return nil, err
	}
	var healthyS, liveS []float64
	for i := range refs {
		healthyS = append(healthyS, round(refs[i].wall().Seconds()))
		liveS = append(liveS, round(runs[i].wall().Seconds()))
	}
	n := float64(len(pairs))
	detail := map[string]any{
		"instances": sz.deadHosts, "silent": sz.deadSilent, "timeout_s": sz.deadTimeout.Seconds(), "rounds": len(pairs),
		"healthy_s": healthyS, "last_live_s": liveS,
		"live_deliveries": live, "cpu_per_delivery_us": round(float64(run.cpu.Microseconds()) / float64(live)),
	}
	return []*Metric{
		(&Metric{Case: "deadhosts", Value: runSum.Seconds() / n, Unit: "s to the last live delivery",
			Label: fmt.Sprintf("%d of %d instances silent, %s timeout, mean of %d rounds; %.0f µs CPU per live delivery, peak RSS %.0f MB",
				sz.deadSilent, sz.deadHosts, sz.deadTimeout, len(pairs), float64(run.cpu.Microseconds())/float64(live), float64(peakRSS())/(1<<20)), Detail: detail}).
			against(refSum.Seconds()/n, "s for the healthy fan-out").target("ratio", "lower", 1.5, 1.2),
	}, nil
}

// caseInbox: pre-signed Create{Note} from many remote actors, POSTed
// concurrently to the shared inbox: accepted per second and latency,
// processed per second end to end, CPU per processed activity, and the
// rate at which bad signatures are refused.
func caseInbox(ctx context.Context, r *runner) ([]*Metric, error) {
	sz := r.sz
	if err := r.newEnv(ctx, app.Tuning{}); err != nil {
		return nil, err
	}
	if r.o.DatabaseURL == "" {
		r.logf("warning: the inbox targets are for Postgres; this run uses SQLite")
	}
	hosts, err := r.e.addHosts(sz.inboxHosts, 0)
	if err != nil {
		return nil, err
	}
	// The community's own followers live on a host whose circuit is
	// open, so each accepted post's Announces are queued (rows written,
	// fan-out tasks run, deliveries postponed) but not signed and sent
	// while the inbox is measured: sending is the fan-out cases' figure.
	closed, err := r.e.addHosts(1, 0)
	if err != nil {
		return nil, err
	}
	_, c, err := r.e.community(ctx, "inbox")
	if err != nil {
		return nil, err
	}
	if err := r.e.followers(ctx, c, closed, 10, "f"); err != nil {
		return nil, err
	}
	now := time.Now().UTC()
	for _, h := range closed {
		_, err := r.e.inst.Service.UpdateHostState(ctx, h, func(st *models.RemoteHost) {
			open := now.Add(time.Hour)
			st.FailingSince, st.ConsecutiveFailures, st.OpenUntil = &now, 5, &open
		})
		if err != nil {
			return nil, err
		}
	}
	// Remote actors with keys; a few keys are shared because generating
	// RSA keys is slow, but every actor has its own key id.
	privs, pubs := make([]string, sz.inboxKeys), make([]string, sz.inboxKeys)
	for i := range privs {
		if privs[i], pubs[i], err = signing.GenerateKey(); err != nil {
			return nil, err
		}
	}
	actors := make([]models.Actor, sz.inboxActors)
	load := &inboxLoad{
		URL: "http://" + r.e.Addr + "/inbox", Host: domain, Keys: privs, Community: c.Actor.IRI,
		Seed: randomHex(4), Valid: sz.inboxValid, Bad: sz.inboxBad, Concurrency: sz.inboxConcurrency,
	}
	for i := range actors {
		a := remoteActor(hosts[i%len(hosts)], fmt.Sprintf("a%d", i))
		a.PublicKeyID, a.PublicKeyPEM = a.IRI+"#main-key", pubs[i%len(pubs)]
		actors[i] = a
		load.Actors = append(load.Actors, loadActor{IRI: a.IRI, KeyID: a.PublicKeyID, Key: i % len(pubs)})
	}
	if err := r.e.inst.Store.CreateActors(ctx, actors); err != nil {
		return nil, err
	}
	prep := time.Now()
	if _, err := r.e.remote.call(request{Op: "inbox-prepare", Inbox: load}); err != nil {
		return nil, err
	}
	r.logf("%d valid and %d bad activities of %d actors on %d hosts signed in %s", sz.inboxValid, sz.inboxBad, sz.inboxActors, sz.inboxHosts, time.Since(prep).Round(time.Millisecond))

	// Warm-up: one activity per actor, so every key is cached.
	posts := 0
	if _, err := r.fire("warm-valid", http.StatusAccepted, sz.inboxActors); err != nil {
		return nil, err
	}
	posts += sz.inboxActors
	if _, err := r.waitProcessed(ctx, c, posts); err != nil {
		return nil, err
	}
	if _, err := r.waitPostponed(ctx); err != nil {
		return nil, err
	}

	verAcc0, err := r.rates.verifyPerSec()
	if err != nil {
		return nil, err
	}
	if err := r.startProfile(); err != nil {
		return nil, err
	}
	cpu0 := cpuTime()
	acc, err := r.fire("valid", http.StatusAccepted, sz.inboxValid)
	if err != nil {
		r.stopProfile()
		return nil, err
	}
	posts += sz.inboxValid
	done, err := r.waitProcessed(ctx, c, posts)
	cpu := cpuTime() - cpu0
	r.stopProfile()
	if err != nil {
		return nil, err
	}
	drained, err := r.waitPostponed(ctx)
	if err != nil {
		return nil, err
	}
	r.logf("the Announces' fan-out tasks were done %.1f s after the first POST", drained.Sub(time.Unix(0, acc.Start)).Seconds())
	// Bad signatures: a warm-up of two per actor first, since the first
	// mismatch on a key triggers one fetch of its owner (a rotated key
	// must be seen) and evicts the key from the cache.
	verAcc1, err := r.rates.verifyPerSec()
	if err != nil {
		return nil, err
	}
	if _, err := r.fire("warm-bad", http.StatusUnauthorized, 2*sz.inboxActors); err != nil {
		return nil, err
	}
	verBad0, err := r.rates.verifyPerSec()
	if err != nil {
		return nil, err
	}
	if err := r.startProfileAs(r.name + "-rejected"); err != nil {
		return nil, err
	}
	cpuBad0 := cpuTime()
	bad, err := r.fire("bad", http.StatusUnauthorized, sz.inboxBad)
	cpuBad := cpuTime() - cpuBad0
	r.stopProfile()
	if err != nil {
		return nil, err
	}
	verBad1, err := r.rates.verifyPerSec()
	if err != nil {
		return nil, err
	}
	verAcc, verBad := (verAcc0+verAcc1)/2, (verBad0+verBad1)/2

	start := time.Unix(0, acc.Start)
	accepted := float64(acc.Status[http.StatusAccepted]) / acc.seconds()
	processed := float64(sz.inboxValid) / done.Sub(start).Seconds()
	rejected := float64(bad.Status[http.StatusUnauthorized]) / bad.seconds()
	detail := map[string]any{
		"activities": sz.inboxValid, "actors": sz.inboxActors, "hosts": sz.inboxHosts, "concurrency": sz.inboxConcurrency,
		"accepted_per_s": round(accepted), "p50_ms": round(acc.P50us / 1e3), "p99_ms": round(acc.P99us / 1e3),
		"processed_per_s": round(processed), "all_processed_s": round(done.Sub(start).Seconds()),
		"announce_fanout_tasks_done_s": round(drained.Sub(start).Seconds()),
		"cpu_per_processed_ms":         round(float64(cpu.Microseconds()) / 1e3 / float64(sz.inboxValid)),
		"rejected_per_s":               round(rejected), "cpu_per_rejected_us": round(float64(cpuBad.Microseconds()) / float64(sz.inboxBad)),
		"database": r.e.inst.Store.Dialect(), "peak_rss_mb": round(float64(peakRSS()) / (1 << 20)),
		"verifications_per_s_around_accepted": []float64{round(verAcc0), round(verAcc1)},
		"verifications_per_s_around_rejected": []float64{round(verBad0), round(verBad1)},
	}
	return []*Metric{
		(&Metric{Case: "inbox.accepted", Value: accepted, Unit: "accepted/s",
			Label: fmt.Sprintf("202 p50 %.1f ms, p99 %.1f ms, %d concurrent", acc.P50us/1e3, acc.P99us/1e3, sz.inboxConcurrency), Detail: detail}).
			against(verAcc, "verifications/s on all cores (C_verify) around it").target("ratio", "higher", 0.10, 0.20),
		(&Metric{Case: "inbox.rejected", Value: rejected, Unit: "bad signatures refused/s",
			Label: fmt.Sprintf("%.0f µs CPU each", float64(cpuBad.Microseconds())/float64(sz.inboxBad)), Detail: detail}).
			against(verBad, "verifications/s on all cores (C_verify) around it").target("ratio", "higher", 0.50, 0.70),
		(&Metric{Case: "inbox", Value: processed, Unit: "processed/s end to end",
			Label:  fmt.Sprintf("on %s: stored, threaded, Announces queued; %.2f ms CPU per activity", r.e.inst.Store.Dialect(), float64(cpu.Microseconds())/1e3/float64(sz.inboxValid)),
			Detail: detail}).
			against(verAcc, "verifications/s on all cores (C_verify) around it").target("value", "higher", 1000, 2000),
	}, nil
}

// fire POSTs a prepared set and checks every answer is want.
func (r *runner) fire(set string, want, n int) (*loadResult, error) {
	resp, err := r.e.remote.call(request{Op: "inbox-fire", Set: set})
	if err != nil {
		return nil, err
	}
	l := resp.Load
	if l.Status[want] != n {
		return l, fmt.Errorf("bench: %s: %d of %d answered %d (statuses %v, %d errors, first: %s)", set, l.Status[want], n, want, l.Status, l.Errors, l.FirstErr)
	}
	return l, nil
}

// waitProcessed waits until no received activity waits for a worker and
// the community has redistributed posts posts (each leaves one Announce in
// its outbox, written with the post and its deliveries), and returns when.
func (r *runner) waitProcessed(ctx context.Context, c *models.Community, posts int) (time.Time, error) {
	svc, st := r.e.inst.Service, r.e.inst.Store
	deadline := time.Now().Add(r.sz.waitTimeout)
	for {
		items, err := svc.UnprocessedInboxItems(ctx, -time.Hour, 1)
		if err != nil {
			return time.Time{}, err
		}
		if len(items) == 0 {
			break
		}
		if time.Now().After(deadline) {
			return time.Time{}, fmt.Errorf("bench: activities still unprocessed after %s", r.sz.waitTimeout)
		}
		// Every 25 ms: the query reads index entries of every item
		// processed so far, so polling faster takes a noticeable share
		// of the database's CPU from the instance being measured.
		time.Sleep(25 * time.Millisecond)
	}
	done := time.Now()
	for {
		n, err := st.CountOutbox(ctx, c.ActorID, []models.Audience{models.AudiencePublic})
		if err != nil {
			return time.Time{}, err
		}
		if int(n) >= posts {
			return done, nil
		}
		if time.Now().After(deadline) {
			return time.Time{}, fmt.Errorf("bench: %d of %d posts redistributed after %s", n, posts, r.sz.waitTimeout)
		}
		time.Sleep(20 * time.Millisecond)
		done = time.Now()
	}
}

// waitPostponed waits until the fan-out tasks have postponed every queued
// Announce delivery (the followers' circuit is open), so that the next
// phase does not share the machine with them.
// It returns when they were; it may take minutes, as the fan-out tasks
// queue behind the received activities.
func (r *runner) waitPostponed(ctx context.Context) (time.Time, error) {
	timeout := 3 * r.sz.waitTimeout
	deadline := time.Now().Add(timeout)
	for {
		ds, err := r.e.inst.Service.DueDeliveries(ctx, time.Now().Add(30*time.Minute), 1)
		if err != nil {
			return time.Time{}, err
		}
		if len(ds) == 0 {
			return time.Now(), nil
		}
		if time.Now().After(deadline) {
			return time.Time{}, fmt.Errorf("bench: deliveries not postponed after %s", timeout)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// caseLatency: post committed → first remote POST, median over posts
// made one at a time into an idle instance.
func caseLatency(ctx context.Context, r *runner) ([]*Metric, error) {
	if err := r.newEnv(ctx, app.Tuning{}); err != nil {
		return nil, err
	}
	hosts, err := r.e.addHosts(10, 0)
	if err != nil {
		return nil, err
	}
	poster, c, err := r.e.community(ctx, "latency")
	if err != nil {
		return nil, err
	}
	if err := r.e.followers(ctx, c, hosts, 10, "l"); err != nil {
		return nil, err
	}
	if _, err := r.measureFanOut(ctx, poster, c, 2*len(hosts), true); err != nil {
		return nil, err
	}
	if err := r.startProfile(); err != nil {
		return nil, err
	}
	defer r.stopProfile()
	var lat, sinceCall []time.Duration
	for range r.sz.latencyPosts {
		// Idle for a while, at a random phase against the workers' poll.
		time.Sleep(100*time.Millisecond + rand.N(100*time.Millisecond))
		run, err := r.measureFanOut(ctx, poster, c, 2*len(hosts), false)
		if err != nil {
			return nil, err
		}
		lat = append(lat, run.first.Sub(run.start))
		sinceCall = append(sinceCall, run.first.Sub(run.called))
	}
	slices.Sort(lat)
	slices.Sort(sinceCall)
	ms := func(d time.Duration) float64 { return round(float64(d.Microseconds()) / 1e3) }
	med := lat[len(lat)/2]
	detail := map[string]any{
		"posts": len(lat), "median_ms": ms(med), "min_ms": ms(lat[0]), "p90_ms": ms(lat[len(lat)*9/10]), "max_ms": ms(lat[len(lat)-1]),
		"median_from_create_post_called_ms": ms(sinceCall[len(sinceCall)/2]),
	}
	return []*Metric{
		(&Metric{Case: "latency", Value: float64(med.Microseconds()) / 1e3, Unit: "ms median",
			Label: fmt.Sprintf("post committed → first remote POST, %d posts, p90 %.1f ms", len(lat), ms(lat[len(lat)*9/10])), Detail: detail}).
			target("value", "lower", 100, 30),
	}, nil
}

// caseReads: GETs per second of a community's actor, an outbox page and
// its web page by 32 keep-alive clients, against the loopback HTTP
// ceiling (a handler that writes two bytes) measured the same way.
func caseReads(ctx context.Context, r *runner) ([]*Metric, error) {
	if err := r.newEnv(ctx, app.Tuning{}); err != nil {
		return nil, err
	}
	poster, c, err := r.e.community(ctx, "reads")
	if err != nil {
		return nil, err
	}
	for i := range 25 {
		if _, err := r.post(ctx, poster, c, fmt.Sprintf("Thread %d", i)); err != nil {
			return nil, err
		}
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	trivial := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		_, _ = w.Write([]byte("ok"))
	})}
	go func() { _ = trivial.Serve(l) }()
	defer trivial.Close()

	get := func(url, accept string) (float64, float64, error) {
		cpu0 := cpuTime()
		resp, err := r.e.remote.call(request{Op: "get", Get: &getLoad{
			URL: url, Host: domain, Accept: accept, Clients: r.sz.readsClients, DurationMS: int(r.sz.readsDuration / time.Millisecond),
		}})
		cpu := cpuTime() - cpu0
		if err != nil {
			return 0, 0, err
		}
		ld := resp.Load
		ok := ld.Status[http.StatusOK]
		if ok == 0 || ok != ld.Requests {
			return 0, 0, fmt.Errorf("bench: GET %s: statuses %v, %d errors (%s)", url, ld.Status, ld.Errors, ld.FirstErr)
		}
		return float64(ok) / ld.seconds(), float64(cpu.Microseconds()) / float64(ok), nil
	}
	base := "http://" + r.e.Addr
	ceiling, ceilCPU, err := get("http://"+l.Addr().String()+"/", "")
	if err != nil {
		return nil, err
	}
	if err := r.startProfile(); err != nil {
		return nil, err
	}
	actor, actorCPU, err := get(base+"/c/reads", signing.ActivityContentType)
	if err != nil {
		r.stopProfile()
		return nil, err
	}
	outbox, outboxCPU, err := get(base+"/c/reads/outbox?page=true", signing.ActivityContentType)
	if err != nil {
		r.stopProfile()
		return nil, err
	}
	page, pageCPU, err := get(base+"/c/reads", "text/html")
	r.stopProfile()
	if err != nil {
		return nil, err
	}
	// The ceiling again after the reads, averaged with the first: the
	// machine's speed moves by the minute, and a ceiling taken only
	// before would make the ratios of a slow minute look worse (and of a
	// fast one better) than they are.
	ceiling1, ceilCPU1, err := get("http://"+l.Addr().String()+"/", "")
	if err != nil {
		return nil, err
	}
	ceilings := []float64{round(ceiling), round(ceiling1)}
	ceiling, ceilCPU = (ceiling+ceiling1)/2, (ceilCPU+ceilCPU1)/2
	detail := map[string]any{
		"clients": r.sz.readsClients, "seconds_each": r.sz.readsDuration.Seconds(),
		"ceiling_per_s": round(ceiling), "ceiling_before_after_per_s": ceilings,
		"actor_per_s": round(actor), "outbox_per_s": round(outbox), "page_per_s": round(page),
		"cpu_us_per_request": map[string]any{"ceiling": round(ceilCPU), "actor": round(actorCPU), "outbox": round(outboxCPU), "page": round(pageCPU)},
	}
	ceil := "GETs/s of a trivial handler, 32 clients, before and after"
	minRead, which := actor, "actor"
	if outbox < actor {
		minRead, which = outbox, "outbox page"
	}
	return []*Metric{
		(&Metric{Case: "reads.page", Value: page, Unit: "community web pages/s", Label: "text/html, no target", Detail: detail}).against(ceiling, ceil),
		(&Metric{Case: "reads.outbox", Value: outbox, Unit: "outbox pages/s", Detail: detail}).against(ceiling, ceil).target("ratio", "higher", 0.50, 0.70),
		(&Metric{Case: "reads.actor", Value: actor, Unit: "actor documents/s", Detail: detail}).against(ceiling, ceil).target("ratio", "higher", 0.50, 0.70),
		(&Metric{Case: "reads", Value: minRead, Unit: "GETs/s", Label: "the slower of actor and outbox page: " + which, Detail: detail}).
			against(ceiling, ceil).target("ratio", "higher", 0.50, 0.70),
	}, nil
}
