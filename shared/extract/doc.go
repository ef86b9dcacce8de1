// Package extract reads the text and metadata of the documents that arrive in evidence
// bundles, so that legal staff can search a bundle and check what a delivered document says.
//
// [Extract] detects the media type from the content (magic bytes, the layout of OOXML and
// ODF zip archives, MIME headers), never from the file name alone, and records the type the
// name implies when the two disagree. It then hands the file to the reader of that format:
// package pdf (PDF, encrypted ones too), office (DOCX, XLSX, PPTX, ODT, ODS, ODP, EPUB, RTF,
// Word and Excel 97-2003), mail (e-mail, mbox, Outlook .msg), archive (zip, tar, gzip
// members), html (visible text only) and plain (text and CSV in any encoding it detects);
// images yield their dimensions and, for JPEG and TIFF, their EXIF time, device and
// position; a type evx reads no text of is reported as [Unsupported]. [OCR] reads images
// and scanned pages with Tesseract when asked, [RecordWith] does so in the pipeline. The format
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
