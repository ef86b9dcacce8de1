// Package pipeline holds evx's use cases (ingest, route, deliver, receipt, expiry, audit,
// trail) and declares the small ports they need: a blob store, a delivery queue, a counterpart
// directory and a clock (ports.go); an uploads table, a bag opener, a deliveries index and
// optional random access to blobs (state.go); the custody ledger and signer in package custody.
//
// The embedded backends (package local, local.OpenNode wires them) and the AWS backends
// implement the same ports and run the same conformance suites (blobtest, queuetest,
// directorytest, custody's ledgertest), so the use cases behave alike on one machine and on
// AWS.
//
// # Flow
//
// The host stores an uploaded bag durably, names it (embedded: the SHA-256 of its bytes,
// computed while it streams to disk; AWS: from bucket, key and version id) and calls
// [Service.Submit], which records it in state received; only then is the upload acknowledged.
// [Service.Process] runs [Service.Ingest] and [Service.Route]; [Service.Resume] does the same
// for every upload a stop left unfinished, then [Service.Expire].
//
// Ingest reads the bag once: each payload file streams into the blob store under the SHA-256
// the manifest claims (the store verifies the bytes); text and metadata are then extracted
// from the stored blob through random access, so extraction reads the verified bytes, and the
// result is stored content-addressed and its hash recorded with the document. The outcome is
// SubmissionAcceptance (every document with name, size, SHA-256, SHA-512, media type and
// extraction hash; the request fields; the counterparts to consign to) or SubmissionRejection
// with every reason. Counterparts are checked against the directory at ingest: a bundle none
// of whose counterparts can receive it (unknown, inactive, legal basis or handling code not
// accepted) is rejected as a whole; otherwise it is accepted for the others and the refusals
// are the acceptance's reasons.
//
// # Exactly once
//
// The custody trail is the record. Every step reads the bundle's trail, appends its event only
// if the trail lacks it, and appends conditionally on the trail's last sequence (a lost race
// re-reads and re-decides). Every other write is idempotent: blobs are content-addressed,
// deliveries are inserted once under [DeliveryID] (their deadline fixed by the first insert),
// queue notices carry the delivery id as dedup id. So a step killed at any point and run again
// ends with one acceptance, one delivery and one ContentConsignment per counterpart; the
// crash test in this package fails every port call in turn, before and after it takes effect,
// and checks exactly that.
//
// # Counterparts
//
// A counterpart sees only its own deliveries: another counterpart's delivery is reported as a
// *[DeliveryNotFoundError], exactly like one that does not exist. Each document fetch records
// ContentAccessTracking before the first byte leaves. [Service.PostReceipt] compares the
// counterpart's hashes with the record and returns a [Receipt] signed by evx that
// [VerifyReceipt] checks with evx's public key alone; a second receipt is a
// *[ReceiptConflictError].
package pipeline
