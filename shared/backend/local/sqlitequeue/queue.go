// Package sqlitequeue is the embedded delivery queue: named queues with deduplication,
// visibility timeouts and a dead-letter queue, in SQLite. Its AWS mirror is sqsqueue.
package sqlitequeue

import (
	"cmp"
	"context"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/evx-project/evx/shared/backend/local/sqlitedb"
	"github.com/evx-project/evx/shared/pipeline"
)

// Queue is the embedded [pipeline.Queue]: every named queue in two tables of the shared
// SQLite database, queue_messages and queue_dedup (the custody ledger keeps its own tables
// beside them).
//
// A message is hidden by moving its visible_at into the future; Receive picks and hides
// ready messages with one UPDATE … RETURNING in a write transaction, so two receivers never
// get the same message.
// Each receive gives the message a new random token; the handle is "id.receives.token".
// Dedup ids are remembered for good. Messages leave in the order they were sent, unless one
// is handed out again after its visibility timeout.
type Queue struct {
	db          *sql.DB
	now         pipeline.Clock
	maxReceives int // 0: no dead-letter queue
	// Group, when set, commits Send's writes together with those of other callers (group
	// commit; sqlitedb.Group); nil: each write commits alone.
	Group *sqlitedb.Group
}

// DeadLetterSuffix names a queue's dead-letter queue: "cp-nl-om" moves its poisoned
// messages to "cp-nl-om-dlq".
const DeadLetterSuffix = "-dlq"

// WithDeadLetter returns a Queue that, like an SQS redrive policy, moves a message handed
// out maxReceives times without being acknowledged to the queue's dead-letter queue (its
// name plus [DeadLetterSuffix]) instead of handing it out again. There it can be received
// (Receives counting from 1 again) and inspected. Queue names must then leave room for the
// suffix. Dead-letter queues themselves never dead-letter.
func (q *Queue) WithDeadLetter(maxReceives int) *Queue {
	c := *q
	c.maxReceives = max(maxReceives, 0)
	return &c
}

var _ pipeline.Queue = (*Queue)(nil)

const queueSchema = `
CREATE TABLE IF NOT EXISTS queue_messages (
	id         INTEGER PRIMARY KEY AUTOINCREMENT, -- never reused: an old handle never names a new message
	queue      TEXT    NOT NULL,
	body       BLOB    NOT NULL,
	sent_at    INTEGER NOT NULL,                  -- Unix nanoseconds
	visible_at INTEGER NOT NULL,                  -- Unix nanoseconds; hidden until then
	receives   INTEGER NOT NULL DEFAULT 0,
	token      TEXT    NOT NULL DEFAULT ''        -- of the latest receive
);
-- In id order per queue, so Receive stops after max ready messages instead of sorting them all.
CREATE INDEX IF NOT EXISTS queue_messages_order ON queue_messages (queue, id, visible_at);
CREATE TABLE IF NOT EXISTS queue_dedup (
	queue      TEXT    NOT NULL,
	dedup_id   TEXT    NOT NULL,
	message_id INTEGER NOT NULL,
	sent_at    INTEGER NOT NULL,
	PRIMARY KEY (queue, dedup_id)
) WITHOUT ROWID;
`

// NewQueue creates the queue tables in db (opened with [OpenSQLite]) if they are missing.
// clock may be nil for the system clock.
func New(ctx context.Context, db *sql.DB, clock pipeline.Clock) (*Queue, error) {
	if clock == nil {
		clock = time.Now
	}
	if _, err := db.ExecContext(ctx, queueSchema); err != nil {
		return nil, fmt.Errorf("create queue tables: %w", err)
	}
	return &Queue{db: db, now: clock}, nil
}

// Send enqueues body on queue unless dedupID was sent to queue before; see [pipeline.Queue].
func (q *Queue) Send(ctx context.Context, queue, dedupID string, body []byte) error {
	if err := pipeline.CheckSend(queue, dedupID, body); err != nil {
		return fmt.Errorf("send to %s: %w", queue, err)
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("send to %s: %w", queue, err)
	}
	now := q.now().UnixNano()
	if err := sqlitedb.Write(ctx, q.db, q.Group, func(ctx context.Context, tx *sql.Tx) error {
		return send(ctx, tx, queue, dedupID, body, now)
	}); err != nil {
		return fmt.Errorf("send to %s: %w", queue, ctxErr(ctx, err))
	}
	return nil
}

// send writes a message in tx, unless dedupID was sent to queue before.
func send(ctx context.Context, tx *sql.Tx, queue, dedupID string, body []byte, now int64) error {
	res, err := tx.ExecContext(ctx,
		`INSERT INTO queue_dedup (queue, dedup_id, message_id, sent_at) VALUES (?, ?, 0, ?)
		 ON CONFLICT (queue, dedup_id) DO NOTHING`, queue, dedupID, now)
	if err != nil {
		return err
	}
	if n, err := res.RowsAffected(); err != nil {
		return err
	} else if n == 0 {
		return nil // sent before: a no-op
	}
	var id int64
	if err := tx.QueryRowContext(ctx,
		`INSERT INTO queue_messages (queue, body, sent_at, visible_at) VALUES (?, ?, ?, ?) RETURNING id`,
		queue, body, now, now).Scan(&id); err != nil {
		return err
	}
	_, err = tx.ExecContext(ctx, `UPDATE queue_dedup SET message_id = ? WHERE queue = ? AND dedup_id = ?`, id, queue, dedupID)
	return err
}

// Receive hands out up to max ready messages of queue, oldest first, and hides them for
// visibility; see [pipeline.Queue]. It never waits for a message to arrive.
func (q *Queue) Receive(ctx context.Context, queue string, max int, visibility time.Duration) ([]pipeline.Message, error) {
	if err := pipeline.CheckReceive(queue, max, visibility); err != nil {
		return nil, fmt.Errorf("receive from %s: %w", queue, err)
	}
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("receive from %s: %w", queue, err)
	}
	now := q.now()
	tx, err := q.db.BeginTx(ctx, nil)
	if err != nil {
		return nil, fmt.Errorf("receive from %s: %w", queue, ctxErr(ctx, err))
	}
	defer tx.Rollback()
	if q.maxReceives > 0 && !strings.HasSuffix(queue, DeadLetterSuffix) {
		if _, err := tx.ExecContext(ctx,
			`UPDATE queue_messages SET queue = ?, receives = 0, token = '', visible_at = ?
			 WHERE queue = ? AND visible_at <= ? AND receives >= ?`,
			queue+DeadLetterSuffix, now.UnixNano(), queue, now.UnixNano(), q.maxReceives); err != nil {
			return nil, fmt.Errorf("receive from %s: dead-letter: %w", queue, ctxErr(ctx, err))
		}
	}
	rows, err := tx.QueryContext(ctx,
		`UPDATE queue_messages
		 SET visible_at = ?, receives = receives + 1, token = lower(hex(randomblob(16)))
		 WHERE id IN (SELECT id FROM queue_messages WHERE queue = ? AND visible_at <= ? ORDER BY id LIMIT ?)
		 RETURNING id, body, receives, token`,
		now.Add(visibility).UnixNano(), queue, now.UnixNano(), max)
	if err != nil {
		return nil, fmt.Errorf("receive from %s: %w", queue, ctxErr(ctx, err))
	}
	type row struct {
		id       int64
		body     []byte
		receives int
		token    string
	}
	var got []row
	for rows.Next() {
		var r row
		if err := rows.Scan(&r.id, &r.body, &r.receives, &r.token); err != nil {
			rows.Close()
			return nil, fmt.Errorf("receive from %s: %w", queue, err)
		}
		got = append(got, r)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("receive from %s: %w", queue, ctxErr(ctx, err))
	}
	if err := tx.Commit(); err != nil {
		return nil, fmt.Errorf("receive from %s: %w", queue, ctxErr(ctx, err))
	}
	// RETURNING promises no order.
	slices.SortFunc(got, func(a, b row) int { return cmp.Compare(a.id, b.id) })
	ms := make([]pipeline.Message, len(got))
	for i, r := range got {
		ms[i] = pipeline.Message{
			ID:       strconv.FormatInt(r.id, 10),
			Handle:   fmt.Sprintf("%d.%d.%s", r.id, r.receives, r.token),
			Body:     r.body,
			Receives: r.receives,
		}
	}
	return ms, nil
}

// errInvalidHandle is returned (wrapped) by Ack for a handle this queue never issued.
var errInvalidHandle = errors.New("invalid receipt handle")

// Ack removes the message handed out with handle; see [pipeline.Queue]. A stale handle
// returns an error wrapping [pipeline.ErrStaleHandle] and removes nothing.
func (q *Queue) Ack(ctx context.Context, queue, handle string) error {
	if err := pipeline.CheckQueueName(queue); err != nil {
		return fmt.Errorf("ack on %s: %w", queue, err)
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("ack on %s: %w", queue, err)
	}
	id, receives, token, ok := parseHandle(handle)
	if !ok {
		return fmt.Errorf("ack on %s: %.80q: %w", queue, handle, errInvalidHandle)
	}
	tx, err := q.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("ack on %s: %w", queue, ctxErr(ctx, err))
	}
	defer tx.Rollback()
	var gotQueue, gotToken string
	var gotReceives int
	err = tx.QueryRowContext(ctx, `SELECT queue, receives, token FROM queue_messages WHERE id = ?`, id).
		Scan(&gotQueue, &gotReceives, &gotToken)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return nil // acknowledged before
	case err != nil:
		return fmt.Errorf("ack on %s: %w", queue, ctxErr(ctx, err))
	case gotQueue == queue+DeadLetterSuffix:
		return fmt.Errorf("ack on %s: message %d was moved to %s: %w", queue, id, gotQueue, pipeline.ErrStaleHandle)
	case gotQueue != queue:
		return fmt.Errorf("ack on %s: message %d is not on this queue: %w", queue, id, errInvalidHandle)
	case receives == gotReceives && token == gotToken:
		if _, err := tx.ExecContext(ctx, `DELETE FROM queue_messages WHERE id = ?`, id); err != nil {
			return fmt.Errorf("ack on %s: %w", queue, ctxErr(ctx, err))
		}
		if err := tx.Commit(); err != nil {
			return fmt.Errorf("ack on %s: %w", queue, ctxErr(ctx, err))
		}
		return nil
	case receives < gotReceives:
		return fmt.Errorf("ack on %s: message %d was handed out again (receive %d, handle of receive %d): %w",
			queue, id, gotReceives, receives, pipeline.ErrStaleHandle)
	default:
		return fmt.Errorf("ack on %s: %.80q: %w", queue, handle, errInvalidHandle)
	}
}

// parseHandle splits "id.receives.token" (token: 32 lowercase hex digits).
func parseHandle(h string) (id int64, receives int, token string, ok bool) {
	parts := strings.Split(h, ".")
	if len(parts) != 3 || len(parts[2]) != 32 {
		return 0, 0, "", false
	}
	id, err := strconv.ParseInt(parts[0], 10, 64)
	if err != nil || id < 1 {
		return 0, 0, "", false
	}
	receives, err = strconv.Atoi(parts[1])
	if err != nil || receives < 1 {
		return 0, 0, "", false
	}
	if _, err := hex.DecodeString(parts[2]); err != nil || strings.ToLower(parts[2]) != parts[2] {
		return 0, 0, "", false
	}
	return id, receives, parts[2], true
}

// ctxErr prefers the context's error, so that errors.Is(err, context.Canceled) holds when
// the driver reports an interrupted statement in its own words.
func ctxErr(ctx context.Context, err error) error {
	if cerr := ctx.Err(); cerr != nil && !errors.Is(err, cerr) {
		return fmt.Errorf("%w (%v)", cerr, err)
	}
	return err
}
