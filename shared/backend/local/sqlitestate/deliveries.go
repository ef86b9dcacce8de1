package sqlitestate

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/evx-project/evx/shared/backend/local/sqlitedb"
	"github.com/evx-project/evx/shared/pipeline"
)

// Deliveries is the embedded pipeline.Deliveries: one table, deliveries, in the shared SQLite
// database. Times are stored as Unix nanoseconds.
type Deliveries struct {
	db *sql.DB
	// Group, when set, commits the writes together with those of other callers (group
	// commit; sqlitedb.Group); nil: each write commits alone.
	Group *sqlitedb.Group
}

const deliveriesSchema = `
CREATE TABLE IF NOT EXISTS deliveries (
	id          TEXT    PRIMARY KEY,
	bundle      TEXT    NOT NULL,
	counterpart TEXT    NOT NULL,
	created_at  INTEGER NOT NULL,
	deadline    INTEGER NOT NULL,
	state       TEXT    NOT NULL,
	handling    TEXT    NOT NULL DEFAULT ''
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS deliveries_by_counterpart ON deliveries (counterpart, created_at);
CREATE INDEX IF NOT EXISTS deliveries_by_deadline ON deliveries (state, deadline);
`

// NewDeliveries creates the deliveries table in db (from OpenSQLite) if needed.
func NewDeliveries(ctx context.Context, db *sql.DB) (*Deliveries, error) {
	if _, err := db.ExecContext(ctx, deliveriesSchema); err != nil {
		return nil, fmt.Errorf("create deliveries table: %w", err)
	}
	return &Deliveries{db: db}, nil
}

const deliveryCols = `id, bundle, counterpart, created_at, deadline, state, handling`

func scanDelivery(row sqlitedb.Scanner) (pipeline.Delivery, error) {
	var d pipeline.Delivery
	var created, deadline int64
	var state string
	if err := row.Scan(&d.ID, &d.BundleID, &d.Counterpart, &created, &deadline, &state, &d.Handling); err != nil {
		return d, err
	}
	d.Created, d.Deadline, d.State = time.Unix(0, created).UTC(), time.Unix(0, deadline).UTC(), pipeline.DeliveryState(state)
	return d, nil
}

// AddDelivery implements pipeline.Deliveries.
func (s *Deliveries) AddDelivery(ctx context.Context, d pipeline.Delivery) (pipeline.Delivery, error) {
	if err := sqlitedb.Write(ctx, s.db, s.Group, func(ctx context.Context, tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO deliveries (`+deliveryCols+`) VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (id) DO NOTHING`,
			d.ID, d.BundleID, d.Counterpart, d.Created.UnixNano(), d.Deadline.UnixNano(), string(d.State), d.Handling)
		return err
	}); err != nil {
		return pipeline.Delivery{}, fmt.Errorf("add delivery %s: %w", d.ID, err)
	}
	return s.Delivery(ctx, d.ID)
}

// Delivery implements pipeline.Deliveries.
func (s *Deliveries) Delivery(ctx context.Context, id string) (pipeline.Delivery, error) {
	d, err := scanDelivery(s.db.QueryRowContext(ctx, `SELECT `+deliveryCols+` FROM deliveries WHERE id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return d, fmt.Errorf("delivery %s: %w", id, pipeline.ErrNotFound)
	}
	if err != nil {
		return d, fmt.Errorf("delivery %s: %w", id, err)
	}
	return d, nil
}

func (s *Deliveries) list(ctx context.Context, q string, args ...any) ([]pipeline.Delivery, error) {
	return sqlitedb.QueryAll(ctx, s.db, scanDelivery, q, args...)
}

// ListDeliveries implements pipeline.Deliveries.
func (s *Deliveries) ListDeliveries(ctx context.Context, counterpart string) ([]pipeline.Delivery, error) {
	return s.list(ctx, `SELECT `+deliveryCols+` FROM deliveries WHERE counterpart = ? ORDER BY created_at, id`, counterpart)
}

// Due implements pipeline.Deliveries.
func (s *Deliveries) Due(ctx context.Context, t time.Time) ([]pipeline.Delivery, error) {
	return s.list(ctx, `SELECT `+deliveryCols+` FROM deliveries WHERE state = ? AND deadline < ? ORDER BY deadline, id`,
		string(pipeline.DeliveryConsigned), t.UnixNano())
}

// SetDeliveryState implements pipeline.Deliveries.
func (s *Deliveries) SetDeliveryState(ctx context.Context, id string, from, to pipeline.DeliveryState) error {
	res, err := s.db.ExecContext(ctx, `UPDATE deliveries SET state = ? WHERE id = ? AND state = ?`, string(to), id, string(from))
	if err != nil {
		return fmt.Errorf("delivery %s state: %w", id, err)
	}
	if n, _ := res.RowsAffected(); n == 1 {
		return nil
	}
	d, err := s.Delivery(ctx, id)
	if err != nil {
		return err
	}
	return fmt.Errorf("delivery %s is %s, not %s: %w", id, d.State, from, pipeline.ErrStateConflict)
}
