package delivery

import (
	"context"
	"slices"
	"time"

	"github.com/practica-social/practica/models"
	"github.com/practica-social/practica/service"
)

// A claim is one UPDATE … RETURNING. When the connection breaks while it
// runs, the claimer gets an error but cannot know whether it committed: if
// it did, its rows are leased to nobody and wait for the lease to run out
// (five minutes by default) before the reconciler finds them. So a failed
// claim is remembered, and the background goroutine hands back, once the
// database answers again, the rows whose lease is exactly the one the
// failed claim asked for.

// lostClaim is a claim that failed without a definite answer.
type lostClaim struct {
	activityIDs []int64
	deliveryID  int64 // set for DeliverOne's claim of one row
	leaseUntil  time.Time
	// empty counts hand-backs that found nothing to hand back.
	empty int
}

// releaseEvery spaces the attempts to hand lost claims back while the
// database does not answer.
const releaseEvery = time.Second

// releaseTries is how many hand-backs that find nothing a lost claim gets
// before it is forgotten: a claim abandoned by its caller (its context
// ended) may still be running in the database and commit a moment later.
const releaseTries = 3

// claimActivities claims up to limit due rows of activities, remembering
// the claim as lost when it fails.
func (s *Sender) claimActivities(ctx context.Context, ids []int64, limit int) ([]models.Delivery, error) {
	now := s.opts.Now()
	until := now.Add(s.opts.Lease)
	ds, err := s.svc.ClaimDeliveriesOf(ctx, ids, now, until, limit)
	if err != nil {
		s.claimLost(lostClaim{activityIDs: slices.Clone(ids), leaseUntil: until})
	}
	return ds, err
}

// claimOne claims one row if it is due, remembering the claim as lost
// when it fails with anything but "nothing to claim".
func (s *Sender) claimOne(ctx context.Context, id int64) (*models.Delivery, error) {
	now := s.opts.Now()
	until := now.Add(s.opts.Lease)
	d, err := s.svc.ClaimDelivery(ctx, id, now.Add(dueSlack), until)
	if err != nil && service.KindOf(err) != service.KindNotFound {
		s.claimLost(lostClaim{deliveryID: id, leaseUntil: until})
	}
	return d, err
}

// claimLost queues a lost claim for the background goroutine, starting it
// if it is not running.
func (s *Sender) claimLost(c lostClaim) {
	p := &s.pipe
	p.mu.Lock()
	p.lost = append(p.lost, c)
	if !p.bg {
		p.bg = true
		go s.background()
	}
	p.mu.Unlock()
}

// releaseLost tries to hand back the rows of lost claims, at most once per
// releaseEvery; a claim is forgotten once rows were handed back, after
// releaseTries hand-backs found none, or when its lease has run out anyway.
// Called by the background goroutine only.
func (s *Sender) releaseLost() {
	p := &s.pipe
	p.mu.Lock()
	if len(p.lost) == 0 || time.Since(p.lastRelease) < releaseEvery {
		p.mu.Unlock()
		return
	}
	p.lastRelease = time.Now()
	lost := p.lost
	p.lost = nil
	p.mu.Unlock()

	ctx, cancel := context.WithTimeout(context.Background(), writeTimeout)
	defer cancel()
	var keep []lostClaim
	for _, c := range lost {
		now := s.opts.Now()
		if !now.Before(c.leaseUntil) {
			continue
		}
		n, err := s.svc.ReleaseLostClaim(ctx, c.activityIDs, c.deliveryID, c.leaseUntil, now)
		switch {
		case err != nil:
			keep = append(keep, c)
		case n > 0:
			s.log.Info("handed back deliveries leased by a claim whose answer was lost", "count", n)
		default:
			if c.empty++; c.empty < releaseTries {
				keep = append(keep, c)
			}
		}
	}
	p.mu.Lock()
	p.lost = append(p.lost, keep...)
	p.mu.Unlock()
}
