package extractor

import (
	"errors"
	"fmt"
	"time"
)

// Media types that extraction reports.
const (
	TypePDF      = "application/pdf"
	TypeText     = "text/plain"
	TypeCSV      = "text/csv"
	TypeHTML     = "text/html"
	TypeDOCX     = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
	TypeXLSX     = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
	TypePPTX     = "application/vnd.openxmlformats-officedocument.presentationml.presentation"
	TypeODT      = "application/vnd.oasis.opendocument.text"
	TypeEML      = "message/rfc822"
	TypePNG      = "image/png"
	TypeJPEG     = "image/jpeg"
	TypeGIF      = "image/gif"
	TypeZip      = "application/zip"
	TypeUnknown  = "application/octet-stream"
	TypeTIFF     = "image/tiff"
	TypeWebP     = "image/webp"
	TypeBMP      = "image/bmp"
	TypeGzip     = "application/gzip"
	TypeOpenDocX = "application/vnd.oasis.opendocument"
	TypeODS      = "application/vnd.oasis.opendocument.spreadsheet"
	TypeODP      = "application/vnd.oasis.opendocument.presentation"
	TypeEPUB     = "application/epub+zip"
	TypeRTF      = "application/rtf"
	TypeOLE      = "application/x-ole-storage" // an OLE2 compound file of no known kind
	TypeDOC      = "application/msword"
	TypeXLS      = "application/vnd.ms-excel"
	TypePPT      = "application/vnd.ms-powerpoint"
	TypeMSG      = "application/vnd.ms-outlook"
	TypeMbox     = "application/mbox"
	TypeTar      = "application/x-tar"
	Type7z       = "application/x-7z-compressed"
	TypeRar      = "application/vnd.rar"
	TypeBzip2    = "application/x-bzip2"
	TypeXz       = "application/x-xz"
	TypeMP4      = "video/mp4"
)

// Limits bound the work and memory of one extraction. A zero field means "no limit"
// except where noted; use [DefaultLimits] as a starting point.
type Limits struct {
	// Timeout bounds the call when ctx has no earlier deadline.
	Timeout time.Duration
	// MaxPages caps the pages (PDF) or slides (PPTX) or sheets (XLSX) read.
	MaxPages int
	// MaxTextBytes caps the UTF-8 bytes of Result.Text.
	MaxTextBytes int
	// MaxStreamBytes caps the decoded size of one stream: a PDF content stream, font map
	// or object stream, an archive member, an e-mail part.
	MaxStreamBytes int64
	// MaxObjects caps memory-heavy objects: PDF fonts, form XObjects and operators per
	// document, archive members, e-mail parts.
	MaxObjects int
	// MaxArchiveBytes caps the total decompressed bytes read from a zip-based document.
	MaxArchiveBytes int64
	// MaxRatio caps the compression ratio of an archive member (zip bombs).
	MaxRatio int64
	// MaxInMemory is the largest file read into memory at once; larger files are read in
	// place through the io.ReaderAt.
	MaxInMemory int64
}

// DefaultLimits fit one call in a 128 MiB Lambda: 60 s, 5,000 pages, 16 MiB of text,
// 16 MiB per stream, 100,000 objects, 256 MiB decompressed per archive, ratio 200, files
// up to 32 MiB read into memory.
func DefaultLimits() Limits {
	return Limits{
		Timeout:         60 * time.Second,
		MaxPages:        5000,
		MaxTextBytes:    16 << 20,
		MaxStreamBytes:  16 << 20,
		MaxObjects:      100000,
		MaxArchiveBytes: 256 << 20,
		MaxRatio:        200,
		MaxInMemory:     32 << 20,
	}
}

// Limit names the limit that stopped an extraction.
type Limit string

// The limits extraction enforces.
const (
	LimitDeadline Limit = "deadline"
	LimitPages    Limit = "pages"
	LimitText     Limit = "text-bytes"
	LimitStream   Limit = "stream-bytes"
	LimitObjects  Limit = "objects"
	LimitArchive  Limit = "archive-bytes"
	LimitRatio    Limit = "compression-ratio"
)

// LimitError says which limit stopped an extraction and its value.
type LimitError struct {
	Limit Limit
	Max   int64 // the configured maximum (nanoseconds for the deadline)
}

func (e *LimitError) Error() string {
	if e.Limit == LimitDeadline {
		return "limit reached: deadline"
	}
	return fmt.Sprintf("limit reached: %s (max %d)", e.Limit, e.Max)
}

// IsLimit reports whether err is or wraps a *LimitError.
func IsLimit(err error) bool {
	var le *LimitError
	return errors.As(err, &le)
}

// PageError is a page (or sheet, slide, part) that could not be read.
type PageError struct {
	Page int
	Err  error
}

func (e *PageError) Error() string { return fmt.Sprintf("page %d: %v", e.Page, e.Err) }
func (e *PageError) Unwrap() error { return e.Err }

// UnreadableError reports a file that could not be read at all.
type UnreadableError struct {
	MediaType string
	Err       error
}

func (e *UnreadableError) Error() string {
	return fmt.Sprintf("cannot read %s: %v", e.MediaType, e.Err)
}
func (e *UnreadableError) Unwrap() error { return e.Err }

// PanicError is a panic raised while parsing, recovered so that the caller survives.
type PanicError struct {
	Value any
	Stack string
}

func (e *PanicError) Error() string {
	return fmt.Sprintf("malformed input (recovered panic: %v)", e.Value)
}

// ErrEncrypted is wrapped by the error for documents that need a password.
var ErrEncrypted = errors.New("encrypted document")

// Meta is the metadata a format carries. Empty fields were absent.
type Meta struct {
	Pages    int       `json:"pages,omitempty"`
	Title    string    `json:"title,omitempty"`
	Author   string    `json:"author,omitempty"`
	Subject  string    `json:"subject,omitempty"`
	Creator  string    `json:"creator,omitempty"`
	Producer string    `json:"producer,omitempty"`
	Created  time.Time `json:"created,omitzero"`
	Modified time.Time `json:"modified,omitzero"`
	Width    int       `json:"width,omitempty"`  // images, pixels
	Height   int       `json:"height,omitempty"` // images, pixels
	// Taken is when a photo was taken (EXIF DateTimeOriginal, else DateTime), RFC 3339
	// with the offset when the image records one (OffsetTimeOriginal), else without a zone:
	// "2024-05-01T14:03:22" is the camera's local time.
	Taken string `json:"taken,omitempty"`
	// Device is the camera or phone (EXIF Make and Model).
	Device string `json:"device,omitempty"`
	// GPS is where a photo was taken (EXIF GPS latitude, longitude, altitude).
	GPS     *GPS   `json:"gps,omitempty"`
	Version string `json:"version,omitempty"`
	// Encryption names how the document is encrypted ("AES-256 (R6)"), when it is.
	Encryption string `json:"encryption,omitempty"`
	Encoding   string `json:"encoding,omitempty"` // text: the character encoding read
	// EncodingConfidence (0-1) says how sure the detector was of Encoding when no byte order
	// mark, label or valid UTF-8 named it; below 0.5 the encoding is a guess and
	// EncodingOthers lists the encodings that would read the bytes as a different text.
	EncodingConfidence float64  `json:"encoding_confidence,omitempty"`
	EncodingOthers     []string `json:"encoding_alternatives,omitempty"`
	// EncodingHint are the languages (ISO 639-2/T, from the bundle's states) the detector
	// weighed, when it had to weigh and was given some.
	EncodingHint []string `json:"encoding_hint,omitempty"`
	// E-mail headers.
	From    string   `json:"from,omitempty"`
	To      []string `json:"to,omitempty"`
	Cc      []string `json:"cc,omitempty"`
	Date    string   `json:"date,omitempty"`
	Message string   `json:"message_id,omitempty"`
}

// GPS is a position in decimal degrees (WGS 84, as EXIF records it): north and east are
// positive. Altitude is in metres above sea level, when recorded.
type GPS struct {
	Latitude  float64  `json:"latitude"`
	Longitude float64  `json:"longitude"`
	Altitude  *float64 `json:"altitude,omitempty"`
}

// Attachment is a file carried inside a document (e-mail attachments, also those of
// forwarded messages).
type Attachment struct {
	Name      string `json:"name"`
	MediaType string `json:"media_type"` // as the carrying document declares it
	Size      int64  `json:"size"`
	SHA256    string `json:"sha256"`
	// Detected is the type detected from the attachment's content, when it was read.
	Detected string `json:"detected_type,omitempty"`
	// TextBytes counts the bytes of its text appended to the carrying document's Text
	// (after a line "--- attachment NAME ---"); Note says why there is none or not all.
	TextBytes int    `json:"text_bytes,omitempty"`
	Note      string `json:"note,omitempty"`
}

// Result is what extraction read from one file.
type Result struct {
	// MediaType is detected from the content.
	MediaType string `json:"media_type"`
	// NameType is the type the file name implies, set only when it differs from MediaType.
	NameType string `json:"name_type,omitempty"`
	Size     int64  `json:"size"`
	Meta     Meta   `json:"meta"`
	Text     string `json:"text"`
	// Partial is true when a limit or a failure stopped the extraction early; Stop says
	// which: a *LimitError, a *PageError (PDF pages, slides, sheets), a *PanicError, or
	// an error naming the damaged part of an archive or message.
	Partial       bool         `json:"partial"`
	Stop          error        `json:"-"`
	StopReason    string       `json:"stop,omitempty"`
	PageErrors    []PageError  `json:"-"`
	PageErrorText []string     `json:"page_errors,omitempty"` // PageErrors as text, for JSON
	Attach        []Attachment `json:"attachments,omitempty"`
	// ImagePages lists the PDF pages that draw images but have no text layer (scans);
	// NeedsOCR says that some text of the document is only in images (such pages, or an
	// image file) and would need OCR. OCR says which engine read that text, when one did.
	ImagePages []int  `json:"image_only_pages,omitempty"`
	NeedsOCR   bool   `json:"needs_ocr,omitempty"`
	OCR        string `json:"ocr,omitempty"`
	// OCRLanguages are the engine's languages that read it (empty: the engine's default);
	// OCRError says why OCR was asked for but did not run or failed (the engine is not
	// installed, an image too large, a time-out).
	OCRLanguages []string `json:"ocr_languages,omitempty"`
	OCRError     string   `json:"ocr_error,omitempty"`
	// Unsupported is set when evx cannot read the text of this type: Text is then empty (or
	// holds only what evx could read) because of evx, not because the document has none.
	Unsupported *Unsupported `json:"unsupported,omitempty"`
	// PasswordRequired says that the document is encrypted and the empty password does not
	// open it: no text was read, and the file is not damaged. Unsupported is set too.
	PasswordRequired bool `json:"password_required,omitempty"`
}

// Unsupported says that evx has no reader for the text of a detected type.
type Unsupported struct {
	MediaType string `json:"media_type"` // the type detected from the content
	Reason    string `json:"reason"`
}

// Error makes an Unsupported outcome usable where an error is expected.
func (u *Unsupported) Error() string {
	return fmt.Sprintf("no text: %s", u.Reason)
}

// Halt records the first reason an extraction ended early and marks the result partial.
func (r *Result) Halt(err error) {
	if r.Stop == nil {
		r.Stop = err
		r.StopReason = err.Error()
	}
	r.Partial = true
}

// AddPageError records a page that could not be read; reading goes on.
func (r *Result) AddPageError(page int, err error) {
	r.PageErrors = append(r.PageErrors, PageError{Page: page, Err: err})
	r.PageErrorText = append(r.PageErrorText, (&PageError{Page: page, Err: err}).Error())
}
