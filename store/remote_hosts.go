package store

import (
	"context"
	"strings"
	"time"

	"github.com/practica-social/practica/models"
	"gorm.io/gorm/clause"
)

// RemoteHosts returns the stored delivery health of the given hosts. A host
// that never failed has no row and is absent from the map.
func (s *Store) RemoteHosts(ctx context.Context, hosts []string) (map[string]models.RemoteHost, error) {
	out := make(map[string]models.RemoteHost, len(hosts))
	for start := 0; start < len(hosts); start += idChunk {
		chunk := hosts[start:min(start+idChunk, len(hosts))]
		var rows []models.RemoteHost
		if err := s.conn(ctx).Where("host IN ?", chunk).Find(&rows).Error; err != nil {
			return nil, translate(err, "remote hosts")
		}
		for _, h := range rows {
			out[h.Host] = h
		}
	}
	return out, nil
}

// UpdateRemoteHost reads a host's state (a fresh row when none is stored),
// lets fn change it, and saves it, in one transaction. On Postgres the row
// is locked meanwhile, so workers recording failures of the same host at
// once do not lose counts.
func (s *Store) UpdateRemoteHost(ctx context.Context, host string, fn func(h *models.RemoteHost)) (models.RemoteHost, error) {
	host = strings.ToLower(host)
	var h models.RemoteHost
	err := s.WithTx(ctx, func(ctx context.Context) error {
		err := s.conn(ctx).Clauses(clause.OnConflict{DoNothing: true}).Create(&models.RemoteHost{Host: host}).Error
		if err != nil {
			return translate(err, "create remote host "+host)
		}
		err = s.conn(ctx).Clauses(clause.Locking{Strength: "UPDATE"}).Where("host = ?", host).First(&h).Error
		if err != nil {
			return translate(err, "lock remote host "+host)
		}
		fn(&h)
		h.Host = host
		return translate(s.conn(ctx).Save(&h).Error, "save remote host "+host)
	})
	return h, err
}

// ResetRemoteHost clears a host's failure marks after a success or any
// contact from it: the circuit closes and the unavailable mark goes. A host
// without a row is healthy already and gets none.
func (s *Store) ResetRemoteHost(ctx context.Context, host string, at time.Time) error {
	err := s.conn(ctx).Model(&models.RemoteHost{}).Where("host = ?", strings.ToLower(host)).
		Updates(map[string]any{
			"failing_since": nil, "consecutive_failures": 0, "open_until": nil,
			"unavailable_at": nil, "last_success_at": at.UTC(),
		}).Error
	return translate(err, "reset remote host "+host)
}
