// Package workers runs Practica's background tasks on asynq: delivery of
// activities, processing of received ones, and the reconciler that
// re-enqueues what Redis lost. Task payloads carry row ids only.
package workers

import (
	"log/slog"
	"sync"
	"time"

	"github.com/hibiken/asynq"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/practica-social/practica/federation/delivery"
	"github.com/practica-social/practica/service"
	"github.com/practica-social/practica/tasks"
)

// Deps are what the task handlers need.
type Deps struct {
	Service *service.Service
	Log     *slog.Logger
	// Queue enqueues follow-up work (retries, reconciler runs). Nil
	// registers no delivery handlers: nothing could be retried.
	Queue *Queue
	// Poster sends deliveries: the instance's *transport.Client.
	Poster delivery.Poster
	// Delivery tunes the delivery pipeline and its policy; zero values
	// are production defaults.
	Delivery delivery.Options
	// Metrics receives the delivery metrics; nil registers none.
	Metrics prometheus.Registerer
	// ReconcileEvery is how often the reconciler runs. Default 1 min.
	ReconcileEvery time.Duration
	// ReconcileGrace is how overdue a pending delivery must be before the
	// reconciler re-enqueues it. Default 1 min.
	ReconcileGrace time.Duration
	// ReconcileBatch bounds the rows one reconciler run looks at.
	// Default 1000.
	ReconcileBatch int
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// Inbox processes received activities; nil registers no inbox handler.
	Inbox InboxProcessor
	// Peers learns what software members' hosts run, with the
	// reconciler's run (peers.go); nil learns nothing, and every host
	// gets every form of an Announce.
	Peers PeerProber
}

// Workers holds the task handlers.
type Workers struct {
	svc    *service.Service
	log    *slog.Logger
	queue  *Queue
	sender *delivery.Sender
	inbox  InboxProcessor
	peers  PeerProber
	now    func() time.Time

	reconcileEvery, reconcileGrace time.Duration
	reconcileBatch                 int

	// chores guards lastPrune, when this process last deleted expired
	// sessions (housekeeping.go).
	chores    sync.Mutex
	lastPrune time.Time
}

// New builds the task handlers.
func New(d Deps) *Workers {
	log := d.Log
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	w := &Workers{
		svc: d.Service, log: log, queue: d.Queue, now: d.Now, inbox: d.Inbox, peers: d.Peers,
		reconcileEvery: d.ReconcileEvery, reconcileGrace: d.ReconcileGrace, reconcileBatch: d.ReconcileBatch,
	}
	if w.now == nil {
		w.now = time.Now
	}
	if w.reconcileEvery <= 0 {
		w.reconcileEvery = DefaultReconcileEvery
	}
	if w.reconcileGrace <= 0 {
		w.reconcileGrace = DefaultReconcileGrace
	}
	if w.reconcileBatch <= 0 {
		w.reconcileBatch = DefaultReconcileBatch
	}
	if d.Queue != nil && d.Poster != nil {
		metrics, err := delivery.NewMetrics(d.Metrics)
		if err != nil {
			log.Error("register delivery metrics; continuing without them", "err", err)
			metrics = nil
		}
		opts := d.Delivery
		if opts.Now == nil {
			opts.Now = d.Now
		}
		w.sender = delivery.NewSender(delivery.Deps{
			Service: d.Service, Poster: d.Poster, Retries: d.Queue, Metrics: metrics, Log: log,
		}, opts)
	}
	return w
}

// Mux routes task types to their handlers.
func (w *Workers) Mux() *asynq.ServeMux {
	mux := asynq.NewServeMux()
	if w.sender != nil {
		mux.HandleFunc(tasks.TypeDeliveryFanout, w.handleFanout)
		mux.HandleFunc(tasks.TypeDeliveryRetry, w.handleRetry)
		mux.HandleFunc(tasks.TypeDeliveryReconcile, w.handleReconcile)
	}
	if w.inbox != nil {
		mux.HandleFunc(tasks.TypeInboxProcess, w.handleInbox)
		mux.HandleFunc(tasks.TypeInboxFetchParents, w.handleFetchParents)
	}
	if w.peers != nil {
		mux.HandleFunc(tasks.TypePeersProbe, w.handleProbePeers)
	}
	return mux
}
