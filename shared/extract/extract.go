package extract

import (
	"bytes"
	"context"
	"io"
	"path/filepath"
	"runtime/debug"
	"strings"

	"github.com/evx-project/evx/shared/extract/archive"
	"github.com/evx-project/evx/shared/extract/html"
	"github.com/evx-project/evx/shared/extract/internal/extractor"
	"github.com/evx-project/evx/shared/extract/mail"
	"github.com/evx-project/evx/shared/extract/office"
	"github.com/evx-project/evx/shared/extract/pdf"
	"github.com/evx-project/evx/shared/extract/plain"
)

// Media types that Extract reports.
const (
	TypePDF     = extractor.TypePDF
	TypeText    = extractor.TypeText
	TypeCSV     = extractor.TypeCSV
	TypeHTML    = extractor.TypeHTML
	TypeDOCX    = extractor.TypeDOCX
	TypeXLSX    = extractor.TypeXLSX
	TypePPTX    = extractor.TypePPTX
	TypeODT     = extractor.TypeODT
	TypeEML     = extractor.TypeEML
	TypePNG     = extractor.TypePNG
	TypeJPEG    = extractor.TypeJPEG
	TypeGIF     = extractor.TypeGIF
	TypeZip     = extractor.TypeZip
	TypeUnknown = extractor.TypeUnknown
)

// Limits bound the work and memory of one Extract call. A zero field means "no limit"
// except where noted; use [DefaultLimits] as a starting point.
type Limits = extractor.Limits

// DefaultLimits fit one call in a 128 MiB Lambda: 60 s, 5,000 pages, 16 MiB of text,
// 16 MiB per stream, 100,000 objects, 256 MiB decompressed per archive, ratio 200, files
// up to 32 MiB read into memory.
func DefaultLimits() Limits { return extractor.DefaultLimits() }

// Limit names the limit that stopped an extraction.
type Limit = extractor.Limit

// The limits Extract enforces.
const (
	LimitDeadline = extractor.LimitDeadline
	LimitPages    = extractor.LimitPages
	LimitText     = extractor.LimitText
	LimitStream   = extractor.LimitStream
	LimitObjects  = extractor.LimitObjects
	LimitArchive  = extractor.LimitArchive
	LimitRatio    = extractor.LimitRatio
)

// LimitError says which limit stopped an extraction and its value.
type LimitError = extractor.LimitError

// PageError is a page (or sheet, slide, part) that could not be read.
type PageError = extractor.PageError

// UnreadableError reports a file that could not be read at all.
type UnreadableError = extractor.UnreadableError

// PanicError is a panic raised while parsing, recovered so that the caller survives.
type PanicError = extractor.PanicError

// ErrEncrypted is wrapped by the error for documents that need a password.
var ErrEncrypted = extractor.ErrEncrypted

// Meta is the metadata a format carries. Empty fields were absent.
type Meta = extractor.Meta

// GPS is the position where a photo was taken, from its EXIF.
type GPS = extractor.GPS

// Attachment is a file carried inside a document (e-mail attachments).
type Attachment = extractor.Attachment

// Result is what Extract read from one file.
type Result = extractor.Result

// Unsupported says that evx cannot read the text of a detected type ([Result.Unsupported]).
type Unsupported = extractor.Unsupported

// readers maps a detected media type to the package that reads it. Types without an
// entry yield metadata only.
var readers = map[string]extractor.Reader{
	TypePDF:  pdf.Read,
	TypeText: plain.Read,
	TypeCSV:  plain.Read,
	TypeHTML: html.Read,
	TypeDOCX: office.Read,
	TypeXLSX: office.Read,
	TypePPTX: office.Read,
	TypeODT:  office.Read,

	extractor.TypeODS:  office.Read,
	extractor.TypeODP:  office.Read,
	extractor.TypeEPUB: office.Read,
	TypeEML:            mail.Read,

	extractor.TypeMbox: mail.ReadMbox,
	extractor.TypeRTF:  office.ReadRTF,
	extractor.TypeMSG:  mail.ReadMSG,
	extractor.TypeDOC:  office.ReadDOC,
	extractor.TypeXLS:  office.ReadXLS,
	TypeZip:            archive.ReadZip,
	extractor.TypeTar:  archive.ReadTar,
	extractor.TypeGzip: archive.ReadGzip,
	TypePNG:            readImage,
	TypeJPEG:           readImage,
	TypeGIF:            readImage,

	extractor.TypeTIFF: readImage,
	extractor.TypeWebP: readImage,
	extractor.TypeBMP:  readImage,
}

// Extract reads the text and metadata of the size bytes in r. name is used only to report
// the type it implies; detection uses the content. The error is non-nil only when nothing
// could be read (an *UnreadableError, possibly wrapping ErrEncrypted or a *PanicError) or
// when ctx was already done.
func Extract(ctx context.Context, r io.ReaderAt, size int64, name string, lim Limits) (*Result, error) {
	return extractAt(ctx, r, size, name, lim, 0)
}

// maxNesting bounds documents inside documents: a message's attachment (1), a forwarded
// message's attachment read as its own document (2), and so on.
const maxNesting = 3

// extractAt is Extract of a document found at the given depth inside others.
func extractAt(ctx context.Context, r io.ReaderAt, size int64, name string, lim Limits, depth int) (res *Result, err error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	defer func() { // detection reads zip directories; the format readers recover their own
		if v := recover(); v != nil {
			res, err = nil, &UnreadableError{MediaType: TypeUnknown, Err: &PanicError{Value: v, Stack: string(debug.Stack())}}
		}
	}()
	head := make([]byte, 4096)
	n, rerr := r.ReadAt(head, 0)
	if rerr != nil && rerr != io.EOF && n == 0 && size > 0 {
		return nil, &UnreadableError{MediaType: TypeUnknown, Err: rerr}
	}
	mediaType := detect(head[:n], r, size)
	var nested extractor.Nested
	if depth < maxNesting {
		nested = func(ctx context.Context, data []byte, name string) (*Result, error) {
			return extractAt(ctx, bytes.NewReader(data), int64(len(data)), name, lim, depth+1)
		}
	}
	res, err = extractor.RunNested(ctx, r, size, mediaType, lim, readers[mediaType], nested)
	if err != nil {
		return nil, err
	}
	if nt := typeFromName(name); nt != "" && nt != res.MediaType {
		res.NameType = nt
	}
	if readers[mediaType] == nil && res.Unsupported == nil {
		res.Unsupported = &Unsupported{MediaType: mediaType, Reason: unsupportedReason(mediaType)}
	}
	return res, nil
}

// unsupportedReason says in a few words why evx reads no text of a type.
func unsupportedReason(mediaType string) string {
	switch mediaType {
	case TypeZip, extractor.TypeGzip, extractor.TypeTar, extractor.Type7z, extractor.TypeRar,
		extractor.TypeBzip2, extractor.TypeXz:
		return "an archive: its members are not opened"
	case extractor.TypeTIFF, extractor.TypeWebP, extractor.TypeBMP, TypePNG, TypeJPEG, TypeGIF:
		return "an image: its text would need OCR"
	case extractor.TypeMP4:
		return "audio or video"
	case TypeUnknown:
		return "binary content of no known type"
	}
	return "no text reader for " + mediaType
}

func typeFromName(name string) string {
	switch strings.ToLower(filepath.Ext(name)) {
	case ".pdf":
		return TypePDF
	case ".txt", ".text", ".log", ".md":
		return TypeText
	case ".csv":
		return TypeCSV
	case ".htm", ".html", ".xhtml":
		return TypeHTML
	case ".docx":
		return TypeDOCX
	case ".xlsx":
		return TypeXLSX
	case ".pptx":
		return TypePPTX
	case ".odt":
		return TypeODT
	case ".eml":
		return TypeEML
	case ".png":
		return TypePNG
	case ".jpg", ".jpeg":
		return TypeJPEG
	case ".gif":
		return TypeGIF
	case ".zip":
		return TypeZip
	case ".doc":
		return extractor.TypeDOC
	case ".xls":
		return extractor.TypeXLS
	case ".ppt":
		return extractor.TypePPT
	case ".msg":
		return extractor.TypeMSG
	case ".rtf":
		return extractor.TypeRTF
	case ".epub":
		return extractor.TypeEPUB
	case ".ods":
		return extractor.TypeODS
	case ".odp":
		return extractor.TypeODP
	case ".mbox":
		return extractor.TypeMbox
	case ".tif", ".tiff":
		return extractor.TypeTIFF
	case ".webp":
		return extractor.TypeWebP
	case ".bmp":
		return extractor.TypeBMP
	case ".gz", ".tgz":
		return extractor.TypeGzip
	case ".tar":
		return extractor.TypeTar
	case ".7z":
		return extractor.Type7z
	}
	return ""
}
