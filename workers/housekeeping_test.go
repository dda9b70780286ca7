package workers_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/hibiken/asynq"

	"github.com/practica-social/practica/service"
	"github.com/practica-social/practica/store"
	"github.com/practica-social/practica/tasks"
	"github.com/practica-social/practica/workers"
)

// TestReconcilerDeletesExpiredSessions: the reconciler's run deletes
// expired sessions, at most once per PruneSessionsEvery in a process, and
// leaves live ones.
func TestReconcilerDeletesExpiredSessions(t *testing.T) {
	q := newQueueRig(t)
	ctx := context.Background()
	if _, err := q.svc.CreateAccount(ctx, service.NewAccount{Username: "alice", Email: "alice@example.org", Password: "long enough"}); err != nil {
		t.Fatal(err)
	}
	login := func(svc *service.Service) string {
		t.Helper()
		res, err := svc.Login(ctx, nil, service.LoginAttempt{Identifier: "alice", Password: "long enough"})
		if err != nil {
			t.Fatal(err)
		}
		return res.SignedIn.Session.TokenHash
	}
	at := func(d time.Duration) *service.Service {
		return service.New(service.Deps{Store: q.store, URLs: q.svc.URLs(), Now: func() time.Time { return time.Now().Add(d) }})
	}
	expired := login(at(-service.SessionTTL - time.Minute))
	live := login(q.svc)
	exists := func(hash string) bool {
		t.Helper()
		_, err := q.store.GetSessionByHash(ctx, hash, time.Unix(0, 0))
		if err != nil && !errors.Is(err, store.ErrNotFound) {
			t.Fatal(err)
		}
		return err == nil
	}
	if !exists(expired) || !exists(live) {
		t.Fatal("the sessions were not stored")
	}
	w := workers.New(workers.Deps{Service: q.svc, Queue: q.queue, Poster: nopPoster{}})
	run := func() {
		t.Helper()
		if err := w.Mux().ProcessTask(ctx, asynq.NewTask(tasks.TypeDeliveryReconcile, nil)); err != nil {
			t.Fatal(err)
		}
	}
	run()
	if exists(expired) || !exists(live) {
		t.Fatalf("after the reconciler: expired session kept %v, live session kept %v", exists(expired), exists(live))
	}
	// Within the period the chore does not run again.
	again := login(at(-service.SessionTTL - time.Minute))
	run()
	if !exists(again) {
		t.Fatal("expired sessions deleted twice within one period")
	}
}
