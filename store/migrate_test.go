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
