package sqlitestate

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/evx-project/evx/shared/pipeline"
)

// Checkpoints is the embedded pipeline.Checkpoints: two tables in the shared SQLite database,
// witness_checkpoints (one row per log size, never updated) and cosignatures (one row per
// checkpoint and witness, replaced by the witness's next cosignature of the same checkpoint).
type Checkpoints struct {
	db *sql.DB
}

var _ pipeline.Checkpoints = (*Checkpoints)(nil)

const checkpointsSchema = `
CREATE TABLE IF NOT EXISTS witness_checkpoints (
	size INTEGER PRIMARY KEY,
	note BLOB NOT NULL
);
CREATE TABLE IF NOT EXISTS cosignatures (
	size    INTEGER NOT NULL,
	witness TEXT NOT NULL,
	line    BLOB NOT NULL,
	PRIMARY KEY (size, witness)
) WITHOUT ROWID;
`

// NewCheckpoints creates the tables in db if needed.
func NewCheckpoints(ctx context.Context, db *sql.DB) (*Checkpoints, error) {
	if _, err := db.ExecContext(ctx, checkpointsSchema); err != nil {
		return nil, fmt.Errorf("create checkpoint tables: %w", err)
	}
	return &Checkpoints{db: db}, nil
}

// SQLite integers are signed: sizes of 2^63 and more are refused.
func sqlSize(size uint64) (int64, error) {
	if size >= 1<<63 {
		return 0, fmt.Errorf("log size %d out of range", size)
	}
	return int64(size), nil
}

// PutCheckpoint implements pipeline.Checkpoints.
func (c *Checkpoints) PutCheckpoint(ctx context.Context, size uint64, note []byte) ([]byte, error) {
	n, err := sqlSize(size)
	if err != nil {
		return nil, err
	}
	if _, err := c.db.ExecContext(ctx, `INSERT INTO witness_checkpoints (size, note) VALUES (?, ?) ON CONFLICT (size) DO NOTHING`, n, note); err != nil {
		return nil, fmt.Errorf("put checkpoint of size %d: %w", size, err)
	}
	return c.Checkpoint(ctx, size)
}

// Checkpoint implements pipeline.Checkpoints.
func (c *Checkpoints) Checkpoint(ctx context.Context, size uint64) ([]byte, error) {
	n, err := sqlSize(size)
	if err != nil {
		return nil, err
	}
	var note []byte
	err = c.db.QueryRowContext(ctx, `SELECT note FROM witness_checkpoints WHERE size = ?`, n).Scan(&note)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("checkpoint of size %d: %w", size, pipeline.ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("checkpoint of size %d: %w", size, err)
	}
	return note, nil
}

// RecentCheckpoints implements pipeline.Checkpoints.
func (c *Checkpoints) RecentCheckpoints(ctx context.Context, limit int) ([]uint64, error) {
	rows, err := c.db.QueryContext(ctx, `SELECT size FROM witness_checkpoints ORDER BY size DESC LIMIT ?`, limit)
	if err != nil {
		return nil, fmt.Errorf("recent checkpoints: %w", err)
	}
	defer rows.Close()
	var out []uint64
	for rows.Next() {
		var n int64
		if err := rows.Scan(&n); err != nil {
			return nil, err
		}
		out = append(out, uint64(n))
	}
	return out, rows.Err()
}

// PutCosignature implements pipeline.Checkpoints.
func (c *Checkpoints) PutCosignature(ctx context.Context, size uint64, witness string, line []byte) error {
	n, err := sqlSize(size)
	if err != nil {
		return err
	}
	if _, err := c.db.ExecContext(ctx, `INSERT INTO cosignatures (size, witness, line) VALUES (?, ?, ?) ON CONFLICT (size, witness) DO UPDATE SET line = excluded.line`, n, witness, line); err != nil {
		return fmt.Errorf("put cosignature of %s on size %d: %w", witness, size, err)
	}
	return nil
}

// Cosignatures implements pipeline.Checkpoints.
func (c *Checkpoints) Cosignatures(ctx context.Context, size uint64) ([][]byte, error) {
	n, err := sqlSize(size)
	if err != nil {
		return nil, err
	}
	rows, err := c.db.QueryContext(ctx, `SELECT line FROM cosignatures WHERE size = ? ORDER BY witness`, n)
	if err != nil {
		return nil, fmt.Errorf("cosignatures of size %d: %w", size, err)
	}
	defer rows.Close()
	var out [][]byte
	for rows.Next() {
		var l []byte
		if err := rows.Scan(&l); err != nil {
			return nil, err
		}
		out = append(out, l)
	}
	return out, rows.Err()
}
