package pipeline

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"
)

// ErrNotFound is returned (wrapped) by every port when the named item does not exist.
var ErrNotFound = errors.New("not found")

// DigestMismatchError reports bytes that did not hash to the SHA-256 they were stored under.
type DigestMismatchError struct {
	Key  string // what was being stored
	Want string // lowercase hex SHA-256 the caller named
	Got  string // lowercase hex SHA-256 of the bytes that arrived
}

func (e *DigestMismatchError) Error() string {
	return fmt.Sprintf("%s: sha256 is %s, want %s", e.Key, e.Got, e.Want)
}

// BlobStore keeps documents content-addressed by SHA-256.
//
// Put reads r to EOF and stores its bytes under sum (64 lowercase hex digits). If the
// bytes do not hash to sum, or their length is not size, Put stores nothing and returns a
// *DigestMismatchError (or an error naming the size). Putting a blob that already exists
// succeeds and never replaces the stored bytes. A blob is visible to Open only once Put has
// returned nil: a crash never leaves a partial blob under its name.
//
// Open returns the stored bytes, or an error wrapping ErrNotFound.
type BlobStore interface {
	Put(ctx context.Context, sum string, size int64, r io.Reader) error
	Open(ctx context.Context, sum string) (io.ReadCloser, error)
}

// Message is one delivery-queue message as received.
type Message struct {
	ID     string // the queue's id of the message
	Handle string // pass to Ack; valid until the visibility timeout ends
	Body   []byte
	// Receives counts how often the message was handed out, this time included.
	Receives int
}

// Queue carries messages to a named queue (one per counterpart, plus evx's own).
//
// Send with a dedupID already sent to the same queue is a no-op: a retried step never makes
// a second delivery. Receive returns at most max messages and hides each from other receivers
// for visibility; a message that is not acknowledged within that time is handed out again.
// Ack removes the message for good.
type Queue interface {
	Send(ctx context.Context, queue, dedupID string, body []byte) error
	Receive(ctx context.Context, queue string, max int, visibility time.Duration) ([]Message, error)
	Ack(ctx context.Context, queue, handle string) error
}

// Counterpart is one foreign agency evx may deliver to, from the counterpart directory.
type Counterpart struct {
	ID            string   `json:"id" yaml:"id"`
	Name          string   `json:"name" yaml:"name"`
	Country       string   `json:"country" yaml:"country"` // ISO 3166-1 alpha-2
	LegalBases    []string `json:"legal_bases" yaml:"legal_bases"`
	HandlingCodes []string `json:"handling_codes" yaml:"handling_codes"` // of H0..H3
	// PublicKey verifies the counterpart's signed receipts: PEM of a PKIX public key.
	PublicKey string `json:"public_key,omitempty" yaml:"public_key,omitempty"`
	Active    bool   `json:"active" yaml:"active"`
}

// Directory looks up counterparts by id; an unknown id is an error wrapping ErrNotFound.
type Directory interface {
	Counterpart(ctx context.Context, id string) (Counterpart, error)
}

// Clock tells the time; tests pass a fixed one.
type Clock func() time.Time
