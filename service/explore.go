package service

import (
	"context"

	"github.com/practica-social/practica/models"
)

// Explore finds communities, local and known remote ones, by name, handle,
// host or topic. An empty query lists them all.
func (s *Service) Explore(ctx context.Context, query string, limit int) ([]models.Community, error) {
	if len(query) > 200 {
		return nil, Invalid("the search may have at most 200 characters")
	}
	cs, err := s.store.SearchCommunities(ctx, query, false, limit)
	return cs, storeErr(err, "communities")
}
