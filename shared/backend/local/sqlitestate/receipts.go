package sqlitestate

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/evx-project/evx/shared/pipeline"
)

// Receipts is the embedded pipeline.Receipts: one table, receipts, in the shared SQLite
// database, one row per delivery, never updated.
type Receipts struct {
	db *sql.DB
}

const receiptsSchema = `
CREATE TABLE IF NOT EXISTS receipts (
	delivery TEXT PRIMARY KEY,
	receipt  BLOB NOT NULL
) WITHOUT ROWID;
`

// NewReceipts creates the receipts table in db if needed.
func NewReceipts(ctx context.Context, db *sql.DB) (*Receipts, error) {
	if _, err := db.ExecContext(ctx, receiptsSchema); err != nil {
		return nil, fmt.Errorf("create receipts table: %w", err)
	}
	return &Receipts{db: db}, nil
}

// PutReceipt implements pipeline.Receipts.
func (s *Receipts) PutReceipt(ctx context.Context, deliveryID string, raw []byte) ([]byte, error) {
	if _, err := s.db.ExecContext(ctx, `INSERT INTO receipts (delivery, receipt) VALUES (?, ?) ON CONFLICT (delivery) DO NOTHING`, deliveryID, raw); err != nil {
		return nil, fmt.Errorf("put receipt of %s: %w", deliveryID, err)
	}
	return s.Receipt(ctx, deliveryID)
}

// Receipt implements pipeline.Receipts.
func (s *Receipts) Receipt(ctx context.Context, deliveryID string) ([]byte, error) {
	var raw []byte
	err := s.db.QueryRowContext(ctx, `SELECT receipt FROM receipts WHERE delivery = ?`, deliveryID).Scan(&raw)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("receipt of %s: %w", deliveryID, pipeline.ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("receipt of %s: %w", deliveryID, err)
	}
	return raw, nil
}
