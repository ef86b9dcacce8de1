package pipeline

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/evx-project/evx/shared/bagit"
)

// ErrStateConflict is returned (wrapped) by a conditional state change whose record is not in
// the state the caller expected: another step got there first.
var ErrStateConflict = errors.New("state changed concurrently")

// UploadState is how far the pipeline got with an upload. The custody trail is the record;
// the state only says which uploads still need work after a restart.
type UploadState string

const (
	// UploadReceived: the bag is stored durably and the uploader was told so; not yet ingested.
	UploadReceived UploadState = "received"
	// UploadAccepted: SubmissionAcceptance is recorded; not yet routed to every counterpart.
	UploadAccepted UploadState = "accepted"
	// UploadRejected: SubmissionRejection is recorded. Final.
	UploadRejected UploadState = "rejected"
	// UploadRouted: every consignment is recorded. Final.
	UploadRouted UploadState = "routed"
)

// Final reports whether no more work is due for an upload in state s.
func (s UploadState) Final() bool { return s == UploadRejected || s == UploadRouted }

// Upload is one uploaded bag. BundleID is decided by the host from the upload's identity
// (embedded: the SHA-256 of the uploaded bytes; AWS: derived from bucket, key and version id),
// so the same upload submitted twice is one bundle.
type Upload struct {
	BundleID string      `json:"bundle"`
	Uploader string      `json:"uploader"` // identity of the uploading user, from the host
	Size     int64       `json:"size"`
	State    UploadState `json:"state"`
	Received time.Time   `json:"received"`
}

// Uploads keeps the uploads table: received → accepted → routed, or received → rejected.
//
// AddUpload inserts u if its BundleID is new and returns the stored record either way (an
// existing upload keeps its state). It must be durable when it returns: the host acknowledges
// the upload only then. SetUploadState sets the state unconditionally (states only move
// forward, and every step that sets one is idempotent). Pending lists the uploads whose state
// is not final, oldest first. Upload returns an error wrapping ErrNotFound for an unknown id.
type Uploads interface {
	AddUpload(ctx context.Context, u Upload) (Upload, error)
	Upload(ctx context.Context, bundleID string) (Upload, error)
	SetUploadState(ctx context.Context, bundleID string, s UploadState) error
	Pending(ctx context.Context) ([]Upload, error)
}

// Bags opens the stored bag of an upload for validation; an unknown id is an error wrapping
// ErrNotFound. A bag that cannot be opened safely (not an archive, zip slip, a bomb) is a
// typed bagit error: Ingest rejects the bundle with it.
type Bags interface {
	OpenBag(ctx context.Context, bundleID string, lim bagit.Limits) (*bagit.Bag, error)
}

// Extractor extracts text and metadata from a stored document of size bytes, read through r
// and named name in its bag. It returns the document's media type and the result to store
// (JSON, stored content-addressed and its hash recorded with the document). A document it
// cannot read is no error: the result says why. An error (ctx ended) fails the step, which
// may be run again. extract.Record is the implementation, given to BagIntake. ctx carries
// the bundle's states ([BundleStates]).
type Extractor func(ctx context.Context, r io.ReaderAt, size int64, name string) (mediaType string, result []byte, err error)

// ErrNoIntake is returned (wrapped) by Ingest on a Service built without Config.Intake for a
// bundle whose outcome is not yet recorded: such a host does not ingest.
var ErrNoIntake = errors.New("this service cannot ingest: it was built without an intake")

// DeliveryState is where a delivery stands with its counterpart.
type DeliveryState string

const (
	DeliveryConsigned DeliveryState = "consigned" // awaiting the counterpart's receipt
	DeliveryAccepted  DeliveryState = "accepted"  // ConsignmentAcceptance recorded
	DeliveryRejected  DeliveryState = "rejected"  // ConsignmentRejection recorded
	DeliveryExpired   DeliveryState = "expired"   // AcceptanceRejectionExpiry recorded
)

// Delivery is one bundle consigned to one counterpart.
type Delivery struct {
	ID          string        `json:"id"` // DeliveryID(BundleID, Counterpart)
	BundleID    string        `json:"bundle"`
	Counterpart string        `json:"counterpart"`
	Created     time.Time     `json:"created"`
	Deadline    time.Time     `json:"deadline"` // the receipt is due by then
	State       DeliveryState `json:"state"`
	// Handling is the bundle's EVX-Handling-Code when it was routed (H0..H3, or HandlingNone
	// for a bundle that carries none), so that routing finds the H2 bundles an agency received
	// without reading every trail. Empty on a delivery indexed before evx recorded it; its
	// handling is read from the bundle's trail.
	Handling string `json:"handling,omitempty"`
}

// HandlingNone is Delivery.Handling of a bundle that carries no EVX-Handling-Code.
const HandlingNone = "none"

// Deliveries indexes deliveries by counterpart and deadline. The custody trail is the record
// of what happened; this index lets a counterpart list its deliveries and expiry find the due
// ones without reading every trail.
//
// AddDelivery inserts d if its ID is new and returns the stored record either way (so a
// retried route keeps the first deadline). SetDeliveryState changes the state only if it is
// from, else returns an error wrapping ErrStateConflict (ErrNotFound for an unknown id).
// ListDeliveries returns a counterpart's deliveries, oldest first. Due returns the
// deliveries still consigned whose deadline is before t.
type Deliveries interface {
	AddDelivery(ctx context.Context, d Delivery) (Delivery, error)
	Delivery(ctx context.Context, id string) (Delivery, error)
	ListDeliveries(ctx context.Context, counterpart string) ([]Delivery, error)
	SetDeliveryState(ctx context.Context, id string, from, to DeliveryState) error
	Due(ctx context.Context, t time.Time) ([]Delivery, error)
}

// ReaderAtCloser is random access to a stored blob.
type ReaderAtCloser interface {
	io.ReaderAt
	io.Closer
}

// RandomAccess is implemented by blob stores that can read a blob at any offset (a file, a
// ranged GET). Ingest extracts text from the stored blob through it; with a store that lacks
// it, the blob is first copied to a temporary file.
type RandomAccess interface {
	OpenReaderAt(ctx context.Context, sum string) (r ReaderAtCloser, size int64, err error)
}

// HashingReader is a reader that hashes the bytes it returns as it returns them: bag
// validation hands each payload file to ingest as one, since it hashes them for the
// manifests anyway. A BlobStore's Put may take SHA256 from a HashingReader, once Read has
// returned io.EOF, instead of hashing the same bytes a second time: the check is the same,
// done once.
type HashingReader interface {
	io.Reader
	// SHA256 is the lowercase hex SHA-256 of every byte Read has returned so far.
	SHA256() string
}

// QueueName is the delivery queue of a counterpart: "cp-" and its directory id.
func QueueName(counterpart string) string { return "cp-" + counterpart }

// checkID refuses ids that could not be a bundle id (see custody's event rules).
func checkBundleID(id string) error {
	if id == "" || len(id) > 128 {
		return fmt.Errorf("bundle id %q: want 1-128 of [A-Za-z0-9._:-]", id)
	}
	for i := 0; i < len(id); i++ {
		c := id[i]
		ok := c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || (i > 0 && (c == '.' || c == '_' || c == ':' || c == '-'))
		if !ok {
			return fmt.Errorf("bundle id %q: want 1-128 of [A-Za-z0-9._:-]", id)
		}
	}
	return nil
}

// Receipts keeps the signed receipt evx answered each delivery's receipt with, so that a
// counterpart whose connection dropped before the answer arrived can have the same receipt
// again (an identical retry, or GET /v1/deliveries/{id}/receipt).
//
// PutReceipt stores raw for the delivery if it has none and returns the stored bytes either
// way: the first write wins, and concurrent writers all get the winner's bytes. It must be
// durable when it returns. Receipt returns the stored bytes, or an error wrapping
// ErrNotFound.
//
// The conformance suite is statetest.RunReceipts.
type Receipts interface {
	PutReceipt(ctx context.Context, deliveryID string, raw []byte) ([]byte, error)
	Receipt(ctx context.Context, deliveryID string) ([]byte, error)
}

// Submission is one uploader's submission of a bundle: the first uploader's, or another's
// of the same bytes later.
type Submission struct {
	BundleID string    `json:"bundle"`
	Uploader string    `json:"uploader"`
	Size     int64     `json:"size"`
	Received time.Time `json:"received"`
}

// Submissions indexes who submitted each bundle, one record per bundle and uploader, so that
// each uploader is shown its own submission and a lookup costs the same whether the bundle
// is the caller's, another uploader's or does not exist.
//
// AddSubmission inserts s if its (BundleID, Uploader) is new and returns the stored record
// either way; it must be durable when it returns. Submission returns the record, or an error
// wrapping ErrNotFound. BundleSubmissions returns every submission of a bundle (none for an
// unknown bundle), in no stated order.
//
// The conformance suite is statetest.RunSubmissions.
type Submissions interface {
	AddSubmission(ctx context.Context, s Submission) (Submission, error)
	Submission(ctx context.Context, bundleID, uploader string) (Submission, error)
	BundleSubmissions(ctx context.Context, bundleID string) ([]Submission, error)
}

// MemberRecord is the progress of an ingest over one payload file of a bag: the file was read,
// stored and verified against every payload manifest of the bag, with the digests computed
// from its bytes (a file whose bytes differ is not recorded: every run reads it again, and the
// bag's report names it); MediaType and Extraction are set once its text is extracted and
// stored.
type MemberRecord struct {
	Path       string            `json:"path"`
	Size       int64             `json:"size"`
	Digests    map[string]string `json:"digests,omitempty"` // algorithm -> lowercase hex
	MediaType  string            `json:"media_type,omitempty"`
	Extraction string            `json:"extraction,omitempty"` // SHA-256 of the stored result
}

// Members keeps the progress of ingests, a payload file at a time, so that an ingest cut off
// (a Lambda's deadline, a crash) and run again skips what is done, and so that the ingest of
// a large bag can be split into chunks run apart (Service.IngestChunk).
//
// RecordMember stores m for (bundleID, m.Path), replacing any record of that path; it must be
// durable when it returns. BundleMembers returns every record of a bundle (none for an unknown
// one) in no stated order, read strongly. ChunkDone records that chunk k of the bundle's
// fan-out is done and returns how many distinct chunks are done, counting each chunk once
// however often it is recorded.
//
// The conformance suite is statetest.RunMembers.
type Members interface {
	RecordMember(ctx context.Context, bundleID string, m MemberRecord) error
	BundleMembers(ctx context.Context, bundleID string) ([]MemberRecord, error)
	ChunkDone(ctx context.Context, bundleID string, k int) (int, error)
}
