package sqlitedb

import (
	"context"
	"database/sql"
	"errors"
	"path/filepath"
	"testing"
)

func open(t *testing.T) *sql.DB {
	t.Helper()
	db, err := Open(context.Background(), filepath.Join(t.TempDir(), "evx.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

func TestMigrate(t *testing.T) {
	ctx := context.Background()
	for _, tc := range []struct {
		name     string
		setup    string // SQL run before Migrate
		wantFrom int
	}{
		{"new database", "", SchemaVersion},
		{"written before versioning", "CREATE TABLE custody_events (seq INTEGER)", 0},
		{"version 1", "CREATE TABLE custody_events (seq INTEGER); PRAGMA user_version = 1", 1},
		{"version 1 with deliveries", "CREATE TABLE deliveries (id TEXT PRIMARY KEY, state TEXT); INSERT INTO deliveries VALUES ('d1', 'consigned'); PRAGMA user_version = 1", 1},
		{"current", "CREATE TABLE custody_events (seq INTEGER); PRAGMA user_version = 2", 2},
	} {
		t.Run(tc.name, func(t *testing.T) {
			db := open(t)
			if tc.setup != "" {
				if _, err := db.ExecContext(ctx, tc.setup); err != nil {
					t.Fatal(err)
				}
			}
			from, err := Migrate(ctx, db)
			if err != nil || from != tc.wantFrom {
				t.Fatalf("Migrate = %d, %v, want %d, nil", from, err, tc.wantFrom)
			}
			if v, err := Version(ctx, db); err != nil || v != SchemaVersion {
				t.Errorf("Version after Migrate = %d, %v, want %d", v, err, SchemaVersion)
			}
			if from, err := Migrate(ctx, db); err != nil || from != SchemaVersion {
				t.Errorf("second Migrate = %d, %v, want %d, nil", from, err, SchemaVersion)
			}
			var deliveries int
			db.QueryRowContext(ctx, "SELECT count(*) FROM sqlite_master WHERE name = 'deliveries'").Scan(&deliveries)
			if deliveries == 1 {
				// 1 → 2: the rows indexed before have no handling code.
				var h string
				if err := db.QueryRowContext(ctx, "SELECT handling FROM deliveries WHERE id = 'd1'").Scan(&h); err != nil || h != "" {
					t.Errorf("handling of a delivery indexed before = %q, %v; want empty", h, err)
				}
			}
		})
	}
}

func TestMigrateRefusesNewer(t *testing.T) {
	ctx := context.Background()
	db := open(t)
	if _, err := db.ExecContext(ctx, "CREATE TABLE later (x); PRAGMA user_version = 99"); err != nil {
		t.Fatal(err)
	}
	var ne *NewerSchemaError
	if _, err := Migrate(ctx, db); !errors.As(err, &ne) || ne.Found != 99 || ne.Supported != SchemaVersion {
		t.Fatalf("Migrate(version 99) = %v, want *NewerSchemaError{99, %d}", err, SchemaVersion)
	}
	if v, _ := Version(ctx, db); v != 99 {
		t.Errorf("version after refusal = %d, want 99 (untouched)", v)
	}
}

func TestMigrationFailureKeepsVersion(t *testing.T) {
	ctx := context.Background()
	db := open(t)
	if _, err := db.ExecContext(ctx, "CREATE TABLE custody_events (seq INTEGER)"); err != nil {
		t.Fatal(err)
	}
	saved := migrations
	t.Cleanup(func() { migrations = saved })
	boom := errors.New("boom")
	migrations = []func(context.Context, *sql.Tx) error{func(ctx context.Context, tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, "CREATE TABLE half_done (x)"); err != nil {
			return err
		}
		return boom
	}}
	var me *MigrationError
	if _, err := Migrate(ctx, db); !errors.As(err, &me) || me.From != 0 || me.To != 1 || !errors.Is(err, boom) {
		t.Fatalf("Migrate = %v, want *MigrationError{0, 1} wrapping boom", err)
	}
	if v, _ := Version(ctx, db); v != 0 {
		t.Errorf("version after a failed step = %d, want 0", v)
	}
	var n int
	db.QueryRowContext(ctx, "SELECT count(*) FROM sqlite_master WHERE name = 'half_done'").Scan(&n)
	if n != 0 {
		t.Error("a failed step left its half-done table")
	}
}
