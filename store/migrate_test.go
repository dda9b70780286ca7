package store_test

import (
	"context"
	"testing"

	"github.com/practica-social/practica/store"
	"github.com/practica-social/practica/testrig"
)

func TestMigrateUpOnEmptyAndIdempotent(t *testing.T) {
	ctx := context.Background()
	s := testrig.NewStore(t) // migrated once on an empty database
	v, err := s.SchemaVersion(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if v != store.LatestSchemaVersion() {
		t.Fatalf("schema version %d after migrate, want %d", v, store.LatestSchemaVersion())
	}
	// A second and third run change nothing and do not fail.
	for i := 0; i < 2; i++ {
		if err := s.Migrate(ctx); err != nil {
			t.Fatalf("migrate again: %v", err)
		}
	}
	if v2, _ := s.SchemaVersion(ctx); v2 != v {
		t.Fatalf("schema version changed from %d to %d", v, v2)
	}
}

func TestInboxIndexesExist(t *testing.T) {
	s := testrig.NewStore(t)
	for _, idx := range []string{"idx_actors_inbox_url", "idx_actors_shared_inbox_url"} {
		if !s.HasIndex("actors", idx) {
			t.Errorf("index %s missing", idx)
		}
	}
}

// The delivery queue's indexes must not let a stale planner scan every
// pending row for a statement about one row or one activity (see
// migrate_0005): no index leads with the state any more.
func TestDeliveryIndexes(t *testing.T) {
	s := testrig.NewStore(t)
	for _, idx := range []string{"idx_delivery_activity_due", "idx_delivery_pending_due"} {
		if !s.HasIndex("deliveries", idx) {
			t.Errorf("index %s missing", idx)
		}
	}
	if s.HasIndex("deliveries", "idx_delivery_due") {
		t.Error("index idx_delivery_due (state, next_attempt_at) still exists")
	}
}
