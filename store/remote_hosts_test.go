package store_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/practica-social/practica/models"
	"github.com/practica-social/practica/testrig"
)

func TestUpdateRemoteHostConcurrentUpdatesKeepEveryCount(t *testing.T) {
	s := testrig.NewStore(t)
	ctx := context.Background()
	var wg sync.WaitGroup
	for range 20 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, err := s.UpdateRemoteHost(ctx, "Down.Test", func(h *models.RemoteHost) { h.ConsecutiveFailures++ })
			if err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	hs, err := s.RemoteHosts(ctx, []string{"down.test", "never.test"})
	if err != nil {
		t.Fatal(err)
	}
	if got := hs["down.test"].ConsecutiveFailures; got != 20 {
		t.Fatalf("ConsecutiveFailures = %d after 20 concurrent increments", got)
	}
	if _, ok := hs["never.test"]; ok {
		t.Fatal("a host never updated has a row")
	}
}

func TestResetRemoteHostClearsFailureMarks(t *testing.T) {
	s := testrig.NewStore(t)
	ctx := context.Background()
	now := time.Now().UTC().Truncate(time.Second)
	_, err := s.UpdateRemoteHost(ctx, "down.test", func(h *models.RemoteHost) {
		h.ConsecutiveFailures, h.FailingSince, h.OpenUntil, h.UnavailableAt = 9, &now, &now, &now
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.ResetRemoteHost(ctx, "DOWN.test", now); err != nil {
		t.Fatal(err)
	}
	if err := s.ResetRemoteHost(ctx, "healthy.test", now); err != nil {
		t.Fatal(err)
	}
	hs, err := s.RemoteHosts(ctx, []string{"down.test", "healthy.test"})
	if err != nil {
		t.Fatal(err)
	}
	h := hs["down.test"]
	if h.ConsecutiveFailures != 0 || h.FailingSince != nil || h.OpenUntil != nil || h.UnavailableAt != nil || h.LastSuccessAt == nil {
		t.Fatalf("after reset: %+v", h)
	}
	if _, ok := hs["healthy.test"]; ok {
		t.Fatal("resetting a host without a row created one")
	}
}
