package store

import "testing"

// Several engineers append migrations at once; a duplicated or out-of-order
// version would make LatestSchemaVersion lie or a step run twice.
func TestMigrationVersionsStrictlyIncrease(t *testing.T) {
	prev := 0
	for _, m := range migrations() {
		if m.Version <= prev {
			t.Errorf("migration %04d_%s follows version %d; versions must strictly increase", m.Version, m.Name, prev)
		}
		if m.Up == nil || m.Name == "" {
			t.Errorf("migration %d lacks a name or a step", m.Version)
		}
		prev = m.Version
	}
}
