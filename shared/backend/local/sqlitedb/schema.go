package sqlitedb

import (
	"context"
	"database/sql"
	"fmt"
)

// SchemaVersion is the layout of the database this release of evx writes, kept in SQLite's
// user_version header field. Version 0 is a database written before the layout carried a
// version (its tables are those of version 1).
//
// A change to any table of the data folder's database adds a step to migrations and raises
// SchemaVersion; shared/backend/local/testdata holds a data folder written by each earlier
// release, and a test opens each of them.
const SchemaVersion = 2

// migrations[v] brings a database from version v to v+1, inside the transaction Migrate opens.
var migrations = []func(ctx context.Context, tx *sql.Tx) error{
	// 0 → 1: the release before versioning wrote the tables of version 1; stamping the
	// version is all there is to do.
	func(context.Context, *sql.Tx) error { return nil },
	// 1 → 2: deliveries gain the handling code of their bundle (pipeline.Delivery.Handling),
	// empty on the deliveries indexed before.
	func(ctx context.Context, tx *sql.Tx) error {
		return addColumn(ctx, tx, "deliveries", "handling TEXT NOT NULL DEFAULT ''")
	},
}

// addColumn adds a column to table, if the table exists (a backend creates its table, with
// every column, the first time it opens the database).
func addColumn(ctx context.Context, tx *sql.Tx, table, column string) error {
	var n int
	if err := tx.QueryRowContext(ctx, "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = ?", table).Scan(&n); err != nil {
		return err
	}
	if n == 0 {
		return nil
	}
	_, err := tx.ExecContext(ctx, fmt.Sprintf("ALTER TABLE %s ADD COLUMN %s", table, column))
	return err
}

// NewerSchemaError: the database was written by a later evx than this one, which would not
// know how to read it. The data folder is left as it is.
type NewerSchemaError struct {
	Found, Supported int
}

func (e *NewerSchemaError) Error() string {
	return fmt.Sprintf("database schema version %d is newer than this evx supports (%d): use the evx that wrote it, or a later one", e.Found, e.Supported)
}

// MigrationError: a migration step failed; the database stays at version From, unchanged.
type MigrationError struct {
	From, To int
	Err      error
}

func (e *MigrationError) Error() string {
	return fmt.Sprintf("migrate database schema from version %d to %d: %v", e.From, e.To, e.Err)
}

func (e *MigrationError) Unwrap() error { return e.Err }

// Version returns the schema version recorded in db.
func Version(ctx context.Context, db *sql.DB) (int, error) {
	var v int
	if err := db.QueryRowContext(ctx, "PRAGMA user_version").Scan(&v); err != nil {
		return 0, fmt.Errorf("read schema version: %w", err)
	}
	return v, nil
}

// Migrate brings db to SchemaVersion and returns the version it found. A database with no
// table yet (a new data folder) is stamped with SchemaVersion; an older one is migrated step
// by step, each step and its new version in one transaction, so an interrupted migration
// leaves the database at the last version it completed; a newer one is refused with a
// *NewerSchemaError. Call it before the backends create their tables.
func Migrate(ctx context.Context, db *sql.DB) (from int, err error) {
	from, err = Version(ctx, db)
	if err != nil {
		return 0, err
	}
	if from > SchemaVersion {
		return from, &NewerSchemaError{Found: from, Supported: SchemaVersion}
	}
	if from == 0 {
		var tables int
		if err := db.QueryRowContext(ctx, "SELECT count(*) FROM sqlite_master WHERE type = 'table'").Scan(&tables); err != nil {
			return 0, fmt.Errorf("read schema: %w", err)
		}
		if tables == 0 {
			if _, err := db.ExecContext(ctx, fmt.Sprintf("PRAGMA user_version = %d", SchemaVersion)); err != nil {
				return 0, fmt.Errorf("stamp schema version: %w", err)
			}
			return SchemaVersion, nil
		}
	}
	for v := from; v < SchemaVersion; v++ {
		if err := step(ctx, db, v); err != nil {
			return from, &MigrationError{From: v, To: v + 1, Err: err}
		}
	}
	return from, nil
}

func step(ctx context.Context, db *sql.DB, v int) error {
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	if err := migrations[v](ctx, tx); err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, fmt.Sprintf("PRAGMA user_version = %d", v+1)); err != nil {
		return err
	}
	return tx.Commit()
}
