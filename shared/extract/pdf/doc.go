// Package pdf reads the text and metadata of PDF documents for package extract.
//
// Text is rebuilt from glyph positions by an own text-state interpreter on top of
// github.com/ledongthuc/pdf's object access: fonts are decoded once per document
// (ToUnicode maps, simple encodings with Differences, CID fonts with /W widths, metrics of
// the standard 14 fonts when /Widths is missing), a space is inserted where the gap between
// glyphs exceeds 0.15 x the font size, lines are grouped by baseline, ligatures U+FB00-FB06
// are expanded and end-of-line hyphens joined. Files with damaged cross-reference tables
// are read again after the objects have been located by a scan, and PDF 2.0 headers are
// accepted; cross-reference data that would make the library allocate huge tables is
// refused before the library sees it.
//
// Encrypted files of the standard security handler (RC4 40-128, AES-128, AES-256 of
// revisions 5 and 6) are decrypted here with the empty password, into an unencrypted copy
// the library then reads (decrypt.go): the library reads only some of these, and RC4-40
// wrongly. A file the empty password does not open is reported as needing a password
// (Result.PasswordRequired), not as damaged. The copy is made in memory, so files larger
// than Limits.MaxInMemory are left to the library.
//
// [Read] runs under the limits of its extractor.Job: pages, objects (fonts, forms,
// operators), stream bytes, text bytes and the deadline. A page that fails is a page
// error and reading goes on.
//
// The glyph-name and standard-font tables are generated (gen_tables.go), and so are the
// test PDFs in testdata (gen_testdata.go).
package pdf

//go:generate go run gen_tables.go
//go:generate go run gen_testdata.go
