// Package directory reads the counterpart directory: the foreign agencies evx may deliver to,
// with the legal bases and handling codes each accepts and the key that verifies its receipts
// (infra/counterparts.yaml). It implements [pipeline.Directory] for the embedded node and the
// Lambda functions alike, and links nothing but a YAML parser, so a function that reads the
// directory does not pull in the embedded backends.
//
// Load is strict: unknown fields, duplicate ids, unknown country codes, handling codes other
// than H0-H3 and keys that do not parse are errors, every one of them reported at once as an
// *[InvalidCounterpartError].
package directory
