// Package service holds every domain rule of Practica: accounts,
// communities, membership, posting, and (later) moderation, bridging,
// linking and the practice. The web UI, the JSON API, the federation inbox
// and the workers all call the same methods. It never imports Echo.
package service

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/practica-social/practica/store"
)

// Deps are what the service needs from the outside world.
type Deps struct {
	Store *store.Store
	URLs  URLs
	// InstanceName is shown in NodeInfo and pages.
	InstanceName string
	// Dispatch wakes the workers; nil in commands that run none (admin).
	Dispatch Dispatcher
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	Log *slog.Logger
}

// Service is the domain layer of one instance.
type Service struct {
	store        *store.Store
	urls         URLs
	instanceName string
	dispatch     Dispatcher
	now          func() time.Time
	log          *slog.Logger
	// received batches the inbox's inserts (inbox_batch.go).
	received groupCommit
	// receiving paces processing against the inbox's load (receiving.go).
	receiving *receivingGauge
	// blocked is this process's copy of the blocked servers' hosts
	// (domain_blocks.go).
	blocked *refreshed[map[string]struct{}]
	// bans is this process's copy of the communities' bans
	// (membership_ban.go).
	bans *refreshed[map[store.MemberBan]struct{}]
}

// New builds the service.
func New(d Deps) *Service {
	s := &Service{store: d.Store, urls: d.URLs, instanceName: d.InstanceName, dispatch: d.Dispatch, now: d.Now, log: d.Log,
		receiving: newReceivingGauge()}
	if s.now == nil {
		s.now = time.Now
	}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	s.blocked = &refreshed[map[string]struct{}]{every: BlockListRefresh, read: s.readBlocked}
	s.bans = &refreshed[map[store.MemberBan]struct{}]{every: BanListRefresh, read: s.readBans}
	return s
}

// URLs returns the instance's URL scheme.
func (s *Service) URLs() URLs { return s.urls }

// InstanceName is the human name of the instance.
func (s *Service) InstanceName() string { return s.instanceName }

// Ready checks that the database answers.
func (s *Service) Ready(ctx context.Context) error {
	if err := s.store.Ping(ctx); err != nil {
		return &Error{Kind: KindUnavailable, Message: "database unavailable", Err: err}
	}
	return nil
}

// storeErr maps a store error to a service error: absence to what's "not
// found", clashes to conflict, an unreachable database to unavailable.
func storeErr(err error, what string) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, store.ErrNotFound):
		return &Error{Kind: KindNotFound, Message: what + " not found", Err: err}
	case errors.Is(err, store.ErrConflict):
		return &Error{Kind: KindConflict, Message: what + " already exists", Err: err}
	case store.IsUnavailable(err):
		return &Error{Kind: KindUnavailable, Message: "the database is unavailable; try again shortly", Err: err}
	default:
		return fmt.Errorf("service: %s: %w", what, err)
	}
}
