package store

import (
	"fmt"

	"gorm.io/gorm"
)

// untrackedTables change all the time and never show in the documents
// other servers read (actors, collections), so their writes leave
// Generation alone.
var untrackedTables = map[string]bool{
	"deliveries": true, "inbox_items": true, "remote_hosts": true, "sessions": true, "visits": true,
}

// Generation is a number that changes whenever a change to the database
// has committed, other than to the tables that only hold work in
// progress (deliveries, received activities, host health, sessions). A
// cache of rendered documents stays valid while it stays the same: take
// it before reading what the document is made of.
func (s *Store) Generation() uint64 { return s.gen.Load() }

// trackChanges counts every write through GORM: at once when it commits on
// its own, when its transaction commits otherwise.
func (s *Store) trackChanges() error {
	changed := func(db *gorm.DB) {
		if db.Error != nil || untrackedTables[db.Statement.Table] {
			return
		}
		if st, ok := db.Statement.Context.Value(txKey{}).(*txState); ok {
			st.changed.Store(true)
			return
		}
		s.gen.Add(1)
	}
	if err := s.afterStatements("practica:generation", changed, "create", "update", "delete", "raw"); err != nil {
		return fmt.Errorf("track changes: %w", err)
	}
	return nil
}
