// Package extract reads the text and metadata of the documents that arrive in evidence
// bundles, so that legal staff can search a bundle and check what a delivered document says.
//
// [Extract] detects the media type from the content (magic bytes, the layout of OOXML and
// ODF zip archives, MIME headers), never from the file name alone, and records the type the
// name implies when the two disagree. It reads PDF, plain text (UTF-8, UTF-16 with a byte
// order mark, Latin-1), CSV, HTML (visible text only), DOCX, XLSX, PPTX, ODT and e-mail
// messages (.eml); images and other files yield metadata only.
//
// Extraction runs on hostile input. Every call is bounded by [Limits] (a deadline, a page
// cap, a cap on text bytes, caps on decoded streams, objects and archive members); reaching
// one returns what was read so far with [Result.Partial] set and [Result.Stop] naming the
// limit as a *[LimitError]. A file that cannot be read at all gives an *[UnreadableError].
// Extract never panics: a panic inside a parser is recovered and reported as a
// *[PanicError], wrapped like any other failure.
//
// PDF text is rebuilt from glyph positions by an own text-state interpreter on top of
// github.com/ledongthuc/pdf's object access: fonts are decoded once per document
// (ToUnicode maps, simple encodings with Differences, CID fonts with /W widths, metrics of
// the standard 14 fonts when /Widths is missing), a space is inserted where the gap between
// glyphs exceeds 0.15 x the font size, lines are grouped by baseline, ligatures U+FB00-FB06
// are expanded and end-of-line hyphens joined. Files with damaged cross-reference tables
// are read again after the objects have been located by a scan, and PDF 2.0 headers are
// accepted.
package extract

//go:generate go run gen_tables.go
