// Package workers runs Practica's background tasks on asynq: delivery of
// activities, processing of received ones, and the reconciler that
// re-enqueues what Redis lost. Task payloads carry row ids only.
package workers

import (
	"log/slog"

	"github.com/hibiken/asynq"
	"github.com/practica-social/practica/service"
)

// Deps are what the task handlers need.
type Deps struct {
	Service *service.Service
	Log     *slog.Logger
}

// Workers holds the task handlers.
type Workers struct {
	svc *service.Service
	log *slog.Logger
}

// New builds the task handlers.
func New(d Deps) *Workers {
	log := d.Log
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Workers{svc: d.Service, log: log}
}

// Mux routes task types to their handlers.
func (w *Workers) Mux() *asynq.ServeMux {
	mux := asynq.NewServeMux()
	return mux
}
