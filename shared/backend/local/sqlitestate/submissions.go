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

// Submissions is the embedded pipeline.Submissions: one table, submissions, keyed by bundle
// and uploader. Times are stored as Unix nanoseconds.
type Submissions struct {
	db *sql.DB
	// Group, when set, commits the writes together with those of other callers (group
	// commit; sqlitedb.Group); nil: each write commits alone.
	Group *sqlitedb.Group
}

const submissionsSchema = `
CREATE TABLE IF NOT EXISTS submissions (
	bundle      TEXT    NOT NULL,
	uploader    TEXT    NOT NULL,
	size        INTEGER NOT NULL,
	received_at INTEGER NOT NULL,
	PRIMARY KEY (bundle, uploader)
) WITHOUT ROWID;
`

// NewSubmissions creates the submissions table in db if needed.
func NewSubmissions(ctx context.Context, db *sql.DB) (*Submissions, error) {
	if _, err := db.ExecContext(ctx, submissionsSchema); err != nil {
		return nil, fmt.Errorf("create submissions table: %w", err)
	}
	return &Submissions{db: db}, nil
}

// AddSubmission implements pipeline.Submissions.
func (s *Submissions) AddSubmission(ctx context.Context, sub pipeline.Submission) (pipeline.Submission, error) {
	if err := sqlitedb.Write(ctx, s.db, s.Group, func(ctx context.Context, tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO submissions (bundle, uploader, size, received_at) VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING`,
			sub.BundleID, sub.Uploader, sub.Size, sub.Received.UnixNano())
		return err
	}); err != nil {
		return pipeline.Submission{}, fmt.Errorf("add submission of %s by %s: %w", sub.BundleID, sub.Uploader, err)
	}
	return s.Submission(ctx, sub.BundleID, sub.Uploader)
}

// Submission implements pipeline.Submissions.
func (s *Submissions) Submission(ctx context.Context, bundleID, uploader string) (pipeline.Submission, error) {
	sub := pipeline.Submission{BundleID: bundleID, Uploader: uploader}
	var at int64
	err := s.db.QueryRowContext(ctx, `SELECT size, received_at FROM submissions WHERE bundle = ? AND uploader = ?`, bundleID, uploader).Scan(&sub.Size, &at)
	if errors.Is(err, sql.ErrNoRows) {
		return pipeline.Submission{}, fmt.Errorf("submission of %s by %s: %w", bundleID, uploader, pipeline.ErrNotFound)
	}
	if err != nil {
		return pipeline.Submission{}, fmt.Errorf("submission of %s by %s: %w", bundleID, uploader, err)
	}
	sub.Received = time.Unix(0, at).UTC()
	return sub, nil
}

// BundleSubmissions implements pipeline.Submissions.
func (s *Submissions) BundleSubmissions(ctx context.Context, bundleID string) ([]pipeline.Submission, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT uploader, size, received_at FROM submissions WHERE bundle = ?`, bundleID)
	if err != nil {
		return nil, fmt.Errorf("submissions of %s: %w", bundleID, err)
	}
	defer rows.Close()
	var out []pipeline.Submission
	for rows.Next() {
		sub := pipeline.Submission{BundleID: bundleID}
		var at int64
		if err := rows.Scan(&sub.Uploader, &sub.Size, &at); err != nil {
			return nil, fmt.Errorf("submissions of %s: %w", bundleID, err)
		}
		sub.Received = time.Unix(0, at).UTC()
		out = append(out, sub)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("submissions of %s: %w", bundleID, err)
	}
	return out, nil
}
