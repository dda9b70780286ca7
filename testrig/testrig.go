// Package testrig builds whole Practica instances for tests: a store on a
// fresh Postgres schema or SQLite file, a real Redis (or miniredis), an
// HTTP server on a loopback port under a host name of its own, and
// workers, all torn down in t.Cleanup.
//
// The environment selects the real services:
//
//	PRACTICA_TEST_DATABASE_URL      postgres://… base URL; each test gets its own schema
//	PRACTICA_TEST_REDIS_URL         redis://…; each instance gets its own queue prefix
//	PRACTICA_TEST_REQUIRE_SERVICES  "1": a missing or unreachable service fails the test
//
// Unset, tests run on SQLite and miniredis: both paths run the same suites.
package testrig

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/glebarez/sqlite"
	"github.com/redis/go-redis/v9"
	"gorm.io/driver/postgres"
	"gorm.io/gorm"
	"gorm.io/gorm/logger"

	"github.com/practica-social/practica/store"
)

// Environment variables read by the rig.
const (
	EnvDatabaseURL     = "PRACTICA_TEST_DATABASE_URL"
	EnvRedisURL        = "PRACTICA_TEST_REDIS_URL"
	EnvRequireServices = "PRACTICA_TEST_REQUIRE_SERVICES"
)

// Backend names what the current run tests against, for test names and logs.
func Backend() string {
	db, rd := "sqlite", "miniredis"
	if os.Getenv(EnvDatabaseURL) != "" {
		db = "postgres"
	}
	if os.Getenv(EnvRedisURL) != "" {
		rd = "redis"
	}
	return db + "+" + rd
}

func requireServices() bool { return os.Getenv(EnvRequireServices) == "1" }

// RandomID returns a short random lower-case hex string.
func RandomID() string {
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// DatabaseURL returns a PRACTICA_DATABASE_URL for a fresh, empty database:
// a new schema on the test Postgres, or a new SQLite file.
func DatabaseURL(t testing.TB) string {
	t.Helper()
	base := os.Getenv(EnvDatabaseURL)
	if base == "" {
		if requireServices() {
			t.Fatalf("%s is not set but %s=1", EnvDatabaseURL, EnvRequireServices)
		}
		return "sqlite:" + filepath.Join(t.TempDir(), "practica.db")
	}
	schema := "t_" + RandomID()
	admin, err := gorm.Open(postgres.Open(base), &gorm.Config{Logger: logger.Discard})
	if err != nil {
		t.Fatalf("testrig: connect to %s: %v", EnvDatabaseURL, err)
	}
	sqlDB, _ := admin.DB()
	if err := admin.Exec("CREATE SCHEMA " + schema).Error; err != nil {
		t.Fatalf("testrig: create schema: %v", err)
	}
	t.Cleanup(func() {
		_ = admin.Exec("DROP SCHEMA IF EXISTS " + schema + " CASCADE").Error
		_ = sqlDB.Close()
	})
	u, err := url.Parse(base)
	if err != nil {
		t.Fatalf("testrig: %s: %v", EnvDatabaseURL, err)
	}
	q := u.Query()
	q.Set("search_path", schema)
	if q.Get("sslmode") == "" {
		q.Set("sslmode", "disable")
	}
	u.RawQuery = q.Encode()
	return u.String()
}

// NewStore opens and migrates a store on a fresh database.
func NewStore(t testing.TB) *store.Store {
	t.Helper()
	return newStore(t, store.Options{})
}

// NewCountingStore is NewStore with every statement it runs counted, for
// tests about how many statements a piece of work takes.
func NewCountingStore(t testing.TB) (*store.Store, *StatementCounter) {
	t.Helper()
	c := &StatementCounter{}
	return newStore(t, store.Options{Logger: c}), c
}

// NewStoreAfterStatement is NewStore with after called after every
// statement has run; an error it returns replaces the statement's result
// (see store.Options.AfterStatement).
func NewStoreAfterStatement(t testing.TB, after func(sql string) error) *store.Store {
	t.Helper()
	return newStore(t, store.Options{AfterStatement: after})
}

// NewStoreAt opens a store on a fresh database migrated up to step
// version only, with a second, raw connection to the same database: a
// step that moves data is tested by writing rows in the schema before it
// through raw, then migrating the rest of the way.
func NewStoreAt(t testing.TB, version int) (*store.Store, *gorm.DB) {
	t.Helper()
	ctx := context.Background()
	dsn := DatabaseURL(t)
	dialect, dial := store.DialectPostgres, gorm.Dialector(postgres.Open(dsn))
	if path, ok := strings.CutPrefix(dsn, "sqlite:"); ok {
		dialect, dsn, dial = store.DialectSQLite, path, sqlite.Open(path+"?_pragma=busy_timeout(10000)")
	}
	s, err := store.Open(ctx, dialect, dsn, store.Options{})
	if err != nil {
		t.Fatalf("testrig: open store: %v", err)
	}
	t.Cleanup(func() { _ = s.Close() })
	if err := s.MigrateTo(ctx, version); err != nil {
		t.Fatalf("testrig: migrate to %d: %v", version, err)
	}
	raw, err := gorm.Open(dial, &gorm.Config{Logger: logger.Discard})
	if err != nil {
		t.Fatalf("testrig: raw connection: %v", err)
	}
	sqlDB, _ := raw.DB()
	t.Cleanup(func() { _ = sqlDB.Close() })
	return s, raw
}

func newStore(t testing.TB, opts store.Options) *store.Store {
	t.Helper()
	ctx := context.Background()
	dsn := DatabaseURL(t)
	dialect := store.DialectPostgres
	if strings.HasPrefix(dsn, "sqlite:") {
		dialect, dsn = store.DialectSQLite, strings.TrimPrefix(dsn, "sqlite:")
	}
	s, err := store.Open(ctx, dialect, dsn, opts)
	if err != nil {
		t.Fatalf("testrig: open store: %v", err)
	}
	t.Cleanup(func() { _ = s.Close() })
	if err := s.Migrate(ctx); err != nil {
		t.Fatalf("testrig: migrate: %v", err)
	}
	return s
}

// RedisURL returns the test Redis URL ("" selects miniredis) and a queue
// prefix unique to the caller; the prefix's keys are removed at cleanup.
func RedisURL(t testing.TB) (redisURL, queuePrefix string) {
	t.Helper()
	redisURL = os.Getenv(EnvRedisURL)
	queuePrefix = "t" + RandomID() + "-"
	if redisURL == "" {
		if requireServices() {
			t.Fatalf("%s is not set but %s=1", EnvRedisURL, EnvRequireServices)
		}
		return "", queuePrefix
	}
	opt, err := redis.ParseURL(redisURL)
	if err != nil {
		t.Fatalf("testrig: %s: %v", EnvRedisURL, err)
	}
	rdb := redis.NewClient(opt)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	if err := rdb.Ping(ctx).Err(); err != nil {
		t.Fatalf("testrig: redis at %s: %v", redisURL, err)
	}
	t.Cleanup(func() {
		defer rdb.Close()
		ctx := context.Background()
		iter := rdb.Scan(ctx, 0, fmt.Sprintf("asynq:{%s*", queuePrefix), 1000).Iterator()
		for iter.Next(ctx) {
			rdb.Del(ctx, iter.Val())
		}
	})
	return redisURL, queuePrefix
}
