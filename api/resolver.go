package api

import (
	"context"

	"github.com/practica-social/practica/federation/resolve"
	"github.com/practica-social/practica/models"
	"github.com/practica-social/practica/service"
)

// FederatedResolver adapts the federation resolver to Resolver: WebFinger
// and the actor document (checked and stored by the resolver), then the
// community record the service keeps for a known remote Group.
type FederatedResolver struct {
	Resolver *resolve.Resolver
	Service  *service.Service
}

// LookupCommunity finds the Group of handle ("name@host"). A person's
// handle is "not found": this is a community lookup.
func (f FederatedResolver) LookupCommunity(ctx context.Context, handle string) (*models.Community, error) {
	return f.Resolver.Community(ctx, handle)
}
