package store

import (
	"context"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/practica-social/practica/models"
	"gorm.io/gorm/clause"
)

// deliveryBatch bounds rows per INSERT: Postgres allows 65,535 parameters
// and a delivery row takes nine.
const deliveryBatch = 1000

// CreateDeliveries writes one pending delivery per distinct inbox for an
// activity. It is idempotent: (activity, inbox) is unique and clashes are
// skipped, so running a fan-out twice changes nothing. It returns how many
// rows are new.
func (s *Store) CreateDeliveries(ctx context.Context, activityID int64, inboxes []string, priority int, due time.Time) (int64, error) {
	return s.CreateDeliveriesOf(ctx, []int64{activityID}, inboxes, priority, due)
}

// CreateDeliveriesOf is CreateDeliveries for several activities with the
// same inboxes, in as few statements as the parameter limit allows.
func (s *Store) CreateDeliveriesOf(ctx context.Context, activityIDs []int64, inboxes []string, priority int, due time.Time) (int64, error) {
	seen := make(map[string]bool, len(inboxes))
	rows := make([]models.Delivery, 0, len(inboxes)*len(activityIDs))
	for _, in := range inboxes {
		if in == "" || seen[in] {
			continue
		}
		seen[in] = true
		host := ""
		if u, err := url.Parse(in); err == nil {
			host = strings.ToLower(u.Host)
		}
		for _, id := range activityIDs {
			rows = append(rows, models.Delivery{
				ActivityID: id, InboxURL: in, Host: host, State: models.DeliveryPending,
				Priority: priority, NextAttemptAt: due,
			})
		}
	}
	var created int64
	for start := 0; start < len(rows); start += deliveryBatch {
		end := min(start+deliveryBatch, len(rows))
		res := s.conn(ctx).Clauses(clause.OnConflict{DoNothing: true}).Create(rows[start:end])
		if res.Error != nil {
			return created, translate(res.Error, fmt.Sprintf("create deliveries of activities %v", activityIDs))
		}
		created += res.RowsAffected
	}
	return created, nil
}
