package store

import (
	"context"
	"slices"

	"github.com/practica-social/practica/models"
)

// bulkBatch bounds rows per multi-row INSERT of actors (about thirty
// columns each) and members, well under Postgres's 65,535 parameters.
const bulkBatch = 500

// CreateActors inserts many new actors in multi-row INSERTs and sets their
// ids. It is for seeding (the benchmark); nothing is upserted: a clash
// fails the call with ErrConflict.
func (s *Store) CreateActors(ctx context.Context, as []models.Actor) error {
	for i := range as {
		if as[i].Kind == "" {
			as[i].Kind = models.KindOf(as[i].Type)
		}
	}
	return s.WithTx(ctx, func(ctx context.Context) error {
		return translate(s.conn(ctx).CreateInBatches(as, bulkBatch).Error, "create actors")
	})
}

// CreateMembers inserts many new memberships in multi-row INSERTs, for
// seeding. A clash fails the call with ErrConflict.
func (s *Store) CreateMembers(ctx context.Context, ms []models.Member) error {
	return s.WithTx(ctx, func(ctx context.Context) error {
		if err := s.conn(ctx).Omit("Actor").CreateInBatches(ms, bulkBatch).Error; err != nil {
			return translate(err, "create members")
		}
		var communities []int64
		for _, m := range ms {
			if m.State == models.MemberAccepted && !slices.Contains(communities, m.CommunityID) {
				communities = append(communities, m.CommunityID)
			}
		}
		if len(communities) == 0 {
			return nil
		}
		return s.noteCommunityPeerHosts(ctx, communities)
	})
}
