// Package report turns a bundle's exported custody trail and the result of verifying it into
// what legal staff take to court: a PDF a court clerk can read, the JSON trail beside it
// exactly as exported, and the trail as CASE/UCO JSON-LD for forensic tools.
//
// The JSON trail is the evidence of record; the PDF is a rendering of it and says so on every
// page. The verdict comes from [custody.Verify] alone ([Check]); a failed verification still
// produces a report, marked FAILED, with the first failure in plain words and the expected
// and computed values side by side ([Describe]).
//
// Output is deterministic: for the same trail, verdict and [Options.Generated] time, [PDF]
// and [JSONLD] write the same bytes, so golden files can pin them. The PDF embeds DejaVu
// Sans and DejaVu Sans Mono (Bitstream Vera licence), so names in Polish, Greek, Cyrillic and
// other scripts those fonts cover print as written. The host supplies them ([LoadFonts]):
// package report/fonts holds them embedded, for hosts that do not ship the files beside
// themselves.
package report
