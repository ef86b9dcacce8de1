package extract

import (
	"context"
	"encoding/json"
	"errors"
	"io"

	"github.com/evx-project/evx/shared/extract/internal/extractor"
)

// Record returns the extractor evx's pipeline runs on each document of an accepted bundle
// (a pipeline.Extractor, given to pipeline.BagIntake): it extracts under lim and returns the media type and the result
// as the JSON the pipeline stores content-addressed (a [Document]: the result and the
// identifiers found in it). A document it cannot read is not an
// error: the JSON then holds its media type (TypeUnknown unless detection named one), its size
// and the reason. A document of a type evx reads no text of keeps its "unsupported" outcome
// in the JSON, so a counterpart sees which documents have no text and why. The error is
// ctx's when ctx ended, or the JSON encoder's.
//
// It is a function rather than a method of the pipeline so that hosts which never ingest
// (evx's api and audit functions) do not link text extraction at all.
func Record(lim Limits) func(ctx context.Context, r io.ReaderAt, size int64, name string) (mediaType string, result []byte, err error) {
	return RecordWith(lim, RecordOptions{})
}

// RecordOptions are what a host adds to the extraction of each document.
type RecordOptions struct {
	// OCR, when not nil, reads images and scanned PDF pages with the engine (see
	// [OCR.Apply]); the stored JSON then says which engine and languages read them, or in
	// ocr_error why OCR did not run (the engine is not installed, say), with needs_ocr kept.
	OCR *OCR
	// States, when not nil, gives the requesting and requested states of the document's
	// bundle (pipeline.BundleStates): their languages are the hint of the encoding detector
	// ([WithStates]) and, when OCR.Languages is empty, the languages OCR reads in, with
	// English, as far as the engine has them ([LanguagesFor]).
	States func(ctx context.Context) (requesting, requested string)
}

// RecordWith is [Record] with OCR and language hints.
func RecordWith(lim Limits, opt RecordOptions) func(ctx context.Context, r io.ReaderAt, size int64, name string) (mediaType string, result []byte, err error) {
	return func(ctx context.Context, r io.ReaderAt, size int64, name string) (string, []byte, error) {
		var states []string
		if opt.States != nil {
			a, b := opt.States(ctx)
			ctx = WithStates(ctx, a, b)
			states = []string{a, b}
		}
		res, xerr := Extract(ctx, r, size, name, lim)
		if xerr == nil && opt.OCR != nil && res.NeedsOCR {
			if err := opt.applyOCR(ctx, r, size, res, lim); err != nil {
				if ctx.Err() != nil {
					return "", nil, ctx.Err()
				}
				res.OCRError = err.Error()
			}
		}
		switch {
		case xerr == nil:
			body, err := json.Marshal(Document{Result: res, Findings: Findings(res, states...)})
			return res.MediaType, body, err
		case ctx.Err() != nil:
			return "", nil, ctx.Err()
		}
		mediaType := TypeUnknown
		var ue *UnreadableError
		if errors.As(xerr, &ue) && ue.MediaType != "" {
			mediaType = ue.MediaType
		}
		body, err := json.Marshal(map[string]any{"media_type": mediaType, "size": size, "error": xerr.Error()})
		return mediaType, body, err
	}
}

// applyOCR runs the OCR of opt on res, with the bundle's languages when none are set, within
// the extraction's time limit.
func (opt RecordOptions) applyOCR(ctx context.Context, r io.ReaderAt, size int64, res *Result, lim Limits) error {
	o := *opt.OCR
	if len(o.Languages) == 0 && opt.States != nil {
		a, b := opt.States(ctx)
		installed, err := o.Installed(ctx)
		if err != nil {
			return err
		}
		o.Languages = LanguagesFor(installed, a, b)
	}
	if lim.Timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, lim.Timeout)
		defer cancel()
	}
	return o.Apply(ctx, r, size, res, lim)
}

// WithStates returns ctx carrying the states (ISO 3166-1 alpha-2) a document's bundle passes
// between: Extract with it weighs their languages when it must guess a legacy encoding (text,
// CSV, HTML, e-mail parts without a usable charset), and records them as encoding_hint.
func WithStates(ctx context.Context, states ...string) context.Context {
	var langs []string
	for _, l := range LanguagesFor(nil, states...) {
		if l != "eng" {
			langs = append(langs, l)
		}
	}
	if len(langs) == 0 {
		return ctx
	}
	return extractor.WithLanguages(ctx, langs)
}
