// Package store is the only code that touches *gorm.DB. Its methods take a
// context first, return models, and report absence and uniqueness clashes as
// the sentinel errors ErrNotFound and ErrConflict. A transaction started by
// WithTx travels in the context, so every method joins it.
package store

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"time"

	"github.com/glebarez/sqlite"
	"gorm.io/driver/postgres"
	"gorm.io/gorm"
	"gorm.io/gorm/logger"
)

// ErrNotFound is returned when a looked-up row does not exist.
var ErrNotFound = errors.New("not found")

// ErrConflict is returned when a write clashes with a unique constraint.
var ErrConflict = errors.New("conflict")

// Dialects the store supports.
const (
	DialectPostgres = "postgres"
	DialectSQLite   = "sqlite"
)

// Store is the database of one instance.
type Store struct {
	db      *gorm.DB
	dialect string
	// gen counts committed changes (see Generation).
	gen atomic.Uint64
}

// Options tune how the database is opened.
type Options struct {
	// MaxOpenConns bounds the Postgres pool; SQLite always uses one writer.
	MaxOpenConns int
	// Logger receives GORM's slow-query and error logs; nil silences them.
	Logger logger.Interface
	// AfterStatement, for fault tests, is called after each statement ran
	// (outside a transaction, it has committed) with its SQL; an error it
	// returns becomes the statement's, as when the answer of a committed
	// statement is lost to a cut connection. Nil in production.
	AfterStatement func(sql string) error
}

// Open connects to the database: dialect "postgres" with a postgres:// URL,
// or "sqlite" with a file path. It does not migrate.
func Open(ctx context.Context, dialect, dsn string, opts Options) (*Store, error) {
	cfg := &gorm.Config{
		Logger:                                   opts.Logger,
		TranslateError:                           true,
		DisableForeignKeyConstraintWhenMigrating: false,
		NowFunc:                                  func() time.Time { return time.Now().UTC().Truncate(time.Microsecond) },
		// GORM would wrap every write outside WithTx in a transaction of
		// its own: BEGIN and COMMIT round trips around one statement,
		// which is atomic anyway. Writes of several statements use WithTx.
		SkipDefaultTransaction: true,
	}
	if cfg.Logger == nil {
		cfg.Logger = logger.Discard
	}
	var dial gorm.Dialector
	switch dialect {
	case DialectPostgres:
		dial = postgres.New(postgres.Config{DSN: dsn})
	case DialectSQLite:
		if dir := filepath.Dir(dsn); dir != "" && dsn != ":memory:" {
			if err := os.MkdirAll(dir, 0o750); err != nil {
				return nil, fmt.Errorf("store: create data directory %s: %w", dir, err)
			}
		}
		dial = sqlite.Open(sqliteDSN(dsn))
	default:
		return nil, fmt.Errorf("store: unsupported dialect %q", dialect)
	}
	db, err := gorm.Open(dial, cfg)
	if err != nil {
		return nil, fmt.Errorf("store: open %s: %w", dialect, err)
	}
	sqlDB, err := db.DB()
	if err != nil {
		return nil, fmt.Errorf("store: pool: %w", err)
	}
	if dialect == DialectSQLite {
		// One connection: SQLite has one writer, and a single connection
		// turns "database is locked" races into orderly waiting.
		sqlDB.SetMaxOpenConns(1)
	} else {
		n := opts.MaxOpenConns
		if n <= 0 {
			n = 20
		}
		sqlDB.SetMaxOpenConns(n)
		sqlDB.SetMaxIdleConns(n)
		sqlDB.SetConnMaxIdleTime(5 * time.Minute)
	}
	s := &Store{db: db, dialect: dialect}
	if err := s.hookStatements(opts.AfterStatement); err != nil {
		_ = sqlDB.Close()
		return nil, fmt.Errorf("store: %w", err)
	}
	if err := s.trackChanges(); err != nil {
		_ = sqlDB.Close()
		return nil, fmt.Errorf("store: %w", err)
	}
	pingCtx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	if err := s.Ping(pingCtx); err != nil {
		_ = sqlDB.Close()
		return nil, err
	}
	return s, nil
}

func sqliteDSN(path string) string {
	sep := "?"
	if strings.Contains(path, "?") {
		sep = "&"
	}
	return path + sep + "_pragma=foreign_keys(1)&_pragma=journal_mode(WAL)&_pragma=busy_timeout(10000)&_pragma=synchronous(NORMAL)"
}

// Dialect names the database in use.
func (s *Store) Dialect() string { return s.dialect }

// Ping checks that the database answers.
func (s *Store) Ping(ctx context.Context) error {
	sqlDB, err := s.db.DB()
	if err != nil {
		return fmt.Errorf("store: ping: %w", err)
	}
	if err := sqlDB.PingContext(ctx); err != nil {
		return fmt.Errorf("store: ping: %w", err)
	}
	return nil
}

// Close releases the connection pool.
func (s *Store) Close() error {
	sqlDB, err := s.db.DB()
	if err != nil {
		return err
	}
	return sqlDB.Close()
}

type txKey struct{}

// txState is the transaction a context carries, and what to run once it
// has committed.
type txState struct {
	db          *gorm.DB
	afterCommit []func()
	// collected are the AfterCommitIDs lists, flushed after afterCommit.
	collected []*idCollector
	// changed is set by a write that Generation counts, once committed.
	changed atomic.Bool
}

// WithTx runs fn in one transaction. Store methods called with the context
// fn receives join it. A nested WithTx joins the outer transaction. Hooks
// registered with AfterCommit run after the outermost commit, never after a
// rollback.
func (s *Store) WithTx(ctx context.Context, fn func(ctx context.Context) error) error {
	if _, ok := ctx.Value(txKey{}).(*txState); ok {
		return fn(ctx)
	}
	st := &txState{}
	err := s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		txCtx := context.WithValue(ctx, txKey{}, st)
		// The statements carry the transaction too, so that trackChanges
		// counts their writes when it commits.
		st.db = tx.WithContext(txCtx)
		return fn(txCtx)
	})
	if err != nil {
		return err
	}
	if st.changed.Load() {
		s.gen.Add(1)
	}
	for _, f := range st.afterCommit {
		f()
	}
	for _, c := range st.collected {
		c.flush(c.ids)
	}
	return nil
}

// idCollector gathers the ids of one AfterCommitIDs key.
type idCollector struct {
	key   string
	ids   []int64
	flush func([]int64)
}

// AfterCommitIDs adds id to the list named key of the context's
// transaction; once it commits, flush is called once with the whole list
// (the flush of the first call for that key). Without a transaction it
// calls flush with id at once. One transaction that stores many rows for
// the workers so wakes them with one task instead of one per row.
func AfterCommitIDs(ctx context.Context, key string, id int64, flush func(ids []int64)) {
	st, ok := ctx.Value(txKey{}).(*txState)
	if !ok {
		flush([]int64{id})
		return
	}
	for _, c := range st.collected {
		if c.key == key {
			c.ids = append(c.ids, id)
			return
		}
	}
	st.collected = append(st.collected, &idCollector{key: key, ids: []int64{id}, flush: flush})
}

// InTx reports whether ctx carries a transaction of WithTx.
func InTx(ctx context.Context) bool {
	_, ok := ctx.Value(txKey{}).(*txState)
	return ok
}

// AfterCommit runs f once the context's transaction commits, or at once
// when there is none. Waking workers belongs here: a task must never run
// before the rows it names are visible.
func AfterCommit(ctx context.Context, f func()) {
	if st, ok := ctx.Value(txKey{}).(*txState); ok {
		st.afterCommit = append(st.afterCommit, f)
		return
	}
	f()
}

// conn is the handle every method uses: the context's transaction, if any.
func (s *Store) conn(ctx context.Context) *gorm.DB {
	if st, ok := ctx.Value(txKey{}).(*txState); ok {
		return st.db
	}
	return s.db.WithContext(ctx)
}

// translate maps GORM's errors to the store's sentinels, wrapping with what.
func translate(err error, what string) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, gorm.ErrRecordNotFound):
		return fmt.Errorf("store: %s: %w", what, ErrNotFound)
	case errors.Is(err, gorm.ErrDuplicatedKey), isUniqueViolation(err):
		return fmt.Errorf("store: %s: %w", what, ErrConflict)
	default:
		return fmt.Errorf("store: %s: %w", what, err)
	}
}

// isUniqueViolation catches the SQLite driver's message, which GORM's
// glebarez translator does not always map.
func isUniqueViolation(err error) bool {
	msg := err.Error()
	return strings.Contains(msg, "UNIQUE constraint failed") || strings.Contains(msg, "SQLSTATE 23505")
}

// IsUnavailable reports whether err looks like the database being down or
// unreachable, which callers answer with 503 rather than 500.
func IsUnavailable(err error) bool {
	if err == nil {
		return false
	}
	msg := err.Error()
	for _, s := range []string{"connection refused", "broken pipe", "connection reset", "bad connection", "SQLSTATE 57P", "SQLSTATE 08", "the database system is", "database is closed", "i/o timeout", "failed to connect", "unexpected EOF", "conn closed", "closed pool"} {
		if strings.Contains(msg, s) {
			return true
		}
	}
	return errors.Is(err, context.DeadlineExceeded)
}
