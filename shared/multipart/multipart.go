// Package multipart is the shape of evx's resumable upload, modelled on S3 multipart: an
// uploader creates an upload declaring the bag's size and SHA-256 and a part size, asks where
// to send a window of parts (Targets), PUTs the numbered parts in any order, each with its
// SHA-256 (checked on arrival), asks which parts the server holds, and completes, when the
// bag is ingested as a bag posted in one request. It is one wire protocol on both backends:
// evx serve (sqlitestate.Parts keeps the parts in the data folder; its targets are its own
// part endpoint, and it checks the whole bag's hash on completion) and the api function on
// AWS (S3 multipart keeps the parts; its targets are presigned UploadPart URLs). See
// docs/uploads.md; multiparttest is the conformance suite both pass.
//
// Layout promise: parts are numbered from 1; every part but the last is exactly PartSize
// bytes, the last holds the rest (1 to PartSize bytes); Parts = ceil(Size / PartSize).
package multipart

import (
	"encoding/hex"
	"errors"
	"fmt"
	"time"
)

// HeaderPartSHA256 carries the SHA-256 (lowercase hex) of the part a PUT sends.
const HeaderPartSHA256 = "X-Evx-Part-Sha256"

// CreateRequest is the body of POST /v1/uploads.
type CreateRequest struct {
	Size     int64  `json:"size"`
	SHA256   string `json:"sha256"`
	PartSize int64  `json:"part_size"`
}

// Upload is one resumable upload as the server keeps it.
type Upload struct {
	ID       string    `json:"id"`
	Uploader string    `json:"-"`
	Size     int64     `json:"size"`
	SHA256   string    `json:"sha256"`
	PartSize int64     `json:"part_size"`
	Parts    int       `json:"parts"`
	Created  time.Time `json:"created"`
	Expires  time.Time `json:"expires"`
	// Held lists the parts the server holds, by number.
	Held []Part `json:"held"`
	// Resumed: the upload was open already for the same bag (size, SHA-256 and part size)
	// when it was asked for again, and goes on where it stopped.
	Resumed bool `json:"resumed,omitempty"`
}

// Part is one part held.
type Part struct {
	N      int    `json:"n"`
	Size   int64  `json:"size"`
	SHA256 string `json:"sha256"`
}

// Limits bound resumable uploads. Zero fields take the defaults.
type Limits struct {
	MinPartSize int64         // every part but the last; default 1 MiB
	MaxPartSize int64         // default 256 MiB
	MaxParts    int           // default 10,000 (as S3)
	MaxSize     int64         // the whole bag; default 8 GiB
	MaxOpen     int           // open uploads per uploader; default 8
	TTL         time.Duration // an upload untouched this long is swept; default 24 h
}

// Defaults returns l with its zero fields set.
func (l Limits) Defaults() Limits {
	if l.MinPartSize <= 0 {
		l.MinPartSize = 1 << 20
	}
	if l.MaxPartSize <= 0 {
		l.MaxPartSize = 256 << 20
	}
	if l.MaxParts <= 0 {
		l.MaxParts = 10000
	}
	if l.MaxSize <= 0 {
		l.MaxSize = 8 << 30
	}
	if l.MaxOpen <= 0 {
		l.MaxOpen = 8
	}
	if l.TTL <= 0 {
		l.TTL = 24 * time.Hour
	}
	return l
}

// ErrNotFound: no such upload for this uploader (another uploader's upload is not found
// either).
var ErrNotFound = errors.New("no such upload")

// LimitError: a request outside Limits; Field names the bound.
type LimitError struct {
	Field string
	Got   int64
	Limit int64
}

func (e *LimitError) Error() string {
	return fmt.Sprintf("%s %d is outside the bound %d of this server", e.Field, e.Got, e.Limit)
}

// PartSizeError: a part whose length is not the one the layout fixes for its number.
type PartSizeError struct {
	N         int
	Want, Got int64
}

func (e *PartSizeError) Error() string {
	return fmt.Sprintf("part %d: %d bytes, want %d", e.N, e.Got, e.Want)
}

// ChecksumError: bytes whose SHA-256 is not the one declared, of a part (N > 0) or of the
// whole bag (N == 0). Nothing is kept of a part refused so.
type ChecksumError struct {
	N         int
	Want, Got string
}

func (e *ChecksumError) Error() string {
	if e.N == 0 {
		return fmt.Sprintf("the parts put together hash to sha256 %s, not the declared %s", e.Got, e.Want)
	}
	return fmt.Sprintf("part %d hashes to sha256 %s, not the declared %s", e.N, e.Got, e.Want)
}

// IncompleteError: complete was asked before every part arrived.
type IncompleteError struct{ Missing []int }

func (e *IncompleteError) Error() string {
	return fmt.Sprintf("%d parts missing (first %d): put them, then complete", len(e.Missing), e.Missing[0])
}

// InvalidError: a malformed create request or part number.
type InvalidError struct{ Reason string }

func (e *InvalidError) Error() string { return e.Reason }

// Plan checks a create request against l (defaulted) and returns the number of parts.
func Plan(size int64, sha string, partSize int64, l Limits) (int, error) {
	l = l.Defaults()
	if !ValidSum(sha) {
		return 0, &InvalidError{Reason: "sha256: want 64 lowercase hex digits, the SHA-256 of the whole bag"}
	}
	if size <= 0 {
		return 0, &InvalidError{Reason: "size: want the bag's length in bytes, more than 0"}
	}
	if size > l.MaxSize {
		return 0, &LimitError{Field: "size", Got: size, Limit: l.MaxSize}
	}
	if partSize <= 0 {
		return 0, &InvalidError{Reason: "part_size: want more than 0"}
	}
	if partSize > l.MaxPartSize {
		return 0, &LimitError{Field: "part_size", Got: partSize, Limit: l.MaxPartSize}
	}
	if partSize < l.MinPartSize && partSize < size {
		return 0, &LimitError{Field: "part_size", Got: partSize, Limit: l.MinPartSize}
	}
	n := (size + partSize - 1) / partSize
	if n > int64(l.MaxParts) {
		return 0, &LimitError{Field: "parts", Got: n, Limit: int64(l.MaxParts)}
	}
	return int(n), nil
}

// PartLen is the length part n must have (1 <= n <= u.Parts).
func (u *Upload) PartLen(n int) int64 {
	if n < u.Parts {
		return u.PartSize
	}
	return u.Size - int64(u.Parts-1)*u.PartSize
}

// Missing lists the numbers of the parts not held, in order.
func (u *Upload) Missing() []int {
	held := make(map[int]bool, len(u.Held))
	for _, p := range u.Held {
		held[p.N] = true
	}
	var m []int
	for n := 1; n <= u.Parts; n++ {
		if !held[n] {
			m = append(m, n)
		}
	}
	return m
}

// ValidSum reports whether s is a SHA-256 in lowercase hex.
func ValidSum(s string) bool {
	if len(s) != 64 {
		return false
	}
	_, err := hex.DecodeString(s)
	return err == nil && s == lower(s)
}

func lower(s string) string {
	b := []byte(s)
	for i, c := range b {
		if 'A' <= c && c <= 'Z' {
			b[i] = c + 32
		}
	}
	return string(b)
}
