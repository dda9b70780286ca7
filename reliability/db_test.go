package reliability_test

import (
	"net"
	"testing"

	"github.com/glebarez/sqlite"
	"gorm.io/driver/postgres"
	"gorm.io/gorm"
	"gorm.io/gorm/logger"

	"github.com/practica-social/practica/store"
	"github.com/practica-social/practica/testrig"
)

// rawDB opens a second connection to an instance's database, for test
// set-up the service offers no method for (pinning a post).
func rawDB(t testing.TB, inst *testrig.Instance) *gorm.DB {
	t.Helper()
	var dial gorm.Dialector
	if inst.Config.DatabaseDialect() == store.DialectSQLite {
		dial = sqlite.Open(inst.Config.SQLitePath() + "?_pragma=busy_timeout(10000)")
	} else {
		dial = postgres.Open(inst.Config.DatabaseURL)
	}
	db, err := gorm.Open(dial, &gorm.Config{Logger: logger.Discard})
	if err != nil {
		t.Fatal(err)
	}
	sqlDB, _ := db.DB()
	t.Cleanup(func() { _ = sqlDB.Close() })
	return db
}

// pinPost features a post in its community.
func pinPost(t testing.TB, inst *testrig.Instance, postID int64) {
	t.Helper()
	if err := rawDB(t, inst).Exec("UPDATE posts SET featured_at = CURRENT_TIMESTAMP WHERE id = ?", postID).Error; err != nil {
		t.Fatal(err)
	}
}

// listen opens a loopback listener on a free port.
func listen(t testing.TB) net.Listener {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	return l
}
