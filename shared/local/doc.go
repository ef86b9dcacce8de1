// Package local holds evx's embedded backends: a data folder of content-addressed blobs,
// the custody ledger and the delivery queues in one SQLite database (modernc.org/sqlite,
// pure Go, WAL), and an Ed25519 signing key kept with 0600 permissions.
//
// Everything here survives a crash at any point: blobs appear under their name only once
// complete and synced, and every record is written in a transaction.
package local
