// Package local wires evx's embedded backends into one node: a data folder holding the blob
// store (package fileblob), the uploaded bags, the signing key (keyfile) and one SQLite database
// (sqlitedb: WAL, synchronous=FULL) shared by the custody ledger (sqliteledger), the delivery
// queues (sqlitequeue) and the uploads and deliveries tables (sqlitestate). OpenNode opens a
// data folder and wires all of them into a pipeline.Service; the use cases themselves live in
// package pipeline, not here.
//
// Everything here survives a crash at any point: blobs and uploads appear under their name
// only once complete and synced, and every record is written in a transaction.
package local
