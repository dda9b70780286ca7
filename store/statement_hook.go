package store

import (
	"fmt"

	"gorm.io/gorm"
)

// hookStatements registers after, when set, to run after every statement
// of every kind; see Options.AfterStatement.
func (s *Store) hookStatements(after func(sql string) error) error {
	if after == nil {
		return nil
	}
	hook := func(db *gorm.DB) {
		if db.Error != nil {
			return
		}
		if err := after(db.Statement.SQL.String()); err != nil {
			_ = db.AddError(err)
		}
	}
	if err := s.afterStatements("practica:after-statement", hook, "query", "create", "update", "delete", "raw", "row"); err != nil {
		return fmt.Errorf("hook statements: %w", err)
	}
	return nil
}

// afterStatements registers fn as callback name after GORM's own for each
// kind of statement named ("query", "create", "update", "delete", "raw",
// "row").
func (s *Store) afterStatements(name string, fn func(*gorm.DB), kinds ...string) error {
	cb := s.db.Callback()
	for _, kind := range kinds {
		var err error
		switch kind {
		case "query":
			err = cb.Query().After("gorm:query").Register(name, fn)
		case "create":
			err = cb.Create().After("gorm:create").Register(name, fn)
		case "update":
			err = cb.Update().After("gorm:update").Register(name, fn)
		case "delete":
			err = cb.Delete().After("gorm:delete").Register(name, fn)
		case "raw":
			err = cb.Raw().After("gorm:raw").Register(name, fn)
		case "row":
			err = cb.Row().After("gorm:row").Register(name, fn)
		default:
			err = fmt.Errorf("unknown kind of statement %q", kind)
		}
		if err != nil {
			return fmt.Errorf("register %s after %s: %w", name, kind, err)
		}
	}
	return nil
}
