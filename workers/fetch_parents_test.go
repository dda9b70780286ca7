package workers_test

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hibiken/asynq"

	"github.com/practica-social/practica/tasks"
	"github.com/practica-social/practica/workers"
)

// lastTryDies stands in for a last try that asynq itself ends (its
// timeout, a crash, a panic): asynq then archives the task without
// looking at what the handler would have returned.
type lastTryDies struct{ tries atomic.Int32 }

func (*lastTryDies) ProcessBatch(context.Context, []int64) error { return nil }

func (p *lastTryDies) ProcessFetchingParents(_ context.Context, _ int64, last bool) error {
	p.tries.Add(1)
	if last {
		panic("the last try ended by asynq")
	}
	return context.DeadlineExceeded // the origin did not answer: retry
}

// TestFetchParentsReplacesAnArchivedTask: a fetch task asynq archived
// keeps its id. When the reconciler hands the reply back and it is queued
// again, the archived task is replaced by a new one, rather than the
// queueing reported done with nothing queued (the reply would then wait
// forever, reconciled every minute).
func TestFetchParentsReplacesAnArchivedTask(t *testing.T) {
	q := newQueueRig(t)
	ctx := context.Background()
	queue := q.queue.WithInspector(q.insp)
	proc := &lastTryDies{}
	w := workers.New(workers.Deps{Service: q.svc, Queue: queue, Inbox: proc})
	srv := asynq.NewServerFromRedisClient(q.rdb, asynq.Config{
		Concurrency: 1, Queues: tasks.FetchQueues(q.prefix),
		RetryDelayFunc:    workers.FetchParentsRetryDelay(10 * time.Millisecond),
		TaskCheckInterval: 20 * time.Millisecond, DelayedTaskCheckInterval: 50 * time.Millisecond,
		LogLevel: asynq.FatalLevel,
	})
	if err := srv.Start(w.Mux()); err != nil {
		t.Fatal(err)
	}
	defer srv.Shutdown()
	const item = 42
	if err := queue.FetchParents(ctx, item, nil); err != nil {
		t.Fatal(err)
	}
	name := q.prefix + tasks.QueueFetch
	waitFor := func(what string, cond func(*asynq.QueueInfo) bool) {
		t.Helper()
		deadline := time.Now().Add(30 * time.Second)
		for {
			info, err := q.insp.GetQueueInfo(name)
			if err == nil && cond(info) {
				return
			}
			if time.Now().After(deadline) {
				t.Fatalf("timed out waiting for %s; %d tries, queue %+v (%v)", what, proc.tries.Load(), info, err)
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
	waitFor("the task archived", func(i *asynq.QueueInfo) bool { return i.Archived == 1 })
	if got := proc.tries.Load(); got != 1+workers.FetchParentsMaxRetry {
		t.Errorf("%d tries before the archive, want %d", got, 1+workers.FetchParentsMaxRetry)
	}
	if err := queue.FetchParents(ctx, item, nil); err != nil {
		t.Fatal(err)
	}
	waitFor("a new task tried", func(i *asynq.QueueInfo) bool {
		return proc.tries.Load() > 1+workers.FetchParentsMaxRetry
	})
}
