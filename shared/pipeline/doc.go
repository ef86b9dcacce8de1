// Package pipeline holds evx's use cases (ingest, route, deliver, receipt, audit, trail)
// and declares the small ports they need: a blob store, a delivery queue, a counterpart
// directory and a clock here, the custody ledger and signer in package custody.
//
// The embedded backends (package local) and the AWS backends implement the same ports and
// run the same conformance suites (blobtest, queuetest, directorytest), so the use cases
// behave alike on one machine and on AWS.
package pipeline
