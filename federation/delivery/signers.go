package delivery

import (
	"context"
	"fmt"
	"sync"

	"github.com/practica-social/practica/federation/signing"
	"github.com/practica-social/practica/service"
)

// maxCachedSigners bounds the cache; past it, it starts afresh. Local
// actors that publish are few, so this is a guard, not a working limit.
const maxCachedSigners = 10000

// signerCache keeps one parsed key per local actor: parsing an RSA key
// from PEM costs about as much as a signature, and a fan-out signs once
// per inbox. Entries are checked against the stored PEM on every use, so
// a rotated key takes effect at the next activity.
type signerCache struct {
	mu      sync.Mutex
	byActor map[int64]cachedSigner
}

type cachedSigner struct {
	keyID, pem string
	signer     *signing.Signer
}

func newSignerCache() *signerCache { return &signerCache{byActor: map[int64]cachedSigner{}} }

// get returns the signer of a local actor. Keys that are missing or do
// not parse give errors Classify treats as final.
func (c *signerCache) get(ctx context.Context, svc *service.Service, actorID int64) (*signing.Signer, error) {
	memo, _ := ctx.Value(signerMemoKey{}).(map[int64]*signing.Signer)
	if s, ok := memo[actorID]; ok {
		return s, nil
	}
	s, err := c.load(ctx, svc, actorID)
	if err == nil && memo != nil {
		memo[actorID] = s
	}
	return s, err
}

type signerMemoKey struct{}

// withSignerMemo returns a context under which get checks each actor's
// stored key once. For one goroutine's use: the map is not locked.
func withSignerMemo(ctx context.Context) context.Context {
	return context.WithValue(ctx, signerMemoKey{}, map[int64]*signing.Signer{})
}

// load returns the signer of a local actor, checked against its stored key.
func (c *signerCache) load(ctx context.Context, svc *service.Service, actorID int64) (*signing.Signer, error) {
	keyID, pem, err := svc.SigningKey(ctx, actorID)
	if err != nil {
		return nil, err
	}
	c.mu.Lock()
	e, ok := c.byActor[actorID]
	c.mu.Unlock()
	if ok && e.keyID == keyID && e.pem == pem {
		return e.signer, nil
	}
	key, err := signing.ParsePrivateKey(pem)
	if err != nil {
		return nil, fmt.Errorf("%w: actor %d: %v", errBadKey, actorID, err)
	}
	s := signing.NewSigner(keyID, key)
	c.mu.Lock()
	if len(c.byActor) >= maxCachedSigners {
		c.byActor = map[int64]cachedSigner{}
	}
	c.byActor[actorID] = cachedSigner{keyID: keyID, pem: pem, signer: s}
	c.mu.Unlock()
	return s, nil
}
