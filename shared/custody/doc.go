// Package custody records a tamper-evident chain of custody for evidence, that anyone holding
// the exported trail and the public key can check offline.
//
// Each [Event] of a bundle commits to the hash of its predecessor, so changing, removing or
// reordering an event changes every later hash; every event is signed ([Signer]: Ed25519 in
// the embedded mode, ECDSA P-256 with KMS). All events of all bundles are also leaves of one
// RFC 6962 Merkle log, whose signed checkpoints let a holder prove that history was not
// rewritten later, even by evx's own operators ([ConsistencyProof]).
//
// Byte layouts (a compatibility promise; testdata/vectors holds known answers):
//
//   - canonical form of an event: RFC 8785 JSON ([Canonicalize]) of the event's fields
//     without "hash" and "signature" (see [Event.CanonicalJSON]);
//   - event hash: SHA-256(0x00 || canonical form), the RFC 6962 leaf hash, as lowercase hex;
//   - signature: over the 32 raw bytes of the event hash, standard base64 ([Seal]);
//   - checkpoints: transparency-dev checkpoint bodies signed as notes ([SignCheckpoint]).
//
// [Ledger] is the storage port (conformance suite: package ledgertest); [Keeper] records
// events on it and exports trails ([Export]); [Verify] checks a [Trail] and reports the first
// failure as a typed error carrying the expected and the computed value (*[BreakError],
// *[EventHashError], *[SignatureError], *[InclusionError], *[ConsistencyError], ...).
package custody
