package service

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/practica-social/practica/models"
	"github.com/practica-social/practica/store"
)

// The methods in this file are how the delivery pipeline
// (federation/delivery) and the workers reach the database. They stay thin:
// when to retry, when a host's circuit opens and what is final is delivery
// policy and lives in federation/delivery.

// PublishActivity stores act (unless it already has a row) and queues it
// for every remote inbox in inboxes, in one transaction, then wakes the
// workers. Publishing an existing activity again only adds deliveries to
// inboxes it was not yet queued for, e.g. a member who joined since.
func (s *Service) PublishActivity(ctx context.Context, act *models.Activity, inboxes []string, priority int) error {
	if act == nil || act.JSON == "" || act.ActorID == 0 || act.IRI == "" {
		return Invalid("an activity needs an id, an actor and its JSON to be published")
	}
	return s.publish(ctx, act, inboxes, priority)
}

// ClaimDeliveries claims up to limit deliveries of an activity that are
// pending and due at now, highest priority first, and leases them until
// leaseUntil: nobody else sends them meanwhile. The caller records each
// outcome, or renews the lease with RescheduleDeliveries, before it ends.
func (s *Service) ClaimDeliveries(ctx context.Context, activityID int64, now, leaseUntil time.Time, limit int) ([]models.Delivery, error) {
	ds, err := s.store.ClaimActivityDeliveries(ctx, activityID, now, leaseUntil, limit)
	return ds, storeErr(err, "deliveries")
}

// ClaimDeliveriesOf claims up to limit due deliveries of several
// activities in one statement, as ClaimDeliveries does for one.
func (s *Service) ClaimDeliveriesOf(ctx context.Context, activityIDs []int64, now, leaseUntil time.Time, limit int) ([]models.Delivery, error) {
	ds, err := s.store.ClaimDeliveriesOf(ctx, activityIDs, now, leaseUntil, limit)
	return ds, storeErr(err, "deliveries")
}

// ActivitiesForDelivery loads the activities of a fan-out by id, in one
// query; ids with no row are absent from the map.
func (s *Service) ActivitiesForDelivery(ctx context.Context, ids []int64) (map[int64]*models.Activity, error) {
	as, err := s.store.GetActivities(ctx, ids)
	if err != nil {
		return nil, storeErr(err, "activities")
	}
	out := make(map[int64]*models.Activity, len(as))
	for i := range as {
		out[as[i].ID] = &as[i]
	}
	return out, nil
}

// ClaimDelivery claims one delivery if it is pending and due at now, as
// ClaimDeliveries does. KindNotFound when it is finished, not due, or held
// by another worker: the caller has nothing to do.
func (s *Service) ClaimDelivery(ctx context.Context, id int64, now, leaseUntil time.Time) (*models.Delivery, error) {
	d, err := s.store.ClaimDelivery(ctx, id, now, leaseUntil)
	return d, storeErr(err, "due delivery")
}

// ReleaseLostClaim makes due at now the deliveries a claim leased until
// leaseUntil when that claim failed without an answer (the connection was
// cut as it committed): those of activityIDs, or the one deliveryID when
// it is not zero. It returns how many there were.
func (s *Service) ReleaseLostClaim(ctx context.Context, activityIDs []int64, deliveryID int64, leaseUntil, now time.Time) (int64, error) {
	n, err := s.store.ReleaseLostLease(ctx, activityIDs, deliveryID, leaseUntil, now)
	return n, storeErr(err, "deliveries")
}

// RescheduleDeliveries moves the pending deliveries among ids to at:
// later to renew a lease, now to hand unsent claims back at shutdown.
func (s *Service) RescheduleDeliveries(ctx context.Context, ids []int64, at time.Time) error {
	return storeErr(s.store.RescheduleDeliveries(ctx, ids, at), "deliveries")
}

// ActivityForDelivery returns the stored activity whose JSON is sent.
func (s *Service) ActivityForDelivery(ctx context.Context, id int64) (*models.Activity, error) {
	a, err := s.store.GetActivity(ctx, id)
	return a, storeErr(err, "activity")
}

// Delivery returns one delivery, for tests and admin views.
func (s *Service) Delivery(ctx context.Context, id int64) (*models.Delivery, error) {
	d, err := s.store.GetDelivery(ctx, id)
	return d, storeErr(err, "delivery")
}

// ActivityDeliveries lists an activity's deliveries, for tests and admin
// views.
func (s *Service) ActivityDeliveries(ctx context.Context, activityID int64) ([]models.Delivery, error) {
	ds, err := s.store.ActivityDeliveries(ctx, activityID)
	return ds, storeErr(err, "deliveries")
}

// ErrNoSigningKey is returned by SigningKey for an actor that holds no
// private key (a remote actor, or a local one whose key was lost): nothing
// it sends can be signed, however often it is retried.
var ErrNoSigningKey = errors.New("service: actor has no private key")

// SigningKey returns the key id and private key PEM a local actor signs
// its deliveries with.
func (s *Service) SigningKey(ctx context.Context, actorID int64) (keyID, privPEM string, err error) {
	a, err := s.store.GetActor(ctx, actorID)
	if err != nil {
		return "", "", storeErr(err, "actor")
	}
	if !a.Local || a.PrivateKeyPEM == "" || a.PublicKeyID == "" {
		return "", "", fmt.Errorf("actor %d: %w", actorID, ErrNoSigningKey)
	}
	return a.PublicKeyID, a.PrivateKeyPEM, nil
}

// DeliveryResult is the outcome of one attempt at a delivery, as the
// delivery policy decided it.
type DeliveryResult struct {
	ID int64
	// State is DeliveryDone after a 2xx, DeliveryPending for a retry at
	// NextAttemptAt, DeliveryFailed when final.
	State models.DeliveryState
	// Attempts is the number of attempts made, this one included.
	Attempts      int
	NextAttemptAt time.Time
	// LastStatus is the HTTP status answered, 0 when none was.
	LastStatus int
	LastError  string
	// At is when the attempt ended.
	At time.Time
}

// RecordDeliveryResults saves a batch of outcomes in one transaction.
// Successes are written a statement per status code rather than a row at
// a time. Rows already done stay done: when a delivery was sent twice, one
// success is enough. It returns how many rows changed.
func (s *Service) RecordDeliveryResults(ctx context.Context, rs []DeliveryResult) (int, error) {
	if len(rs) == 0 {
		return 0, nil
	}
	changed := 0
	err := s.store.WithTx(ctx, func(ctx context.Context) error {
		// Successes grouped by status code, with the latest time of each.
		done := map[int][]int64{}
		doneAt := map[int]time.Time{}
		var attempts []store.DeliveryAttempt
		for _, r := range rs {
			if r.State == models.DeliveryDone {
				k := r.LastStatus
				done[k] = append(done[k], r.ID)
				// One timestamp per batch is close enough; rows are
				// flushed within moments of their 2xx.
				if r.At.After(doneAt[k]) {
					doneAt[k] = r.At
				}
				continue
			}
			attempts = append(attempts, store.DeliveryAttempt{
				ID: r.ID, State: r.State, Attempts: r.Attempts, NextAttemptAt: r.NextAttemptAt,
				LastStatus: r.LastStatus, LastError: r.LastError,
			})
		}
		if len(attempts) > 0 {
			n, err := s.store.RecordDeliveryAttempts(ctx, attempts)
			if err != nil {
				return err
			}
			changed += int(n)
		}
		for k, ids := range done {
			n, err := s.store.MarkDeliveriesDone(ctx, ids, k, doneAt[k])
			if err != nil {
				return err
			}
			changed += int(n)
		}
		return nil
	})
	if err != nil {
		return 0, storeErr(err, "delivery results")
	}
	return changed, nil
}

// MarkInboxGone records that inbox answered 410 Gone: the remote actors
// whose personal inbox it is are marked gone. A shared inbox marks nobody.
func (s *Service) MarkInboxGone(ctx context.Context, inbox string) (int64, error) {
	n, err := s.store.MarkActorsGoneByInbox(ctx, inbox, s.now().UTC())
	return n, storeErr(err, "actors")
}

// DueDeliveries lists pending deliveries due at or before olderThan, the
// longest overdue first: what the reconciler re-enqueues.
func (s *Service) DueDeliveries(ctx context.Context, olderThan time.Time, limit int) ([]models.Delivery, error) {
	ds, err := s.store.DueDeliveries(ctx, olderThan, limit)
	return ds, storeErr(err, "due deliveries")
}

// HostStates returns the delivery health of hosts; hosts that never failed
// are absent.
func (s *Service) HostStates(ctx context.Context, hosts []string) (map[string]models.RemoteHost, error) {
	hs, err := s.store.RemoteHosts(ctx, hosts)
	return hs, storeErr(err, "remote hosts")
}

// UpdateHostState applies fn to a host's stored health atomically and
// returns the result; fn is the delivery policy's transition.
func (s *Service) UpdateHostState(ctx context.Context, host string, fn func(h *models.RemoteHost)) (models.RemoteHost, error) {
	h, err := s.store.UpdateRemoteHost(ctx, host, fn)
	return h, storeErr(err, "remote host")
}

// MarkHostAlive clears a host's failure marks: its circuit closes and it
// is no longer unavailable. Delivery calls it after a success; the inbox
// calls it when the host contacts us, which proves it is back.
func (s *Service) MarkHostAlive(ctx context.Context, host string) error {
	host = strings.ToLower(strings.TrimSpace(host))
	if host == "" {
		return nil
	}
	return storeErr(s.store.ResetRemoteHost(ctx, host, s.now().UTC()), "remote host")
}
