package bagit

import (
	"errors"
	"fmt"
	"strings"
)

// LimitError reports input that exceeds one of the configured [Limits].
type LimitError struct {
	Path  string // the member or tag file; "" for the whole archive
	Limit string // the Limits field, e.g. "MaxMemberSize"
	Max   int64  // the configured limit
	Got   int64  // what the input declared or reached (at least Max+1)
}

// limitWhat describes each limit for a person.
var limitWhat = map[string]string{
	"MaxMembers":       "number of archive members",
	"MaxMemberSize":    "uncompressed size in bytes",
	"MaxTotalSize":     "total uncompressed size in bytes",
	"MaxRatio":         "compression ratio",
	"MaxPathLen":       "path length in bytes",
	"MaxPathDepth":     "path depth in folders",
	"MaxTagFileSize":   "tag file size in bytes",
	"MaxTagBytes":      "total size of the tag files in bytes",
	"MaxTagLineLen":    "line length in bytes",
	"MaxManifestLines": "number of lines",
	"MaxDirectorySize": "zip central directory size in bytes",
}

func (e *LimitError) Error() string {
	where := e.Path
	if where == "" {
		where = "the archive"
	}
	what := limitWhat[e.Limit]
	if what == "" {
		what = "value"
	}
	hint := "split the bag, or raise the limit if the bag is legitimate"
	if e.Limit == "MaxRatio" {
		hint = "it expands like a zip bomb; store such content uncompressed"
	}
	return fmt.Sprintf("%s: %s %d exceeds the limit of %d (%s); %s", where, what, e.Got, e.Max, e.Limit, hint)
}

// UnsafePathError reports a member name or manifest path that could reach outside the
// bag: "..", an absolute path, "~", a drive letter, a UNC path, a backslash, a NUL.
type UnsafePathError struct {
	Path   string
	Source string // "archive", "manifest-sha256.txt", "fetch.txt", ...
	Reason string
}

func (e *UnsafePathError) Error() string {
	return fmt.Sprintf("%s: unsafe path %q: %s; paths must stay inside the bag", e.Source, e.Path, e.Reason)
}

// ArchiveError reports a container that cannot be read safely: not an archive,
// truncated, corrupt, a CRC mismatch, an encrypted or unsupported member, a link or
// device, a duplicate member.
type ArchiveError struct {
	Path   string // the member, or "" for the archive as a whole
	Reason string
	Err    error // underlying error, if any
}

func (e *ArchiveError) Error() string {
	var b strings.Builder
	if e.Path != "" {
		fmt.Fprintf(&b, "%s: ", e.Path)
	}
	b.WriteString(e.Reason)
	if e.Err != nil {
		fmt.Fprintf(&b, ": %v", e.Err)
	}
	return b.String()
}

func (e *ArchiveError) Unwrap() error { return e.Err }

// FormatError reports a tag file that does not follow RFC 8493.
type FormatError struct {
	Path   string // the tag file
	Line   int    // 1-based line number, 0 when not about a line
	Reason string
}

func (e *FormatError) Error() string {
	if e.Line > 0 {
		return fmt.Sprintf("%s line %d: %s", e.Path, e.Line, e.Reason)
	}
	return fmt.Sprintf("%s: %s", e.Path, e.Reason)
}

// MissingError reports a file a manifest (or fetch.txt) lists that is not in the bag.
type MissingError struct {
	Path     string
	Manifest string // the manifest or fetch.txt listing it; "" for a file RFC 8493 requires
}

func (e *MissingError) Error() string {
	if e.Manifest == "" {
		return fmt.Sprintf("%s is missing; RFC 8493 requires it in every bag", e.Path)
	}
	return fmt.Sprintf("%s lists %s but the bag does not contain it", e.Manifest, e.Path)
}

// UnlistedError reports a payload file that a payload manifest does not list.
type UnlistedError struct {
	Path     string
	Manifest string
}

func (e *UnlistedError) Error() string {
	return fmt.Sprintf("%s is in the payload but %s does not list it", e.Path, e.Manifest)
}

// ChecksumError reports a file whose content does not match a manifest's checksum.
type ChecksumError struct {
	Path      string
	Manifest  string
	Algorithm string
	Want      string // claimed by the manifest
	Got       string // computed from the bytes
}

func (e *ChecksumError) Error() string {
	return fmt.Sprintf("%s: content does not match %s (listed %s, computed %s); the file was altered or the manifest is wrong",
		e.Path, e.Manifest, short(e.Want), short(e.Got))
}

func short(h string) string {
	if len(h) > 16 {
		return h[:16] + "..."
	}
	return h
}

// OxumError reports a Payload-Oxum that does not match the payload.
type OxumError struct {
	WantOctets, WantFiles int64 // from bag-info.txt
	GotOctets, GotFiles   int64 // counted
}

func (e *OxumError) Error() string {
	return fmt.Sprintf("bag-info.txt: Payload-Oxum %d.%d does not match the payload, %d.%d (octets.files)",
		e.WantOctets, e.WantFiles, e.GotOctets, e.GotFiles)
}

// OrderError reports, in a tar read once from a stream, a tag file that the hashing pass
// needed before the payload it describes.
type OrderError struct {
	Path string
}

func (e *OrderError) Error() string {
	return fmt.Sprintf("%s comes after payload files in a streamed tar; open the tar as a file, or write bagit.txt and the manifests first", e.Path)
}

// PolicyError reports a bag that RFC 8493 allows but evx's intake refuses.
type PolicyError struct {
	Path   string // the tag file or field concerned
	Reason string
}

func (e *PolicyError) Error() string {
	return fmt.Sprintf("%s: %s", e.Path, e.Reason)
}

// Problem is an error of this package taken apart: bagit's verdict on a bag, as opposed to
// a failure to read it (an I/O error, a cancelled context).
type Problem struct {
	// Kind names the error: "limit", "unsafe-path", "archive", "format", "missing",
	// "unlisted", "checksum", "payload-oxum", "order" or "policy".
	Kind string
	// Path is the member, tag file or manifest path concerned; "" for the whole archive.
	Path string
	// Limit is the [Limits] field a LimitError exceeds.
	Limit string
	// Want and Got are a ChecksumError's listed and computed checksums.
	Want, Got string
}

// problem is implemented by every typed error of this package.
type problem interface {
	error
	problem() Problem
}

// ProblemOf describes the bagit error err is or wraps; ok is false when err is nil or no
// error of this package, i.e. a failure to read the bag rather than a verdict on it.
func ProblemOf(err error) (p Problem, ok bool) {
	var e problem
	if !errors.As(err, &e) {
		return Problem{}, false
	}
	return e.problem(), true
}

func (e *LimitError) problem() Problem      { return Problem{Kind: "limit", Path: e.Path, Limit: e.Limit} }
func (e *UnsafePathError) problem() Problem { return Problem{Kind: "unsafe-path", Path: e.Path} }
func (e *ArchiveError) problem() Problem    { return Problem{Kind: "archive", Path: e.Path} }
func (e *FormatError) problem() Problem     { return Problem{Kind: "format", Path: e.Path} }
func (e *MissingError) problem() Problem    { return Problem{Kind: "missing", Path: e.Path} }
func (e *UnlistedError) problem() Problem   { return Problem{Kind: "unlisted", Path: e.Path} }
func (e *ChecksumError) problem() Problem {
	return Problem{Kind: "checksum", Path: e.Path, Want: e.Want, Got: e.Got}
}
func (e *OxumError) problem() Problem   { return Problem{Kind: "payload-oxum", Path: "bag-info.txt"} }
func (e *OrderError) problem() Problem  { return Problem{Kind: "order", Path: e.Path} }
func (e *PolicyError) problem() Problem { return Problem{Kind: "policy", Path: e.Path} }

// Warning is a finding that does not make a bag invalid.
type Warning struct {
	Path    string `json:"path"`
	Message string `json:"message"`
}

func (w Warning) String() string {
	if w.Path == "" {
		return w.Message
	}
	return w.Path + ": " + w.Message
}
