package extract

import (
	"context"
	"encoding/json"
	"errors"
	"io"
)

// Record returns the extractor evx's pipeline runs on each document of an accepted bundle
// (a pipeline.Extractor, given to pipeline.BagIntake): it extracts under lim and returns the media type and the result
// as the JSON the pipeline stores content-addressed. A document it cannot read is not an
// error: the JSON then holds its media type (TypeUnknown unless detection named one), its size
// and the reason. A document of a type evx reads no text of keeps its "unsupported" outcome
// in the JSON, so a counterpart sees which documents have no text and why. The error is
// ctx's when ctx ended, or the JSON encoder's.
//
// It is a function rather than a method of the pipeline so that hosts which never ingest
// (evx's api and audit functions) do not link text extraction at all.
func Record(lim Limits) func(ctx context.Context, r io.ReaderAt, size int64, name string) (mediaType string, result []byte, err error) {
	return func(ctx context.Context, r io.ReaderAt, size int64, name string) (string, []byte, error) {
		res, xerr := Extract(ctx, r, size, name, lim)
		switch {
		case xerr == nil:
			body, err := json.Marshal(res)
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
