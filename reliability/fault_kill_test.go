package reliability_test

import (
	"context"
	"fmt"
	"net/http"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/practica-social/practica/app"
	"github.com/practica-social/practica/config"
	"github.com/practica-social/practica/models"
	"github.com/practica-social/practica/service"
	"github.com/practica-social/practica/testrig"
)

// faultWorkerBin is the faultworker binary, built once per test run.
var faultWorkerBin struct {
	once sync.Once
	path string
	err  error
	dir  string
}

func buildFaultWorker(t *testing.T) string {
	t.Helper()
	faultWorkerBin.once.Do(func() {
		dir, err := os.MkdirTemp("", "practica-faultworker-")
		if err != nil {
			faultWorkerBin.err = err
			return
		}
		faultWorkerBin.dir = dir
		path := filepath.Join(dir, "faultworker")
		out, err := exec.Command("go", "build", "-o", path, "github.com/practica-social/practica/reliability/internal/faultworker").CombinedOutput()
		if err != nil {
			faultWorkerBin.err = fmt.Errorf("go build: %v: %s", err, out)
			return
		}
		faultWorkerBin.path = path
	})
	if faultWorkerBin.err != nil {
		t.Fatal(faultWorkerBin.err)
	}
	return faultWorkerBin.path
}

// inboxFarm is many remote inboxes on several loopback hosts, counting
// the requests each receives and answering 202 after a short pause, so
// that a fan-out takes long enough to be interrupted.
type inboxFarm struct {
	inboxes []string
	mu      sync.Mutex
	got     map[string]int
	active  atomic.Int64
	total   atomic.Int64
}

func newInboxFarm(t *testing.T, hosts, perHost int, pause time.Duration) *inboxFarm {
	t.Helper()
	f := &inboxFarm{got: map[string]int{}}
	for range hosts {
		l := listen(t)
		srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			f.active.Add(1)
			defer f.active.Add(-1)
			f.mu.Lock()
			f.got["http://"+r.Host+r.URL.Path]++
			f.mu.Unlock()
			f.total.Add(1)
			time.Sleep(pause)
			w.WriteHeader(http.StatusAccepted)
		})}
		go func() { _ = srv.Serve(l) }()
		t.Cleanup(func() { _ = srv.Close() })
		for u := range perHost {
			f.inboxes = append(f.inboxes, fmt.Sprintf("http://%s/u/%d/inbox", l.Addr(), u))
		}
	}
	return f
}

func (f *inboxFarm) counts() map[string]int {
	f.mu.Lock()
	defer f.mu.Unlock()
	out := make(map[string]int, len(f.got))
	for k, v := range f.got {
		out[k] = v
	}
	return out
}

// workerProc is a faultworker child process.
type workerProc struct {
	cmd  *exec.Cmd
	out  *testrig.SyncBuffer
	done chan struct{} // closed when it exited
}

// kill sends sig and waits for the process to exit.
func (w *workerProc) kill(sig syscall.Signal) {
	_ = w.cmd.Process.Signal(sig)
	<-w.done
}

func startWorker(t *testing.T, bin string, env []string) *workerProc {
	t.Helper()
	w := &workerProc{out: &testrig.SyncBuffer{}, done: make(chan struct{})}
	w.cmd = exec.Command(bin)
	w.cmd.Env = env
	w.cmd.Stdout, w.cmd.Stderr = w.out, w.out
	if err := w.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() {
		_ = w.cmd.Wait()
		close(w.done)
	}()
	t.Cleanup(func() {
		w.kill(syscall.SIGKILL)
		if t.Failed() {
			t.Logf("worker %d output:\n%s", w.cmd.Process.Pid, w.out.String())
		}
	})
	return w
}

// TestChecklist24WorkerKilledMidFanout runs the workers as a child process
// (the production wiring, `practica worker`, with a three-second delivery
// lease), has it fan one activity out to 1,000 inboxes on 20 hosts, kills
// it with SIGKILL after 300 inboxes received it, and starts a new one.
// Every inbox gets the activity; the ones that get it twice are exactly
// those that had received it when the worker died but whose outcome it had
// not yet written (in flight); none is skipped, none gets it three times.
// The number of repeats is reported (docs/RELIABILITY.md).
func TestChecklist24WorkerKilledMidFanout(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("builds and kills a worker process")
	}
	const hosts, perHost, killAfter = 20, 50, 300
	bin := buildFaultWorker(t)
	ctx := context.Background()
	dbURL := testrig.DatabaseURL(t)
	redisURL, prefix := testrig.RedisURL(t)
	if redisURL == "" {
		redisURL = startOwnRedis(t).URL() // a miniredis the child reaches over TCP
	}
	cfg := config.Config{
		Domain: "org-a.test", Listen: "127.0.0.1:0", Protocol: "http", DataDir: t.TempDir(),
		DatabaseURL: dbURL, RedisURL: redisURL, QueuePrefix: prefix,
		AllowPrivateAddresses: []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")},
		LogLevel:              "warn", InstanceName: "Killed", ShutdownTimeout: 5 * time.Second, WorkerConcurrency: 10,
	}
	// This process publishes and observes; it runs no workers.
	inst, err := app.New(ctx, app.Options{Config: cfg})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = inst.Close() })
	env := []string{
		"PATH=" + os.Getenv("PATH"), "HOME=" + os.Getenv("HOME"),
		"PRACTICA_DOMAIN=org-a.test", "PRACTICA_PROTOCOL=http", "PRACTICA_LISTEN=" + freeAddr(t),
		"PRACTICA_DATA_DIR=" + cfg.DataDir, "PRACTICA_DATABASE_URL=" + dbURL, "PRACTICA_REDIS_URL=" + redisURL,
		"PRACTICA_QUEUE_PREFIX=" + prefix, "PRACTICA_ALLOW_PRIVATE_ADDRESSES=127.0.0.0/8",
		"PRACTICA_LOG_LEVEL=warn", "PRACTICA_SHUTDOWN_TIMEOUT=40s", "PRACTICA_WORKER_CONCURRENCY=10",
	}

	farm := newInboxFarm(t, hosts, perHost, 10*time.Millisecond)
	actor, err := inst.Service.InstanceActor(ctx)
	if err != nil {
		t.Fatal(err)
	}
	iri := inst.Config.BaseURL() + "/activities/" + testrig.RandomID()
	act := &models.Activity{IRI: iri, Type: "Create", ActorID: actor.ID, Local: true,
		JSON: fmt.Sprintf(`{"@context":"https://www.w3.org/ns/activitystreams","id":%q,"type":"Create","actor":%q}`, iri, actor.IRI)}
	if err := inst.Service.PublishActivity(ctx, act, farm.inboxes, service.PriorityBulk); err != nil {
		t.Fatal(err)
	}

	first := startWorker(t, bin, env)
	deadline := time.Now().Add(60 * time.Second)
	for farm.total.Load() < killAfter {
		select {
		case <-first.done:
			t.Fatalf("the worker exited after %d sends", farm.total.Load())
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("the worker sent %d of %d within a minute", farm.total.Load(), len(farm.inboxes))
		}
		time.Sleep(time.Millisecond)
	}
	first.kill(syscall.SIGKILL)
	// Requests already on the wire may still be answered; then nothing moves.
	eventually(t, 10*time.Second, "the inboxes finish the dead worker's requests", func() bool { return farm.active.Load() == 0 })
	atKill := farm.counts()
	doneAtKill := map[string]bool{}
	ds, err := inst.Service.ActivityDeliveries(ctx, act.ID)
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range ds {
		if d.State == models.DeliveryDone {
			doneAtKill[d.InboxURL] = true
		}
	}
	if len(atKill) >= len(farm.inboxes) {
		t.Fatalf("every inbox had the activity before the kill (%d): the kill came too late", len(atKill))
	}
	var inFlight []string
	for in := range atKill {
		if !doneAtKill[in] {
			inFlight = append(inFlight, in)
		}
	}
	for in := range doneAtKill {
		if atKill[in] == 0 {
			t.Errorf("%s is recorded as delivered but never received it", in)
		}
	}

	second := startWorker(t, bin, env)
	restarted := time.Now()
	eventually(t, 120*time.Second, "the new worker delivers the rest", func() bool {
		ds, err := inst.Service.ActivityDeliveries(ctx, act.ID)
		if err != nil {
			return false
		}
		for _, d := range ds {
			if d.State != models.DeliveryDone {
				return false
			}
		}
		return true
	})
	recovery := time.Since(restarted)
	second.kill(syscall.SIGTERM)

	final := farm.counts()
	var twice []string
	for _, in := range farm.inboxes {
		switch n := final[in]; {
		case n == 0:
			t.Errorf("%s never received the activity", in)
		case n == 2:
			twice = append(twice, in)
		case n > 2:
			t.Errorf("%s received it %d times", in, n)
		}
	}
	sort.Strings(twice)
	sort.Strings(inFlight)
	if fmt.Sprint(twice) != fmt.Sprint(inFlight) {
		t.Errorf("received twice: %d inboxes; in flight at the kill (received, outcome not written): %d; they must be the same set", len(twice), len(inFlight))
	}
	// How many that is depends on the moment of the kill: up to
	// MaxInFlight sends on the wire plus the answered ones whose outcomes
	// wait for the next batched write (FlushEvery, FlushSize).
	t.Logf("killed after %d receipts: %d inboxes had it, %d recorded done, %d in flight; after restart all %d delivered in %v, %d twice",
		killAfter, len(atKill), len(doneAtKill), len(inFlight), len(farm.inboxes), recovery.Round(100*time.Millisecond), len(twice))
}
