package store

import (
	"context"
	"fmt"
	"time"

	"gorm.io/gorm"
)

// migration is one numbered, append-only schema step. Each runs once, in
// its own transaction, and is recorded in schema_migrations. Steps refer to
// frozen struct copies (see migrate_0001_initial.go), never to the live
// models, so an old step means the same thing forever.
type migration struct {
	Version int
	Name    string
	Up      func(tx *gorm.DB) error
}

// schemaMigration records an applied migration.
type schemaMigration struct {
	Version   int    `gorm:"primaryKey;autoIncrement:false"`
	Name      string `gorm:"size:255;not null"`
	AppliedAt time.Time
}

func (schemaMigration) TableName() string { return "schema_migrations" }

// migrations lists every step in order. Append; never edit a landed step.
func migrations() []migration {
	return []migration{
		{Version: 1, Name: "initial", Up: migrateInitial},
		{Version: 2, Name: "auth", Up: migrateAuth},
		{Version: 3, Name: "access_tokens", Up: migrateAccessTokens},
		{Version: 4, Name: "inbox_indexes", Up: migrateInboxIndexes},
		{Version: 5, Name: "delivery_indexes", Up: migrateDeliveryIndexes},
		{Version: 6, Name: "peer_software", Up: migratePeerSoftware},
		{Version: 7, Name: "peer_hosts", Up: migratePeerHosts},
		{Version: 8, Name: "reports", Up: migrateReports},
		{Version: 9, Name: "one_open_report", Up: migrateOneOpenReport},
		{Version: 10, Name: "domain_blocks", Up: migrateDomainBlocks},
		{Version: 11, Name: "member_bans", Up: migrateMemberBans},
	}
}

// Migrate applies every migration not yet applied. It is safe to run on an
// empty database, on a migrated one, and from two processes at once on
// Postgres (an advisory lock serialises them).
func (s *Store) Migrate(ctx context.Context) error {
	return s.MigrateTo(ctx, LatestSchemaVersion())
}

// MigrateTo is Migrate stopping after step version: the tests of a step
// that moves data use it to put rows into the schema before the step.
func (s *Store) MigrateTo(ctx context.Context, version int) error {
	db := s.db.WithContext(ctx)
	if s.dialect == DialectPostgres {
		// Session-level lock on a dedicated connection: two `practica
		// migrate` runs (web and worker starting together) must not race.
		conn, err := db.DB()
		if err != nil {
			return fmt.Errorf("store: migrate: %w", err)
		}
		c, err := conn.Conn(ctx)
		if err != nil {
			return fmt.Errorf("store: migrate: connection: %w", err)
		}
		defer c.Close()
		if _, err := c.ExecContext(ctx, "SELECT pg_advisory_lock(7243001)"); err != nil {
			return fmt.Errorf("store: migrate: lock: %w", err)
		}
		defer c.ExecContext(context.WithoutCancel(ctx), "SELECT pg_advisory_unlock(7243001)") //nolint:errcheck
	}
	if err := db.Migrator().AutoMigrate(&schemaMigration{}); err != nil {
		return fmt.Errorf("store: migrate: schema_migrations: %w", err)
	}
	var applied []schemaMigration
	if err := db.Find(&applied).Error; err != nil {
		return fmt.Errorf("store: migrate: read applied: %w", err)
	}
	done := make(map[int]bool, len(applied))
	for _, a := range applied {
		done[a.Version] = true
	}
	for _, m := range migrations() {
		if done[m.Version] || m.Version > version {
			continue
		}
		err := db.Transaction(func(tx *gorm.DB) error {
			if err := m.Up(tx); err != nil {
				return err
			}
			return tx.Create(&schemaMigration{Version: m.Version, Name: m.Name, AppliedAt: time.Now().UTC()}).Error
		})
		if err != nil {
			return fmt.Errorf("store: migrate: %04d_%s: %w", m.Version, m.Name, err)
		}
	}
	return nil
}

// SchemaVersion returns the highest applied migration, 0 on an empty database.
func (s *Store) SchemaVersion(ctx context.Context) (int, error) {
	if !s.db.Migrator().HasTable(&schemaMigration{}) {
		return 0, nil
	}
	var v int
	if err := s.conn(ctx).Model(&schemaMigration{}).Select("COALESCE(MAX(version), 0)").Scan(&v).Error; err != nil {
		return 0, translate(err, "schema version")
	}
	return v, nil
}

// LatestSchemaVersion is the version the code expects.
func LatestSchemaVersion() int {
	ms := migrations()
	return ms[len(ms)-1].Version
}

// HasIndex reports whether a table has the named index (for tests and the
// admin's schema checks).
func (s *Store) HasIndex(table, name string) bool {
	return s.db.Migrator().HasIndex(table, name)
}
