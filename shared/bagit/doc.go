// Package bagit reads, validates and writes BagIt bags (RFC 8493) from folders, zip,
// tar and tar.gz archives, treating every bag as hostile input.
//
// [Open], [OpenZip] and [OpenTar] read a bag's tag files (bagit.txt, bag-info.txt,
// manifests, tag manifests) and check the archive's structure against [Limits]:
// member count and sizes, compression ratio, path length, unsafe member names (zip
// slip), links, devices, duplicates, encrypted members. [Bag.Validate] then streams every
// payload file exactly once: before a file's bytes are read it hands the caller the
// digests the bag's manifests claim for it, then the bytes themselves, and computes in
// the same pass every digest the manifests name plus SHA-256 (package digest). The
// result is a [Report] of typed errors and warnings, the parsed bag-info.txt and the
// evx fields ([Fields]).
//
// Two modes: [ModeSpec] checks RFC 8493 alone (the Library of Congress conformance
// suite's valid bags pass); [ModeEVX] adds evx's intake policy: manifest-sha256.txt is
// required, fetch.txt is refused and bag-info.txt must name at least one EVX-Counterpart.
//
// Tar archives: a tar read from a file is read twice: a first pass reads member headers
// and tag files and skips payload bytes without hashing (for an uncompressed tar it seeks
// over them; a tar.gz is inflated), so that every claim is known before the single
// hashing pass, whatever order the archive stores its members in. A tar read from a
// stream ([OpenTar]) is read once, so its bagit.txt, bag-info.txt, manifests and tag
// manifests must come before its payload (as [Create] writes them); otherwise
// validation fails with a *[OrderError]. Small members before bagit.txt are held in
// memory, so a streamed tar may start with a few small payload files.
//
// Every failure is a typed error that names the offending path (and, for limits, the
// limit), so a person can act on it: *[LimitError], *[UnsafePathError],
// *[ArchiveError], *[FormatError], *[MissingError], *[UnlistedError],
// *[ChecksumError], *[OxumError], *[OrderError], *[PolicyError].
//
// [Create] writes a bag deterministically (same input, same bytes) into a folder, a .zip,
// a .tar or a .tar.gz, with SHA-256 and SHA-512 manifests and tag manifests, tag files
// first.
package bagit
