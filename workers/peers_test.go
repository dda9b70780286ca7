package workers_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/hibiken/asynq"

	"github.com/practica-social/practica/tasks"
	"github.com/practica-social/practica/workers"
)

// fakeProber records how it was called and fails when told to.
type fakeProber struct {
	calls    int
	limit    int
	deadline time.Duration
	err      error
}

func (p *fakeProber) ProbePeers(ctx context.Context, limit, _ int) (int, error) {
	p.calls++
	p.limit = limit
	if d, ok := ctx.Deadline(); ok {
		p.deadline = time.Until(d)
	}
	return limit, p.err
}

// The reconciler's run asks peers what they run, within a budget of its
// own, and a failure to do so does not fail the run.
func TestReconcilerProbesPeersWithinABudget(t *testing.T) {
	q := newQueueRig(t)
	ctx := context.Background()
	p := &fakeProber{}
	w := workers.New(workers.Deps{Service: q.svc, Queue: q.queue, Poster: nopPoster{}, Peers: p})
	run := func() error {
		return w.Mux().ProcessTask(ctx, asynq.NewTask(tasks.TypeDeliveryReconcile, nil))
	}
	if err := run(); err != nil {
		t.Fatal(err)
	}
	if p.calls != 1 || p.limit <= 0 || p.deadline <= 0 || p.deadline > 30*time.Second {
		t.Fatalf("prober called %d times, limit %d, deadline in %s; want once, a limit, a deadline within 30 s", p.calls, p.limit, p.deadline)
	}
	p.err = errors.New("database down")
	if err := run(); err != nil {
		t.Fatalf("a failed probe failed the reconciler: %v", err)
	}
	if p.calls != 2 {
		t.Fatalf("prober called %d times after two runs", p.calls)
	}
}
