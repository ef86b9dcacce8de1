package pipeline

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/evx-project/evx/shared/custody"
)

// ErrNotFound is returned (wrapped) by every port when the named item does not exist.
var ErrNotFound = errors.New("not found")

// ErrInvalidSum is returned (wrapped) by a BlobStore for a sum that is not 64 lowercase hex
// digits. Such a sum never reaches a file name or an object key.
var ErrInvalidSum = errors.New("invalid sha256: want 64 lowercase hex digits")

// ErrStaleHandle may be returned (wrapped) by Queue.Ack for a handle whose message was
// handed out again after its visibility timeout ended: the newer receiver owns it now.
var ErrStaleHandle = errors.New("stale receipt handle")

// ValidSum reports whether sum is a SHA-256 as BlobStore names blobs: 64 lowercase hex digits.
func ValidSum(sum string) bool {
	if len(sum) != 64 {
		return false
	}
	for i := 0; i < len(sum); i++ {
		c := sum[i]
		if (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return false
		}
	}
	return true
}

// DigestMismatchError reports bytes that did not hash to the SHA-256 they were stored under.
type DigestMismatchError struct {
	Key  string // what was being stored
	Want string // lowercase hex SHA-256 the caller named
	Got  string // lowercase hex SHA-256 of the bytes that arrived
}

func (e *DigestMismatchError) Error() string {
	return fmt.Sprintf("%s: sha256 is %s, want %s", e.Key, e.Got, e.Want)
}

// SizeMismatchError reports bytes whose length was not the size they were stored with.
// Got may stop counting at Want+1: a backend need not read past the size it was promised.
type SizeMismatchError struct {
	Key  string // what was being stored
	Want int64  // the size the caller named
	Got  int64  // the bytes that arrived (at least Want+1 when there were too many)
}

func (e *SizeMismatchError) Error() string {
	return fmt.Sprintf("%s: size is %d bytes, want %d", e.Key, e.Got, e.Want)
}

// BlobStore keeps documents content-addressed by SHA-256.
//
// Put reads r to EOF and stores its bytes under sum (64 lowercase hex digits, see
// [ValidSum]; anything else is an error wrapping [ErrInvalidSum]). Put always checks the
// bytes, even when the blob already exists: if their length is not size it stores nothing
// and returns a *[SizeMismatchError]; if they do not hash to sum it stores nothing and
// returns a *[DigestMismatchError] (the SHA-256 may be taken from r when r is a
// [HashingReader], which hashed the same bytes as it returned them). Putting a blob that
// already exists with the right bytes succeeds and never replaces the stored bytes. An error from r or from ctx is returned
// wrapped (errors.Is finds it) and leaves nothing stored. A blob is visible to Open only
// once Put has returned nil: a crash or a failure never leaves a partial blob under its
// name, and concurrent Puts of the same blob all succeed. Put streams: it does not hold the
// blob in memory.
//
// Open returns the stored bytes, or an error wrapping [ErrNotFound] (or [ErrInvalidSum]).
//
// The conformance suite is package blobtest.
type BlobStore interface {
	Put(ctx context.Context, sum string, size int64, r io.Reader) error
	Open(ctx context.Context, sum string) (io.ReadCloser, error)
}

// Limits every Queue backend enforces alike: SQS's own, so that what works on one machine
// works on AWS.
const (
	MaxReceive    = 10              // most messages one Receive may ask for
	MaxBody       = 256 << 10       // longest message body in bytes
	MaxDedupID    = 128             // longest dedup id
	MaxVisibility = 12 * time.Hour  // longest visibility timeout
	DedupWindow   = 5 * time.Minute // shortest time a dedup id is remembered
	// MaxQueueName is the longest queue name: SQS's 80 characters less the ".fifo" suffix
	// an SQS backend may add.
	MaxQueueName = 75
)

// Message is one delivery-queue message as received.
type Message struct {
	ID     string // the queue's id of the message, the same on every receive
	Handle string // pass to Ack; differs on every receive
	Body   []byte
	// Receives counts how often the message was handed out, this time included.
	Receives int
}

// Queue carries messages to a named queue (one per counterpart, plus evx's own).
//
// Queue names are 1 to [MaxQueueName] ASCII letters, digits, '-' or '_'. A body is
// non-empty UTF-8 text (JSON in practice) of at most [MaxBody] bytes. A dedupID is 1 to
// [MaxDedupID] printable ASCII characters.
//
// Send with a dedupID already sent to the same queue is a no-op, whether or not the first
// message was received or acknowledged: a retried step never makes a second delivery. The
// same dedupID on another queue is another message. Backends remember a dedupID for at least
// [DedupWindow] (SQS FIFO's window; the embedded backend remembers for good), so a retry
// after that must be caught by the caller's own records (the custody ledger).
//
// Receive returns at most max (1 to [MaxReceive]) messages and hides each from other
// receivers for visibility (more than zero, at most [MaxVisibility]; a backend may round it
// up to whole seconds). A message that is not acknowledged within that time is handed out
// again, with the same ID, a new Handle and Receives one higher. Receive on an empty queue
// returns no messages and no error after waiting at most a second or two; it may also
// return fewer than max messages while more are waiting. The port promises no order.
//
// Ack removes the message for good. Acking a message already removed returns nil. A stale
// handle (the message was handed out again since) returns nil or an error wrapping
// [ErrStaleHandle], and may or may not remove the message, so the work a message asks for
// must be idempotent. A handle that was never issued by this queue is an error and removes
// nothing.
//
// The conformance suite is package queuetest.
type Queue interface {
	Send(ctx context.Context, queue, dedupID string, body []byte) error
	Receive(ctx context.Context, queue string, max int, visibility time.Duration) ([]Message, error)
	Ack(ctx context.Context, queue, handle string) error
}

// Agency is one agency of the directory: one that may send bundles, receive them, or both.
type Agency = Counterpart

// Agency roles (Counterpart.Role).
const (
	RoleReceive = "receive" // the default: a counterpart evx delivers to
	RoleSend    = "send"    // an agency whose people upload bundles
	RoleBoth    = "both"
)

// Counterpart is one agency of the agency directory (historically: the foreign agencies evx
// may deliver to, hence the name; see Agency).
type Counterpart struct {
	ID            string   `json:"id" yaml:"id"`
	Name          string   `json:"name" yaml:"name"`
	Country       string   `json:"country" yaml:"country"` // ISO 3166-1 alpha-2
	LegalBases    []string `json:"legal_bases" yaml:"legal_bases"`
	HandlingCodes []string `json:"handling_codes" yaml:"handling_codes"` // of H0..H3
	// PublicKey verifies the counterpart's signed receipts: PEM of a PKIX public key.
	PublicKey string `json:"public_key,omitempty" yaml:"public_key,omitempty"`
	Active    bool   `json:"active" yaml:"active"`
	// Matching allows the agency to ask the identifier index for hits (Matcher.Match).
	Matching bool `json:"matching,omitempty" yaml:"matching,omitempty"`
	// Issuer and ClientID bind the counterpart's API identity: a token is the counterpart's
	// only when its "iss" is Issuer and its client id ("client_id", else "azp", else a single
	// "aud") is ClientID. Both empty: the counterpart has no API access.
	Issuer   string `json:"issuer,omitempty" yaml:"issuer,omitempty"`
	ClientID string `json:"client_id,omitempty" yaml:"client_id,omitempty"`
	// AWSAccount is the counterpart's own AWS account (12 digits), which may read its queue
	// directly; empty for a counterpart that pulls through the API only.
	AWSAccount string `json:"aws_account,omitempty" yaml:"aws_account,omitempty"`
	// Role is RoleReceive (also when empty), RoleSend or RoleBoth.
	Role string `json:"role,omitempty" yaml:"role,omitempty"`
	// SealKeys are the agency's seal keys, oldest first: they verify the seals on the bags it
	// sends and on the receipts it signs. PublicKey, when set, is the first of them.
	SealKeys []custody.AgencyKey `json:"seal_keys,omitempty" yaml:"seal_keys,omitempty"`
	// WitnessKey is the agency's Ed25519 witness key (PKIX PEM), for cosigning checkpoints;
	// a key apart from its seal keys.
	WitnessKey string `json:"witness_key,omitempty" yaml:"witness_key,omitempty"`
	// RequireSeal: bags the agency sends must carry its seal; RequireSignedReceipts: its
	// receipts must be signed statements.
	RequireSeal           bool `json:"require_seal,omitempty" yaml:"require_seal,omitempty"`
	RequireSignedReceipts bool `json:"require_signed_receipts,omitempty" yaml:"require_signed_receipts,omitempty"`
	// ServiceProvider, when set, names the service provider (a telecom operator, a platform)
	// whose designated establishment or legal representative (Representation) the agency is:
	// it receives European Production and Preservation Orders (Regulation (EU) 2023/1543) and
	// answers them with bundles.
	ServiceProvider string `json:"service_provider,omitempty" yaml:"service_provider,omitempty"`
	Representation  string `json:"representation,omitempty" yaml:"representation,omitempty"`
	// ReviewAfterDays is the time from the acceptance of a bundle the agency sends to its
	// first retention review (Directive (EU) 2016/680 art. 5); DefaultReviewAfter when zero.
	ReviewAfterDays int `json:"review_after_days,omitempty" yaml:"review_after_days,omitempty"`
	// EvidenceMatching is whether other agencies' queries may hit the evidence the agency
	// sends: EvidenceMatchingByBundle (empty: each bag's EVX-Matching, else its handling
	// code), EvidenceMatchingNone (none of it, whatever its bags say) or
	// EvidenceMatchingAllowed (every bundle whose bag does not say EVX-Matching: none).
	EvidenceMatching string `json:"evidence_matching,omitempty" yaml:"evidence_matching,omitempty"`
}

// The values of Counterpart.EvidenceMatching.
const (
	EvidenceMatchingByBundle = "by-bundle"
	EvidenceMatchingNone     = "none"
	EvidenceMatchingAllowed  = "allowed"
)

// Receives reports whether the agency may receive deliveries.
func (c Counterpart) Receives() bool {
	return c.Role == "" || c.Role == RoleReceive || c.Role == RoleBoth
}

// Sends reports whether the agency's people may send bundles.
func (c Counterpart) Sends() bool { return c.Role == RoleSend || c.Role == RoleBoth }

// AllSealKeys are the agency's seal keys: PublicKey first (without bounds), when it is set
// and parses, then SealKeys.
func (c Counterpart) AllSealKeys() []custody.AgencyKey {
	var out []custody.AgencyKey
	if c.PublicKey != "" {
		if pub, err := custody.ParsePublicKeyPEM([]byte(c.PublicKey)); err == nil {
			if k, err := custody.NewAgencyKey(pub); err == nil {
				out = append(out, k)
			}
		}
	}
	return append(out, c.SealKeys...)
}

// SealKey returns the agency's seal key with id keyID (see AllSealKeys); ok false when it
// has none such.
func (c Counterpart) SealKey(keyID string) (custody.AgencyKey, bool) {
	for _, k := range c.AllSealKeys() {
		if k.KeyID == keyID {
			return k, true
		}
	}
	return custody.AgencyKey{}, false
}

// Representations are how an agency of the directory stands for a service provider
// (Directive (EU) 2023/1544: designated establishment art. 3, legal representative art. 3).
var Representations = []string{"designated-establishment", "legal-representative"}

// Directory looks up counterparts by id; an unknown id is an error wrapping ErrNotFound.
// An inactive counterpart is returned with Active false, so the caller can say why it
// refuses to deliver.
type Directory interface {
	Counterpart(ctx context.Context, id string) (Counterpart, error)
}

// Clock tells the time; tests pass a fixed one.
type Clock func() time.Time

// Requests is what ingest asks of the requests bundles answer (package request's Book).
type Requests interface {
	// CheckAnswer splits counterparts, to whom a bundle answering request id is addressed,
	// into those it may go to and the reasons the others may not; known is false when no
	// request has the id (the reference is then free text and nothing is checked).
	CheckAnswer(ctx context.Context, id string, counterparts []string) (allowed, refused []string, known bool, err error)
	// Answered records that bundle, uploaded by uploader, answers request id; once however
	// often it is called. An unknown id records nothing.
	Answered(ctx context.Context, id, bundle, uploader string) error
	// Restricted says whether the data answering request id may no longer be accessed (an
	// enforcing authority refused the order, Regulation (EU) 2023/1543 art. 12), and why;
	// false for an unknown id.
	Restricted(ctx context.Context, id string) (restricted bool, why string, err error)
	// Preservation says what request id asks of the data answering it (a European
	// Preservation Order's period); known false for an unknown id or one that preserves
	// nothing.
	Preservation(ctx context.Context, id string) (p Preservation, known bool, err error)
}
