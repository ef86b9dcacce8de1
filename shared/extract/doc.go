// Package extract reads the text and metadata of the documents that arrive in evidence
// bundles, so that legal staff can search a bundle and check what a delivered document says.
//
// [Extract] detects the media type from the content (magic bytes, the layout of OOXML and
// ODF zip archives, MIME headers), never from the file name alone, and records the type the
// name implies when the two disagree. It then hands the file to the reader of that format:
// package pdf (PDF), office (DOCX, XLSX, PPTX, ODT), mail (e-mail messages, .eml), html
// (visible text only) and plain (plain text in UTF-8, UTF-16 with a byte order mark or
// Latin-1, and CSV); images yield their dimensions, other files metadata only. The format
// packages share only what package extract re-exports here ([Limits], [Result] and the
// error types, defined once in internal/extractor), so none sees another's internals.
//
// Extraction runs on hostile input. Every call is bounded by [Limits] (a deadline, a page
// cap, a cap on text bytes, caps on decoded streams, objects and archive members); reaching
// one returns what was read so far with [Result.Partial] set and [Result.Stop] naming the
// limit as a *[LimitError]. A file that cannot be read at all gives an *[UnreadableError].
// Extract never panics: a panic inside a parser is recovered and reported as a
// *[PanicError], wrapped like any other failure.
package extract

//go:generate go run gen_images.go
