// Package extractor holds what the format readers of evx's text extraction share with the
// dispatcher above them: the [Limits] of one call, the typed errors, the [Result] and its
// pieces, and the [Job] through which a format reader writes text under those limits.
//
// It sits below package extract and below every format package (pdf, office, mail, html,
// text), so that those packages never import each other or the dispatcher. Package extract
// re-exports these types as aliases; callers outside shared/extract never import this one.
package extractor
