package bagit

// Limits bound the work and memory a bag may cost. Each field is enforced with a
// *[LimitError] naming it. Zero or negative values mean the default.
type Limits struct {
	MaxMembers       int   // archive members or folder entries, directories included
	MaxMemberSize    int64 // uncompressed bytes of one member
	MaxTotalSize     int64 // uncompressed bytes of all members together
	MaxRatio         int64 // uncompressed/compressed size, per member and overall, above RatioFloor bytes
	RatioFloor       int64 // members (and archives) smaller than this are exempt from MaxRatio
	MaxPathLen       int   // bytes of a member name or manifest path
	MaxPathDepth     int   // path segments
	MaxTagFileSize   int64 // bytes of one tag file (they are held in memory)
	MaxTagBytes      int64 // bytes of all tag files together
	MaxTagLineLen    int   // bytes of one line of a tag file
	MaxManifestLines int   // lines of one manifest or tag manifest
	MaxDirectorySize int64 // bytes of a zip's central directory read at open (it is held in memory)
}

// DefaultLimits returns limits safe for an ingest function with 512 MiB of memory:
// 100,000 members, 64 GiB a member, 256 GiB in all, a compression ratio of 200:1
// (above 1 MiB), 1,024-byte paths of at most 64 segments, tag files of 16 MiB (64 MiB
// in all) with lines of 64 KiB, 100,000 lines a manifest, a zip central directory of
// 16 MiB (enough for 100,000 members with names of 100 bytes; a hostile directory of
// minimal entries within it costs at most about 100 MiB while it is parsed).
func DefaultLimits() Limits {
	return Limits{
		MaxMembers:       100_000,
		MaxMemberSize:    64 << 30,
		MaxTotalSize:     256 << 30,
		MaxRatio:         200,
		RatioFloor:       1 << 20,
		MaxPathLen:       1024,
		MaxPathDepth:     64,
		MaxTagFileSize:   16 << 20,
		MaxTagBytes:      64 << 20,
		MaxTagLineLen:    64 << 10,
		MaxManifestLines: 100_000,
		MaxDirectorySize: 16 << 20,
	}
}

func (l Limits) withDefaults() Limits {
	d := DefaultLimits()
	if l.MaxMembers <= 0 {
		l.MaxMembers = d.MaxMembers
	}
	if l.MaxMemberSize <= 0 {
		l.MaxMemberSize = d.MaxMemberSize
	}
	if l.MaxTotalSize <= 0 {
		l.MaxTotalSize = d.MaxTotalSize
	}
	if l.MaxRatio <= 0 {
		l.MaxRatio = d.MaxRatio
	}
	if l.RatioFloor <= 0 {
		l.RatioFloor = d.RatioFloor
	}
	if l.MaxPathLen <= 0 {
		l.MaxPathLen = d.MaxPathLen
	}
	if l.MaxPathDepth <= 0 {
		l.MaxPathDepth = d.MaxPathDepth
	}
	if l.MaxTagFileSize <= 0 {
		l.MaxTagFileSize = d.MaxTagFileSize
	}
	if l.MaxTagBytes <= 0 {
		l.MaxTagBytes = d.MaxTagBytes
	}
	if l.MaxTagLineLen <= 0 {
		l.MaxTagLineLen = d.MaxTagLineLen
	}
	if l.MaxManifestLines <= 0 {
		l.MaxManifestLines = d.MaxManifestLines
	}
	if l.MaxDirectorySize <= 0 {
		l.MaxDirectorySize = d.MaxDirectorySize
	}
	return l
}

// ratioExceeded reports whether uncompressed/compressed exceeds MaxRatio for a size above
// the floor.
func (l Limits) ratioExceeded(uncompressed, compressed int64) bool {
	if uncompressed <= l.RatioFloor {
		return false
	}
	if compressed <= 0 {
		return true
	}
	return uncompressed/compressed > l.MaxRatio
}

// MaxPayload answers the question "what is the most bytes a hostile upload of n bytes
// can make evx write?" for an archive of the given kind ("zip", "tar", "tar.gz"): the
// payload bytes [Bag.Validate] can hand its [Consumer], accepted or not, which is what
// ingest stores. Tag files are held in memory within MaxTagBytes and are not counted.
//
//   - tar: n. Every payload byte is a byte of the archive; sparse members, whose holes
//     are not, are refused, as are links.
//   - zip: the members' declared sizes, which the bytes read must match, are held
//     together to MaxRatio times the archive's size above RatioFloor, so at most
//     max(RatioFloor, (MaxRatio+1)·n - 1).
//   - tar.gz: the inflated stream is held to the same ratio of the compressed bytes read
//     so far (the bytes that cross it are not passed on), so the same bound.
//
// Both compressed forms are also held to MaxTotalSize. TestMaxPayload checks the bound
// against every hostile archive and against archives built to approach it.
func (l Limits) MaxPayload(kind string, n int64) int64 {
	l = l.withDefaults()
	if n <= 0 {
		return 0
	}
	switch kind {
	case "tar":
		return n
	case "zip", "tar.gz":
		b := l.RatioFloor
		if n <= (1<<62)/(l.MaxRatio+1) {
			b = max(b, (l.MaxRatio+1)*n-1)
		} else {
			b = l.MaxTotalSize
		}
		return min(b, l.MaxTotalSize)
	}
	return 0
}
