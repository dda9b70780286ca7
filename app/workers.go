package app

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/hibiken/asynq"

	"github.com/practica-social/practica/federation/delivery"
	"github.com/practica-social/practica/federation/inbox"
	"github.com/practica-social/practica/workers"
)

// Tuning shortens the timings of an instance for tests. Every zero field
// keeps the production value.
type Tuning struct {
	// RequestTimeout bounds one outgoing federation request.
	RequestTimeout time.Duration
	// Delivery tunes the delivery pipeline and its retry policy.
	Delivery delivery.Options
	// ReconcileEvery and ReconcileGrace tune the reconciler (see
	// workers.Deps).
	ReconcileEvery, ReconcileGrace time.Duration
	// FetchParentsRetryBase is the wait before the first retry of a
	// reply's thread whose origin did not answer (see
	// workers.DefaultFetchParentsRetryBase).
	FetchParentsRetryBase time.Duration
}

// StartWorkers runs the background workers of the instance: the asynq
// server with every task handler, and the delivery reconciler. `practica
// serve`, `practica worker` and the test rig all start them here, so tests
// run the production wiring. stop shuts both down, waiting for running
// tasks up to the configured shutdown timeout.
func (inst *Instance) StartWorkers() (stop func(), err error) {
	if inst.Tasks == nil {
		return nil, errors.New("app: workers need Redis")
	}
	w := workers.New(workers.Deps{
		Service: inst.Service, Log: inst.Log, Queue: inst.Tasks, Poster: inst.Transport,
		Delivery: inst.tuning.Delivery, Metrics: inst.Metrics, Now: inst.now,
		ReconcileEvery: inst.tuning.ReconcileEvery, ReconcileGrace: inst.tuning.ReconcileGrace,
		Inbox: inbox.NewProcessor(inbox.ProcessorDeps{Service: inst.Service, Resolver: inst.Resolver, Log: inst.Log, Fetches: inst.Tasks}),
		Peers: inst.Resolver,
	})
	// Three pools on the same handlers, each serving its own queues.
	servers := []*asynq.Server{inst.NewWorkerServer(), inst.NewInboxWorkerServer(), inst.NewFetchWorkerServer()}
	for i, s := range servers {
		if err := s.Start(w.Mux()); err != nil {
			for _, started := range servers[:i] {
				started.Shutdown()
			}
			return nil, fmt.Errorf("app: start worker pool %d of %d: %w", i+1, len(servers), err)
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		w.RunReconciler(ctx)
	}()
	var once sync.Once
	return func() {
		once.Do(func() {
			cancel()
			<-done
			var wg sync.WaitGroup
			for _, s := range servers {
				wg.Go(s.Shutdown)
			}
			wg.Wait()
		})
	}, nil
}
