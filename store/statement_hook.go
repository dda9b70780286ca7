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
	cb := s.db.Callback()
	for name, err := range map[string]error{
		"query":  cb.Query().After("gorm:query").Register("practica:after-statement", hook),
		"create": cb.Create().After("gorm:create").Register("practica:after-statement", hook),
		"update": cb.Update().After("gorm:update").Register("practica:after-statement", hook),
		"delete": cb.Delete().After("gorm:delete").Register("practica:after-statement", hook),
		"raw":    cb.Raw().After("gorm:raw").Register("practica:after-statement", hook),
		"row":    cb.Row().After("gorm:row").Register("practica:after-statement", hook),
	} {
		if err != nil {
			return fmt.Errorf("hook %s statements: %w", name, err)
		}
	}
	return nil
}
