package schema

import (
	"testing"
	"testing/fstest"
)

// TestFingerprintChangesWithTheMigrations checks what the deploy relies on: the
// Custom::Schema resource changes, and so the migration runs, exactly when a
// migration is added or edited.
func TestFingerprintChangesWithTheMigrations(t *testing.T) {
	base := fstest.MapFS{"00001_a.sql": {Data: []byte("-- +goose Up\nCREATE TABLE a (x int);")}}
	edited := fstest.MapFS{"00001_a.sql": {Data: []byte("-- +goose Up\nCREATE TABLE a (x bigint);")}}
	added := fstest.MapFS{"00001_a.sql": base["00001_a.sql"], "00002_b.sql": {Data: []byte("-- +goose Up\nCREATE TABLE b (x int);")}}
	same := fstest.MapFS{"00001_a.sql": base["00001_a.sql"], "README.md": {Data: []byte("not a migration")}}

	if fingerprint(base) != fingerprint(same) {
		t.Error("a file that is not a migration changed the fingerprint")
	}
	if fingerprint(base) == fingerprint(edited) {
		t.Error("editing a migration left the fingerprint unchanged")
	}
	if fingerprint(base) == fingerprint(added) {
		t.Error("adding a migration left the fingerprint unchanged")
	}
	if got := Fingerprint(); got != fingerprint(Files()) || len(got) != 16 {
		t.Errorf("Fingerprint() = %q: want the 16-character hash of the embedded migrations", got)
	}
}
