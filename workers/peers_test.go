package workers_test

import (
	"context"
	"errors"
	"testing"

	"github.com/hibiken/asynq"

	"github.com/practica-social/practica/tasks"
	"github.com/practica-social/practica/workers"
)

// fakeProber records how it was called and fails when told to.
type fakeProber struct {
	calls, limit, parallel int
	err                    error
}

func (p *fakeProber) ProbePeers(_ context.Context, limit, parallel int) (int, error) {
	p.calls++
	p.limit, p.parallel = limit, parallel
	return limit, p.err
}

// The reconciler's run queues one probing run per slot on the bulk queue
// (it waits on remote servers and must not hold a worker direct
// deliveries need); the probing run asks a bounded number of hosts, and a
// failure is not retried.
func TestReconcilerQueuesOneProbingRunOnTheBulkQueue(t *testing.T) {
	q := newQueueRig(t)
	ctx := context.Background()
	p := &fakeProber{}
	w := workers.New(workers.Deps{Service: q.svc, Queue: q.queue, Poster: nopPoster{}, Peers: p})
	for range 2 {
		if err := w.Mux().ProcessTask(ctx, asynq.NewTask(tasks.TypeDeliveryReconcile, nil)); err != nil {
			t.Fatal(err)
		}
	}
	if p.calls != 0 {
		t.Fatalf("the reconciler probed %d times itself", p.calls)
	}
	tis, err := q.insp.ListPendingTasks(q.prefix + tasks.QueueBulk)
	if err != nil {
		t.Fatal(err)
	}
	probes := 0
	for _, ti := range tis {
		if ti.Type == tasks.TypePeersProbe {
			probes++
			if ti.MaxRetry != 0 {
				t.Errorf("probing run retried %d times", ti.MaxRetry)
			}
		}
	}
	if probes != 1 {
		t.Fatalf("%d probing runs queued on the bulk queue by two reconciler runs in one slot, want 1", probes)
	}

	if err := w.Mux().ProcessTask(ctx, asynq.NewTask(tasks.TypePeersProbe, nil)); err != nil {
		t.Fatal(err)
	}
	if p.calls != 1 || p.limit <= 0 || p.parallel <= 0 || p.parallel > p.limit {
		t.Fatalf("prober called %d times, limit %d, parallel %d", p.calls, p.limit, p.parallel)
	}
	p.err = errors.New("database down")
	if err := w.Mux().ProcessTask(ctx, asynq.NewTask(tasks.TypePeersProbe, nil)); err != nil {
		t.Fatalf("a failed probing run failed its task: %v", err)
	}
}
