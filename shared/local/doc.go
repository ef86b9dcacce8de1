// Package local holds evx's embedded backends: a data folder of content-addressed blobs,
// the custody ledger, the delivery queues and the uploads and deliveries tables in one SQLite
// database (modernc.org/sqlite, pure Go, WAL), uploaded bags spooled to files named by their
// SHA-256, the counterpart directory read from YAML, and an Ed25519 signing key kept with 0600
// permissions. OpenNode opens a data folder and wires all of them into a pipeline.Service; the
// use cases themselves live in package pipeline, not here.
//
// Everything here survives a crash at any point: blobs and uploads appear under their name
// only once complete and synced, and every record is written in a transaction.
package local
