package testrig

import (
	"context"
	"strings"
	"sync"
	"time"

	"gorm.io/gorm/logger"
)

// StatementCounter is a GORM logger that keeps the text of every statement
// run, and logs nothing.
type StatementCounter struct {
	mu    sync.Mutex
	stmts []string
}

var _ logger.Interface = (*StatementCounter)(nil)

// LogMode implements logger.Interface; the counter keeps every statement
// whatever the level.
func (c *StatementCounter) LogMode(logger.LogLevel) logger.Interface { return c }

// Info implements logger.Interface and ignores the message.
func (c *StatementCounter) Info(context.Context, string, ...any) {}

// Warn implements logger.Interface and ignores the message.
func (c *StatementCounter) Warn(context.Context, string, ...any) {}

// Error implements logger.Interface and ignores the message.
func (c *StatementCounter) Error(context.Context, string, ...any) {}

// Trace implements logger.Interface: it keeps the statement's text.
func (c *StatementCounter) Trace(_ context.Context, _ time.Time, fc func() (string, int64), _ error) {
	sql, _ := fc()
	c.mu.Lock()
	defer c.mu.Unlock()
	c.stmts = append(c.stmts, sql)
}

// Reset forgets the statements kept so far.
func (c *StatementCounter) Reset() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.stmts = nil
}

// Count returns how many statements kept since the last Reset begin with
// prefix (compared without regard to case, quotes removed: `INSERT INTO
// posts` matches GORM's `INSERT INTO "posts"` on both dialects).
func (c *StatementCounter) Count(prefix string) int {
	norm := func(s string) string {
		return strings.ToUpper(strings.NewReplacer(`"`, "", "`", "").Replace(strings.TrimSpace(s)))
	}
	p := norm(prefix)
	c.mu.Lock()
	defer c.mu.Unlock()
	n := 0
	for _, s := range c.stmts {
		if strings.HasPrefix(norm(s), p) {
			n++
		}
	}
	return n
}
