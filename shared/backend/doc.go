// Package backend holds evx's two sets of backends side by side: the embedded one (local/,
// a data folder and one SQLite database, the default) and the AWS one (aws/). Every port of
// package pipeline (and custody's ledger) has one implementation in each, and both run the
// same conformance suite:
//
//	port (package)             embedded (local/)        AWS (aws/)       conformance suite
//	pipeline.BlobStore         fileblob (a folder)      s3blob (S3)      pipeline/blobtest
//	custody.Ledger             sqliteledger             dynamoledger     custody/ledgertest
//	pipeline.Queue             sqlitequeue              sqsqueue (SQS)   pipeline/queuetest
//	pipeline.Uploads, Deliveries sqlitestate            dynamostate      pipeline/statetest
//	pipeline.Receipts, Submissions sqlitestate          dynamostate      pipeline/statetest
//	pipeline.Checkpoints       sqlitestate              dynamostate      pipeline/statetest
//	pipeline.Bags              sqlitestate (spool)      s3bags (S3)      (pipeline's tests)
//	custody.Signer             keyfile (Ed25519 PEM)    kmssign (KMS)    custody's signature tests
//	wiring                     local (OpenNode)         awsenv (FromEnv, Open)
//
// The rules: use cases know ports, never SDKs or SQLite; the two sets never import each
// other; verification never needs either. backend_test.go holds the table above to the tree.
package backend
